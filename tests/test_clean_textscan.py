"""The compiled word scan (copydesk._textscan) gives exactly what its Python reference gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.clean import spam_tokens, textscan
from copydesk.clean.lines import (
    ANCHOR_CHARS,
    ANCHOR_WORDS,
    MEMO_CHARS,
    LineFacts,
    line_facts,
    python_line_facts,
)
from copydesk.clean.spam_tokens import TokenFacts
from copydesk.clean.textscan import python_marked_words
from copydesk.clean.words import LANGUAGES_OF, READER_ADDRESS

compiled = pytest.mark.skipif(not textscan.COMPILED, reason="copydesk._textscan was not built")

# ASCII pieces that sit on the scan's edges (in-word punctuation, digits, underscores, case), and a
# few non-ASCII ones that must send the line to the regex
_PIECES = st.sampled_from(
    [" ", "\t", "\n", "a", "Z", "word", "Word", "WORD", "x1", "1x", "_", "'", "-", ".", ",", "U.S.",
     "e-mail", "don't", "9", "?", "(", ")", "\x00", "\x7f", "é", "’", "Ａ", "ß", "İ"]
)  # fmt: skip
_LINES = st.lists(_PIECES, max_size=40).map("".join)
_WORDS = st.lists(
    st.sampled_from([*sorted(LANGUAGES_OF)[:40], "share", "cookie", "quay", "ferry", "", "Le"]),
    max_size=30,
)


@compiled
@settings(max_examples=400)
@given(_WORDS)
def test_compiled_marked_words_match_the_reference(lowered: list[str]) -> None:
    got = textscan.marked_words(lowered, LANGUAGES_OF, READER_ADDRESS)
    expected = python_marked_words(lowered, LANGUAGES_OF, READER_ADDRESS)
    assert got == expected
    assert list(got[0]) == list(expected[0])  # the same key order: the first language used first


@compiled
def test_ties_go_to_the_language_used_first() -> None:
    table = {"le": ("fr",), "de": ("es", "fr", "nl"), "het": ("nl",)}
    address = frozenset({"share"})
    for lowered in (["het", "de", "le"], ["le", "het", "de"], ["de"], [], ["share", "x"]):
        assert textscan.marked_words(lowered, table, address) == python_marked_words(lowered, table, address)
    assert textscan.marked_words(["het", "de", "le"], table, address)[1:] == ("nl", 2, False)


@compiled
def test_compiled_scan_rejects_wrong_types() -> None:
    with pytest.raises(TypeError):
        textscan.scan_ascii_line(b"bytes", LANGUAGES_OF, READER_ADDRESS)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        textscan.marked_words(("tuple",), LANGUAGES_OF, READER_ADDRESS)  # type: ignore[arg-type]


_SPACED = st.lists(
    st.sampled_from(["a", "Bc", " ", "  ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "x,", "(y)",
                     "\x00", "é", "\u00a0", "\u2028", "\x85", "ab", "ba", "Ω", "𝔸"]),
    max_size=30,
).map("".join)  # fmt: skip

try:
    from copydesk import _tokenmemo as token_memo
except ImportError:  # built where a C compiler was at hand
    token_memo = None  # type: ignore[assignment]
memo_built = pytest.mark.skipif(token_memo is None, reason="copydesk._tokenmemo was not built")


def _facts(token: str) -> tuple[str, int]:
    return (token.lower(), len(token))


@memo_built
@settings(max_examples=400)
@given(_SPACED, st.integers(1, 8))
def test_token_memo_gives_what_a_dict_memo_gives(text: str, bound: int) -> None:
    memo = token_memo.TokenMemo(_facts, bound)
    got = memo.split_lookup(text)
    assert got == ([_facts(t) for t in text.split()] if text.isascii() else None)
    for token in text.split():  # any str, wide characters too, through memo[token]
        assert memo[token] == _facts(token)
    assert len(memo) <= bound


@memo_built
def test_token_memo_computes_a_token_once_and_starts_afresh_past_its_bound() -> None:
    calls: list[str] = []

    def compute(token: str) -> str:
        calls.append(token)
        return token.upper()

    memo = token_memo.TokenMemo(compute, 3)
    assert memo.split_lookup("a b a c b") == ["A", "B", "A", "C", "B"]
    assert calls == ["a", "b", "c"]
    assert memo["d"] == "D" and len(memo) == 1  # full at 3: forgotten, then "d" remembered
    assert memo.split_lookup("a d") == ["A", "D"] and calls == ["a", "b", "c", "d", "a"]
    many = [f"t{k}" for k in range(5000)]  # the table grows and keeps every entry
    big = token_memo.TokenMemo(compute, 10_000)
    assert big.split_lookup(" ".join(many)) == [t.upper() for t in many]
    assert all(big[t] == t.upper() for t in many) and len(big) == 5000
    with pytest.raises(TypeError):
        big[b"bytes"]  # type: ignore[index]
    with pytest.raises(ZeroDivisionError):
        token_memo.TokenMemo(lambda token: 1 / 0, 5)["x"]


@compiled
@settings(max_examples=200)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["a", "b", "Ab", ""]), st.booleans()), max_size=6)))
def test_compiled_first_items_match_the_reference(rows: list[list[tuple[str, bool]]]) -> None:
    assert textscan.first_items(rows) == textscan.python_first_items(rows)
    with pytest.raises(TypeError):
        textscan.first_items([[()]])


@compiled
def test_compiled_first_items_of_more_words_than_its_table_has_slots() -> None:
    words = [f"w{k}" for k in range(6000)]
    rows = [[(w, True) for w in words[k : k + 700]] for k in range(0, 6000, 500)]
    assert textscan.first_items(rows) == textscan.python_first_items(rows) == frozenset(words)


_ENDINGS = st.lists(
    st.sampled_from(
        ["word", " ", "\t", "\x1c", ".", "!", "?", ";", ",", '"', "'", ")", "]", "(", "…", "”", "a"]
    ),
    max_size=8,
).map("".join)


@compiled
@settings(max_examples=500)
@given(st.one_of(_LINES, _ENDINGS), _WORDS)
def test_compiled_line_scan_matches_the_reference(text: str, extra: list[str]) -> None:
    text = text + " " + " ".join(extra) if extra and len(text) % 2 else text
    got = textscan.scan_ascii_line(text, LANGUAGES_OF, READER_ADDRESS)
    assert got == textscan.python_scan_ascii_line(text, LANGUAGES_OF, READER_ADDRESS)
    if got is not None:
        assert got[6] == textscan.ends_like_sentence(text)


_HALVES = st.sampled_from(["", "some", "thing", "every", "body", "in", "to", "qu", "ay", "zz"])
_FACT = st.tuples(
    st.just("w"), st.booleans(), st.booleans(), st.just(False), st.just(False), _HALVES, _HALVES
)


@compiled
@settings(max_examples=500)
@given(st.lists(_FACT, max_size=12), st.booleans())
def test_compiled_join_screen_matches_the_reference(facts: list[TokenFacts], article_has: bool) -> None:
    article = frozenset({"quay", "zzzz"} if article_has else set())
    asked: list[int] = []

    def article_words() -> frozenset[str]:
        asked.append(1)
        return article

    got = spam_tokens.strong_join_near(facts, article_words)
    assert got == spam_tokens.python_strong_join_near(facts, lambda: article)
    assert len(asked) <= 1  # the article's words asked once a line at most


@compiled
@settings(max_examples=500)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["", "x", 0.0, None])), max_size=8))
def test_compiled_fact_flags_match_the_reference(facts: list[tuple[object, ...]]) -> None:
    for flags in ((0,), (1,), (0, 1), (1, 0), ()):
        assert textscan.fact_flags(facts, flags) == textscan.python_fact_flags(facts, flags)
    with pytest.raises(IndexError):
        textscan.fact_flags([(1,)], (3,))


@compiled
@settings(max_examples=500)
@given(st.one_of(_LINES, _ENDINGS), _WORDS)
def test_compiled_line_facts_match_the_python_facts(text: str, extra: list[str]) -> None:
    text = text + " " + " ".join(extra) if extra else text
    built = line_facts(text)
    assert type(built) is LineFacts
    assert built == python_line_facts(text)
    # the words read through the memo of their facts (the path above) and scanned afresh agree
    assert textscan.ascii_line_facts is not None
    scanned = textscan.ascii_line_facts(
        text, LANGUAGES_OF, READER_ADDRESS, LineFacts, ANCHOR_WORDS, ANCHOR_CHARS, "latin", None
    )
    assert scanned is None or scanned == built


@compiled
def test_the_line_scan_reads_words_through_the_token_memo() -> None:
    """The compiled scan found copydesk._tokenmemo's capsule (without it, a line's words are built
    afresh, 2.5 times slower): it asks the memo it is given, and refuses anything else."""
    assert textscan.ascii_line_facts is not None
    with pytest.raises(TypeError, match="TokenMemo"):
        textscan.ascii_line_facts(
            "Some words here.",
            LANGUAGES_OF,
            READER_ADDRESS,
            LineFacts,
            ANCHOR_WORDS,
            ANCHOR_CHARS,
            "latin",
            object(),
        )


@compiled
@settings(max_examples=500)
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(st.sampled_from(["word", " ", "\t", "\n", "\x1c", "\x85", "\u3000", "\u00a0", "é", ""])).map(
            "".join
        ),
    )
)
def test_compiled_word_count_is_len_of_split(text: str) -> None:
    assert textscan.word_count is not textscan.python_word_count
    assert textscan.word_count(text) == len(text.split()) == textscan.python_word_count(text)


_LINE_CHARS = [*"ab \n\t\r\x0b\x0c\x1cx", "\x85", "\u00a0", "\u2028", "\u3000", "日"]


@compiled
@settings(max_examples=1000)
@given(st.text(alphabet=st.sampled_from(_LINE_CHARS)))
def test_compiled_raw_lines_match_the_reference(text: str) -> None:
    from copydesk.clean.lines import python_raw_lines

    assert textscan.compiled_raw_lines is not None
    assert textscan.compiled_raw_lines(text) == python_raw_lines(text)


@pytest.mark.parametrize("words", [2, 40])
def test_line_facts_of_short_memoised_and_long_worked_out_lines_match_the_python_facts(words: int) -> None:
    text = " ".join(["The council said you can read the report"] * words)[: MEMO_CHARS * 4] + "."
    assert (len(text) > MEMO_CHARS) == (words == 40)
    assert line_facts(text) == python_line_facts(text)
    assert line_facts(text) == python_line_facts(text)  # a second reading (memoised where short)
