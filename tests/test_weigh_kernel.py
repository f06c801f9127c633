"""The compiled weighing (copydesk._weigh) gives exactly what ``python_weigh`` gives, to the last bit."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.stories import features
from copydesk.stories.features import FeatureWeights, Lexicon, lead_of, python_weigh

compiled = pytest.importorskip("copydesk._weigh", reason="copydesk._weigh was not built")

# Names, figures (round counts, grouped thousands, decimals), common and rare words, case variants
# of one word, apostrophes and non-ASCII letters: every branch of the weighing.
_WORDS = st.sampled_from(
    [
        *("Harbour", "harbour", "HARBOUR", "Quillmouth", "Marit", "Ostrava", "the", "The", "of", "said"),
        *("ferry", "ferries", "propeller", "dredging", "1,200", "3.5", "20", "7", "100", "2024", "31"),
        *("Ørsted", "café", "Café", "don't", "Pilots'", "x", "IE8", "Monday", "new", "councillors"),
    ]
)
_TEXTS = st.lists(st.lists(_WORDS, min_size=1, max_size=14), max_size=8).map(
    lambda sentences: " ".join(" ".join(words) + "." for words in sentences)
)
_LEXICON = Lexicon.load()


def _weighed(
    weigh: object, title: str, text: str, weights: FeatureWeights
) -> tuple[bytes, bytes, list[str], list[str]]:
    """What ``build_features`` hands ``weigh`` for this title and text."""
    findall = features._TOKEN.findall
    tokens = Counter(findall(text))
    boosted = Counter(findall(title))
    lead = Counter(findall(lead_of(text, weights.lead_sentences)))
    lexicon = _LEXICON
    return weigh(  # type: ignore[operator, no-any-return]
        tokens,
        boosted,
        lead,
        [*lead, *boosted],
        lexicon.readings() if weigh is compiled.weigh else lexicon.known_tokens(),
        lexicon.reader() if weigh is compiled.weigh else lexicon.token,
        lexicon.number_slot,
        features._weigh_params(weights),
    )


@settings(max_examples=600)
@given(_TEXTS, _TEXTS)
def test_compiled_weigh_is_the_reference(title: str, text: str) -> None:
    weights = FeatureWeights()
    assert _weighed(compiled.weigh, title, text, weights) == _weighed(python_weigh, title, text, weights)


@pytest.mark.parametrize(
    "weights",
    [
        FeatureWeights(words=0.0),
        FeatureWeights(name_tf=0.5, numbers=0.0),
        FeatureWeights(lead_block=0.0, names=0.0, title=0.0, lead_boost=0.0),
    ],
)
def test_compiled_weigh_follows_every_weight(weights: FeatureWeights) -> None:
    title = "Quillmouth ferry pilots strike over night shifts"
    text = (
        "Harbour pilots in Quillmouth walked out on Monday over 1,200 night shifts. The ferry to Ostrava "
        "stopped. Marit Olsen, who leads the pilots, said 31 crossings were lost. HARBOUR staff said "
        "the harbour would reopen at 3.5 metres of tide."
    )
    for variant in (weights, replace(weights, stop_zipf=9.0)):
        assert _weighed(compiled.weigh, title, text, variant) == _weighed(python_weigh, title, text, variant)


def test_compiled_weigh_refuses_wrong_arguments() -> None:
    with pytest.raises(TypeError):
        compiled.weigh({}, {}, set(), [], {}, str, str, (1.0,))
    with pytest.raises(TypeError):
        compiled.weigh([], {}, set(), [], {}, str, str, features._weigh_params(FeatureWeights()))


def test_the_lexicon_holds_wordfreqs_zipf_of_every_word() -> None:
    """``Lexicon.load`` reads the table bucket by bucket (a word listed twice keeps its last value);
    word by word it is the same to the bit, and it holds no other word."""
    import math

    import wordfreq

    by_word = {w: math.log10(f) + 9.0 for w, f in wordfreq.get_frequency_dict("en").items() if f > 0}
    table = _LEXICON.zipf
    assert len(table) == len(by_word)
    assert [w for w, value in by_word.items() if table.get(w) != value] == []
    assert set(table) == set(by_word)


def test_the_readings_memo_gives_the_same_weighing_within_and_past_its_bound() -> None:
    """A memo that keeps no reading (bound 0: each read and decoded for the call alone) or a few
    weighs as one that keeps them all; it keeps at most its bound, and it pickles empty."""
    import pickle

    title = "Quillmouth ferry pilots strike"
    text = "Harbour pilots in Quillmouth walked out on Monday over 1,200 shifts. HARBOUR staff said 31 left."
    weights = FeatureWeights()
    expected = _weighed(python_weigh, title, text, weights)
    findall = features._TOKEN.findall
    for bound in (0, 3, 2_000_000):
        readings = compiled.Readings(bound)
        tokens, boosted = Counter(findall(text)), Counter(findall(title))
        lead = Counter(findall(lead_of(text, weights.lead_sentences)))
        for _ in range(2):  # a second call reads what the first kept
            got = compiled.weigh(
                tokens,
                boosted,
                lead,
                [*lead, *boosted],
                readings,
                _LEXICON.read_token,
                _LEXICON.number_slot,
                features._weigh_params(weights),
            )
            assert got == expected
        assert len(readings) == min(bound, len(set(tokens) | set(boosted)))
        assert len(pickle.loads(pickle.dumps(readings))) == 0


def test_a_malformed_reading_is_refused() -> None:
    params = features._weigh_params(FeatureWeights())
    for reading in (
        ("harbour", (1.0, 2.0), 2),
        ("harbour", (1.0, 2.0, (1, 2, 0)), 2),
        (b"x", (1.0, 2.0, (1, 2, 3)), 2),
    ):
        with pytest.raises((TypeError, ValueError)):
            compiled.weigh(
                {"harbour": 1}, {}, {}, [], compiled.Readings(), lambda token, r=reading: r, str, params
            )
