"""Where copydesk keeps what it derives from installed data, and how a kept file is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from copydesk.cachedir import cache_dir, derived_path, keep


def test_the_cache_folder_follows_the_environment(tmp_path: Path) -> None:
    assert cache_dir({"COPYDESK_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_dir({"COPYDESK_CACHE_DIR": ""}) is None  # set but empty: no cache
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "copydesk"
    assert cache_dir({}) == Path.home() / ".cache" / "copydesk"


def test_a_kept_file_is_named_after_its_source_and_replaces_older_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPYDESK_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "list.bin"
    source.write_bytes(b"one")
    first = derived_path("words-en", source, "1", ".table")
    assert first is not None and first.parent == tmp_path / "cache"
    assert derived_path("words-en", source, "2", ".table") != first  # another format
    assert keep(first, b"made from one") and first.read_bytes() == b"made from one"
    source.write_bytes(b"two, longer")  # the source changed: another name
    second = derived_path("words-en", source, "1", ".table")
    assert second is not None and second != first
    other_kind = tmp_path / "cache" / "known-en-0000.txt"
    other_kind.write_text("kept")
    longer_kind = tmp_path / "cache" / f"words-en-gb-{'0' * 16}.table"  # another kind that starts alike
    longer_kind.write_text("kept")
    assert keep(second, b"made from two")
    assert not first.exists() and second.read_bytes() == b"made from two"
    assert other_kind.exists() and longer_kind.exists()
    assert not list((tmp_path / "cache").glob("*.part"))  # no temporary left behind
    assert derived_path("words-en", tmp_path / "missing", "1", ".table") is None


def test_a_cache_that_cannot_be_written_only_means_no_file(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert keep(blocked / "words-en-1.table", b"data") is False
