"""The cleaning fast paths give exactly what the slow paths they replace give."""

from __future__ import annotations

import re

import ftfy
import ftfy.bad_codecs
from hypothesis import example, given, settings
from hypothesis import strategies as st

from copydesk.clean.normalise import _fix_text
from copydesk.clean.textscan import ends_like_sentence
from copydesk.clean.words import is_nonword, is_word, known_words, zipf_table

# UTF-8 text read in each of the single-byte encodings ftfy repairs
_MOJIBAKE = [
    word.encode("utf-8").decode(encoding, errors="replace")
    for word in ("naïve café", "привет", "Ωμέγα", "Łódź", "İstanbul", "—“quote”")
    for encoding in ftfy.chardata.CHARMAP_ENCODINGS
]

_PIECES = st.sampled_from(
    [
        "plain words",
        " ",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "&amp;",
        "&",
        "<p>",
        "\x1b[31m",
        "\x00",
        "\x0c",
        "é",
        "Ã©",
        "â€™",
        "’",
        "ﬁ",
        "\u00a0",
        "\x85",
        "\u2028",
        "Ｌ",
        "\ufffd",
        "\x92",
        "&#x2019;",
        "\x7f",
        # lines the screen passes over (ftfy only normalises them) and the pairs it must not miss
        "á ",
        "Ã ",
        "Ã?",
        "â€",
        "т",
        "слово»",
        "電子",
        "café’s",
        "?",
        "\u0301",
        *_MOJIBAKE,
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=25))
@example(["é", "\ufffd", "\ufffd"])  # a lead byte and two lost ones: ftfy makes one U+FFFD of them
@example(["Ã", "\ufffd"])
def test_line_skipping_ftfy_matches_ftfy(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_latin_ligatures=True)
    assert _fix_text(text) == expected


# the regex ends_like_sentence replaced
_TERMINAL = re.compile(r"""[.!?…;]["'”’»)\]]*\s*$|["”’»']{1,2}\s*$""")
_ENDINGS = st.sampled_from(
    ["word", " ", ".", "!", "?", "…", ";", '"', "'", "”", "’", "»", ")", "]", "\n", "\t", ",", "—"]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_ENDINGS, max_size=8))
def test_sentence_ending_matches_the_regex(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert ends_like_sentence(text) == bool(_TERMINAL.search(text))


def test_known_words_is_the_set_is_word_and_not_is_nonword_describe() -> None:
    known = known_words()
    table = zipf_table("en")
    assert [w for w in table if len(w) > 1 and (w in known) != (is_word(w) and not is_nonword(w))] == []


def test_word_lists_read_directly_are_wordfreqs_and_give_its_zipf_values() -> None:
    """The word lists are read from wordfreq's data files without importing wordfreq; the buckets
    and each word's Zipf value are what wordfreq's own functions give (regional variants and other
    names go through wordfreq itself)."""
    import wordfreq

    from copydesk.clean.words import frequency_buckets

    for lang in ("en", "de", "en-GB"):
        assert frequency_buckets(lang) == wordfreq.get_frequency_list(lang)
    table = zipf_table("en")
    sample = [w for bucket in frequency_buckets("en")[::40] for w in bucket[:3]]
    assert len(sample) > 30
    assert all(round(table[w], 2) == wordfreq.zipf_frequency(w, "en") for w in sample if w.isalpha())


# ASCII controls of every kind beside plain text, and a few of the non-ASCII spaces the regex knows
_SPACING_PIECES = st.sampled_from(
    ["word", " ", "\n", "\t", "\r", "\x00", "\x0b", "\x0c", "\x1f", "\x7f", "~", "\u00a0", "\u200b", "\u3000"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_SPACING_PIECES, max_size=12).map("".join) | st.text(max_size=40))
def test_the_spacing_screen_is_the_regular_expression_s(text: str) -> None:
    from copydesk.clean.normalise import _NEEDS_SPACING, needs_spacing

    assert needs_spacing(text) == (_NEEDS_SPACING.search(text) is not None)


_SITE_PIECES = st.sampled_from(["Name", " ", "  ", "|", "-", "–", "—", "\t", "\u00a0", "x-y", "||", ","])


@settings(max_examples=400, deadline=None)
@given(st.lists(_SITE_PIECES, max_size=12).map("".join))
def test_the_site_banner_split_is_the_plain_pattern_s(text: str) -> None:
    """The banner's split, written so a match starts only at a space or a bar, splits as the plain
    pattern does."""
    from copydesk.clean.textmeta import _SITE_SPLIT

    assert _SITE_SPLIT.split(text) == re.split(r"\s*\|\s*|\s+[–—]\s+|\s+-\s+", text)


_RUN_PIECES = st.sampled_from(["ab", "Ü", " ", "1", "_", "-", "'", "é", "İ", "\u0307", "ß", "Σ", "x9", ". "])


@settings(max_examples=600, deadline=None)
@given(st.lists(_RUN_PIECES, max_size=40).map("".join) | st.text(max_size=60))
def test_more_words_than_a_tagline_is_the_letter_run_count_s(text: str) -> None:
    """The one-call test for more letter runs than a tagline has counts the runs ``_LETTER_RUN``
    finds, each run once."""
    from copydesk.clean.textmeta import _LETTER_RUN, _MORE_THAN_TAGLINE, _TAGLINE_MOST_WORDS

    runs = len(_LETTER_RUN.findall(text.lower()))
    assert (_MORE_THAN_TAGLINE.match(text.lower()) is not None) == (runs > _TAGLINE_MOST_WORDS)


@given(
    st.lists(st.sampled_from([" ", "\n", "a", "b.", "\t", "\r", "\x01", "\x7f", "é", "\u00a0"]), max_size=40)
)
@example(["a", "\n", " ", "\n", "\n", "b."])  # a line's spaces taken out join blank lines into a run
@example(["a", " ", " ", "\n", "b.", " ", " ", "a"])
@settings(max_examples=600, deadline=None)
def test_the_compiled_spacing_read_gives_the_step_by_step_spacing(pieces: list[str]) -> None:
    """Runs of spaces, spaces ending a line, runs of blank lines, odd spaces and controls: the spacing
    steps read from one compiled pass (``spaced``) give what the substring tests give."""
    from copydesk.clean.normalise import python_spaced, spaced

    text = "".join(pieces)
    assert spaced(text) == python_spaced(text)


@example(["told", "told"])  # overlapping and repeated verbs, one position each
@example(["a", "said to", "said", " to", "in an interview with", "informed"])
@given(
    st.lists(
        st.sampled_from(["told", "a", " ", "said", " to", "informed", "in an ", "interview with", "é", "\n"]),
        max_size=30,
    )
)
@settings(max_examples=400, deadline=None)
def test_the_interview_verbs_found_in_one_pass_are_the_substring_scans(pieces: list[str]) -> None:
    from copydesk.clean.outlets import python_verb_positions, verb_positions

    text = "".join(pieces)
    assert verb_positions(text) == python_verb_positions(text)
