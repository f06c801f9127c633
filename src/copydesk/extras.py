"""Optional dependency groups, checked when a feature is constructed, not when it first fails."""

from __future__ import annotations

import importlib
from types import ModuleType

from copydesk.errors import MissingExtraError


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or fail with the ``pip install 'copydesk[extra]'`` that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(extra, feature, module) from exc
