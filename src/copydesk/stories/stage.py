"""The stories corpus stage: fingerprint new articles, place them in stories, refresh families.

Steps, each persisted so the stage can be rerun alone (it only ever places *unplaced* articles):

1. fingerprints: normalised hash, MinHash signature, feature vector (``story_features``);
2. copies first: an article whose exact or verified near copy is already in a story joins that story;
3. the rest go through ``StoryDesk.assign`` (join or open, never reshuffle) and new stories get topics;
4. copy families and provenance are recomputed for the stories that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from copydesk.fingerprint.lsh import LshIndex, verify_pair
from copydesk.fingerprint.minhash import MinHashConfig, MinHasher
from copydesk.fingerprint.normalise import normalised_hash
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.records import Article
from copydesk.store import articles as article_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.cluster import StoryConfig, StoryDesk, StoryState
from copydesk.stories.features import Lexicon, build_features
from copydesk.stories.provenance import refresh_stories


@dataclass(slots=True)
class StoryStage(CorpusStage):
    """Places every unplaced article of the store in a story (see the module docstring)."""

    name: ClassVar[str] = "stories"
    config: StoryConfig = field(default_factory=StoryConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    batch: int = 2000
    _lexicon: Lexicon | None = None

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = Lexicon.load()
        return self._lexicon

    def fingerprint(self, articles: Sequence[Article]) -> list[story_store.StoredFeatures]:
        """Hash, sign and vectorise a batch of articles."""
        hasher = MinHasher(self.minhash)
        signatures = hasher.signatures([a.text for a in articles])
        out = []
        for article, signature in zip(articles, signatures, strict=True):
            features = build_features(article.title, article.text, self.lexicon, self.config.weights)
            out.append(
                story_store.StoredFeatures(
                    article_id=article.id,
                    published=article.published,
                    norm_hash=normalised_hash(article.text),
                    minhash_key=self.minhash.key,
                    signature=signature,
                    vector=features.combined,
                    names=features.names[:40],
                    numbers=features.numbers[:40],
                )
            )
        return out

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        report = CorpusStageReport(self.name)
        pending = story_store.unplaced_article_ids(db)
        if not pending:
            return report
        desk = load_desk(db, self.config)
        lsh = load_lsh(db, self.minhash)
        known = dict(enumerate(lsh_owner_ids(db, self.minhash)))
        touched: set[str] = set()
        for start in range(0, len(pending), self.batch):
            chunk = pending[start : start + self.batch]
            articles = list(article_store.iter_articles(db, ids=chunk))
            order = {aid: i for i, aid in enumerate(chunk)}
            articles.sort(key=lambda a: order[a.id])
            features = self.fingerprint(articles)
            story_store.put_features(db, features)
            placed = self._copies_first(db, desk, articles, features, lsh, known)
            rest = [i for i in range(len(articles)) if articles[i].id not in placed]
            assignments = desk.assign(
                [articles[i].id for i in rest],
                np.stack([features[i].vector for i in rest]) if rest else np.zeros((0, 1), np.float32),
                [articles[i].published for i in rest],
            )
            members = [(a, s, sim) for a, (s, sim) in placed.items()]
            members += [(x.article_id, x.story_id, x.similarity) for x in assignments]
            touched.update(s for _, s, _ in members)
            save_desk(db, desk, {s for _, s, _ in members})
            story_store.put_members(db, members)
            new_rows = np.arange(len(known), len(known) + len(features))
            lsh.add(new_rows, np.stack([f.signature for f in features]))
            for row, f in zip(new_rows.tolist(), features, strict=True):
                known[row] = f.article_id
            report.changed += len(articles)
        desk.link_topics([s for s in touched if s in desk.stories])
        save_desk(db, desk, touched)
        merges = [(e.story_id, e.other_id or "") for e in desk.log if e.kind == "merge"]
        story_store.mark_merged(db, merges)
        story_store.put_log(db, [(e.kind, e.story_id, e.other_id, e.article_id, e.detail) for e in desk.log])
        live = sorted({desk.merged_into.get(s, s) for s in touched} & set(desk.stories))
        refresh_stories(db, live, self.lexicon, self.minhash)
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
        articles: Sequence[Article],
        features: Sequence[story_store.StoredFeatures],
        lsh: LshIndex,
        known: dict[int, str],
    ) -> dict[str, tuple[str, float]]:
        """Articles whose exact or near copy already sits in a story join that story directly."""
        by_hash = story_store.articles_with_hash(db, [f.norm_hash for f in features])
        placed: dict[str, tuple[str, float]] = {}
        for article, feat in zip(articles, features, strict=True):
            twin = by_hash.get(feat.norm_hash)
            if twin is None and len(known):
                twin = self._near_copy(db, article, feat, lsh, known)
            if twin is None:
                continue
            story_id = _story_of(db, twin, desk)
            if story_id is None:
                continue
            story = desk.stories[story_id]
            desk.join(story, feat.vector, article.published)
            placed[article.id] = (story_id, 1.0)
        return placed

    def _near_copy(
        self,
        db: Database,
        article: Article,
        feat: story_store.StoredFeatures,
        lsh: LshIndex,
        known: dict[int, str],
    ) -> str | None:
        candidates = [known[row] for row in lsh.query(feat.signature) if row in known]
        if not candidates:
            return None
        stored = story_store.get_features(db, candidates[:20])
        texts = {a.id: a.text for a in article_store.iter_articles(db, ids=list(stored))}
        for aid, other in stored.items():
            if aid not in texts:
                continue
            evidence = verify_pair(
                article.text, texts[aid], feat.signature, other.signature, self.minhash, passages=False
            )
            if max(evidence.jaccard, evidence.containment) >= self.config.near_copy_threshold:
                return aid
        return None


def _story_of(db: Database, article_id: str, desk: StoryDesk) -> str | None:
    rows = db.query("SELECT story_id FROM story_members WHERE article_id = ?", (article_id,))
    if not rows:
        return None
    story_id = str(rows[0][0])
    while story_id in desk.merged_into:
        story_id = desk.merged_into[story_id]
    return story_id if story_id in desk.stories else None


def load_desk(db: Database, config: StoryConfig) -> StoryDesk:
    desk = StoryDesk(config)
    for stored in story_store.load_stories(db):
        desk.add_story(
            StoryState(stored.id, stored.topic_id, 0, stored.size, stored.first_seen, stored.last_seen),
            stored.vector_sum,
        )
    return desk


def save_desk(db: Database, desk: StoryDesk, touched: set[str]) -> None:
    ids = {desk.merged_into.get(s, s) for s in touched} | {e.other_id for e in desk.log if e.other_id}
    rows = [
        story_store.StoredStory(s.id, s.topic_id, s.first, s.last, s.size, desk.total(s.id))
        for sid in sorted(i for i in ids if i in desk.stories)
        for s in [desk.stories[sid]]
    ]
    story_store.save_story_states(db, rows)


def lsh_owner_ids(db: Database, config: MinHashConfig) -> list[str]:
    return [aid for ids, _ in story_store.iter_signatures(db, config.key) for aid in ids]


def load_lsh(db: Database, config: MinHashConfig) -> LshIndex:
    """The LSH index over every stored signature, rows numbered in ``lsh_owner_ids`` order."""
    index = LshIndex(config)
    row = 0
    for ids, signatures in story_store.iter_signatures(db, config.key):
        index.add(np.arange(row, row + len(ids)), signatures)
        row += len(ids)
    return index
