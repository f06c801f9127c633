"""copydesk: the copy desk for news feeds.

The public Python API: load settings, then call the service functions (the same ones the CLI and the
web app call)::

    from copydesk import load_settings, service
    settings = load_settings({"db": "news.db"})
    report = service.run(["crawl/"], settings)
"""

import importlib
from types import ModuleType

from copydesk.config import Settings, load_settings
from copydesk.errors import CopydeskError
from copydesk.records import Article, RawPage, Removal, SkippedInput, Story

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
