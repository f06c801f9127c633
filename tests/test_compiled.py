"""The modules compiled with mypyc: the same results as their sources, picklable where processes
need them, and never run once their source has changed (``copydesk._compiled``)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import copydesk
from copydesk import service
from copydesk._compiled import (
    STAMP,
    SourceFirstFinder,
    changed_sources,
    compiled_sources,
    guard_compiled_modules,
)
from copydesk.config import Settings
from copydesk.ingest.job import file_sources
from copydesk.records import Article, RawPage

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"
PACKAGE = Path(copydesk.__file__).parent


def _package(tmp_path: Path, source: str) -> Path:
    """A package ``fakepkg`` whose module ``mod`` has a source and, beside it, a broken compiled
    module of its name (as Python would import it first), with the stamp of ``source``."""
    package = tmp_path / "fakepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text(source)
    (package / ("mod" + importlib.machinery.EXTENSION_SUFFIXES[0])).write_bytes(b"not a shared object")
    digest = hashlib.sha256(source.encode()).hexdigest()
    (package / STAMP).write_text(json.dumps({"modules": {"fakepkg.mod": digest}}))
    return package


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """tmp_path on the import path, a meta path of the test's own, and no fakepkg imported."""
    monkeypatch.syspath_prepend(str(tmp_path))
    meta_path = list(sys.meta_path)
    monkeypatch.setattr(sys, "meta_path", meta_path)
    for name in ("fakepkg", "fakepkg.mod"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return meta_path


def test_a_current_compiled_module_is_left_to_python(tmp_path: Path, importable: list[object]) -> None:
    package = _package(tmp_path, "VALUE = 1\n")
    assert guard_compiled_modules(package, {}, importable) is None
    with pytest.raises(ImportError):  # the compiled module shadows the source, as in an install
        importlib.import_module("fakepkg.mod")


def test_a_changed_source_runs_instead_of_its_compiled_module(
    tmp_path: Path, importable: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    package = _package(tmp_path, "VALUE = 1\n")
    (package / "mod.py").write_text("VALUE = 2\n")
    assert changed_sources(package, compiled_sources(package)) == ["fakepkg.mod"]
    finder = guard_compiled_modules(package, {}, importable)
    assert isinstance(finder, SourceFirstFinder) and importable[0] is finder
    assert importlib.import_module("fakepkg.mod").VALUE == 2
    assert "fakepkg.mod changed since it was compiled" in caplog.text
    assert guard_compiled_modules(package, {}, importable) is None  # one finder is enough
    assert sum(isinstance(f, SourceFirstFinder) for f in importable) == 1


def test_pure_python_is_asked_for(tmp_path: Path, importable: list[object]) -> None:
    package = _package(tmp_path, "VALUE = 3\n")
    assert guard_compiled_modules(package, {"COPYDESK_PURE_PYTHON": "1"}, importable) is not None
    assert importlib.import_module("fakepkg.mod").VALUE == 3


def test_no_stamp_or_a_broken_one_compiled_nothing(tmp_path: Path) -> None:
    assert compiled_sources(tmp_path) == {}
    (tmp_path / STAMP).write_text("{not json")
    assert compiled_sources(tmp_path) == {}
    (tmp_path / STAMP).write_text('{"modules": ["a"]}')
    assert compiled_sources(tmp_path) == {}
    assert guard_compiled_modules(tmp_path, {"COPYDESK_PURE_PYTHON": "1"}, []) is None


def _demo_outcomes() -> list[object]:
    settings = Settings()
    pipeline = service.build_pipeline(settings)
    sources, _, _ = file_sources([str(DEMO)], settings.max_input_bytes)
    pages = [page for source in sources for page in source.read() if isinstance(page, RawPage)]
    return list(pipeline.process_many(pages))


def test_the_pipeline_and_its_outcomes_cross_processes() -> None:
    """Ray and spawned workers receive the pipeline pickled and send back its outcomes so (a
    compiled frozen dataclass does not unpickle: setup.py keeps those modules out)."""
    pipeline = service.build_pipeline(Settings())
    again = pickle.loads(pickle.dumps(pipeline))
    outcomes = _demo_outcomes()
    assert any(isinstance(o, Article) for o in outcomes)
    assert pickle.loads(pickle.dumps(outcomes)) == outcomes
    pages = [RawPage("p1", "p1.txt", "text", "Harbour pilots walked out on Tuesday.\n\nRelated Articles")]
    assert again.process_many(pages) == pipeline.process_many(pages)


_DIGEST_SCRIPT = """
import hashlib, pickle, sys
sys.path.insert(0, {repo!r})
from tests.test_compiled import _demo_outcomes
import copydesk.clean.lines as lines
print(lines.__file__)
print(hashlib.sha256(pickle.dumps(_demo_outcomes())).hexdigest())
"""


def _digest_in_process(pure: bool) -> tuple[str, str]:
    # the same string hashing in both: sets pickle in its order
    env = {k: v for k, v in os.environ.items() if k != "COPYDESK_PURE_PYTHON"} | {"PYTHONHASHSEED": "0"}
    if pure:
        env["COPYDESK_PURE_PYTHON"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _DIGEST_SCRIPT.format(repo=str(REPO))],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    module_file, digest = done.stdout.split()
    return module_file, digest


@pytest.mark.slow
def test_compiled_modules_clean_the_demo_corpus_as_their_sources_do() -> None:
    recorded = compiled_sources(PACKAGE)
    if not recorded:
        pytest.skip("no module was compiled with mypyc in this install")
    if changed_sources(PACKAGE, recorded):
        pytest.skip("compiled modules are older than their sources: make build")
    compiled_file, compiled = _digest_in_process(pure=False)
    source_file, source = _digest_in_process(pure=True)
    assert not compiled_file.endswith(".py") and source_file.endswith(".py")
    assert compiled == source


def test_the_records_made_per_line_are_built_natively_where_compiled() -> None:
    """A dataclass's ``__init__`` is generated when its module loads and runs interpreted even in a
    compiled module; the classes made for every line or article are plain classes mypyc compiles
    whole (a dataclass ``Line`` cost the workers 2% of their instructions)."""
    from copydesk._compiled import cleaning_compiled
    from copydesk.clean.layout import Layout
    from copydesk.clean.lines import Line
    from copydesk.clean.textmeta import TextMetadata

    if not cleaning_compiled():
        pytest.skip("the cleaning modules run from their sources here")
    for made in (Line, Layout, TextMetadata):
        assert not hasattr(made, "__dataclass_fields__"), made
        assert not hasattr(made.__init__, "__code__"), f"{made.__name__}.__init__ runs interpreted"
