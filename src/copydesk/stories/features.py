"""What an article is about, as one weighted, hashed dense vector: words, names and figures.

Event clustering compares these vectors. Word weights come from a *fixed* general-English frequency
table (wordfreq) instead of the corpus being clustered, so an article's vector never changes when
others arrive: that is what lets stories grow incrementally without reshuffling.

Names and figures get their own blocks because two reports of one event share them even when their
wording differs, while two events of the same kind (two earthquakes) share the vocabulary but not
the place, the people or the magnitude. A *name* here is a cheap signal: a capitalised word that this
article writes capitalised more often than not (so "Officials" at a sentence start is not one), and
that is not a weekday or a function word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from copydesk.fingerprint.normalise import stable_hash

# Signed feature hashing into 512 dimensions: on ECB+ train the clustering scores the same as with an
# exact 2**20-slot sparse vector (0.88 event B-cubed either way), at a fixed 1 KiB (float16) per vector.
VECTOR_DIM = 512

_TOKEN = re.compile(r"\w+(?:[.,'’]\d+|['’]\w+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+|\n+")
_GENERIC_CAPS = frozenset(
    {
        *("mr", "mrs", "ms", "dr", "the", "a", "an", "in", "on", "at", "he", "she", "it", "they", "we"),
        *("i", "this", "that", "his", "her", "but", "and", "or", "if", "as", "by", "for", "from"),
        *("with", "after", "before", "when", "while", "monday", "tuesday", "wednesday", "thursday"),
        *("friday", "saturday", "sunday", "said", "says", "new", "one", "two"),
    }
)


@dataclass(frozen=True, slots=True)
class FeatureWeights:
    """How much each block counts; tuned on ECB+ train (benchmarks/ecbplus.py --tune)."""

    words: float = 1.0
    lead_boost: float = 1.0
    names: float = 1.0
    numbers: float = 0.5
    title: float = 1.0
    lead_sentences: int = 3
    stop_zipf: float = 5.8
    name_tf: float = 0.0  # 0: 1 + log(count); p > 0: count ** p (a name's share of the text matters)
    name_zipf: float = 4.5  # a capitalised word rarer than this is a name even if seen once
    lead_block: float = 1.0  # the title and lead's own block: who and what the report opens with


@dataclass(slots=True)
class Lexicon:
    """General-English word frequencies turned into fixed word weights (rarer word = more telling).

    It also remembers each token's hashed slot and sign, which is where most of the per-article time
    would otherwise go; the cache belongs to this object, so two lexicons never share state.
    """

    zipf: dict[str, float] = field(default_factory=dict)
    _slots: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)
    _info: dict[str, tuple[str, float, float]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Lexicon:
        import wordfreq

        freqs = wordfreq.get_frequency_dict("en")
        return cls({w: math.log10(f) + 9.0 for w, f in freqs.items() if f > 0})

    def weight(self, word: str, stop_zipf: float) -> float:
        z = self.zipf.get(word, 0.0)
        if z >= stop_zipf:
            return 0.0
        # zipf 0 (unknown: a name or rare term) weighs 3.5x a word of zipf 5 ("report").
        return 1.0 + max(0.0, 5.0 - z) / 2.0

    def info(self, token: str) -> tuple[str, float, float]:
        """(lower-case form, rarity weight, zipf frequency) of a token, remembered per token."""
        found = self._info.get(token)
        if found is None:
            low = token.lower()
            found = (low, self.weight(low, 99.0), self.zipf.get(low, 0.0))
            if len(self._info) < 2_000_000:
                self._info[token] = found
        return found

    def slot(self, prefix: str, key: str) -> tuple[int, float]:
        """Dimension and sign of a feature key (within its block ``prefix``) in the hashed vector."""
        table = self._slots.setdefault(prefix, {})
        found = table.get(key)
        if found is None:
            h = stable_hash(prefix + key)
            found = (h % VECTOR_DIM, 1.0 if h & 0x80000000 else -1.0)
            if len(table) < 2_000_000:
                table[key] = found
        return found


@dataclass(slots=True)
class ArticleFeatures:
    """An article's hashed vectors (float32, unit norm) and the names and figures behind them.

    ``vector`` (words, names, figures, lead) tells events apart; ``kind`` (words only) says what kind
    of event it is, for topics: two earthquakes share it, whatever the place and the toll.
    """

    vector: np.ndarray
    kind: np.ndarray
    names: list[str]
    numbers: list[str]

    @property
    def combined(self) -> np.ndarray:
        """Both vectors end to end: the row the story desk and the store keep per article."""
        return np.concatenate([self.vector, self.kind])


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def lead_of(text: str, count: int) -> str:
    """The first ``count`` sentences (only the opening of the text is split, for speed)."""
    return " ".join(sentences(text[: 400 * count])[:count])


def _is_plain_count(value: str) -> bool:
    """Round small counts (10, 20, 100) and single digits say little about which event it is."""
    return value.isdigit() and (len(value) == 1 or (len(value) <= 3 and value.endswith("0")))


def build_features(
    title: str | None, text: str, lexicon: Lexicon, weights: FeatureWeights = FeatureWeights()
) -> ArticleFeatures:
    """Weighted words (title and lead count more), names and figures, hashed into one vector."""
    tokens = Counter(_TOKEN.findall(text.replace("’", "'")))
    head = (title or "").replace("’", "'")
    boosted = Counter(_TOKEN.findall(head))
    lead_tokens = Counter(_TOKEN.findall(lead_of(text, weights.lead_sentences).replace("’", "'")))
    lower_counts: Counter[str] = Counter()
    for token, n in tokens.items():
        lower_counts[token.lower()] += n
    words: dict[str, float] = {}
    names: dict[str, float] = {}
    numbers: dict[str, float] = {}
    info = lexicon.info
    for token, n in (tokens + boosted).items():
        if token[0].isdigit():
            value = token.replace(",", "")
            if not _is_plain_count(value):
                numbers[value] = 1.0 + math.log(n)
            continue
        low, rarity, known = info(token)
        capitalised = token[0].isupper() and low not in _GENERIC_CAPS and 2 * n > lower_counts[low]
        if capitalised and (known < weights.name_zipf or (n >= 2 and lower_counts[low] == n)):
            tf = n**weights.name_tf if weights.name_tf > 0 else 1.0 + math.log(n)
            names[low] = max(names.get(low, 0.0), rarity * tf)
        if known >= weights.stop_zipf:
            continue
        boost = 1.0 + weights.lead_boost * (low in lead_tokens or token in lead_tokens)
        boost += weights.title * (token in boosted)
        words[low] = words.get(low, 0.0) + boost * rarity * (1.0 + math.log(n))
    opening: dict[str, float] = {}
    for token in lead_tokens + boosted:
        low, rarity, known = info(token)
        if low in names or (not token[0].isdigit() and known < weights.stop_zipf):
            opening[low] = rarity * (2.0 if low in names else 1.0)
    vector = np.zeros(VECTOR_DIM, dtype=np.float32)
    for block, prefix, scale in (
        (words, "w:", weights.words),
        (names, "e:", weights.names),
        (numbers, "n:", weights.numbers),
        (opening, "l:", weights.lead_block),
    ):
        _add_block(vector, block, prefix, scale, lexicon)
    kind = np.zeros(VECTOR_DIM, dtype=np.float32)
    _add_block(kind, words, "w:", 1.0, lexicon)
    return ArticleFeatures(_unit(vector), _unit(kind), sorted(names), sorted(numbers))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if norm > 0:
        vector /= norm
    return vector


def _add_block(
    vector: np.ndarray, block: dict[str, float], prefix: str, scale: float, lexicon: Lexicon
) -> None:
    """Add one block scaled to length ``scale``, so block weights, not block sizes, decide its share."""
    if not block or scale <= 0:
        return
    norm = math.sqrt(sum(v * v for v in block.values()))
    factor = scale / norm
    dims: list[int] = []
    vals: list[float] = []
    slot = lexicon.slot
    for key, weight in block.items():
        dim, sign = slot(prefix, key)
        dims.append(dim)
        vals.append(sign * weight * factor)
    np.add.at(vector, np.asarray(dims, dtype=np.intp), np.asarray(vals, dtype=np.float32))
