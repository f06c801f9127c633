"""A story's corroboration shaped for its page and the facts API: figure groups with each source's value,
quote groups with wording drift marked, and names with their variants.

Input is ``copydesk.align.story.StoryFacts`` as the facts stage stored it; nothing here recomputes facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copydesk.records import Figure
from copydesk.web.render import Runs, word_diff

if TYPE_CHECKING:
    from copydesk.align.story import StoryFacts

STATUS_ORDER = {"conflict": 0, "drift": 1, "agree": 2, "related": 3, "single-source": 4}
# A group with more sources than this (a wire story reprinted everywhere) shows one row per distinct
# value or wording, each with its first ``SOURCES_LISTED`` sources and how many more: a 2,000-source
# story's page was 10 MB with a row per source.
LARGE_GROUP = 12
SOURCES_LISTED = 12


@dataclass(slots=True)
class FactRow:
    """One source's figure or quote inside a group."""

    article_id: str
    site: str
    text: str
    sentence: str
    detail: str = ""
    runs: Runs = field(default_factory=list)  # quote wording with drift marked against the group's first
    others: list[tuple[str, str]] = field(default_factory=list)  # (article id, site) saying the same
    more: int = 0  # further sources saying the same, not listed


@dataclass(slots=True)
class GroupView:
    id: str
    kind: str
    status: str
    about: str
    rows: list[FactRow]
    related: list[str]
    drift: list[str]
    sources: int  # the group's sources (a large group has fewer rows)


class _Rows:
    """A group's rows as its members are read: a row a source, or, in a group of more than
    ``LARGE_GROUP`` sources, a row per distinct value and detail (figures) or wording and speaker
    (quotes) in order of first use, its other sources listed up to ``SOURCES_LISTED`` in all. The
    rows of a large group are made for first uses only (a wire story's 10,000 sources)."""

    def __init__(self, sources: int) -> None:
        self.large = sources > LARGE_GROUP
        self.rows: list[FactRow] = []
        self._first: dict[tuple[str, str], FactRow] = {}

    def another_source(self, text: str, detail: str, article_id: str, site: str) -> bool:
        """Whether a row already says ``text`` with ``detail`` (this source then counted with it)."""
        first = self._first.get((text, detail)) if self.large else None
        if first is None:
            return False
        if len(first.others) < SOURCES_LISTED - 1:
            first.others.append((article_id, site))
        else:
            first.more += 1
        return True

    def add(self, row: FactRow) -> None:
        self.rows.append(row)
        if self.large:
            self._first[(row.text, row.detail)] = row


@dataclass(slots=True)
class FactsView:
    figures: list[GroupView]
    quotes: list[GroupView]
    names: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not (self.figures or self.quotes or self.names)


def _figure_detail(figure: Figure) -> str:
    parts = [figure.qualifier or "", figure.unit or "", figure.counted or "", figure.scope or ""]
    return " · ".join(p for p in parts if p)


def facts_view(facts: StoryFacts, sites: dict[str, str]) -> FactsView:
    """``sites`` maps article id to the site shown for it."""
    figures = {f.id: f for f in facts.figures}
    quotes = {q.id: q for q in facts.quotes}
    figure_groups: list[GroupView] = []
    quote_groups: list[GroupView] = []
    details: dict[tuple[str | None, ...], str] = {}  # a wire story's 370,000 figures have a few hundred
    for group in facts.groups:
        if group.kind == "figure":
            present = [figures[m] for m in group.members if m in figures]
            rows = _Rows(len(present))
            for f in present:
                parts = (f.qualifier, f.unit, f.counted, f.scope)
                detail = details.get(parts)
                if detail is None:
                    detail = details[parts] = _figure_detail(f)
                site = sites.get(f.article_id, "?")
                if not rows.another_source(f.text, detail, f.article_id, site):
                    rows.add(FactRow(f.article_id, site, f.text, f.sentence, detail))
            figure_groups.append(
                GroupView(
                    group.id,
                    "figure",
                    group.status,
                    group.about,
                    rows.rows,
                    group.related,
                    group.drift,
                    len(present),
                )
            )
        else:
            members = [quotes[m] for m in group.members if m in quotes]
            rows = _Rows(len(members))
            first = members[0].text if members else ""
            for k, q in enumerate(members):
                speaker = q.speaker or q.speaker_text or ""
                site = sites.get(q.article_id, "?")
                if not rows.another_source(q.text, speaker, q.article_id, site):
                    runs = [(q.text, False)] if k == 0 else word_diff(first, q.text)[1]
                    rows.add(FactRow(q.article_id, site, q.text, q.sentence, speaker, runs))
            quote_groups.append(
                GroupView(
                    group.id,
                    "quote",
                    group.status,
                    group.about,
                    rows.rows,
                    group.related,
                    group.drift,
                    len(members),
                )
            )
    figure_groups.sort(key=lambda g: (STATUS_ORDER.get(g.status, 9), -g.sources))
    quote_groups.sort(key=lambda g: (STATUS_ORDER.get(g.status, 9), -g.sources))
    names = [
        {
            "id": e.id,
            "label": e.label,
            "canonical": e.canonical,
            "variants": [s for s in e.surface_forms if s != e.canonical],
            "sources": len(e.article_ids),
            "mentions": e.mentions,
            "roles": list(e.roles),
        }
        for e in sorted(facts.entities, key=lambda e: (-len(e.article_ids), -e.mentions, e.canonical))
    ]
    return FactsView(figure_groups, quote_groups, names)


def entity_rows(facts: StoryFacts) -> list[dict[str, Any]]:
    return [
        {
            "story_id": facts.story_id,
            "entity_id": e.id,
            "label": e.label,
            "canonical": e.canonical,
            "surface_forms": list(e.surface_forms),
            "article_ids": list(e.article_ids),
            "roles": list(e.roles),
            "mentions": e.mentions,
        }
        for e in facts.entities
    ]
