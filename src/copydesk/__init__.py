"""copydesk: the copy desk for news feeds.

The public Python API: load settings, then call the service functions (the same ones the CLI and the
web app call)::

    from copydesk import load_settings, service
    settings = load_settings({"db": "news.db"})
    report = service.run(["crawl/"], settings)
"""

from copydesk import service
from copydesk.config import Settings, load_settings
from copydesk.errors import CopydeskError
from copydesk.records import Article, RawPage, Removal, SkippedInput, Story

__version__ = "0.1.0"

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
