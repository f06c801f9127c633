"""The compiled word table (copydesk._wordtable): wordfreq's list looked up where it lies, with the
values a dict built bucket by bucket holds."""

from __future__ import annotations

import pickle

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
