"""Keeps a compiled module from running code its source no longer has.

The install compiles the cleaning modules with mypyc (setup.py): ``lines.cpython-311-….so`` beside
``lines.py``, which Python imports first. Once a source is edited (a checkout, an editable install
not built again) its compiled module would go on running the old code, unnoticed. The build records
each compiled source's hash in ``_compiled.json``; ``guard_compiled_modules`` compares them when
copydesk is imported, and where any differs (or ``COPYDESK_PURE_PYTHON=1`` asks for it: cProfile
sees no compiled function) it has every compiled module loaded from its source instead: they call
each other natively, so one changed module makes the rest run stale code too.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

STAMP = "_compiled.json"
PURE_PYTHON_VARIABLE = "COPYDESK_PURE_PYTHON"

log = logging.getLogger("copydesk")


def compiled_sources(package_dir: Path) -> dict[str, str]:
    """The modules the build compiled and their sources' hashes (none where nothing was compiled,
    or the stamp cannot be read)."""
    try:
        recorded = json.loads((package_dir / STAMP).read_text(encoding="utf-8"))
        modules = recorded["modules"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(modules, dict):
        return {}
    return {str(name): str(digest) for name, digest in modules.items()}


def changed_sources(package_dir: Path, recorded: Mapping[str, str]) -> list[str]:
    """The recorded modules whose source is not the one compiled (or is gone)."""
    root = package_dir.parent
    changed = []
    for name, digest in recorded.items():
        try:
            found = hashlib.sha256((root / (name.replace(".", "/") + ".py")).read_bytes()).hexdigest()
        except OSError:
            found = ""
        if found != digest:
            changed.append(name)
    return changed


def cleaning_compiled() -> bool:
    """Whether this process runs the compiled cleaning modules (the benchmarks say so with their
    figures)."""
    from copydesk.clean import lines

    return not (lines.__file__ or "").endswith(".py")


class SourceFirstFinder(importlib.abc.MetaPathFinder):
    """Finds the named modules' ``.py`` files ahead of their compiled ones."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        leaf = fullname.rpartition(".")[2] + ".py"
        for entry in path if path is not None else sys.path:
            source = Path(entry) / leaf
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def guard_compiled_modules(
    package_dir: Path, environ: Mapping[str, str], meta_path: list[Any]
) -> SourceFirstFinder | None:
    """Put a ``SourceFirstFinder`` for every compiled module first on ``meta_path`` where one of
    their sources changed since the build, or ``COPYDESK_PURE_PYTHON=1``; the finder, or None."""
    recorded = compiled_sources(package_dir)
    if not recorded or any(isinstance(f, SourceFirstFinder) for f in meta_path):
        return None
    if environ.get(PURE_PYTHON_VARIABLE) != "1":
        changed = changed_sources(package_dir, recorded)
        if not changed:
            return None
        log.warning(
            "copydesk: %s changed since it was compiled; running every compiled module from its "
            "source (slower) until they are built again: make build",
            ", ".join(changed),
        )
    finder = SourceFirstFinder(sorted(recorded))
    meta_path.insert(0, finder)
    return finder
