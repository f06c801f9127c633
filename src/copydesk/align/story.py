"""A story's corroboration: its sources' names merged, figures and quotes grouped, rewrites aligned.

Input is a story as a list of articles with their copy relation when the story stage knows it; output is
a ``StoryFacts`` value that the store keeps and the CLI, web page and exports read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from copydesk.align.groups import group_figures, group_quotes
from copydesk.align.sentences import RewriteAlignment, align_rewrite, dice_matrix, stem_set
from copydesk.facts.extract import ArticleFacts
from copydesk.facts.variants import merge_entities, name_key
from copydesk.records import Article, Entity, FactGroup, Figure, Quote

REWRITE_RELATIONS = frozenset({"rewrite", "near-copy", "translation-like"})
SIBLING_MIN = 0.2  # mean sentence similarity below which two articles are not versions of one text


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
    the sibling; all sentence pairs of the story are scored at once.
    """
    ids = [m.article.id for m in members]
    stems = [stem_set(s.text) for a in ids for s in facts[a].sentences]
    bounds: dict[str, tuple[int, int]] = {}
    pos = 0
    for a in ids:
        bounds[a] = (pos, pos + len(facts[a].sentences))
        pos += len(facts[a].sentences)
    sims = dice_matrix(stems)
    known = any(m.relation for m in members)
    out: list[RewriteAlignment] = []
    for member in members:
        if known and member.relation not in REWRITE_RELATIONS:
            continue
        aid = member.article.id
        a0, a1 = bounds[aid]
        if a1 == a0:
            continue
        siblings = []
        for other in members:
            b0, b1 = bounds[other.article.id]
            if (
                other.article.id == aid
                or other.article.content_hash == member.article.content_hash
                or b1 == b0
            ):
                continue
            siblings.append((float(sims[a0:a1, b0:b1].max(axis=1).mean()), other.article.id))
        if not siblings:
            continue
        score, sibling = max(siblings)
        if score < SIBLING_MIN:
            continue
        b0, b1 = bounds[sibling]
        out.append(
            align_rewrite(
                aid,
                [s.text for s in facts[aid].sentences],
                sibling,
                [s.text for s in facts[sibling].sentences],
                sims[a0:a1, b0:b1],
            )
        )
    return out


def align_story(story_id: str, members: Sequence[StoryArticle], facts: dict[str, ArticleFacts]) -> StoryFacts:
    """Merge names, group figures and quotes, and align rewrites for one story."""
    ids = [m.article.id for m in members]
    entities, key_to_entity = merge_entities(
        story_id, {a: facts[a].mentions for a in ids}, {a: facts[a].sentences for a in ids}
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
