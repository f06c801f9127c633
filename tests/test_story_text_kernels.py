"""The compiled text kernels of the stories give what their Python references give: token counts
(copydesk._textscan.token_counts) as ``python_token_counts``' regular expression counts them; the
sentence splitting
(copydesk._textscan.split_sentences) splits exactly as ``python_sentences``, the regular expression
it replaces, whatever the text; a sentence's alignment keys (copydesk._sentkeys) hold the same
anchors, words and grammar words as ``python_sentence_key``'s."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.stories.features import (
    lead_of,
    python_sentences,
    python_token_counts,
    text_and_lead_counts,
    token_counts,
)
from copydesk.stories.sentence_align import (
    KeyBits,
    _read_token,
    compiled_sentence_key,
    python_sentence_key,
    python_sentence_tokens,
    sentence_keys,
)

textscan = pytest.importorskip("copydesk._textscan", reason="copydesk._textscan was not built")
sentkeys = pytest.importorskip("copydesk._sentkeys", reason="copydesk._sentkeys was not built")

# Sentence ends, closing quotes and brackets, every kind of whitespace (non-breaking, ideographic,
# line and paragraph separators), newlines, and letters in three widths of Python string.
_PIECES = st.sampled_from(
    [
        *("Word", "words", " ", "  ", ".", "!", "?", "...", '"', "'", "\u201d", "\u2019", ")", "(", "]"),
        *("\n", "\n\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2028", "\u2029", "\x1c", "\x85"),
        *("caf\u00e9", "\u5317\u4eac", "\U0001f600", "3.5", "U.S.", "Mr.", 'end."', "end.\u201d "),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_compiled_sentences_are_the_regular_expression_s(text: str) -> None:
    assert textscan.split_sentences(text) == python_sentences(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_compiled_sentences_on_any_text(text: str) -> None:
    assert textscan.split_sentences(text) == python_sentences(text)


def test_sentences_and_the_lead() -> None:
    text = 'He said "go." Then left!\n\nA new day?  Yes.\u2019 Done'
    assert textscan.split_sentences(text) == ['He said "go.', "Then left!", "A new day?", "Yes.", "Done"]
    assert lead_of(text, 2) == 'He said "go. Then left!'
    assert textscan.split_sentences("") == [] and textscan.split_sentences(" \n ") == []
    with pytest.raises(TypeError):
        textscan.split_sentences(b"bytes")  # type: ignore[arg-type]


_ZIPF = {"the": 7.7, "of": 7.4, "harbour": 4.2, "said": 6.1, "ferry": 3.9, "quay": 2.9, "a": 7.3}
_TOKENS = st.sampled_from(
    [
        *("The", "the", "of", "Harbour", "harbour", "said", "ferry", "Quay", "quay", "Marit", "Ostrava", "a"),
        *("3,623", "3 623", "1.5", "2024", "x", "\u00d8rsted", "caf\u00e9", "IE8", "Said"),
    ]
)


def _decoded(
    keys: tuple[int, int, int, tuple[str, ...]], anchors: KeyBits, words: KeyBits
) -> tuple[set[str], int, set[str], tuple[str, ...]]:
    return set(anchors.words(keys[0])), keys[1], set(words.words(keys[2])), keys[3]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_TOKENS, max_size=12), min_size=1, max_size=6), st.integers(0, 6))
def test_compiled_sentence_keys_are_the_python_ones(sentences: list[list[str]], bound: int) -> None:
    """Sentence after sentence with shared KeyBits (bits already given are reused), a memo that may
    fill up: the same anchors, counts, words and grammar words, and masks that intersect alike."""
    read = lambda token: _read_token(token, _ZIPF)  # noqa: E731
    tables = [(KeyBits(), KeyBits(), {}) for _ in range(2)]
    made: list[list[tuple[int, int, int, tuple[str, ...]]]] = [[], []]
    for tokens in sentences:
        for side, key_of in enumerate((python_sentence_key, compiled_sentence_key)):
            anchors, words, memo = tables[side]
            made[side].append(key_of(list(tokens), memo, read, bound, anchors, words))
            assert len(memo) <= max(bound, 0)
    for mine, theirs in zip(made[0], made[1], strict=True):
        assert _decoded(mine, *tables[0][:2]) == _decoded(theirs, *tables[1][:2])
    for i in range(len(sentences)):
        for j in range(len(sentences)):
            for slot in (0, 2):
                assert (made[0][i][slot] & made[0][j][slot]).bit_count() == (
                    made[1][i][slot] & made[1][j][slot]
                ).bit_count()


def test_sentence_keys_of_a_text() -> None:
    anchors, words = KeyBits(), KeyBits()
    keys = sentence_keys("The Harbour of Marit said 3,623. Quay x!", _ZIPF, anchors, words)
    assert len(keys) == 2
    assert set(anchors.words(keys[0][0])) == {"harbour", "marit", "3623"} and keys[0][1] == 3
    assert keys[0][3] == ("the", "of", "said")
    with pytest.raises(TypeError):
        compiled_sentence_key(["a"], {}, lambda token: ("a", "", ""), 10, anchors, words)  # type: ignore[arg-type,return-value]


# Word characters of three widths, figures with points, commas and apostrophes, contractions, marks
# that end a token or start none, underscores and non-decimal digits.
_TOKEN_PIECES = st.sampled_from(
    [
        *("rock", "n", "roll", "'", "\u2019", ".", ",", "3", "1", "200", "5", " ", "-", "_", "x1"),
        *("caf\u00e9", "\u5317\u4eac", "\U0001d7d8", "\u00b2", "\u0663", "''", ".,", "\n", "don't"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKEN_PIECES, max_size=30).map("".join))
def test_compiled_token_counts_are_the_regular_expression_s(text: str) -> None:
    assert list(textscan.token_counts(text).items()) == list(python_token_counts(text).items())
    # read through the memo of token strings (ASCII texts), as build_features counts them
    assert list(token_counts(text).items()) == list(python_token_counts(text).items())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_compiled_token_counts_on_any_text(text: str) -> None:
    assert list(textscan.token_counts(text).items()) == list(python_token_counts(text).items())


def _text_and_lead(text: str, sentences: int, chars: int) -> list[list[tuple[str, int]]]:
    """The reference: the text's counts, and the lead's as ``lead_of`` makes it (the opening's
    sentences, joined) and counted again."""
    lead = " ".join(python_sentences(text[:chars])[:sentences])
    return [list(python_token_counts(text).items()), list(python_token_counts(lead).items())]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(_PIECES, _TOKEN_PIECES), max_size=60).map("".join),
    st.integers(0, 4),
    st.integers(0, 90),
)
def test_a_texts_and_its_leads_counts_in_one_pass_are_the_two_counted_apart(
    text: str, sentences: int, chars: int
) -> None:
    """The lead's tokens are the text's up to where its first sentences end; where the opening read
    cuts a token (``chars``), the lead counts what the cut text holds, as the lead made apart does."""
    from copydesk._tokenmemo import TokenMemo

    want = _text_and_lead(text, sentences, chars)
    assert [list(d.items()) for d in textscan.text_and_lead_counts(text, sentences, chars)] == want
    memo = TokenMemo(str, 64)
    assert [list(d.items()) for d in textscan.text_and_lead_counts(text, sentences, chars, memo)] == want


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.integers(0, 4), st.integers(0, 130))
def test_a_texts_and_its_leads_counts_on_any_text(text: str, sentences: int, chars: int) -> None:
    want = _text_and_lead(text, sentences, chars)
    assert [list(d.items()) for d in textscan.text_and_lead_counts(text, sentences, chars)] == want


def test_the_features_lead_is_lead_of() -> None:
    text = "Rock'n'roll: 1,200 fans. The '90s are back!\n\nA new day? 3.5 km. Not in the lead."
    tokens, lead = text_and_lead_counts(text, 3)
    assert (tokens, lead) == (python_token_counts(text), python_token_counts(lead_of(text, 3)))
    assert list(lead) == ["Rock'n'roll", "1,200", "fans", "The", "90s", "are", "back", "A", "new", "day"]
    with pytest.raises(TypeError):
        textscan.text_and_lead_counts(text, "3", 1200)  # type: ignore[arg-type]


def test_token_counts_read_ascii_tokens_through_the_memo() -> None:
    """The compiled counting found copydesk._tokenmemo's capsule: it asks the memo it is given."""
    with pytest.raises(TypeError, match="TokenMemo"):
        textscan.token_counts("plain words", object())
    assert textscan.token_counts("caf\u00e9 words", object()) == {"caf\u00e9": 1, "words": 1}  # not ASCII


def test_token_counts_hold_when_the_memo_starts_afresh_mid_text() -> None:
    """A memo past its bound forgets every token, so the same token comes back as another string:
    counted as the same token still (the counting table compares strings, not only identities);
    hundreds of distinct tokens make the table grow."""
    from copydesk._tokenmemo import TokenMemo

    text = " ".join(f"w{k % 300} x y w{k % 7}" for k in range(900))
    tiny = TokenMemo(str, 3)
    assert list(textscan.token_counts(text, tiny).items()) == list(python_token_counts(text).items())


def test_token_counts_of_a_sentence() -> None:
    counts = textscan.token_counts("Rock'n'roll: 1,200 fans, 3.5 km; the '90s. 1,200!")
    assert counts == {"Rock'n'roll": 1, "1,200": 2, "fans": 1, "3.5": 1, "km": 1, "the": 1, "90s": 1}


# Digit runs of every length, the four thousands separators, points and commas before digits,
# word characters that are not decimal digits (superscripts, underscores), other scripts' digits.
_FIGURE_PIECES = st.sampled_from(
    [
        *("1", "12", "123", "1234", "000", " 000", " ", "\u00a0", "\u2009", "\u202f", ".", ",", "5"),
        *("a", "km", "_", "\u00b2", "\u0663\u0664\u0665", "-", "\n", ".5", ",25"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FIGURE_PIECES, max_size=24).map("".join))
def test_compiled_sentence_tokens_are_the_regular_expression_s(sentence: str) -> None:
    assert sentkeys.sentence_tokens(sentence) == python_sentence_tokens(sentence)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_compiled_sentence_tokens_on_any_text(sentence: str) -> None:
    assert sentkeys.sentence_tokens(sentence) == python_sentence_tokens(sentence)


def test_sentence_tokens_of_a_figure() -> None:
    assert sentkeys.sentence_tokens("Some 3 623 people, 1,5 km and 12 3456 more; 1 000 000.") == [
        *("Some", "3 623", "people", "1,5", "km", "and", "12", "3456", "more", "1 000 000"),
    ]
