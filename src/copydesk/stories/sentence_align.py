"""Sentence-by-sentence alignment of two texts: the evidence behind rewrite and translation calls.

Each sentence is reduced to keys (its names, figures and rare words, its grammar words in order);
two texts align where an increasing chain of sentences share enough of those keys. A rewrite keeps
the order and much of the wording, a translation keeps the anchors but little wording, and spinning
keeps the grammar words while the content words change (``grammar_kept``).
"""

from __future__ import annotations

import functools
import itertools
import re
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from copydesk.stories.features import sentences

# A figure with its thousands grouped by spaces ("3 623", as many languages write 3,623) is one token.
_TOKEN = re.compile(r"(?<![\w.,])\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?!\d|[.,]\d)|\w+(?:[.,]\d+)*")
_GROUPING = str.maketrans("", "", ", \u00a0\u2009\u202f")
_RARE_ZIPF = 3.5


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two texts line up sentence by sentence."""

    aligned: int
    comparable: int
    wording: float
    anchors: tuple[str, ...]
    pairs: tuple[tuple[int, int], ...] = ()  # matched sentences (first text's, second text's)

    @property
    def share(self) -> float:
        return self.aligned / self.comparable if self.comparable else 0.0


class KeyBits:
    """Bit positions for the anchors and words of the texts compared together (one story's members):
    a sentence's anchors and words become int bitmasks, so what two sentences share is one AND and a
    popcount instead of a set intersection. Masks from different ``KeyBits`` do not mix."""

    __slots__ = ("_bit", "_words")

    def __init__(self) -> None:
        self._bit: dict[str, int] = {}
        self._words: list[str] = []

    def mask(self, words: set[str]) -> int:
        bit, out = self._bit, 0
        for word in words:
            found = bit.get(word)
            if found is None:
                found = bit[word] = 1 << len(self._words)
                self._words.append(word)
            out |= found
        return out

    def words(self, mask: int) -> list[str]:
        """The words whose bits ``mask`` holds."""
        out = []
        while mask:
            low = mask & -mask
            out.append(self._words[low.bit_length() - 1])
            mask ^= low
        return out


# Per sentence: its anchors (a mask) and how many, its lower-case words (a mask), and its grammar
# words in order (the, of, to, was: what a synonym spinner keeps and a translation reorders).
SentenceKeys = list[tuple[int, int, int, tuple[str, ...]]]
# Sentence -> its keys (one entry of ``SentenceKeys``), for one pair of ``KeyBits``.
SentenceMemo = dict[str, tuple[int, int, int, tuple[str, ...]]]


# Per token: its lower-case form, the anchor it gives at a sentence's start and elsewhere ("" for
# none), and whether the token is a grammar word.
TokenMemo = dict[str, tuple[str, str, str, bool]]
# Words at least this common (Zipf frequency) are grammar words: articles, prepositions, auxiliaries.
_GRAMMAR_ZIPF = 6.0


def sentence_keys(
    text: str,
    zipf: Mapping[str, float],
    anchor_bits: KeyBits,
    word_bits: KeyBits,
    memo: TokenMemo | None = None,
    sentence_memo: SentenceMemo | None = None,
) -> SentenceKeys:
    """Per sentence: its anchors (figures, names, rare words) and its plain lower-case words, as masks
    of ``anchor_bits`` and ``word_bits`` (apart, so anchor masks stay as narrow as a story's anchors:
    they are what alignment compares most), and its grammar words.

    ``memo`` remembers each token's reading (it depends on nothing but the token and ``zipf``);
    ``sentence_memo`` each sentence's keys, valid as long as the same two ``KeyBits`` are used (the
    members of one story share 40% of their sentences: copies, wire text)."""
    memo = {} if memo is None else memo
    read = functools.partial(_read_token, zipf=zipf)
    out: SentenceKeys = []
    for sentence in sentences(text):
        if sentence_memo is not None and (known := sentence_memo.get(sentence)) is not None:
            out.append(known)
            continue
        keys = sentence_key(sentence_tokens(sentence), memo, read, _MEMO_BOUND, anchor_bits, word_bits)
        out.append(keys)
        if sentence_memo is not None:
            sentence_memo[sentence] = keys
    return out


_MEMO_BOUND = 1_000_000  # token readings remembered at most


def python_sentence_tokens(sentence: str) -> list[str]:
    """A sentence's tokens: figures with thousands grouped by spaces ("3 623") whole, else words
    with the decimals and comma groups they run into (the compiled ``sentence_tokens``' reference)."""
    return _TOKEN.findall(sentence)


def python_sentence_key(
    tokens: list[str],
    memo: TokenMemo,
    read: Callable[[str], tuple[str, str, str, bool]],
    bound: int,
    anchor_bits: KeyBits,
    word_bits: KeyBits,
) -> tuple[int, int, int, tuple[str, ...]]:
    """One sentence's keys from its tokens (the compiled ``sentence_key``'s reference): its anchors (a
    token's anchor at the sentence's start differs: a capitalised first word is no name), its
    lower-case words, its grammar words in order; readings remembered in ``memo`` up to ``bound``."""
    anchors: set[str] = set()
    lows: set[str] = set()
    grammar: list[str] = []
    for position, token in enumerate(tokens):
        seen = memo.get(token)
        if seen is None:
            seen = read(token)
            if len(memo) < bound:
                memo[token] = seen
        low, at_start, inside, glue = seen
        lows.add(low)
        if glue:
            grammar.append(low)
        anchor = inside if position else at_start
        if anchor:
            anchors.add(anchor)
    return anchor_bits.mask(anchors), len(anchors), word_bits.mask(lows), tuple(grammar)


def compiled_sentence_key(
    tokens: list[str],
    memo: TokenMemo,
    read: Callable[[str], tuple[str, str, str, bool]],
    bound: int,
    anchor_bits: KeyBits,
    word_bits: KeyBits,
) -> tuple[int, int, int, tuple[str, ...]]:
    return _sentkeys.sentence_key(
        tokens, memo, read, bound, anchor_bits._bit, anchor_bits._words, word_bits._bit, word_bits._words
    )


def _read_token(token: str, zipf: Mapping[str, float]) -> tuple[str, str, str, bool]:
    low = token.lower()
    if token[0].isdigit():
        figure = token.translate(_GROUPING)
        return low, figure, figure, False
    known = zipf.get(low, 0.0)
    rare = low if known < _RARE_ZIPF else ""
    return low, rare, low if token[0].isupper() else rare, known >= _GRAMMAR_ZIPF


@dataclass(frozen=True, slots=True)
class Outline:
    """A text's sentence keys with what bounds any alignment of it: how many sentences can be
    compared (enough names and figures), and every anchor of the text (a mask); and the anchor masks
    again as rows of 64-bit words (``row_words`` a row) with their anchor counts (int32), which the
    compiled ``best_matches`` reads."""

    keys: SentenceKeys
    comparable: int
    anchors: int
    rows: bytes = b""
    row_words: int = 0
    counts: bytes = b""
    every_row: bytes = b""  # ``anchors`` as one row


def outline(keys: SentenceKeys, min_anchors: int) -> Outline:
    comparable = sum(1 for _, count, *_ in keys if count >= min_anchors)
    every = 0
    for anchors, *_ in keys:
        every |= anchors
    words = (every.bit_length() + 63) // 64
    rows = b"".join(anchors.to_bytes(8 * words, "little") for anchors, *_ in keys)
    counts = array("i", [c for _, c, *_ in keys]).tobytes()
    return Outline(keys, comparable, every, rows, words, counts, every.to_bytes(8 * words, "little"))


def may_align(a: Outline, b: Outline, min_anchors: int, share: float) -> bool:
    """False only when ``align_keys`` cannot reach ``share`` (a necessary condition, so skipping the
    alignment changes no call). Aligned pairs use each sentence once on each side; a matched pair
    shares ``min_anchors`` anchors and its sentences are comparable, a sandwiched pair shares one
    anchor and needs two matched pairs around it; the count is divided by the larger comparable count."""
    comparable = max(a.comparable, b.comparable)
    if comparable < 2:
        return False
    short, long = (b, a) if len(a.keys) > len(b.keys) else (a, b)
    need = share * comparable - 1e-9
    short_enough, short_any = anchor_reach(short, long, min_anchors)
    long_enough, long_any = anchor_reach(long, short, min_anchors)
    matched = min(short.comparable, long.comparable, short_enough, long_enough)
    if matched >= need:
        return True
    if matched < 2:
        return False
    return min(short_any, long_any) >= need


def python_anchor_reach(a: Outline, b: Outline, min_anchors: int) -> tuple[int, int]:
    """How many of ``a``'s sentences share ``min_anchors`` of ``b``'s anchors, and how many share any
    (the compiled one's reference)."""
    every = b.anchors
    return (
        sum(1 for anchors, *_ in a.keys if (anchors & every).bit_count() >= min_anchors),
        sum(1 for anchors, *_ in a.keys if anchors & every),
    )


def compiled_anchor_reach(a: Outline, b: Outline, min_anchors: int) -> tuple[int, int]:
    """``python_anchor_reach`` on the outlines' word rows, compiled."""
    if _overlap is None:  # pragma: no cover - depends on the install
        return python_anchor_reach(a, b, min_anchors)
    return _overlap.anchor_reach(a.rows, a.row_words, b.every_row, b.row_words, min_anchors)


def align(text_a: str, text_b: str, zipf: Mapping[str, float], min_anchors: int = 2) -> Alignment:
    """Match each sentence of the shorter text to the other's best sentence by shared anchors, then
    keep the longest run of matches in order (a longest increasing subsequence)."""
    anchors, words = KeyBits(), KeyBits()
    a = outline(sentence_keys(text_a, zipf, anchors, words), min_anchors)
    b = outline(sentence_keys(text_b, zipf, anchors, words), min_anchors)
    return align_keys(a, b, anchors, min_anchors)


def align_keys(
    a: Outline, b: Outline, anchor_bits: KeyBits, min_anchors: int = 2, min_share: float = 0.0
) -> Alignment:
    """``align`` on two texts' outlines (made once per text, with the same bits and ``min_anchors``).

    Below ``min_share`` only the counts are worked out (wording 0, no anchors): the caller drops the
    pair anyway, and most pairs of a story's independent reports end there."""
    swapped = len(a.keys) > len(b.keys)
    if swapped:
        a, b = b, a
    keys_a, keys_b = a.keys, b.keys
    # The chain depends on the matched sentences' order only, so what a match shares is read for
    # the matches in it alone.
    chain, sandwiched = aligned_chain(a, b, min_anchors)
    # Measured against the longer text too: a report that shares a few facts with a longer one is
    # not its translation, however well those few sentences align.
    comparable = max(a.comparable, b.comparable)
    aligned = min(comparable, len(chain) + sandwiched)
    pairs = tuple((j, i) if swapped else (i, j) for i, j in chain)
    if not comparable or aligned / comparable < min_share:
        return Alignment(aligned, comparable, 0.0, (), pairs)
    wording = 0.0
    every = 0
    for i, j in chain:
        words_a, words_b = keys_a[i][2], keys_b[j][2]
        wording += (words_a & words_b).bit_count() / max(1, (words_a | words_b).bit_count())
        every |= keys_a[i][0] & keys_b[j][0]
    shown = sorted(anchor_bits.words(every), key=lambda a: (-len(a), a))
    return Alignment(aligned, comparable, wording / len(chain) if chain else 0.0, tuple(shown[:6]), pairs)


def python_aligned_chain(a: Outline, b: Outline, min_anchors: int) -> tuple[list[tuple[int, int]], int]:
    """The longest chain in order of ``a``'s best matches in ``b`` that score at least a half, and
    how many sentences it sandwiches (the compiled ``aligned_chain``'s reference)."""
    chain = _increasing_chain([(i, j) for i, j, best in best_matches(a, b, min_anchors) if best >= 0.5])
    return chain, _sandwiched(chain, a.keys, b.keys, min_anchors)


def compiled_aligned_chain(a: Outline, b: Outline, min_anchors: int) -> tuple[list[tuple[int, int]], int]:
    """``python_aligned_chain`` on the outlines' word rows, in one compiled call."""
    if _overlap is None:  # pragma: no cover - depends on the install
        return python_aligned_chain(a, b, min_anchors)
    return _overlap.aligned_chain(a.rows, a.row_words, a.counts, b.rows, b.row_words, b.counts, min_anchors)


def python_best_matches(a: Outline, b: Outline, min_anchors: int) -> list[tuple[int, int, float]]:
    """For each sentence of ``a`` with ``min_anchors`` anchors, the first sentence of ``b`` (with as
    many) sharing the largest part of the smaller anchor set, ``min_anchors`` shared at least, as
    ``(i, j, score)`` (the compiled one's reference)."""
    targets = [(j, other, count) for j, (other, count, *_) in enumerate(b.keys) if count >= min_anchors]
    out: list[tuple[int, int, float]] = []
    for i, (anchors, count, *_) in enumerate(a.keys):
        if count < min_anchors:
            continue
        best, best_j = 0.0, -1
        for j, other, other_count in targets:
            shared = anchors & other
            if not shared:
                continue
            size = shared.bit_count()
            if size < min_anchors:
                continue
            score = size / min(count, other_count)
            if score > best:
                best, best_j = score, j
        if best_j >= 0:
            out.append((i, best_j, best))
    return out


def compiled_best_matches(a: Outline, b: Outline, min_anchors: int) -> list[tuple[int, int, float]]:
    """``python_best_matches`` on the outlines' word rows, compiled."""
    if _overlap is None:  # pragma: no cover - depends on the install
        return python_best_matches(a, b, min_anchors)
    return _overlap.best_matches(a.rows, a.row_words, a.counts, b.rows, b.row_words, b.counts, min_anchors)


def grammar_kept(keys_a: SentenceKeys, keys_b: SentenceKeys, pairs: Sequence[tuple[int, int]]) -> float:
    """How much of the grammar words' order aligned sentences keep (longest common subsequence over
    the longer sequence, averaged). A synonym spinner swaps content words and keeps the grammar
    (0.78-0.98 on the generated rewrites); a translation rebuilds it (0.18-0.36)."""
    kept = []
    for i, j in pairs:
        x, y = keys_a[i][3], keys_b[j][3]
        if x or y:
            kept.append(matched_total(x, y) / max(len(x), len(y)))
    return sum(kept) / len(kept) if kept else 0.0


def python_matched_total(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The total size of difflib's matching blocks of two sequences (the compiled one's reference)."""
    return sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())


try:  # the compiled kernels of this module's loops (tests hold each equal to its Python reference)
    from copydesk import _overlap
except ImportError:  # pragma: no cover - depends on the install
    _overlap = None  # type: ignore[assignment]

try:
    from copydesk import _sentkeys
except ImportError:  # pragma: no cover - depends on the install
    _sentkeys = None  # type: ignore[assignment]

anchor_reach = compiled_anchor_reach if _overlap is not None else python_anchor_reach
# One sentence's keys from its tokens, and the tokens.
sentence_key = compiled_sentence_key if _sentkeys is not None else python_sentence_key
sentence_tokens: Callable[[str], list[str]] = (
    _sentkeys.sentence_tokens if _sentkeys is not None else python_sentence_tokens
)
best_matches = compiled_best_matches if _overlap is not None else python_best_matches
aligned_chain = compiled_aligned_chain if _overlap is not None else python_aligned_chain
# The total size of difflib's matching blocks of two grammar-word sequences.
matched_total: Callable[[tuple[str, ...], tuple[str, ...]], int] = (
    _overlap.matched_total if _overlap is not None else python_matched_total
)


def _sandwiched(
    chain: list[tuple[int, int]],
    keys_a: SentenceKeys,
    keys_b: SentenceKeys,
    min_anchors: int,
) -> int:
    """Comparable sentences between two aligned pairs, at the same distance from both, that share a
    name or figure with their counterpart: sentence-by-sentence structure aligns them even where a
    translation or a spinner changed the rare words that would have matched them outright."""
    found = 0
    for (i1, j1), (i2, j2) in itertools.pairwise(chain):
        if i2 - i1 != j2 - j1:
            continue
        for step in range(1, i2 - i1):
            anchors_a, count_a, *_ = keys_a[i1 + step]
            anchors_b, count_b, *_ = keys_b[j1 + step]
            comparable = count_a >= min_anchors or count_b >= min_anchors
            found += bool(comparable and anchors_a & anchors_b)
    return found


def _increasing_chain(matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of matches whose target sentences also increase."""
    if not matches:
        return []
    if _overlap is not None:
        return [matches[p] for p in _overlap.increasing_chain(array("i", [m[1] for m in matches]).tobytes())]
    return python_increasing_chain(matches)


def python_increasing_chain(matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``_increasing_chain`` in Python (the compiled one's reference): for each match the longest
    chain ending there, from the first earlier match that gives it; the first longest chain wins."""
    if not matches:
        return []
    best_len = [1] * len(matches)
    prev = [-1] * len(matches)
    for i in range(len(matches)):
        for j in range(i):
            if matches[j][1] < matches[i][1] and best_len[j] + 1 > best_len[i]:
                best_len[i], prev[i] = best_len[j] + 1, j
    end = max(range(len(matches)), key=lambda i: best_len[i])
    chain: list[tuple[int, int]] = []
    while end >= 0:
        chain.append(matches[end])
        end = prev[end]
    return chain[::-1]
