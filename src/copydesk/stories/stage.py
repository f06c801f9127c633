"""The stories corpus stage: fingerprint new articles, place them in stories, refresh families.

Steps, each persisted so the stage can be rerun alone (it only ever places *unplaced* articles):

1. fingerprints: normalised hash, MinHash signature, feature vector (``story_features``); the vector is
   usually computed at ingest, in the worker processes (``StoryPrintStage``), and only signed here,
   chunks ahead of placement (``copydesk.stories.chunk_prep``);
2. copies first: an article whose exact or verified near copy is already in a story joins that story
   (the near copies of later chunks found a chunk ahead by the chunk preparer's helper);
3. the rest go through ``StoryDesk.assign`` (join or open, never reshuffle) and new stories get topics;
4. copy families and provenance are recomputed for the stories that changed; those a chunk no longer
   touches are started on in a worker while later chunks are placed (``FamilyRefresh``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from copydesk.fingerprint.lsh import split_prints
from copydesk.fingerprint.minhash import MinHashConfig, MinHasher
from copydesk.fingerprint.normalise import normalised_hash
from copydesk.pipeline import ArticleStage, CorpusStage, CorpusStageReport
from copydesk.records import Article, StoryPrints
from copydesk.run.collection import batch_collection, prompt_handoffs
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.store.vectors import pack_vector
from copydesk.stories.chunk_prep import ChunkPreparer, PreparedChunk, helper_allowed, signature_rows
from copydesk.stories.cluster import StoryConfig, StoryDesk, StoryState
from copydesk.stories.families import COMPARED_MEMBERS
from copydesk.stories.family_refresh import FamilyRefresh
from copydesk.stories.features import FeatureWeights, Lexicon, build_features
from copydesk.stories.grouping import load_libraries
from copydesk.stories.near_copies import RECENT_SIGNATURES, CopyCheck, NearCopyFinder, load_lsh_and_owners
from copydesk.stories.provenance import Titled

# Unplaced articles from which a run prepares its chunks (and their topic groups) in a helper process
# (a fork costs ~40 ms).
MIN_TOPIC_HELPER_BATCH = 500


class _Text(Titled, Protocol):
    """What fingerprinting reads of an article (an ``Article`` or a ``story_store.StoryText``): what a
    title is chosen from, and the date."""

    @property
    def published(self) -> datetime | None: ...


@dataclass(slots=True)
class StoryPrintStage(ArticleStage):
    """Per article, in the worker processes: the story vector, names and figures, the normalised
    hash and the MinHash signature (``Article.story_prints``), so the single-process stories stage
    only places them (signing there meant rewriting every stored row: 2,000 rows cost its placing
    process 50-90 ms a chunk, more than the workers spend signing them).

    Its weights and MinHash configuration must be the stories stage's: ``StoryStage.print_stage()``
    builds it so (a stage of another configuration signs again)."""

    name: ClassVar[str] = "story-prints"
    weights: FeatureWeights = field(default_factory=FeatureWeights)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    _lexicon: Lexicon | None = None
    _hasher: MinHasher | None = None

    def __getstate__(self) -> dict[str, Any]:
        # each worker loads its own lexicon instead of unpickling one
        return {"weights": self.weights, "minhash": self.minhash}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.weights, self.minhash = state["weights"], state["minhash"]
        self._lexicon, self._hasher = None, None

    def warm_up(self) -> None:
        if self._lexicon is None:
            self._lexicon = Lexicon.load()

    def process(self, article: Article) -> Article:
        if self._lexicon is None:
            self._lexicon = Lexicon.load()
        if self._hasher is None:
            self._hasher = MinHasher(self.minhash)
        features = build_features(article.title, article.text, self._lexicon, self.weights, article.published)
        article.story_prints = StoryPrints(
            normalised_hash(article.text),
            pack_vector(features.combined),
            tuple(features.names[:40]),
            tuple(features.numbers[:40]),
            self.minhash.key,
            self._hasher.signature_bytes(article.text),
        )
        return article


@dataclass(slots=True)
class StoryStage(CorpusStage):
    """Places every unplaced article of the store in a story (see the module docstring)."""

    name: ClassVar[str] = "stories"
    slow_to_start: ClassVar[bool] = True  # the lexicon, 0.1 s on one core (scipy too, without the kernels)
    config: StoryConfig = field(default_factory=StoryConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    batch: int = 2000
    blas_threads: int = 1
    workers: int = 1  # processes for copy families (they are worked out story by story)
    _lexicon: Lexicon | None = None
    # the chunk preparer ``start_early`` started, and the unplaced articles it was made for
    _early: tuple[list[str], ChunkPreparer] | None = None
    _rewritten_before: list[str] | None = None  # what the stage before said it rewrote

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = Lexicon.load()
        return self._lexicon

    def warm_up(self) -> None:
        """The lexicon and what the groupings import; helpers forked after this inherit both."""
        self.lexicon  # noqa: B018 - loads it
        load_libraries()

    def start_early(self, db: Database) -> None:
        """The chunks' preparation started while the recurring pass still runs (the first chunk
        here, read, fingerprinted and grouped by topic; the next ones in the forked helper): this
        process and the other core sat idle for most of that pass, and the helper then only began
        once the first chunk was done. ``run`` keeps each chunk only if none of its articles
        changed since (``ChunkPreparer``, made provisional)."""
        self.drop_early()
        pending = story_store.unplaced_article_ids(db)
        if not self._helped(db, pending):
            return
        with threadpool_limits(self.blas_threads, user_api="blas"), batch_collection(), prompt_handoffs():
            preparer = ChunkPreparer(
                db,
                self._chunks(pending),
                self.fingerprint,
                self.config,
                helper=True,
                provisional=True,
                copies=self._copies_ahead(db),
            )
            self._early = (pending, preparer)
            preparer.prepare_first()

    def stage_before_done(self, report: CorpusStageReport) -> None:
        """The articles the stage before rewrote, where it says: the early chunks are checked
        against them (``ChunkPreparer.settle``)."""
        self._rewritten_before = report.rewritten

    def drop_early(self) -> None:
        early, self._early = self._early, None
        self._rewritten_before = None
        if early is not None:
            early[1].close()

    def _chunks(self, pending: Sequence[str]) -> list[Sequence[str]]:
        return [pending[start : start + self.batch] for start in range(0, len(pending), self.batch)]

    def _helped(self, db: Database, pending: Sequence[str]) -> bool:
        """Whether chunks are prepared by a forked helper (the first one in this process)."""
        return self.workers > 1 and len(pending) >= MIN_TOPIC_HELPER_BATCH and helper_allowed(db)

    def _copies_ahead(self, db: Database) -> CopyCheck | None:
        """What a chunk preparer's helper finds near copies with, where it may: while every stored
        fingerprint, the run's included, fits the signatures a finder keeps in memory (a second
        index of a large store would cost the helper its memory, and it would read back from the
        store signatures this process may not have written yet)."""
        if fingerprint_store.features_bound(db) > RECENT_SIGNATURES:
            return None
        return CopyCheck(self.minhash, self.config.near_copy_threshold)

    def print_stage(self) -> StoryPrintStage:
        """The per-article stage that computes this stage's feature vectors at ingest."""
        return StoryPrintStage(self.config.weights, self.minhash)

    def fingerprint(
        self,
        articles: Sequence[_Text],
        stored: dict[str, fingerprint_store.StoredFeatures] | None = None,
        prints: dict[str, np.ndarray] | None = None,
    ) -> list[fingerprint_store.StoredFeatures]:
        """Hash, sign and vectorise a batch of articles (signatures in one pass: ``MinHasher.sign_shingles``).

        ``stored`` fingerprints (from ingest, or an interrupted run) are reused while their normalised
        hash still matches the text (a later cleaning pass may have changed it; a row marked current
        is taken at its word, as the store clears the mark where a text is rewritten): the vector
        always, the signature when it was made with this MinHash configuration. ``prints`` receives the
        shingle prints of the texts signed here (``lsh.split_prints``), for the near-copy check."""
        stored = stored or {}
        rows = [stored.get(a.id) for a in articles]
        # a row whose hash is current (no later pass rewrote the text: migration 0012) is not hashed again
        hashes = [
            row.norm_hash if row is not None and row.hash_current else normalised_hash(a.text)
            for a, row in zip(articles, rows, strict=True)
        ]
        usable = [
            row if row is not None and row.norm_hash == hashes[i] else None for i, row in enumerate(rows)
        ]
        unsigned = [i for i, row in enumerate(usable) if row is None or row.minhash_key != self.minhash.key]
        hasher = MinHasher(self.minhash)
        # the shingles of every text where prints are asked for (most articles signed at ingest have
        # near-copy candidates to check, and hashing them here keeps that off the placing process)
        hashed = list(range(len(articles))) if prints is not None else unsigned
        shingles, offsets = hasher.shingle_hashes([articles[i].text for i in hashed])
        if prints is not None:
            made = split_prints(shingles, offsets)
            prints.update((articles[i].id, found) for i, found in zip(hashed, made, strict=True))
        if len(unsigned) < len(hashed):  # every text hashed: a text's position is its index
            shingles, offsets = _rows_of(shingles, offsets, unsigned)
        signature_of = dict(zip(unsigned, hasher.sign_shingles(shingles, offsets), strict=True))
        out = []
        for i, article in enumerate(articles):
            row = usable[i]
            signature = signature_of[i] if row is None or i in signature_of else row.signature
            if row is not None and len(row.vector):
                vector, names, numbers = row.vector, row.names, row.numbers
            else:
                features = build_features(
                    article.title, article.text, self.lexicon, self.config.weights, article.published
                )
                vector, names, numbers = features.combined, features.names[:40], features.numbers[:40]
            out.append(
                fingerprint_store.StoredFeatures(
                    article_id=article.id,
                    published=article.published,
                    norm_hash=hashes[i],
                    minhash_key=self.minhash.key,
                    signature=signature,
                    vector=vector,
                    names=names,
                    numbers=numbers,
                )
            )
        return out

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        # One BLAS thread: the stage's matrix products are small (a batch against itself), and on
        # 2 cores OpenBLAS's spinning threads cost more CPU than they save (10.5 -> 8.5 s on 4,000).
        with threadpool_limits(self.blas_threads, user_api="blas"), batch_collection(), prompt_handoffs():
            return self._run(db)

    def _run(self, db: Database) -> CorpusStageReport:
        report = CorpusStageReport(self.name)
        pending = story_store.unplaced_article_ids(db)
        early, self._early = self._early, None
        rewritten, self._rewritten_before = self._rewritten_before, None
        if early is not None and early[0] != pending:  # made for other articles: of no use
            early[1].close()
            early = None
        if not pending:
            return report
        # The preparer is forked first (by ``start_early`` where it ran for these articles), so it
        # reads and signs the next chunks while this process prepares the first and loads the desk.
        if early is not None:
            preparer = early[1]
            preparer.settle(rewritten)
        else:
            preparer = ChunkPreparer(
                db,
                self._chunks(pending),
                self.fingerprint,
                self.config,
                helper=self._helped(db, pending),
                copies=self._copies_ahead(db),
            )
        try:
            desk = load_desk(db, self.config)
            copies = NearCopyFinder(
                self.minhash,
                self.config.near_copy_threshold,
                *load_lsh_and_owners(db, self.minhash, frozenset(pending)),
                len(pending),
            )
        except BaseException:
            preparer.close()
            raise
        touched: set[str] = set()
        last_touched: set[str] = set()
        saved: dict[str, _SavedState] = {}
        with preparer, FamilyRefresh(db, self.lexicon, self.minhash, self.workers) as families:
            for k, chunk in enumerate(preparer):
                articles, features = chunk.articles, chunk.features
                copies.remember(chunk.prints)
                reused = chunk.reused
                fingerprint_store.sign_features(
                    db, [f for f, r, c in zip(features, reused, chunk.current, strict=True) if r and not c]
                )
                fingerprint_store.put_features(
                    db, [f for f, r in zip(features, reused, strict=True) if not r]
                )
                placed = self._copies_first(db, desk, chunk, copies, preparer.copies_found(k))
                rest = [i for i in range(len(articles)) if articles[i].id not in placed]
                assignments = desk.assign(
                    [articles[i].id for i in rest],
                    np.stack([features[i].vector for i in rest]) if rest else np.zeros((0, 1), np.float32),
                    [articles[i].published for i in rest],
                    topic_groups=None if (groups := chunk.groups()) is None else _within(groups, rest),
                )
                # The chunk's new stories get their topics now, chunk by chunk in input order, so a
                # later chunk's groups can join the topics of earlier ones (the desk keeps each
                # chunk's groups apart however it is called).
                desk.link_topics([x.story_id for x in assignments if x.opened])
                members = [(a, s, sim) for a, (s, sim) in placed.items()]
                members += [(x.article_id, x.story_id, x.similarity) for x in assignments]
                now_touched = {s for _, s, _ in members}
                touched.update(now_touched)
                save_desk(db, desk, {s for _, s, _ in members}, saved)
                story_store.put_members(db, members)
                # indexed before the next near-copy check made here
                copies.add_later([f.article_id for f in features], signature_rows(features))
                report.changed += len(articles)
                # Stories the last chunk touched and this one did not are likely complete (input in
                # date order): their families are worked out now, on the core placement leaves idle.
                families.settle(sorted(s for s in last_touched - now_touched if s in desk.stories))
                # and the stories big enough to have first members that later ones will not change
                big = [
                    s for s in now_touched if s in desk.stories and desk.stories[s].size >= COMPARED_MEMBERS
                ]
                families.start_heads(sorted(big))
                last_touched = now_touched
            preparer.close()
            # stories still without a topic (stored by an interrupted run), in a fixed order
            desk.link_topics(sorted(s for s in touched if s in desk.stories))
            save_desk(db, desk, touched, saved)
            merges = [(e.story_id, e.other_id or "") for e in desk.log if e.kind == "merge"]
            story_store.mark_merged(db, merges)
            story_store.put_log(
                db, [(e.kind, e.story_id, e.other_id, e.article_id, e.detail) for e in desk.log]
            )
            live = sorted({desk.merged_into.get(s, s) for s in touched} & set(desk.stories))
            families.finish(live)
        opened = sum(1 for e in desk.log if e.kind == "open")
        report.notes.append(
            f"{report.changed} articles placed: {opened} new stories, {len(merges)} merges, "
            f"{len(live)} stories updated"
        )
        return report

    def _copies_first(
        self,
        db: Database,
        desk: StoryDesk,
        chunk: PreparedChunk,
        copies: NearCopyFinder,
        found_ahead: dict[str, str] | None = None,
    ) -> dict[str, tuple[str, float]]:
        """Articles whose exact or near copy already sits in a story join that story directly
        (``found_ahead``: the chunk's near copies, found by the chunk preparer's helper)."""
        articles, features = chunk.articles, chunk.features
        by_hash = story_store.articles_with_hash(db, [f.norm_hash for f in features])
        twins = {i: by_hash[f.norm_hash] for i, f in enumerate(features) if f.norm_hash in by_hash}
        rest = [i for i in range(len(articles)) if i not in twins]
        if rest and found_ahead is not None:
            twins.update((i, found_ahead[articles[i].id]) for i in rest if articles[i].id in found_ahead)
        elif rest:
            ids = [articles[i].id for i in rest]
            if chunk.texts_here:
                texts = [articles[i].text for i in rest]
            else:  # the helper kept them, and then could not find the copies: read here
                stored = story_store.story_texts(db, ids)
                texts = [stored[aid].text if aid in stored else "" for aid in ids]
            found = copies.find(db, ids, texts, np.stack([features[i].signature for i in rest]))
            twins.update((rest[k], aid) for k, aid in found.items())
        stories = story_store.story_ids_of(db, sorted(set(twins.values())))
        placed: dict[str, tuple[str, float]] = {}
        for i in sorted(twins):
            story_id = stories.get(twins[i])
            while story_id in desk.merged_into:
                story_id = desk.merged_into[story_id]
            if story_id is None or story_id not in desk.stories:
                continue
            desk.join(desk.stories[story_id], features[i].vector, articles[i].published)
            placed[articles[i].id] = (story_id, 1.0)
        return placed


def _rows_of(shingles: np.ndarray, offsets: np.ndarray, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The shingles of some texts (by position) out of ``shingle_hashes``' output, in its form."""
    ends = np.r_[offsets[1:], len(shingles)].astype(np.int64)
    parts = [shingles[offsets[k] : ends[k]] for k in rows]
    sizes = np.fromiter((len(part) for part in parts), dtype=np.int64, count=len(parts))
    joined = np.concatenate(parts) if parts else shingles[:0]
    return joined, np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64) if len(parts) else sizes


def _within(groups: list[list[int]], rest: Sequence[int]) -> list[list[int]]:
    """Topic groups of a whole chunk, in the positions of its articles that ``assign`` receives."""
    position = {row: k for k, row in enumerate(rest)}
    return [kept for group in groups if (kept := [position[i] for i in group if i in position])]


def load_desk(db: Database, config: StoryConfig) -> StoryDesk:
    desk = StoryDesk(config)
    for stored in story_store.load_stories(db):
        desk.add_story(
            StoryState(stored.id, stored.topic_id, 0, stored.size, stored.first_seen, stored.last_seen),
            stored.vector_sum,
        )
    return desk


# What a story's stored row was written from: its sum changes only with its size.
_SavedState = tuple[str, datetime | None, datetime | None, int]


def save_desk(db: Database, desk: StoryDesk, touched: set[str], saved: dict[str, _SavedState]) -> None:
    """Store the states of the touched stories (and of those merges kept); ``saved``: the state each
    story was last stored in by this caller (updated here), so a row that has not changed since is
    not written again (the end of a run rewrote every story of the run, 4 KB a row)."""
    ids = {desk.merged_into.get(s, s) for s in touched} | {e.other_id for e in desk.log if e.other_id}
    rows = []
    for sid in sorted(i for i in ids if i in desk.stories):
        story = desk.stories[sid]
        state = (story.topic_id, story.first, story.last, story.size)
        if saved.get(sid) == state:
            continue
        saved[sid] = state
        rows.append(story_store.StoredStory(sid, *state, desk.total(sid)))
    if rows:
        story_store.save_story_states(db, rows)
