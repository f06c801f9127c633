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
        lexicon.known_tokens(),
        lexicon.token,
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
