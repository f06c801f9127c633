"""When a stage may fork its helper processes instead of spawning them.

A forked helper starts in milliseconds with the parent's imports and tables; a spawned one imports
copydesk again (about a second). Forking is safe where nothing else runs beside the caller: a command
line run on its main thread (at most a progress bar's thread, holding no lock a child needs). A
server runs stages in its worker threads, beside others that may hold such locks: it spawns.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.context import BaseContext


def may_fork() -> bool:
    """Whether helpers may be forked here: a platform with fork, called from the main thread."""
    return "fork" in multiprocessing.get_all_start_methods() and (
        threading.current_thread() is threading.main_thread()
    )


def helper_context() -> BaseContext:
    """The process context for a stage's helpers: fork where ``may_fork`` says so, else spawn."""
    return multiprocessing.get_context("fork" if may_fork() else "spawn")
