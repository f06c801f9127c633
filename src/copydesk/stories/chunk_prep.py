"""Chunks of unplaced articles made ready for placement: texts and stored fingerprints read, hashes
checked, signatures and shingle prints made, and the chunk's topic groups built.

None of this depends on where earlier chunks were placed, so a forked helper prepares the next chunk
while the stories stage places this one: the stage's own process is its critical path, and reading
and signing were a quarter of its CPU (the topic groups, the heaviest part of ``assign``, were
already built in a helper, but only once the chunk was signed). Small runs, in-memory stores and
callers that may not fork prepare each chunk inline, in the same order with the same results.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from copydesk.run.collection import settle_worker
from copydesk.run.forking import may_fork
from copydesk.run.handoff import Handoff, HandoffFolder, HandoffLost
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.cluster import StoryConfig, batch_topic_groups, day_number
from copydesk.stories.grouping import load_libraries
from copydesk.stories.near_copies import CopiesAhead, CopyCheck, FirstChunk

# ``StoryStage.fingerprint``: a chunk's texts and stored rows to its fingerprints, filling ``prints``.
Fingerprint = Callable[
    [
        Sequence[story_store.StoryText],
        dict[str, fingerprint_store.StoredFeatures],
        dict[str, np.ndarray] | None,
    ],
    list[fingerprint_store.StoredFeatures],
]


@dataclass(slots=True)
class PreparedChunk:
    """One chunk as placement reads it. ``reused[i]``: ``features[i]`` keeps the vector stored at
    ingest (its signature and date are written again); ``current[i]``: its stored row is all of it
    already (signed at ingest with this configuration, its hash known current: nothing is written);
    ``topic_groups`` index ``features`` (None: ``assign`` builds them); ``texts_here``: whether the
    articles carry their texts (a helper that finds the chunk's copies itself keeps them: the placing
    process reads them from the store where it has to find the copies after all, and their 7.5 MB
    a 2,000-article chunk cost it time to receive)."""

    articles: list[story_store.StoryText]
    features: list[fingerprint_store.StoredFeatures]
    reused: list[bool]
    current: list[bool]
    prints: dict[str, np.ndarray]
    topic_groups: list[list[int]] | None
    texts_here: bool = True
    # where the texts are not here but the chunk may be checked against the store (made before the
    # stage before was done): each text's (length, hash), to tell whether it still reads the same
    text_keys: list[tuple[int, int]] | None = None
    # The helper's groups still being built (it sends the fingerprints first, so placement starts
    # on the copies while it groups): ``groups`` waits for them.
    later: Future[list[list[int]] | None] | None = field(default=None, repr=False, compare=False)

    def groups(self) -> list[list[int]] | None:
        """``topic_groups``, once the helper has sent them (None where it died: ``assign`` builds them)."""
        if self.later is not None:
            try:
                self.topic_groups = self.later.result()
            except BrokenProcessPool:
                self.topic_groups = None
            self.later = None
        return self.topic_groups

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Column by column, with the arrays of the chunk end to end: unpickling 2,000 articles'
        objects one by one cost the placing process 40 ms a chunk, as much as it saved."""
        articles, features = self.articles, self.features
        article_columns: list[list[Any] | None] = [
            [getattr(a, name) for a in articles] if name != "text" or self.texts_here else None
            for name in _TEXT_FIELDS
        ]
        feature_columns = [[getattr(f, name) for f in features] for name in _LIST_FIELDS]
        ids = list(self.prints)
        return (
            _unpack,
            (
                article_columns,
                feature_columns,
                _packed([f.signature for f in features]),
                _packed([f.vector for f in features]),
                self.reused,
                self.current,
                ids,
                _packed([self.prints[key] for key in ids]),
                self.topic_groups,
                self.texts_here,
                self.text_keys,
            ),
        )


_TEXT_FIELDS = tuple(story_store.StoryText.__dataclass_fields__)
_LIST_FIELDS = ("article_id", "published", "norm_hash", "minhash_key", "names", "numbers")

# Arrays end to end: (concatenated, offsets) when all are 1-d of one dtype, else the list itself.
_Packed = tuple[np.ndarray, list[int]] | list[np.ndarray]


def _packed(arrays: list[np.ndarray]) -> _Packed:
    if not arrays or any(a.ndim != 1 or a.dtype != arrays[0].dtype for a in arrays):
        return arrays
    offsets = np.cumsum([0, *(len(a) for a in arrays)]).tolist()
    return np.concatenate(arrays), offsets


def _unpacked(packed: _Packed) -> list[np.ndarray]:
    if isinstance(packed, list):
        return packed
    joined, offsets = packed
    return [joined[a:b] for a, b in itertools.pairwise(offsets)]


def _unpack(
    article_columns: list[list[Any] | None],
    feature_columns: list[list[Any]],
    signatures: _Packed,
    vectors: _Packed,
    reused: list[bool],
    current: list[bool],
    print_ids: list[str],
    prints: _Packed,
    topic_groups: list[list[int]] | None,
    texts_here: bool,
    text_keys: list[tuple[int, int]] | None,
) -> PreparedChunk:
    count = len(feature_columns[0])
    filled = [[""] * count if column is None else column for column in article_columns]  # texts left out
    articles = [story_store.StoryText(*row) for row in zip(*filled, strict=True)]
    features = [
        fingerprint_store.StoredFeatures(aid, published, norm_hash, key, signature, vector, names, numbers)
        for (aid, published, norm_hash, key, names, numbers), signature, vector in zip(
            zip(*feature_columns, strict=True), _unpacked(signatures), _unpacked(vectors), strict=True
        )
    ]
    return PreparedChunk(
        articles,
        features,
        reused,
        current,
        dict(zip(print_ids, _unpacked(prints), strict=True)),
        topic_groups,
        texts_here,
        text_keys,
    )


def prepare_chunk(
    db: Database, ids: Sequence[str], fingerprint: Fingerprint, *, prints_made: bool = True
) -> PreparedChunk:
    """Read and fingerprint the chunk's articles (ids the store no longer has are left out); their
    topic groups are ``topic_groups_of`` them, built apart. ``prints_made``: with the shingle prints
    of every text (else none: a near-copy check makes those it needs from the texts)."""
    texts = story_store.story_texts(db, ids)
    articles = [texts[aid] for aid in ids if aid in texts]
    stored = fingerprint_store.get_features(db, ids, lists=False)
    prints: dict[str, np.ndarray] = {}
    features = fingerprint(articles, stored, prints if prints_made else None)
    rows = [stored.get(f.article_id) for f in features]
    reused = [
        row is not None and len(row.vector) > 0 and row.norm_hash == f.norm_hash
        for f, row in zip(features, rows, strict=True)
    ]
    current = [
        was_reused
        and row is not None
        and row.hash_current
        and row.minhash_key == f.minhash_key
        and row.published == f.published
        for f, row, was_reused in zip(features, rows, reused, strict=True)
    ]
    return PreparedChunk(articles, features, reused, current, prints, None)


def prepare_grouped(
    db: Database,
    ids: Sequence[str],
    fingerprint: Fingerprint,
    config: StoryConfig,
    *,
    prints_made: bool = True,
) -> PreparedChunk:
    """``prepare_chunk`` with the chunk's topic groups, as the helper makes them, in this process."""
    chunk = prepare_chunk(db, ids, fingerprint, prints_made=prints_made)
    chunk.topic_groups = topic_groups_of(chunk.features, config)
    return chunk


def topic_groups_of(
    features: Sequence[fingerprint_store.StoredFeatures], config: StoryConfig
) -> list[list[int]] | None:
    """A chunk's groups by kind of event (``batch_topic_groups``), positions in ``features``."""
    if not features:
        return None
    rows = np.stack([f.vector for f in features])
    return batch_topic_groups(rows, np.asarray([day_number(f.published) for f in features]), config)


class _PreparerProcess:
    """What the forked helper received at start: its own read-only connection, the stage's
    fingerprint function and, where it finds the chunks' near copies too, their finder."""

    db: Database | None = None
    fingerprint: Fingerprint | None = None
    copies: CopiesAhead | None = None
    handoffs: HandoffFolder | None = None  # where prepared chunks are left for the placing process
    last: list[fingerprint_store.StoredFeatures] | None = (
        None  # the last chunk's fingerprints, for its groups
    )


def helper_allowed(db: Database) -> bool:
    """Whether chunks may be prepared in a forked helper for this store (a file, and forking allowed)."""
    return db.path is not None and may_fork()


def _start_preparer(
    path: Path, fingerprint: Fingerprint, copies: CopiesAhead | None, handoffs: HandoffFolder | None
) -> None:
    _PreparerProcess.db = Database.open(path, readonly=True)
    _PreparerProcess.fingerprint = fingerprint
    _PreparerProcess.copies = copies
    _PreparerProcess.handoffs = handoffs
    load_libraries()
    settle_worker()


def _prepare_in_helper(k: int, ids: list[str], keep: bool, provisional: bool) -> PreparedChunk | Handoff:
    """Chunk ``k`` prepared, left in a file where the placing process gave a folder (``handoff``);
    ``keep``: its copies will be asked for (what they need stays here); ``provisional``: the chunk
    may be checked against the store's texts (``ChunkPreparer._checked``)."""
    db, fingerprint = _PreparerProcess.db, _PreparerProcess.fingerprint
    if db is None or fingerprint is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("chunk preparer started without its store")
    chunk = prepare_chunk(db, ids, fingerprint)
    _PreparerProcess.last = chunk.features
    copies = _PreparerProcess.copies
    if copies is not None and keep:  # its copies are found here: the prints and texts stay
        copies.keep(
            k,
            [f.article_id for f in chunk.features],
            [a.text for a in chunk.articles],
            signature_rows(chunk.features),
            chunk.prints,
        )
        chunk.prints = {}
        chunk.texts_here = False
        if provisional:  # the helper is forked: its string hashes are the placing process's
            chunk.text_keys = [(len(a.text), hash(a.text)) for a in chunk.articles]
    handoffs = _PreparerProcess.handoffs
    return chunk if handoffs is None else handoffs.put(chunk, f"chunk-{k}.pickle")


def _find_in_helper(k: int, first: FirstChunk | None) -> dict[str, str] | None:
    db, copies = _PreparerProcess.db, _PreparerProcess.copies
    if db is None or copies is None:  # pragma: no cover - sent only to a helper that finds copies
        return None
    return copies.find(db, k, first)


def signature_rows(features: Sequence[fingerprint_store.StoredFeatures]) -> np.ndarray:
    """The features' signatures, one row each (no rows for no features)."""
    if not features:
        return np.zeros((0, 0), dtype=np.uint32)
    return np.stack([f.signature for f in features])


def _groups_in_helper(config: StoryConfig) -> list[list[int]] | None:
    """The topic groups of the chunk ``_prepare_in_helper`` made last (the tasks run in order)."""
    last, _PreparerProcess.last = _PreparerProcess.last, None
    return topic_groups_of(last, config) if last is not None else None


class ChunkPreparer:
    """The chunks in order, each prepared ``ahead`` chunks ahead in a forked helper where that is
    allowed.

    The first chunk is prepared here, its topic groups included (as the helper would make them),
    while the helper starts on the next ones: waiting for the helper's first chunk and then for its
    groups left this process idle for a third of a second at the start of every run. The helper is
    sent its first chunks when the preparer is made. If it dies, the rest is prepared inline.

    A preparer made ``provisional`` starts while the stage before may still rewrite articles
    (``StoryStage.start_early``): every chunk it prepares until ``settle`` is compared with the
    store when taken (a prepared chunk is a function of its articles' texts and stored
    fingerprints, and only the texts can change meanwhile) and prepared again where it differs.

    Given a ``copies`` check, the helper also finds each later chunk's near copies while this
    process places the chunk before (``CopiesAhead``; ``copies_found``): the near-copy check was a
    fifth of the placing process's work on 600-word reports, with the helper idle by then. Once a
    chunk is prepared here instead (rewritten since, or the helper died), the helper's index no
    longer holds what was placed, and the copies are found here again from that chunk on."""

    ahead = 2

    def __init__(
        self,
        db: Database,
        chunks: Sequence[Sequence[str]],
        fingerprint: Fingerprint,
        config: StoryConfig,
        helper: bool,
        provisional: bool = False,
        copies: CopyCheck | None = None,
    ) -> None:
        self.db = db
        self.chunks = [list(ids) for ids in chunks]
        self.fingerprint = fingerprint
        self.config = config
        self._provisional = provisional
        self._unsure: set[int] = set()  # chunks prepared before ``settle``: checked when taken
        self._rewritten: frozenset[str] | None = None  # what the stage before said it rewrote
        self._first: PreparedChunk | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._sent: dict[int, tuple[Future[PreparedChunk | Handoff], Future[list[list[int]] | None]]] = {}
        self._copies: dict[int, Future[dict[str, str] | None]] = {}  # asked of the helper, by chunk
        self._copies_ahead = False  # whether the helper finds the next chunks' copies
        self._handoffs: HandoffFolder | None = None
        path = db.path
        helped = helper and helper_allowed(db)
        # where a helper may run, the first chunk's groups are the helper's, made here; elsewhere
        # every chunk is left to ``assign``, as before
        self._group_first = helped
        if helped and path is not None and len(self.chunks) > 1:
            self._copies_ahead = copies is not None
            finder = CopiesAhead(copies, self.chunks) if copies is not None else None
            with contextlib.suppress(OSError):  # no temporary folder: the chunks come through the pipe
                self._handoffs = HandoffFolder("copydesk-chunks-")
            self._pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_preparer,
                initargs=(path, fingerprint, finder, self._handoffs),
            )
            # finding copies, the chunk ``ahead`` is asked for once the first is taken, after the
            # second's copies (the helper works in order, and placement needs those first)
            for k in range(1, self.ahead + (0 if self._copies_ahead else 1)):
                self._send(k)

    def prepare_first(self) -> None:
        """The first chunk and its groups, here and now (the helper works on the next ones)."""
        if self.chunks and self._group_first:
            self._first = self._grouped_first(self.chunks[0])
            if self._provisional:
                self._unsure.add(0)

    def settle(self, rewritten: Collection[str] | None = None) -> None:
        """From here on the store holds what the stage places: chunks asked for later are taken as
        they come, those asked for before are checked first: against ``rewritten``, the articles the
        stage before says it rewrote meanwhile, where it says, else by reading their texts again."""
        self._provisional = False
        self._rewritten = None if rewritten is None else frozenset(rewritten)

    def __iter__(self) -> Iterator[PreparedChunk]:
        for k, ids in enumerate(self.chunks):
            ahead = self._copies_ahead
            chunk = self._taken(k, ids, send_first=not ahead)
            if ahead:  # the next chunk's copies first, then the chunk after next
                if self._copies_ahead:
                    self._ask_copies(k + 1, chunk if k == 0 else None)
                self._send(k + self.ahead)
            yield chunk

    def _taken(self, k: int, ids: list[str], send_first: bool) -> PreparedChunk:
        """Chunk ``k`` as placement takes it (``send_first``: the chunk ``ahead`` of it asked for
        before this one is waited for)."""
        if k == 0 and self._group_first:
            first, self._first = self._first, None
            return self._checked(0, first) or self._grouped_first(ids)
        if self._pool is not None:
            if send_first:
                self._send(k + self.ahead)
            found = self._checked(k, self._received(k))
            if found is not None:
                return found
        self._stop_copies()  # made here: the helper's index would miss what is placed from now on
        return prepare_chunk(self.db, ids, self.fingerprint)

    def _grouped_first(self, ids: list[str]) -> PreparedChunk:
        """The first chunk, grouped. Where the helper finds the next chunks' copies, without prints:
        the first chunk's own check finds no candidates in a store it fills, or makes the prints of
        those it finds, and the helper makes those of its candidates among the first chunk (hashing
        and sending every text's here cost this process, which places every chunk, 80 ms a
        2,000-article chunk, and the helper has the time)."""
        return prepare_grouped(
            self.db, ids, self.fingerprint, self.config, prints_made=not self._copies_ahead
        )

    def _ask_copies(self, k: int, first: PreparedChunk | None) -> None:
        """Ask the helper for chunk ``k``'s copies (with the first chunk's fingerprints, placed here)."""
        if self._pool is None or k >= len(self.chunks):
            return
        sent: FirstChunk | None = None
        if first is not None:
            sent = ([f.article_id for f in first.features], signature_rows(first.features), first.prints)
        with contextlib.suppress(BrokenProcessPool):  # it died: the copies are found here
            self._copies[k] = self._pool.submit(_find_in_helper, k, sent)

    def copies_found(self, k: int) -> dict[str, str] | None:
        """The near copies the helper found for chunk ``k``'s articles, as ``NearCopyFinder.find``
        finds them over the chunk (by article id), or None: the caller finds them itself."""
        future = self._copies.pop(k, None)
        if future is None:
            return None
        try:
            return future.result()
        except BrokenProcessPool:
            self.close()
            return None

    def _stop_copies(self) -> None:
        self._copies_ahead = False
        self._copies.clear()

    def _checked(self, k: int, chunk: PreparedChunk | None) -> PreparedChunk | None:
        """``chunk`` (chunk ``k``), unless it was prepared before ``settle`` and an article of it
        was rewritten since (as the stage before says, or as its text now reads)."""
        if chunk is None or k not in self._unsure:
            return chunk
        self._unsure.discard(k)
        ids = self.chunks[k]
        if self._rewritten is not None:  # what changed is known: no text read again
            return chunk if self._rewritten.isdisjoint(ids) else None
        texts = story_store.story_texts(self.db, ids)
        now = [texts[aid] for aid in ids if aid in texts]
        if chunk.texts_here:
            return chunk if now == chunk.articles else None
        if chunk.text_keys is None or len(now) != len(chunk.articles):  # nothing to compare with
            return None
        same = all(
            replace(a, text="") == b and (len(a.text), hash(a.text)) == key
            for a, b, key in zip(now, chunk.articles, chunk.text_keys, strict=True)
        )
        return chunk if same else None

    def _send(self, k: int) -> None:
        if self._pool is None or k >= len(self.chunks):
            return
        with contextlib.suppress(BrokenProcessPool):  # it died: this chunk and the rest are made here
            made = self._pool.submit(
                _prepare_in_helper, k, self.chunks[k], self._copies_ahead, self._provisional
            )
            self._sent[k] = made, self._pool.submit(_groups_in_helper, self.config)
            if self._provisional:
                self._unsure.add(k)

    def _received(self, k: int) -> PreparedChunk | None:
        """Chunk ``k`` from the helper, its groups to follow, or None once the helper has died or the
        file it left the chunk in could not be read (then it is prepared here, and the rest too)."""
        sent = self._sent.pop(k, None)
        try:
            if sent is None:
                raise BrokenProcessPool("the chunk preparer died")
            made = sent[0].result()
            chunk = made.take() if isinstance(made, Handoff) else made
            assert isinstance(chunk, PreparedChunk)
        except (BrokenProcessPool, HandoffLost):
            self.close()
            return None
        chunk.later = sent[1]
        return chunk

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._handoffs is not None:  # after the helper: it writes no more there
            self._handoffs.close()
            self._handoffs = None
        self._sent.clear()
        self._stop_copies()

    def __enter__(self) -> ChunkPreparer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
