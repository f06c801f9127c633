"""What an article is about, as one weighted, hashed dense vector: words, names and figures.

Event clustering compares these vectors. Word weights come from a *fixed* general-English frequency
table (wordfreq) instead of the corpus being clustered, so an article's vector never changes when
others arrive: that is what lets stories grow incrementally without reshuffling.

Names and figures get their own blocks because two reports of one event share them even when their
wording differs, while two events of the same kind (two earthquakes) share the vocabulary but not
the place, the people or the magnitude. A *name* here is a cheap signal: a capitalised word that this
article writes capitalised more often than not (so "Officials" at a sentence start is not one), and
that is not a weekday or a function word.

The date block holds the publication year when the article's date is known. Cleaning moves
date lines and datelines out of the body into ``Article.published``, and with them the year the text
used to carry; two events of one kind are often a year or more apart, so the date tells them apart
where the words cannot (ECB+ train, pipeline mode: event B-cubed 0.931 without the block, 0.937 with).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from copydesk.fingerprint.normalise import stable_hash

# Signed feature hashing into 512 dimensions: on ECB+ train the clustering scores the same as with an
# exact 2**20-slot sparse vector (0.88 event B-cubed either way), at most 1 KiB (float16) per vector.
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


# Per lower-case word: rarity weight, zipf frequency, and its signed slots in the word, name and
# lead blocks (see ``Lexicon.entry``).
_Entry = tuple[float, float, tuple[int, int, int]]
_MEMO_BOUND = 2_000_000  # tokens, words and feature keys a lexicon remembers (readings past it are made anew)

_Readings: Callable[[int], object] | None
try:  # the compiled weighing's memo of decoded readings (copydesk._weigh.Readings)
    from copydesk._weigh import Readings as _Readings
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _Readings = None


def _new_readings() -> object:
    """A lexicon's memo for the compiled weighing, or None where it is not built."""
    return _Readings(_MEMO_BOUND) if _Readings is not None else None


_DIGITS, _CAPITALISED, _OTHER = 0, 1, 2  # token shapes (see ``Lexicon.token``)


@dataclass(frozen=True, slots=True)
class FeatureWeights:
    """How much each block counts; tuned on ECB+ train (benchmarks/ecbplus.py --tune)."""

    words: float = 1.0
    lead_boost: float = 1.0
    names: float = 1.0
    numbers: float = 0.75  # figures (tolls, magnitudes, sums) tell same-kind events apart; --tune: 0.75 > 0.5
    title: float = 1.0
    lead_sentences: int = 3
    stop_zipf: float = 5.8
    name_tf: float = 0.0  # 0: 1 + log(count); p > 0: count ** p (a name's share of the text matters)
    name_zipf: float = 4.5  # a capitalised word rarer than this is a name even if seen once
    lead_block: float = 1.0  # the title and lead's own block: who and what the report opens with
    # The publication year's block (0: ignore the date). ECB+ train event B3: 0.931 at 0, 0.937 from
    # 0.15 to 0.3, 0.940 at 0.4 (with event_threshold 0.12 and small_size 6: 0.936 at 0, 0.939 at 0.1
    # and 0.2, 0.948 at 0.4; dev 0.969, 0.969, 0.964); but one shared year lifts every pair of that
    # year alike, and the generated corpus (stories_scale.py fed its dates) scores 0.979 at 0.2,
    # 0.975 at 0.3, 0.972 at 0.4.
    dates: float = 0.2


@dataclass(slots=True)
class Lexicon:
    """General-English word frequencies turned into fixed word weights (rarer word = more telling).

    It also remembers each token's hashed slot and sign, which is where most of the per-article time
    would otherwise go; the cache belongs to this object, so two lexicons never share state.
    """

    zipf: Mapping[str, float] = field(default_factory=dict)
    _slots: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _tokens: dict[str, tuple[str, _Entry, int]] = field(default_factory=dict)
    # the compiled weighing's memo of the same readings, decoded (None where it is not built)
    _decoded: object = field(default_factory=_new_readings)

    @classmethod
    def load(cls) -> Lexicon:
        """The Zipf frequency (log10 of the frequency + 9) of every English word wordfreq lists: the
        cleaning stages' table (``copydesk.clean.words.zipf_table``), read, never changed."""
        from copydesk.clean.words import zipf_table

        zipf = zipf_table("en")
        return cls(zipf)

    def weight(self, word: str, stop_zipf: float) -> float:
        z = self.zipf.get(word, 0.0)
        if z >= stop_zipf:
            return 0.0
        # zipf 0 (unknown: a name or rare term) weighs 3.5x a word of zipf 5 ("report").
        return 1.0 + max(0.0, 5.0 - z) / 2.0

    def known_tokens(self) -> Mapping[str, tuple[str, _Entry, int]]:
        """The tokens read so far and their readings (``token``'s memo, for look-ups in a loop)."""
        return self._tokens

    def readings(self) -> object:
        """What ``weigh`` looks tokens' readings up in: the compiled weighing's memo of them, each
        reading's numbers decoded once (where it is built), else ``known_tokens``."""
        return self._decoded if self._decoded is not None else self._tokens

    def reader(self) -> Callable[[str], tuple[str, _Entry, int]]:
        """What ``weigh`` reads a token it has not met with: ``read_token`` where the compiled memo
        remembers the reading (one memo of it, not two), else ``token``."""
        return self.read_token if self._decoded is not None else self.token

    def token(self, token: str) -> tuple[str, _Entry, int]:
        """``read_token``, remembered per token."""
        found = self._tokens.get(token)
        if found is None:
            found = self.read_token(token)
            if len(self._tokens) < _MEMO_BOUND:
                self._tokens[token] = found
        return found

    def read_token(self, token: str) -> tuple[str, _Entry, int]:
        """A token's lower-case form, that form's ``entry`` and the token's shape (digits, a
        capitalised word that could be a name, or other)."""
        low = token.lower()
        if token[0].isdigit():
            shape = _DIGITS
        elif token[0].isupper() and low not in _GENERIC_CAPS:
            shape = _CAPITALISED
        else:
            shape = _OTHER
        return (low, self.entry(low), shape)

    def entry(self, low: str) -> _Entry:
        """A lower-case word's (rarity weight, zipf frequency, word slot, name slot, lead slot),
        remembered per word; a slot is ``(dimension + 1) * sign``, one int for both."""
        found = self._entries.get(low)
        if found is None:
            w, e, lead = (_signed_slot(stable_hash(prefix + low)) for prefix in ("w:", "e:", "l:"))
            found = (self.weight(low, 99.0), self.zipf.get(low, 0.0), (w, e, lead))
            if len(self._entries) < _MEMO_BOUND:
                self._entries[low] = found
        return found

    def number_slot(self, key: str) -> tuple[int, float]:
        """``slot`` of a figure."""
        return self.slot("n:", key)

    def slot(self, prefix: str, key: str) -> tuple[int, float]:
        """Dimension and sign of a feature key (within its block ``prefix``) in the hashed vector."""
        table = self._slots.setdefault(prefix, {})
        found = table.get(key)
        if found is None:
            signed = _signed_slot(stable_hash(prefix + key))
            found = (abs(signed) - 1, 1.0 if signed > 0 else -1.0)
            if len(table) < _MEMO_BOUND:
                table[key] = found
        return found


def _signed_slot(h: int) -> int:
    """A feature hash as ``(dimension + 1) * sign``: the low bits pick the slot, bit 31 the sign."""
    return (h % VECTOR_DIM + 1) * (1 if h & 0x80000000 else -1)


@dataclass(slots=True)
class ArticleFeatures:
    """An article's hashed vectors (float32, unit norm each) and the names and figures behind them.

    ``combined`` is both vectors end to end, the row the story desk and the store keep per article:
    ``vector`` (words, names, figures, lead, date) tells events apart; ``kind`` (words only) says what
    kind of event it is, for topics: two earthquakes share it, whatever the place and the toll.
    """

    combined: np.ndarray
    names: list[str]
    numbers: list[str]

    @property
    def vector(self) -> np.ndarray:
        """The event vector (a view of ``combined``)."""
        return self.combined[:VECTOR_DIM]

    @property
    def kind(self) -> np.ndarray:
        """The kind vector (a view of ``combined``)."""
        return self.combined[VECTOR_DIM:]


def python_sentences(text: str) -> list[str]:
    """The text's sentences: split after a sentence end followed by whitespace, and at line breaks
    (the compiled ``sentences`` splits the same, eight times faster)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def python_token_counts(text: str) -> dict[str, int]:
    """How often each token occurs, in first-seen order: words, with the figures and contractions
    they run into ("3.5", "1,200", "don't"). The compiled ``token_counts`` counts the same."""
    return dict(Counter(_TOKEN.findall(text)))


# characters of a text's opening read for each of its lead's sentences
LEAD_CHARS_A_SENTENCE = 400


def lead_of(text: str, count: int) -> str:
    """The first ``count`` sentences (only the opening of the text is read: what ``sentences`` would
    give for it)."""
    return " ".join(sentences(text[: LEAD_CHARS_A_SENTENCE * count])[:count])


def _is_plain_count(value: str) -> bool:
    """Round small counts (10, 20, 100) and single digits say little about which event it is."""
    return value.isdigit() and (len(value) == 1 or (len(value) <= 3 and value.endswith("0")))


def build_features(
    title: str | None,
    text: str,
    lexicon: Lexicon,
    weights: FeatureWeights = FeatureWeights(),
    published: datetime | None = None,
) -> ArticleFeatures:
    """Weighted words (title and lead count more), names, figures and the publication date (when
    known), hashed into one vector."""
    text = text.replace("’", "'")
    # the lead's tokens in the order it writes them (a set's order changes with the process's string
    # hashing, and the lead block is summed in this order)
    tokens, lead_tokens = text_and_lead_counts(text, weights.lead_sentences)
    boosted = token_counts((title or "").replace("’", "'"))
    event, kind, names, numbers = weigh(
        tokens,
        boosted,
        lead_tokens,
        [*lead_tokens, *boosted],
        lexicon.readings(),
        lexicon.reader(),
        lexicon.number_slot,
        _weigh_params(weights),
    )
    event_values = np.frombuffer(event, dtype=np.float64)
    if published is not None and weights.dates > 0:
        # The year alone: on ECB+ train adding the year-month scores no better (0.937 against 0.940;
        # reports of one event straddle a month's end, and the time window compares days anyway).
        dim, sign = lexicon.slot("d:", f"{published.year:04d}")
        event_values = event_values.copy()
        event_values[dim] += sign * weights.dates
    # both vectors cast to float32 straight into one row (the same rounding as astype), each scaled
    # to unit length in place: no copies of either half, and no concatenation for the row
    combined = np.empty(2 * VECTOR_DIM, dtype=np.float32)
    combined[:VECTOR_DIM] = event_values
    combined[VECTOR_DIM:] = np.frombuffer(kind, dtype=np.float64)
    _unit(combined[:VECTOR_DIM])
    _unit(combined[VECTOR_DIM:])
    return ArticleFeatures(combined, names, numbers)


def _weigh_params(weights: FeatureWeights) -> tuple[float, ...]:
    """The weights ``weigh`` reads, in its order."""
    return (
        *(weights.name_zipf, weights.stop_zipf, weights.name_tf, weights.lead_boost, weights.title),
        *(weights.words, weights.names, weights.numbers, weights.lead_block),
    )


# A token's reading: its lower-case form, that form's entry, its shape (``Lexicon.token``).
_Reading = tuple[str, _Entry, int]


def python_weigh(
    tokens: Mapping[str, int],
    boosted: Mapping[str, int],
    lead_tokens: Mapping[str, int],
    opening_order: Sequence[str],
    known: Mapping[str, _Reading],
    read: Callable[[str], _Reading],
    number_slot: Callable[[str], tuple[int, float]],
    params: tuple[float, ...],
) -> tuple[bytes, bytes, list[str], list[str]]:
    """The words, names, figures and lead blocks of an article from its token counts (text and
    title), summed into the event vector and the kind vector (float64, date not included), with the
    article's names and figures sorted (the compiled ``weigh``'s reference).

    ``opening_order`` is the lead's tokens, then the title's: the order the lead block is built in."""
    name_zipf, stop_zipf, name_tf, lead_boost, title_boost, words_w, names_w, numbers_w, lead_w = params
    seen = {token: known.get(token) or read(token) for token in tokens}
    lower_counts: dict[str, int] = {}
    for token, n in tokens.items():
        low = seen[token][0]
        lower_counts[low] = lower_counts.get(low, 0) + n
    merged = dict(tokens)
    for token, n in boosted.items():
        merged[token] = merged.get(token, 0) + n
        if token not in seen:
            seen[token] = read(token)
    words: dict[str, float] = {}
    names: dict[str, float] = {}
    numbers: dict[str, float] = {}
    entries: dict[str, _Entry] = {}
    log = math.log
    for token, n in merged.items():
        low, found, shape = seen[token]
        if shape == _DIGITS:
            value = token.replace(",", "")
            if not _is_plain_count(value):
                numbers[value] = 1.0 + log(n)
            continue
        entries[low] = found
        rarity, frequency = found[0], found[1]
        if (
            shape == _CAPITALISED
            and 2 * n > lower_counts.get(low, 0)
            and (frequency < name_zipf or (n >= 2 and lower_counts.get(low, 0) == n))
        ):
            tf = n**name_tf if name_tf > 0 else 1.0 + log(n)
            if rarity * tf > names.get(low, 0.0):
                names[low] = rarity * tf
        if frequency >= stop_zipf:
            continue
        boost = 1.0 + lead_boost * (low in lead_tokens or token in lead_tokens)
        boost += title_boost * (token in boosted)
        words[low] = words.get(low, 0.0) + boost * rarity * (1.0 + log(n))
    opening: dict[str, float] = {}
    for token in opening_order:
        low, found, shape = seen[token] if token in seen else read(token)
        if shape == _DIGITS:
            continue
        entries[low] = found
        if low in names:
            opening[low] = found[0] * 2.0
        elif found[1] < stop_zipf:
            opening[low] = found[0]
    word_dims, word_vals = _block(words, entries, 0, words_w)
    name_dims, name_vals = _block(names, entries, 1, names_w)
    open_dims, open_vals = _block(opening, entries, 2, lead_w)
    number_dims: list[int] = []
    number_vals: list[float] = []
    if numbers and numbers_w > 0:
        factor = numbers_w / math.sqrt(_squares(numbers))
        for key, weight in numbers.items():
            dim, sign = number_slot(key)
            number_dims.append(dim)
            number_vals.append(sign * weight * factor)
    vector = np.bincount(
        np.asarray(word_dims + name_dims + number_dims + open_dims, dtype=np.intp),
        np.asarray(word_vals + name_vals + number_vals + open_vals, dtype=np.float64),
        minlength=VECTOR_DIM,
    )
    if words_w > 0:
        kind = np.bincount(
            np.asarray(word_dims, dtype=np.intp),
            np.asarray(word_vals, dtype=np.float64) / words_w,
            minlength=VECTOR_DIM,
        )
    else:
        kind_dims, kind_vals = _block(words, entries, 0, 1.0)
        kind = np.bincount(np.asarray(kind_dims, dtype=np.intp), np.asarray(kind_vals), minlength=VECTOR_DIM)
    return vector.tobytes(), kind.tobytes(), sorted(names), sorted(numbers)


def _block(
    block: dict[str, float], entries: dict[str, _Entry], at: int, scale: float
) -> tuple[list[int], list[float]]:
    """One block's hashed slots and values, scaled to length ``scale`` (block weights, not block
    sizes, decide its share); ``at`` picks its signed slot (word, name, lead) in each entry."""
    if not block or scale <= 0:
        return [], []
    factor = scale / math.sqrt(_squares(block))
    dims: list[int] = []
    vals: list[float] = []
    for key, weight in block.items():
        signed = entries[key][2][at]
        dims.append(abs(signed) - 1)
        vals.append((weight * factor) if signed > 0 else -(weight * factor))
    return dims, vals


def _squares(block: dict[str, float]) -> float:
    """The sum of squares, added in order (as the compiled ``weigh`` adds them; ``sum`` compensates
    its rounding from Python 3.12 on)."""
    total = 0.0
    for value in block.values():
        total += value * value
    return total


def _unit(vector: np.ndarray) -> np.ndarray:
    """The float32 vector scaled to unit length in place. The norm is numpy's float32 dot product
    (np.linalg.norm's sum, without its checks) and its square root taken in double precision, which
    rounds back to float32 (the division is in float32) exactly as the float32 square root does (a
    double rounding that is exact for square roots)."""
    norm = math.sqrt(vector.dot(vector))
    if norm > 0:
        vector /= norm
    return vector


def feature_rows(
    titles: Sequence[str | None],
    texts: Sequence[str],
    lexicon: Lexicon,
    weights: FeatureWeights,
    published: Sequence[datetime | None] | None = None,
) -> np.ndarray:
    """The ``combined`` rows (event vector, kind vector) of a batch as one float32 matrix; without
    ``published`` dates the rows have no date block."""
    out = np.empty((len(texts), 2 * VECTOR_DIM), dtype=np.float32)
    dates = published if published is not None else [None] * len(texts)
    for i, (title, text, when) in enumerate(zip(titles, texts, dates, strict=True)):
        out[i] = build_features(title, text, lexicon, weights, when).combined
    return out


_compiled_sentences: Callable[[str], list[str]] | None
try:  # the compiled splitting (tests hold it equal to ``python_sentences``)
    from copydesk._textscan import split_sentences as _compiled_sentences
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _compiled_sentences = None

sentences: Callable[[str], list[str]] = _compiled_sentences or python_sentences

_compiled_token_counts: Callable[[str, object], dict[str, int]] | None
try:  # the compiled counting (tests hold it equal to ``python_token_counts``)
    from copydesk._textscan import token_counts as _compiled_token_counts
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _compiled_token_counts = None
_TOKEN_STRINGS: object = None
try:  # an ASCII text's tokens read through a memo of their strings: no string built, no hash
    from copydesk._tokenmemo import TokenMemo

    _TOKEN_STRINGS = TokenMemo(str, 1 << 18)
except ImportError:  # pragma: no cover - depends on the install
    pass


def compiled_token_counts(text: str) -> dict[str, int]:
    """``python_token_counts``, compiled (a 600-word text's ~650 tokens: 70 -> 35 us)."""
    assert _compiled_token_counts is not None
    return _compiled_token_counts(text, _TOKEN_STRINGS)


token_counts: Callable[[str], dict[str, int]] = (
    compiled_token_counts if _compiled_token_counts is not None else python_token_counts
)


def python_text_and_lead_counts(text: str, lead_sentences: int) -> tuple[dict[str, int], dict[str, int]]:
    """``token_counts`` of the text and of its lead (``lead_of``)."""
    return token_counts(text), token_counts(lead_of(text, lead_sentences))


_compiled_lead_counts: Callable[..., tuple[dict[str, int], dict[str, int]]] | None
try:  # both in one pass (tests hold it equal to ``python_text_and_lead_counts``)
    from copydesk._textscan import text_and_lead_counts as _compiled_lead_counts
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _compiled_lead_counts = None


def text_and_lead_counts(text: str, lead_sentences: int) -> tuple[dict[str, int], dict[str, int]]:
    """``python_text_and_lead_counts``, compiled where built: the lead's tokens counted in the text's
    own pass, up to where its first sentences end (splitting the opening, joining the lead and
    counting it again cost ~10 us of a 600-word article's ~95 in the ingest workers)."""
    if _compiled_lead_counts is None:
        return python_text_and_lead_counts(text, lead_sentences)
    return _compiled_lead_counts(text, lead_sentences, LEAD_CHARS_A_SENTENCE * lead_sentences, _TOKEN_STRINGS)


_compiled_weigh: Callable[..., tuple[bytes, bytes, list[str], list[str]]] | None
try:  # the compiled weighing (tests hold it equal to ``python_weigh``)
    from copydesk._weigh import weigh as _compiled_weigh
except ImportError:  # pragma: no cover - depends on the install
    _compiled_weigh = None

# The words, names, figures and lead blocks of an article (``python_weigh``).
weigh: Callable[..., tuple[bytes, bytes, list[str], list[str]]] = _compiled_weigh or python_weigh
