"""LSH banding over MinHash signatures, and the verification that turns candidates into copies.

Candidates are documents that share at least one band key; with 32 bands of 4 rows a pair of
Jaccard 0.5 becomes a candidate with probability 1 - (1 - 0.5**4)**32 = 0.87, and one of 0.7 with
probability 0.9998. Every candidate is then verified on its real shingle sets, and the pair keeps an
explanation: the estimated and the exact Jaccard and the longest passages the two texts share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from copydesk.fingerprint.minhash import EMPTY_SLOT, MinHashConfig, MinHasher, band_keys, estimated_jaccard
from copydesk.fingerprint.normalise import words


@dataclass(slots=True)
class LshIndex:
    """Band keys of stored signatures, kept sorted in numpy arrays for O(log n) look-ups.

    New keys go to a small unsorted tail that is merged in once it grows, so adding one document
    costs no re-sort of a million keys.
    """

    config: MinHashConfig
    _keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    _owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _tail_keys: list[np.ndarray] = field(default_factory=list)
    _tail_owners: list[np.ndarray] = field(default_factory=list)
    _tail_size: int = 0

    def add(self, owners: Sequence[int] | np.ndarray, signatures: np.ndarray) -> None:
        """Index signatures; empty texts (all slots empty) are left out, as they match nothing."""
        filled = ~(signatures == EMPTY_SLOT).all(axis=1)
        keys = band_keys(signatures[filled], self.config)
        owner_arr = np.repeat(np.asarray(owners, dtype=np.int64)[filled], self.config.bands)
        self._tail_keys.append(keys.reshape(-1))
        self._tail_owners.append(owner_arr)
        self._tail_size += len(owner_arr)
        if self._tail_size > max(4096, len(self._keys) // 8):
            self._merge()

    def _merge(self) -> None:
        if not self._tail_keys:
            return
        keys = np.concatenate([self._keys, *self._tail_keys])
        owners = np.concatenate([self._owners, *self._tail_owners])
        order = np.argsort(keys, kind="stable")
        self._keys, self._owners = keys[order], owners[order]
        self._tail_keys, self._tail_owners, self._tail_size = [], [], 0

    def query(self, signature: np.ndarray) -> set[int]:
        """Owners sharing at least one band with ``signature``."""
        if (signature == EMPTY_SLOT).all():
            return set()
        keys = band_keys(signature[None, :], self.config)[0]
        found: set[int] = set()
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            if b > a:
                found.update(self._owners[a:b].tolist())
        for tail_keys, tail_owners in zip(self._tail_keys, self._tail_owners, strict=True):
            found.update(tail_owners[np.isin(tail_keys, keys)].tolist())
        return found

    def query_many(self, signatures: np.ndarray) -> list[set[int]]:
        """``query`` for each row of ``signatures``, with the band keys of all rows in one pass."""
        found: list[set[int]] = [set() for _ in range(len(signatures))]
        queries, owners = self.query_pairs(signatures)
        for query, owner in zip(queries.tolist(), owners.tolist(), strict=True):
            found[query].add(owner)
        return found

    def query_pairs(
        self, signatures: np.ndarray, per_key: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``query_many`` as two arrays: (row of ``signatures``, owner) pairs, each pair once, in
        order of row and then owner.

        ``per_key``: at most that many owners of any one band key, the earliest indexed. A key
        shared by thousands of documents (a wire story reprinted by every site, or a sentence
        common to a whole corpus) otherwise pairs every query with all of them: quadratic in the
        key's size, and 12 GB in one step for a chunk of 2,000 against 8,000 reprints. The
        pairs are made a slice of rows at a time, at most ``_EXPANDED_AT_ONCE`` before duplicates
        across bands are dropped."""
        self._merge()
        nothing = np.zeros(0, dtype=np.int64)
        if len(signatures) == 0 or len(self._keys) == 0:
            return nothing, nothing
        bands = self.config.bands
        flat = band_keys(signatures, self.config).reshape(-1)
        # Looked up in sorted order (each search starts near the last; 5x faster on 64k keys against
        # 640k), the bounds then put back in the rows' order.
        order = np.argsort(flat)
        ordered = flat[order]
        lo = np.empty(len(flat), dtype=np.intp)
        hi = np.empty(len(flat), dtype=np.intp)
        lo[order] = np.searchsorted(self._keys, ordered, side="left")
        hi[order] = np.searchsorted(self._keys, ordered, side="right")
        sizes = hi - lo if per_key is None else np.minimum(hi - lo, per_key)
        sizes[np.repeat((signatures == EMPTY_SLOT).all(axis=1), bands)] = 0  # empty: no match
        per_row = np.cumsum(sizes.reshape(-1, bands).sum(axis=1))
        if len(per_row) == 0 or per_row[-1] == 0:
            return nothing, nothing
        if per_row[-1] <= _EXPANDED_AT_ONCE:
            return _owner_pairs(self._owners, lo, sizes, bands, 0)
        found, start = [], 0
        while start < len(per_row):
            before = per_row[start - 1] if start else 0
            stop = max(start + 1, int(np.searchsorted(per_row, before + _EXPANDED_AT_ONCE, side="right")))
            part = slice(start * bands, stop * bands)
            found.append(_owner_pairs(self._owners, lo[part], sizes[part], bands, start))
            start = stop
        return np.concatenate([q for q, _ in found]), np.concatenate([o for _, o in found])

    def candidate_pairs(self) -> set[tuple[int, int]]:
        """Every pair of owners that shares a band key (for a batch run over the whole index)."""
        self._merge()
        pairs: set[tuple[int, int]] = set()
        if len(self._keys) == 0:
            return pairs
        boundaries = np.flatnonzero(np.r_[True, self._keys[1:] != self._keys[:-1], True])
        for a, b in zip(boundaries[:-1].tolist(), boundaries[1:].tolist(), strict=True):
            if b - a < 2:
                continue
            group = sorted(set(self._owners[a:b].tolist()))
            pairs.update((x, y) for i, x in enumerate(group) for y in group[i + 1 :])
        return pairs


# Query-owner pairs expanded at once by ``LshIndex.query_pairs`` before duplicates are dropped
# (8 bytes each in a few arrays).
_EXPANDED_AT_ONCE = 1 << 22


def _owner_pairs(
    owners: np.ndarray, lo: np.ndarray, sizes: np.ndarray, bands: int, first_row: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (row, owner) pairs of the band look-ups ``lo`` / ``sizes`` (``bands`` a row,
    rows numbered from ``first_row``): each hit's first ``size`` owners from ``lo``."""
    hits = np.flatnonzero(sizes)
    if len(hits) == 0:
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing
    counts = sizes[hits]
    ends = np.cumsum(counts)
    at = np.repeat(lo[hits] - (ends - counts), counts) + np.arange(int(ends[-1]))
    found = owners[at]
    span = int(found.max()) + 1
    pairs = sorted_unique(np.repeat(hits // bands, counts) * span + found)
    return pairs // span + first_row, pairs % span


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """Why two texts are called copies: similarity figures and the passages they share."""

    estimated_jaccard: float
    jaccard: float
    containment: float
    shared_passages: tuple[str, ...]

    def describe(self) -> str:
        passages = "; ".join(f"“{p}”" for p in self.shared_passages[:2])
        return (
            f"shingle Jaccard {self.jaccard:.2f} (MinHash estimate {self.estimated_jaccard:.2f}), "
            f"containment {self.containment:.2f}" + (f"; shared: {passages}" if passages else "")
        )


def shingle_set(text: str, k: int) -> set[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < k:
        return {tuple(tokens)} if tokens else set()
    return set(zip(*(tokens[i:] for i in range(k)), strict=False))


class ShinglePrints:
    """Articles' shingle sets as sorted 64-bit hashes, kept for the last ``capacity`` articles whose
    prints were made. They are the hashes ``MinHasher.shingle_hashes`` signs, so a caller that signs
    a batch gets the batch's prints for a sort each (``split_prints``), and the verified overlap is
    of the very shingles the signatures estimate. A stories run checks the same stored articles
    against batch after batch (18k distinct among 70k checks on 20k articles); as arrays they cost
    8 bytes a shingle instead of a set of word tuples."""

    def __init__(self, hasher: MinHasher, capacity: int = 20_000) -> None:
        self.hasher = hasher
        self.capacity = capacity
        self._prints: dict[str, np.ndarray] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._prints

    def of(self, key: str, text: str) -> np.ndarray:
        """The prints of ``text``, remembered under ``key`` (the text must not change under it)."""
        found = self._prints.get(key)
        if found is None:
            found = self.put(key, split_prints(*self.hasher.shingle_hashes([text]))[0])
        return found

    def of_many(self, texts: dict[str, str]) -> None:
        """Make and remember the prints of texts by key, in one hashing pass."""
        keys = [key for key in texts if key not in self._prints]
        made = split_prints(*self.hasher.shingle_hashes([texts[key] for key in keys]))
        for key, prints in zip(keys, made, strict=True):
            self.put(key, prints)

    def put(self, key: str, prints: np.ndarray) -> np.ndarray:
        """Remember prints made elsewhere (``split_prints`` of the key's current text)."""
        if key not in self._prints and len(self._prints) >= self.capacity:
            del self._prints[next(iter(self._prints))]  # the oldest first
        self._prints[key] = prints
        return prints

    def get(self, key: str) -> np.ndarray | None:
        return self._prints.get(key)

    def get_many(self, keys: Sequence[str]) -> list[np.ndarray | None]:
        """``get`` of each key (a new article's candidates: a dozen or more each)."""
        return list(map(self._prints.get, keys))

    def missing(self, keys: Iterable[str]) -> set[str]:
        """The keys without prints."""
        return set(keys).difference(self._prints)


def split_prints(shingles: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """Each text's prints (sorted, distinct, as int64) from ``MinHasher.shingle_hashes``."""
    if len(offsets) == 0:
        return []
    ends = np.r_[offsets[1:], len(shingles)].tolist()
    signed = shingles.view(np.int64)
    return [sorted_unique(signed[a:b]) for a, b in zip(offsets.tolist(), ends, strict=True)]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of a 1-d array: a sort and a mask (numpy 2.4's ``unique`` takes 25x longer on
    the 300k hits of a batch's LSH query)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)  # not np.r_, whose indexing cost 10 us a call
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    keep: np.ndarray = ordered[first]
    return keep


def python_shared_count(a: np.ndarray, b: np.ndarray) -> int:
    """How many shingles two ``ShinglePrints`` arrays share (the reference of the compiled one)."""
    return int(np.intersect1d(a, b, assume_unique=True).size)


_compiled_shared_count: Callable[[np.ndarray, np.ndarray], int] | None
try:  # the same count, compiled where the extension is built (tests hold the two equal)
    from copydesk._overlap import shared_count as _compiled_shared_count
except ImportError:  # pragma: no cover - depends on the install
    _compiled_shared_count = None

# How many shingles two ``ShinglePrints`` arrays share.
shared_shingles: Callable[[np.ndarray, np.ndarray], int] = _compiled_shared_count or python_shared_count


def python_first_sharing(mine: np.ndarray, theirs: list[np.ndarray | None], threshold: float) -> int:
    """The position of the first of ``theirs`` (None skipped) sharing at least one shingle and at
    least ``threshold`` times the smaller set's size with ``mine``, or -1 (``verify_pair``'s test,
    max(Jaccard, containment) >= threshold, is containment alone: the union is never smaller than the
    smaller set). The compiled ``first_sharing``'s reference."""
    for k, prints in enumerate(theirs):
        if prints is None:
            continue
        shared = shared_shingles(mine, prints)
        if shared and shared >= threshold * min(len(mine), len(prints)):
            return k
    return -1


_compiled_first_sharing: Callable[[np.ndarray, list[np.ndarray | None], float], int] | None
try:
    from copydesk._overlap import first_sharing as _compiled_first_sharing
except ImportError:  # pragma: no cover - depends on the install
    _compiled_first_sharing = None

# The first near copy among an article's candidates' prints (see ``python_first_sharing``).
first_sharing: Callable[[np.ndarray, list[np.ndarray | None], float], int] = (
    _compiled_first_sharing or python_first_sharing
)


def python_matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """difflib's matching blocks of two word lists, as ``(a, b, size)`` (the compiled one's reference)."""
    return [(m.a, m.b, m.size) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()]


_compiled_matching_blocks: Callable[[Sequence[str], Sequence[str]], list[tuple[int, int, int]]] | None
try:  # the same blocks, compiled where the extension is built (tests hold the two equal)
    from copydesk._overlap import matching_blocks as _compiled_matching_blocks
except ImportError:  # pragma: no cover - depends on the install
    _compiled_matching_blocks = None

matching_blocks = _compiled_matching_blocks or python_matching_blocks


def shared_passages(a: str, b: str, *, min_words: int = 8, limit: int = 3) -> tuple[str, ...]:
    """The longest word runs the two texts share, longest first (what a person can check by eye)."""
    wa, wb = words(a), words(b)
    blocks = sorted((m for m in matching_blocks(wa, wb) if m[2] >= min_words), key=lambda m: -m[2])
    out: list[str] = []
    for start, _, size in blocks[:limit]:
        run = wa[start : start + size]
        out.append(" ".join(run[:20]) + (" …" if len(run) > 20 else ""))
    return tuple(out)


def verify_pair(
    text_a: str,
    text_b: str,
    sig_a: np.ndarray,
    sig_b: np.ndarray,
    config: MinHashConfig,
    *,
    passages: bool = True,
    shingles: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] | None = None,
    estimate: float | None = None,
) -> PairEvidence:
    """The exact shingle Jaccard and containment behind an LSH candidate, with the shared passages
    (``passages=False`` skips finding them, for a yes/no decision; ``shingles`` reuses sets;
    ``estimate`` is the signatures' ``estimated_jaccard`` when the caller has it)."""
    sa, sb = shingles or (shingle_set(text_a, config.shingle), shingle_set(text_b, config.shingle))
    inter = len(sa & sb)
    union = len(sa) + len(sb) - inter or 1  # without building the union
    smaller = min(len(sa), len(sb)) or 1
    return PairEvidence(
        estimated_jaccard=estimated_jaccard(sig_a, sig_b) if estimate is None else estimate,
        jaccard=inter / union,
        containment=inter / smaller,
        shared_passages=shared_passages(text_a, text_b) if inter and passages else (),
    )


def near_copy_pairs(
    texts: Sequence[str], hasher: MinHasher, *, threshold: float = 0.5
) -> Iterable[tuple[int, int, PairEvidence]]:
    """Pairs of texts (by position) whose verified shingle Jaccard or containment reaches ``threshold``."""
    signatures = hasher.signatures(texts)
    index = LshIndex(hasher.config)
    index.add(np.arange(len(texts)), signatures)
    for i, j in sorted(index.candidate_pairs()):
        evidence = verify_pair(texts[i], texts[j], signatures[i], signatures[j], hasher.config)
        if max(evidence.jaccard, evidence.containment) >= threshold:
            yield i, j, evidence
