"""The compiled word table (copydesk._wordtable): wordfreq's list looked up where it lies, with the
values a dict built bucket by bucket holds."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.clean import words

wordtable = pytest.importorskip("copydesk._wordtable")


def _packed(buckets: list[list[str]]) -> tuple[bytes, int]:
    """A word list as wordfreq writes one (header, then the buckets) and where its first bucket starts."""
    header = msgpack.packb({"format": "cB", "version": 1})
    body = msgpack.packb([{"format": "cB", "version": 1}, *buckets])
    return body, body.index(header) + len(header)


def _as_dict(buckets: list[list[str]], values: list[float | None]) -> dict[str, float]:
    table: dict[str, float] = {}
    for bucket, value in zip(buckets, values, strict=True):
        if value is not None:
            table.update(dict.fromkeys(bucket, value))
    return table


_LETTERS = [*"abcé'ß-", "ü", "日", "\U0001f600"]
_WORDS = st.text(alphabet=st.sampled_from(_LETTERS), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_WORDS, max_size=30), max_size=12), st.data())
def test_a_word_table_holds_what_a_dict_built_bucket_by_bucket_holds(
    buckets: list[list[str]], data: st.DataObject
) -> None:
    values = [data.draw(st.one_of(st.none(), st.floats(0, 9))) for _ in buckets]
    body, start = _packed(buckets)
    table = wordtable.WordTable(body, start, values)
    expected = _as_dict(buckets, values)
    assert len(table) == len(expected)
    assert set(table) == set(expected)
    assert all(table[w] == v and table.get(w) == v and w in table for w, v in expected.items())
    for word in {w for b in buckets for w in b} - set(expected):
        assert word not in table and table.get(word, -1.0) == -1.0
        with pytest.raises(KeyError):
            table[word]
    assert [table.bucket_words(k) for k in range(table.bucket_count())] == buckets
    # each word in the last bucket with a value that lists it: the bucket whose value it takes
    last = {
        w: k
        for k, (bucket, value) in enumerate(zip(buckets, values, strict=True))
        if value is not None
        for w in bucket
    }
    assert [table.final_words(k) for k in range(table.bucket_count())] == [
        [w for w in bucket if last.get(w) == k] for k, bucket in enumerate(buckets)
    ]
    again = pickle.loads(pickle.dumps(table))
    assert all(again[w] == v for w, v in expected.items()) and len(again) == len(table)


def test_a_word_table_answers_any_key_and_refuses_what_is_no_word_list() -> None:
    body, start = _packed([["the", "of"], ["harbour", "the"]])
    table = wordtable.WordTable(body, start, [7.5, 5.0])
    assert table["the"] == 5.0  # listed twice: the last bucket's value, as dict.update leaves it
    assert table.get(3) is None and table.get(None, 0.0) == 0.0 and 3 not in table
    assert table.get("\ud800") is None  # a lone surrogate: no word of any list
    with pytest.raises(IndexError):
        table.bucket_words(2)
    with pytest.raises(ValueError):
        wordtable.WordTable(b"\x92\x81\xa1a\xa1b\xc3", 1, [1.0, 1.0])  # the buckets are no arrays
    with pytest.raises(ValueError):
        wordtable.WordTable(body, len(body) + 5, [1.0])
    with pytest.raises(TypeError):
        wordtable.WordTable(body, start, ["7.5", 5.0])


def test_the_zipf_table_is_the_same_with_the_word_table_or_without(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = words.zipf_table.__wrapped__("en")
    assert isinstance(compiled, wordtable.WordTable)
    monkeypatch.setattr(words, "WordTable", None)
    plain = words.zipf_table.__wrapped__("en")
    assert isinstance(plain, dict)
    assert len(plain) == len(compiled)
    assert [w for w, v in plain.items() if compiled.get(w) != v] == []
    assert words.known_words.__wrapped__("en") == words.known_words("en")


def _image_of(tmp_path: Path, buckets: list[list[str]], values: list[float | None]) -> tuple[Any, Path]:
    body, start = _packed(buckets)
    table = wordtable.WordTable(body, start, values)
    path = tmp_path / "words.table"
    path.write_bytes(table.dump())
    return table, path


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_WORDS, max_size=30), max_size=12), st.data())
def test_a_word_tables_image_loads_back_as_the_same_table(
    tmp_path_factory: pytest.TempPathFactory, buckets: list[list[str]], data: st.DataObject
) -> None:
    values = [data.draw(st.one_of(st.none(), st.floats(0, 9))) for _ in buckets]
    table, path = _image_of(tmp_path_factory.mktemp("image"), buckets, values)
    loaded = wordtable.WordTable.load(str(path))
    assert len(loaded) == len(table) and set(loaded) == set(table)
    assert all(loaded[w] == table[w] for w in table)
    for word in {w for b in buckets for w in b} | {"absent", ""}:
        assert (word in loaded) == (word in table)
    assert loaded.bucket_count() == len(buckets)
    assert [loaded.bucket_words(k) for k in range(len(buckets))] == buckets
    assert [loaded.final_words(k) for k in range(len(buckets))] == [
        table.final_words(k) for k in range(len(buckets))
    ]
    assert loaded.dump() == table.dump()
    again = pickle.loads(pickle.dumps(loaded))
    assert all(again[w] == table[w] for w in table)


def test_an_image_of_another_build_or_damaged_is_refused(tmp_path: Path) -> None:
    """A file that is no image, a truncated one, and one whose slots point outside its words are
    refused with ValueError (never read past the data); a missing file is an OSError."""
    _, path = _image_of(tmp_path, [["harbour", "quay"], ["the", "of"]], [3.5, 6.0])
    image = path.read_bytes()
    for bad in (b"", b"not an image", image[:-1], image + b"\0", b"X" + image[1:]):
        path.write_bytes(bad)
        with pytest.raises(ValueError):
            wordtable.WordTable.load(str(path))
    # a filled slot (its hash, then offset, length and bucket as uint32) pointed far past the words;
    # the slots end the image, as many as the header's capacity (after magic, two uint32 and three
    # uint64), 24 bytes each
    (capacity,) = struct.unpack_from("=Q", image, 8 + 4 + 4 + 8 * 3)
    slots_at = len(image) - capacity * 24
    filled = next(at for at in range(slots_at, len(image), 24) if image[at + 8 : at + 12] != bytes(4))
    damaged = image[: filled + 8] + struct.pack("=I", 1 << 30) + image[filled + 12 :]
    path.write_bytes(damaged)
    with pytest.raises(ValueError):
        wordtable.WordTable.load(str(path))
    with pytest.raises(OSError):
        wordtable.WordTable.load(str(tmp_path / "missing.table"))


def test_the_tables_are_kept_in_the_cache_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first start makes the Zipf table and the known words and keeps them; the next reads them
    (neither the list is decompressed nor the words judged again), the same; a damaged file is made
    again, and without a cache (``COPYDESK_CACHE_DIR`` empty) nothing is written."""
    monkeypatch.setenv("COPYDESK_CACHE_DIR", str(tmp_path))
    made = words.zipf_table.__wrapped__("en")
    known = words.known_words.__wrapped__("en")
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert [name.split("-")[0] for name in kept] == ["known", "words"]

    def forbidden(*args: object) -> None:
        raise AssertionError("made again")

    with monkeypatch.context() as patched:
        patched.setattr(words.gzip, "decompress", forbidden)
        patched.setattr(words, "_judged_known_words", forbidden)
        loaded = words.zipf_table.__wrapped__("en")
        assert words.known_words.__wrapped__("en") == known
    assert len(loaded) == len(made)
    sample = [*words._final_bucket_words("en")[1](40)[:200], "harbour", "zzzzqx"]
    assert [loaded.get(w) for w in sample] == [made.get(w) for w in sample]

    image = next(tmp_path.glob("words-*"))
    image.write_bytes(b"damaged")
    assert len(words.zipf_table.__wrapped__("en")) == len(made)
    assert wordtable.WordTable.load(str(image)).dump() == made.dump()

    for kept_file in tmp_path.iterdir():
        kept_file.unlink()
    monkeypatch.setenv("COPYDESK_CACHE_DIR", "")
    assert words.known_words.__wrapped__("en") == known
    assert len(words.zipf_table.__wrapped__("en")) == len(made)
    assert not list(tmp_path.iterdir())
