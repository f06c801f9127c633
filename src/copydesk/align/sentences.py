"""Sentence alignment between two sources, and the word substitutions of a rewrite.

A synonym-spun rewrite keeps the order and skeleton of its source but swaps words ("highly values" ->
"greatly respected"); lining each sentence up with its closest sentence in the sibling and diffing the
words makes the swaps visible, which is the evidence that a text was spun.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from copydesk.facts.text import content_stems, fold, words
from copydesk.fingerprint.lsh import matching_blocks

ALIGN_MIN = 0.3  # Dice of content stems below which two sentences are not the same sentence
MAX_SWAP_WORDS = 4  # a substitution longer than this is a rewritten clause, not a word swap
DENSE_CELLS = 1 << 20  # sentences x stems up to which an incidence matrix is also kept dense (4 MB)


@lru_cache(maxsize=65536)
def stem_set(text: str) -> frozenset[str]:
    """The content stems of a sentence (memoised: a story's sentences are compared many times)."""
    return frozenset(content_stems(text))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


@dataclass(frozen=True, slots=True)
class SentencePair:
    """One sentence of a rewrite and its counterpart in the sibling, with the words swapped between."""

    index: int
    sibling_index: int
    similarity: float
    text: str
    sibling_text: str
    substitutions: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class RewriteAlignment:
    """A rewrite lined up sentence by sentence with its closest sibling in the story."""

    article_id: str
    sibling_id: str
    similarity: float
    pairs: list[SentencePair] = field(default_factory=list)

    @property
    def substitutions(self) -> list[tuple[str, str, int]]:
        """Every (sibling wording, rewrite wording) swap with how often it occurs, most frequent first."""
        counts: Counter[tuple[str, str]] = Counter()
        for pair in self.pairs:
            counts.update(pair.substitutions)
        return [(old, new, n) for (old, new), n in counts.most_common()]


Matrix = np.ndarray[Any, np.dtype[np.float32]]


def align_sentences(
    a: Sequence[frozenset[str]],
    b: Sequence[frozenset[str]],
    threshold: float = ALIGN_MIN,
    sims: Matrix | None = None,
) -> list[tuple[int, int, float]]:
    """One-to-one sentence pairs, best first (greedy on similarity), above ``threshold``.

    ``sims`` may give the similarities already computed (rows ``a``, columns ``b``)."""
    if not a or not b:
        return []
    if sims is None:
        sims = dice_matrix([*a, *b])[: len(a), len(a) :]
    rows, cols = np.nonzero(sims >= threshold)
    scored = [(float(sims[i, j]), int(i), int(j)) for i, j in zip(rows, cols, strict=True)]
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for sim, i, j in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j, sim))
    return sorted(pairs)


class SentenceIncidence:
    """Sentences as rows of a sparse stem incidence matrix, built once, so that the Dice similarity of
    any two blocks of sentences is one sparse product (a story of 1,500 articles has ~70,000 sentences:
    their full similarity matrix would take ~20 GB)."""

    def __init__(self, sentences: Sequence[frozenset[str]]) -> None:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for i, stems in enumerate(sentences):
            for word in stems:
                rows.append(i)
                cols.append(vocab.setdefault(word, len(vocab)))
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(sentences), max(len(vocab), 1))
        )
        self._set(matrix)

    @classmethod
    def from_rows(cls, rows: Any) -> SentenceIncidence:
        """From a ready 0/1 sparse matrix (rows: any sets of stems, e.g. whole articles)."""
        made = cls.__new__(cls)
        made._set(sparse.csr_matrix(rows, dtype=np.float32))
        return made

    def _set(self, matrix: Any) -> None:
        self.rows = matrix
        self.size = matrix.shape[0]
        self.lengths = np.asarray(matrix.sum(axis=1), dtype=np.float32).ravel()
        # a small story's matrix also dense: picking its rows costs scipy more than the product
        self._dense = matrix.toarray() if matrix.shape[0] * matrix.shape[1] <= DENSE_CELLS else None

    def dice(self, a: Any, b: Any) -> Matrix:
        """Dice similarity of sentences ``a`` (rows) against ``b`` (columns): slices or index arrays."""
        if self._dense is not None:  # the same counts (whole numbers, exact in float32)
            shared = self._dense[a] @ self._dense[b].T
        else:
            shared = (self.rows[a] @ self.rows[b].T).toarray()
        total = self.lengths[a][:, None] + self.lengths[b][None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(total > 0, 2 * shared / total, 0.0)
        return out.astype(np.float32)


def dice_matrix(sentences: Sequence[frozenset[str]]) -> Matrix:
    """Dice similarity of every pair of a few sentences, computed at once."""
    everything = slice(0, len(sentences))
    return SentenceIncidence(sentences).dice(everything, everything)


def coverage(a: Sequence[frozenset[str]], b: Sequence[frozenset[str]]) -> float:
    """How much of ``a`` finds a counterpart in ``b`` (mean best similarity per sentence of ``a``)."""
    if not a or not b:
        return 0.0
    return sum(max(dice(x, y) for y in b) for x in a) / len(a)


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """``difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``, from the compiled
    matching blocks (difflib's own walk over them; its matcher was most of a story's alignment: a
    rewrite's every aligned sentence pair is diffed word by word)."""
    out: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for ai, bj, size in matching_blocks(a, b):
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            out.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            out.append(("equal", ai, i, bj, j))
    return out


def word_substitutions(sibling: str, rewrite: str) -> tuple[tuple[str, str], ...]:
    """Short word swaps between two aligned sentences, as (sibling wording, rewrite wording)."""
    old = words(sibling)
    new = words(rewrite)
    swaps: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in opcodes([fold(w) for w in old], [fold(w) for w in new]):
        if op == "replace" and i2 - i1 <= MAX_SWAP_WORDS and j2 - j1 <= MAX_SWAP_WORDS:
            swaps.append((" ".join(old[i1:i2]), " ".join(new[j1:j2])))
    return tuple(swaps)


def align_rewrite(
    article_id: str,
    sentences: Sequence[str],
    sibling_id: str,
    sibling_sentences: Sequence[str],
    sims: Matrix | None = None,
) -> RewriteAlignment:
    """Line a rewrite up with a sibling and list the word swaps of each aligned pair."""
    a = [stem_set(s) for s in sentences]
    b = [stem_set(s) for s in sibling_sentences]
    if sims is None:
        sims = dice_matrix([*a, *b])[: len(a), len(a) :]
    pairs = [
        SentencePair(
            i,
            j,
            round(sim, 3),
            sentences[i],
            sibling_sentences[j],
            word_substitutions(sibling_sentences[j], sentences[i]),
        )
        for i, j, sim in align_sentences(a, b, sims=sims)
    ]
    closeness = float(sims.max(axis=1).mean()) if sims.size else 0.0
    return RewriteAlignment(article_id, sibling_id, round(closeness, 3), pairs)


def drift(reference: str, variant: str) -> str:
    """The wording drift between two quotes as token edits: ``-old words +new words``."""
    old = words(reference)
    new = words(variant)
    edits: list[str] = []
    for op, i1, i2, j1, j2 in opcodes([fold(w) for w in old], [fold(w) for w in new]):
        if op == "equal":
            continue
        removed = " ".join(old[i1:i2])
        added = " ".join(new[j1:j2])
        edits.append(
            " ".join(
                part for part in (f"-{removed}" if removed else "", f"+{added}" if added else "") if part
            )
        )
    return "; ".join(edits)
