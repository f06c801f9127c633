"""Shared fixtures. Tests that need ../shared evaluation data use ``shared_dir`` and skip without it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from copydesk.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COPYDESK_SHARED", REPO.parent / "shared"))
EXAMPLES = REPO / "examples"


def pytest_configure(config: pytest.Config) -> None:
    """What copydesk keeps in the user's cache (its word tables, ``copydesk.cachedir``) goes to a
    folder of this test session's, set before any test module loads a table, and its subprocesses
    inherit it (a run that names its own keeps it)."""
    if "COPYDESK_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="copydesk-test-cache-")
        os.environ["COPYDESK_CACHE_DIR"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.fixture
def shared_dir() -> Path:
    """../shared (evaluation data); tests using it skip cleanly on a user's clone that lacks it."""
    if not SHARED.is_dir():
        pytest.skip("../shared evaluation data is not present")
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh store in tmp_path and no user file or environment influence."""
    return load_settings({"db": tmp_path / "copydesk.db", "workers": 2}, environ={})


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path
