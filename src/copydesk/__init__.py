"""copydesk: the copy desk for news feeds.

The public Python API: load settings, then call the service functions (the same ones the CLI and the
web app call)::

    from copydesk import load_settings, service
    settings = load_settings({"db": "news.db"})
    report = service.run(["crawl/"], settings)
"""

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

from copydesk._compiled import guard_compiled_modules

# before any compiled module can be imported: none may run code its source no longer has
guard_compiled_modules(Path(__file__).parent, os.environ, sys.meta_path)

from copydesk.config import Settings, load_settings  # noqa: E402
from copydesk.errors import CopydeskError  # noqa: E402
from copydesk.records import Article, RawPage, Removal, SkippedInput, Story  # noqa: E402

__version__ = "0.1.0"


def __getattr__(name: str) -> ModuleType:
    """``copydesk.service`` loads on first use: worker processes that import one stage module (a
    spawned facts helper, an ingest worker) do not pay for the whole service layer."""
    if name == "service":
        return importlib.import_module("copydesk.service")
    raise AttributeError(f"module 'copydesk' has no attribute {name!r}")


__all__ = [
    "Article",
    "CopydeskError",
    "RawPage",
    "Removal",
    "Settings",
    "SkippedInput",
    "Story",
    "__version__",
    "load_settings",
    "service",
]
