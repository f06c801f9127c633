"""Near copies of new articles among the stored ones: the stories stage's copies-first check.

An article whose verified near copy already sits in a story joins that story without clustering.
Candidates come from the LSH index, the best MinHash estimates first (at most
``MAX_NEAR_COPY_CANDIDATES``), and each is verified on its shingles until one passes. A run checks
batch after batch against the same recent articles, so their signatures and shingle prints are kept
in memory for a while instead of being read and rebuilt each time; candidates are ranked for the
whole batch in a few array operations.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from copydesk.fingerprint.lsh import LshIndex, ShinglePrints, first_sharing
from copydesk.fingerprint.minhash import EMPTY_SLOT, MinHashConfig, MinHasher, compiled_pair_estimates
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database

# Near-copy candidates verified per new article, best MinHash estimate first.
MAX_NEAR_COPY_CANDIDATES = 20
# Indexed articles of one LSH band key a new article is paired with, the earliest indexed: a key
# shared by more is a flood (one story reprinted by thousands of sites) or a corpus-wide sentence,
# whose first members are candidates as good as the rest. Ordinary corpora stay below it (the
# largest key of 5,000 generated 600-word reports: 213 articles, of 8,000 event reports: 189).
CANDIDATES_PER_KEY = 256
# Signatures of the run's latest articles kept in memory (512 bytes each at 128 slots).
RECENT_SIGNATURES = 100_000
# Candidate pairs whose estimates are worked out at once (each gathers two signatures).
_PAIRS_AT_ONCE = 4096


@dataclass(frozen=True, slots=True)
class CopyCheck:
    """What a near-copy finder is made from: the signatures' configuration and the verified share of
    shingles that makes a near copy."""

    minhash: MinHashConfig
    threshold: float


def load_lsh_and_owners(
    db: Database, config: MinHashConfig, leave_out: Collection[str] = frozenset()
) -> tuple[LshIndex, list[str]]:
    """The LSH index over the stored signatures of placed articles (``iter_signatures``) but those
    of ``leave_out`` (a run's own articles, added as they are placed), and the article of each row,
    in one pass over the stored signatures."""
    index = LshIndex(config)
    owners: list[str] = []
    for ids, signatures in fingerprint_store.iter_signatures(db, config.key):
        if leave_out:
            kept = [k for k, aid in enumerate(ids) if aid not in leave_out]
            if len(kept) < len(ids):
                ids, signatures = [ids[k] for k in kept], signatures[kept]
        if ids:
            index.add(np.arange(len(owners), len(owners) + len(ids)), signatures)
            owners.extend(ids)
    return index, owners


class NearCopyFinder:
    """The LSH index over every signed article, the article of each index row, and the recent
    articles' signatures and shingle prints.

    Placed articles may be handed over with ``add_later``: they are indexed before the next ``find``
    (a caller that has another process find its copies then never indexes them itself)."""

    def __init__(
        self,
        minhash: MinHashConfig,
        threshold: float,
        index: LshIndex,
        owners: list[str],
        expected: int = RECENT_SIGNATURES,
    ) -> None:
        """``expected``: about how many articles the run will add (sizes the kept signatures)."""
        self.minhash = minhash
        self.threshold = threshold
        self.index = index
        self.owners = owners
        self.prints = ShinglePrints(MinHasher(minhash))
        self._first_added = len(owners)  # the index row of the run's first added article
        self._later: list[tuple[list[str], np.ndarray]] = []  # ``add_later``, in order
        # The latest added rows' signatures, row r at (r - _first_added) % capacity.
        self._recent = np.zeros((max(1, min(expected, RECENT_SIGNATURES)), minhash.num_perm), np.uint32)

    @property
    def _recent_start(self) -> int:
        """The first index row whose signature is still kept."""
        return max(self._first_added, len(self.owners) - len(self._recent))

    def add(self, article_ids: Sequence[str], signatures: np.ndarray) -> None:
        """Index newly placed articles (rows numbered on from the stored ones)."""
        if not article_ids:
            return
        rows = np.arange(len(self.owners), len(self.owners) + len(article_ids))
        self.index.add(rows, signatures)
        self.owners.extend(article_ids)
        kept = rows[-len(self._recent) :]
        self._recent[(kept - self._first_added) % len(self._recent)] = signatures[-len(kept) :]

    def add_later(self, article_ids: list[str], signatures: np.ndarray) -> None:
        """``add``, once a ``find`` needs it."""
        self._later.append((article_ids, signatures))

    def remember(self, prints: dict[str, np.ndarray]) -> None:
        """Keep prints the caller made of articles' current texts (``lsh.split_prints``)."""
        for key, found in prints.items():
            self.prints.put(key, found)

    def find(
        self, db: Database, article_ids: Sequence[str], texts: Sequence[str], signatures: np.ndarray
    ) -> dict[int, str]:
        """For each article (by position) that verifiably near-copies an indexed one, that one.

        The articles' prints are made from their texts unless ``remember``ed under their ids."""
        later, self._later = self._later, []
        for placed_ids, placed_signatures in later:
            self.add(placed_ids, placed_signatures)
        if len(article_ids) == 0 or not self.owners:
            return {}
        shortlist = self.shortlist(db, signatures)
        unread = sorted(self.prints.missing(a for ids in shortlist.values() for a in ids))
        stored = story_store.story_texts(db, unread)
        missing = {article_ids[i]: texts[i] for i in shortlist if article_ids[i] not in self.prints}
        self.prints.of_many(missing | {aid: row.text for aid, row in stored.items()})
        out: dict[int, str] = {}
        prints = self.prints
        for i, ids in shortlist.items():
            mine = prints.of(article_ids[i], texts[i])
            theirs = prints.get_many(ids)
            for k, found in enumerate(theirs):
                if found is None and (other := stored.get(ids[k])) is not None:
                    theirs[k] = prints.of(ids[k], other.text)
            first = first_sharing(mine, theirs, self.threshold)
            if first >= 0:
                out[i] = ids[first]
        return out

    def shortlist(self, db: Database, signatures: np.ndarray) -> dict[int, list[str]]:
        """Per article, its LSH candidates with a signature of this configuration, the best estimates
        first (ties: the earlier row), at most ``MAX_NEAR_COPY_CANDIDATES``, from at most
        ``CANDIDATES_PER_KEY`` articles of each band key."""
        queries, rows = self.index.query_pairs(signatures, CANDIDATES_PER_KEY)
        estimates, known = self._estimates(db, signatures, queries, rows)
        queries, rows, estimates = queries[known], rows[known], estimates[known]
        order = _best_first(queries, rows, estimates, signatures.shape[1])
        queries, rows = queries[order], rows[order]
        first = np.r_[0, np.flatnonzero(queries[1:] != queries[:-1]) + 1]
        rank = np.arange(len(queries)) - np.repeat(first, np.diff(np.r_[first, len(queries)]))
        keep = rank < MAX_NEAR_COPY_CANDIDATES
        shortlist: dict[int, list[str]] = {}
        owners = self.owners
        for query, row in zip(queries[keep].tolist(), rows[keep].tolist(), strict=True):
            shortlist.setdefault(query, []).append(owners[row])
        return shortlist

    def _estimates(
        self, db: Database, signatures: np.ndarray, queries: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each pair's estimated Jaccard, and whether a signature of this configuration is known for
        its row (kept ones in memory, older ones read from the store)."""
        estimates = np.zeros(len(rows))
        known = rows >= self._recent_start
        at = np.flatnonzero(known)
        slots = (rows[at] - self._first_added) % len(self._recent)
        _estimate_pairs(estimates, at, signatures, queries[at], self._recent, slots)
        older = np.flatnonzero(~known)
        if len(older):
            ids = [self.owners[r] for r in rows[older].tolist()]
            stored = fingerprint_store.hashes_and_signatures(db, sorted(set(ids)), self.minhash.key)
            have = [k for k, aid in enumerate(ids) if aid in stored]
            if have:
                at = older[have]
                matrix = np.stack([stored[ids[k]][1] for k in have])
                _estimate_pairs(estimates, at, signatures, queries[at], matrix, np.arange(len(have)))
                known[at] = True
        return estimates, known


def _best_first(queries: np.ndarray, rows: np.ndarray, estimates: np.ndarray, width: int) -> np.ndarray:
    """The pairs' order by query, then estimate (highest first), then row: ``np.lexsort`` of the
    three, or, where every estimate is a count of equal slots over ``width`` (the usual case), one
    integer argsort (5x faster on the 100k pairs of a chunk)."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.intp)
    equal = np.rint(estimates * width).astype(np.int64)
    if not np.array_equal(equal / width, estimates):
        return np.lexsort((rows, -estimates, queries))
    key = (queries.astype(np.int64) * (width + 1) + (width - equal)) * (int(rows.max()) + 1) + rows
    return np.argsort(key, kind="stable")


def _estimate_pairs(
    out: np.ndarray,
    at: np.ndarray,
    mine: np.ndarray,
    my_rows: np.ndarray,
    theirs: np.ndarray,
    their_rows: np.ndarray,
) -> None:
    """``out[at[k]]``: the estimate of ``mine[my_rows[k]]`` against ``theirs[their_rows[k]]``; compiled,
    straight from the two matrices (gathering both rows of a million pairs first cost the stage's
    process a quarter of a second a 20k run), else a slice of pairs at a time."""
    found = compiled_pair_estimates(mine, my_rows, theirs, their_rows)
    if found is not None:
        out[at] = found
        return
    for lo in range(0, len(at), _PAIRS_AT_ONCE):
        part = slice(lo, lo + _PAIRS_AT_ONCE)
        out[at[part]] = estimated_jaccards(
            np.take(mine, my_rows[part], axis=0), np.take(theirs, their_rows[part], axis=0)
        )


def estimated_jaccards(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """``estimated_jaccard`` of each row of ``mine`` against the same row of ``theirs``.

    A signature is either all slots filled or all empty (an empty text; densification fills every
    slot of the others), so where no row is empty the estimate is the share of equal slots, counted
    without the empty-slot masks (twice as fast on the million pairs a 20k run ranks)."""
    width = mine.shape[1] if mine.ndim == 2 else 0
    if width and not (mine[:, 0] == EMPTY_SLOT).any() and not (theirs[:, 0] == EMPTY_SLOT).any():
        shares: np.ndarray = np.count_nonzero(theirs == mine, axis=1) / width
        return shares
    valid = (theirs != EMPTY_SLOT) | (mine != EMPTY_SLOT)
    equal = (theirs == mine) & valid
    counts = valid.sum(axis=1)
    estimates: np.ndarray = np.where(counts > 0, equal.sum(axis=1) / np.maximum(counts, 1), 0.0)
    return estimates


# What a helper keeps of a chunk it prepared: the ids, texts and signatures of its fingerprinted
# articles, and their shingle prints (texts and prints dropped once its copies are found).
_MadeChunk = tuple[list[str], list[str], np.ndarray, dict[str, np.ndarray]]
# The first chunk as the placing process made it: its ids, signatures and shingle prints.
FirstChunk = tuple[list[str], np.ndarray, dict[str, np.ndarray]]


class CopiesAhead:
    """Near copies of a run's chunks found in the forked helper that prepares them, ahead of their
    placement.

    Which indexed article a new one near-copies depends on what was indexed before it and nothing
    else: the stored articles (the run's own left out) and every article of the run's earlier
    chunks, chunk by chunk. The helper holds what it prepared (signatures, texts, prints), so it
    finds chunk k's copies while the placing process still places chunk k-1, indexing the chunks as
    that process would; the first chunk, prepared there, is sent along with the first request."""

    def __init__(self, check: CopyCheck, chunks: Sequence[Sequence[str]]) -> None:
        self.check = check
        self.pending = frozenset(aid for ids in chunks for aid in ids)
        self._finder: NearCopyFinder | None = None
        self._indexed = 0  # chunks indexed, from the first
        self._made: dict[int, _MadeChunk] = {}

    def keep(
        self, k: int, ids: list[str], texts: list[str], signatures: np.ndarray, prints: dict[str, np.ndarray]
    ) -> None:
        """What chunk ``k`` was made of (its fingerprinted articles, in order)."""
        self._made[k] = (ids, texts, signatures, prints)

    def find(self, db: Database, k: int, first: FirstChunk | None) -> dict[str, str] | None:
        """Chunk ``k``'s articles that near-copy an indexed one, each with that one, as
        ``NearCopyFinder.find`` gives them to the placing process; ``first``: the first chunk's
        ids, signatures and prints (sent with the request for the second; its prints spare the
        helper reading and hashing its texts again). None where a chunk it needs was not made here."""
        if self._finder is None:
            index, owners = load_lsh_and_owners(db, self.check.minhash, self.pending)
            self._finder = NearCopyFinder(
                self.check.minhash, self.check.threshold, index, owners, len(self.pending)
            )
        finder = self._finder
        if first is not None and self._indexed == 0:
            finder.add(first[0], first[1])
            finder.remember(first[2])
            self._indexed = 1
        while self._indexed < k and (made := self._made.pop(self._indexed, None)) is not None:
            finder.add(made[0], made[2])
            self._indexed += 1
        made = self._made.get(k)
        if made is None or self._indexed != k:
            return None
        ids, texts, signatures, prints = made
        finder.remember(prints)
        found = finder.find(db, ids, texts, signatures)
        self._made[k] = (ids, [], signatures, {})  # indexed with the next request
        return {ids[i]: aid for i, aid in found.items()}
