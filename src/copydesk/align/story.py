"""A story's corroboration: its sources' names merged, figures and quotes grouped, rewrites aligned.

Input is a story as a list of articles with their copy relation when the story stage knows it; output is
a ``StoryFacts`` value that the store keeps and the CLI, web page and exports read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from copydesk.align.figures import group_figures
from copydesk.align.quotes import group_quotes
from copydesk.align.sentences import Matrix, RewriteAlignment, SentenceIncidence, align_rewrite, stem_set
from copydesk.facts.extract import ArticleFacts
from copydesk.facts.names import dateline_places, name_key
from copydesk.facts.variants import merge_entities
from copydesk.records import Article, Entity, FactGroup, Figure, Quote

REWRITE_RELATIONS = frozenset({"rewrite", "near-copy", "translation-like"})
SIBLING_MIN = 0.2  # mean sentence similarity below which two articles are not versions of one text
SIBLING_SHORTLIST = 12  # siblings of a rewrite compared sentence by sentence in a large story
# Multiply-adds the rewrites' whole-article overlaps may take (see ``_within_work``).
SHORTLIST_WORK = 2_000_000_000
_OVERLAP_CHUNK = 256  # rewrites whose whole-article overlaps with every member are held at once


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """One member of a story; ``relation`` is its copy relation when the story stage has decided it."""

    article: Article
    relation: str | None = None
    copy_family: str | None = None


@dataclass(slots=True)
class StoryFacts:
    story_id: str
    entities: list[Entity] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    groups: list[FactGroup] = field(default_factory=list)
    figure_groups: dict[str, str] = field(default_factory=dict)
    quote_groups: dict[str, str] = field(default_factory=dict)
    rewrites: list[RewriteAlignment] = field(default_factory=list)

    def group(self, group_id: str) -> FactGroup:
        return next(g for g in self.groups if g.id == group_id)


def _rewrites(members: Sequence[StoryArticle], facts: dict[str, ArticleFacts]) -> list[RewriteAlignment]:
    """Each rewrite (every non-exact member when relations are unknown) against its closest sibling.

    Closeness is the mean, over the rewrite's sentences, of the best Dice similarity to a sentence of
    the sibling. In a large story only the ``SIBLING_SHORTLIST`` siblings that share most stems with the
    rewrite as a whole are scored sentence by sentence, so the work grows with the story, not its square.
    """
    ids = [m.article.id for m in members]
    counts = np.array([len(facts[a].sentences) for a in ids], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    known = any(m.relation for m in members)
    todo = [
        k for k, m in enumerate(members) if (not known or m.relation in REWRITE_RELATIONS) and counts[k] > 0
    ]
    if not todo:
        return []
    sentences = SentenceIncidence([stem_set(s.text) for a in ids for s in facts[a].sentences])
    hashes: dict[str, int] = {}
    hash_of = np.array([hashes.setdefault(m.article.content_hash, len(hashes)) for m in members])
    shortlist = len(members) > SIBLING_SHORTLIST + 1
    articles = _within_work(_article_rows(sentences, starts), todo) if shortlist else None
    out: list[RewriteAlignment] = []
    for c0 in range(0, len(todo), _OVERLAP_CHUNK):
        chunk = todo[c0 : c0 + _OVERLAP_CHUNK]
        overlap = articles.dice(np.array(chunk), slice(0, articles.size)) if articles is not None else None
        for t, k in enumerate(chunk):
            candidates = np.flatnonzero((counts > 0) & (hash_of != hash_of[k]))
            candidates = candidates[candidates != k]
            if overlap is not None and len(candidates) > SIBLING_SHORTLIST:
                nearest = np.argsort(-overlap[t][candidates], kind="stable")[:SIBLING_SHORTLIST]
                candidates = candidates[nearest]
            if len(candidates):
                found = _closest(sentences, starts, k, candidates.tolist(), ids)
                if found is not None:
                    sibling, sims = found
                    out.append(
                        align_rewrite(
                            ids[k],
                            [s.text for s in facts[ids[k]].sentences],
                            ids[sibling],
                            [s.text for s in facts[ids[sibling]].sentences],
                            sims,
                        )
                    )
    return out


def _closest(
    sentences: SentenceIncidence, starts: Any, k: int, candidates: list[int], ids: Sequence[str]
) -> tuple[int, Matrix] | None:
    """The candidate whose sentences are closest to article ``k``'s, with their similarities (None
    below ``SIBLING_MIN``); ties go to the larger article id."""
    columns = np.concatenate([np.arange(starts[c], starts[c + 1]) for c in candidates])
    sims = sentences.dice(slice(int(starts[k]), int(starts[k + 1])), columns)
    scored = []
    offset = 0
    for c in candidates:
        width = int(starts[c + 1] - starts[c])
        block = sims[:, offset : offset + width]
        scored.append((float(block.max(axis=1).mean()), ids[c], c, offset, width))
        offset += width
    score, _, best, offset, width = max(scored)
    return (best, sims[:, offset : offset + width]) if score >= SIBLING_MIN else None


def _article_rows(sentences: SentenceIncidence, starts: Any) -> SentenceIncidence:
    """Whole articles' stem sets as rows (for the sibling shortlist)."""
    counts = np.diff(starts)
    owner = np.repeat(np.arange(len(counts)), counts)
    membership = sparse.csr_matrix(
        (np.ones(sentences.size, dtype=np.float32), (owner, np.arange(sentences.size))),
        shape=(len(counts), sentences.size),
    )
    return SentenceIncidence.from_rows((membership @ sentences.rows) > 0)


def _within_work(articles: SentenceIncidence, todo: list[int]) -> SentenceIncidence:
    """``articles`` without the stems most of the story shares, as many as it takes to keep the
    rewrites' whole-article overlaps (one sparse product) under ``SHORTLIST_WORK`` multiply-adds: a
    stem that every one of 30,000 reprints has costs 30,000 for each rewrite and tells no sibling
    from another (the shortlist of a story of 30,000 reprints took 200 s, growing with the square
    of the story). Stories below the bound keep every stem."""
    rows = articles.rows
    work = np.bincount(rows.indices, minlength=rows.shape[1]).astype(np.int64)
    work *= np.bincount(rows[todo].indices, minlength=rows.shape[1])
    total = int(work.sum())
    if total <= SHORTLIST_WORK:
        return articles
    costly = np.argsort(-work, kind="stable")
    left = total - np.cumsum(work[costly])
    dropped = costly[: int(np.argmax(left <= SHORTLIST_WORK)) + 1]
    kept = np.ones(rows.shape[1], dtype=bool)
    kept[dropped] = False
    return SentenceIncidence.from_rows(rows[:, kept])


def align_story(story_id: str, members: Sequence[StoryArticle], facts: dict[str, ArticleFacts]) -> StoryFacts:
    """Merge names, group figures and quotes, and align rewrites for one story."""
    ids = [m.article.id for m in members]
    places = frozenset().union(*(dateline_places(m.article.dateline) for m in members))
    entities, key_to_entity = merge_entities(
        story_id, {a: facts[a].mentions for a in ids}, {a: facts[a].sentences for a in ids}, places
    )
    by_id = {e.id: e for e in entities}

    def canonical(name: str | None) -> str | None:
        if not name:
            return None
        entity_id = key_to_entity.get(name_key(name))
        return by_id[entity_id].canonical if entity_id else name

    quotes = [dataclasses.replace(q, speaker=canonical(q.speaker)) for a in ids for q in facts[a].quotes]
    figures = [f for a in ids for f in facts[a].figures]
    figure_groups, figure_map = group_figures(story_id, figures)
    quote_groups, quote_map = group_quotes(story_id, quotes, canonical)
    return StoryFacts(
        story_id=story_id,
        entities=entities,
        figures=figures,
        quotes=quotes,
        groups=[*figure_groups, *quote_groups],
        figure_groups=figure_map,
        quote_groups=quote_map,
        rewrites=_rewrites(members, facts),
    )
