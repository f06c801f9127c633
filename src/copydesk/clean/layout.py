"""Where the article body lies among its lines, and what the body reads like.

Body *anchors* are sentence-shaped lines of some length; the lines before the first anchor are the
head zone, those after the last anchor the tail zone. Site furniture lives mostly in those zones;
a line in the middle needs stronger evidence to go (link-title runs, recurrence across the corpus).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import TypeVar

from copydesk.clean.lines import Line, LineFacts

HEAD_META_LINES = 8  # metadata lines (dates, bylines) are looked for in this many first lines
TAIL_META_LINES = 6  # ... and in this many last lines

_Key = TypeVar("_Key")


class Layout:
    """Where an article's body paragraphs (anchors) lie among its lines, and their script, language
    and usual gap. Nothing changes one once made (a plain class, not a frozen dataclass: mypyc
    compiles its ``__init__``, where a dataclass's runs interpreted, one or more an article)."""

    __slots__ = ("anchors", "first_anchor", "language", "last_anchor", "lines", "script", "typical_gap")

    def __init__(
        self,
        lines: Sequence[Line],
        anchors: frozenset[int],
        first_anchor: int,
        last_anchor: int,
        script: str | None,
        language: str | None,
        typical_gap: int,
    ) -> None:
        self.lines = lines
        self.anchors = anchors
        self.first_anchor = first_anchor
        self.last_anchor = last_anchor
        self.script = script
        self.language = language
        self.typical_gap = typical_gap

    def zone(self, line: Line) -> str:
        if line.index < self.first_anchor:
            return "head"
        if line.index > self.last_anchor:
            return "tail"
        return "middle"

    def is_edge(self, line: Line) -> bool:
        return line.index < self.first_anchor or line.index > self.last_anchor

    def near_top(self, line: Line) -> bool:
        return line.index < HEAD_META_LINES

    def near_bottom(self, line: Line) -> bool:
        return line.index >= len(self.lines) - TAIL_META_LINES

    def fits(self, lines: Sequence[Line]) -> bool:
        """Whether this layout was worked out on these very line objects (a step that removed
        nothing hands its lines on as they were; one that removed any renumbers them anew)."""
        return len(lines) == len(self.lines) and all(map(operator.is_, lines, self.lines))


def _same_language(facts: LineFacts, language: str | None) -> bool:
    if language is None or not facts.languages:
        return True
    best, hits = facts.language, facts.language_hits
    if best == language or hits < 2:
        return True
    return facts.languages.get(language, 0) * 2 > hits


def _heaviest(weights: dict[_Key, int]) -> _Key | None:
    """The key with the largest weight, the first of equals (as Counter.most_common(1) picks)."""
    return max(weights, key=weights.__getitem__) if weights else None


def layout_for(lines: Sequence[Line], known: Layout | None) -> Layout:
    """``known`` where it fits the lines, else their layout worked out anew (the cleaning steps
    share one while none of them removes a line)."""
    return known if known is not None and known.fits(lines) else layout_of(lines)


def layout_of(lines: Sequence[Line]) -> Layout:
    candidates = [line for line in lines if line.facts.anchor]
    scripts: dict[str, int] = {}
    languages: dict[str, int] = {}
    for line in candidates:
        facts = line.facts
        if facts.script:
            scripts[facts.script] = scripts.get(facts.script, 0) + len(line.text)
        if facts.language_hits >= 2:
            languages[facts.language or ""] = languages.get(facts.language or "", 0) + len(line.text)
    body_script = _heaviest(scripts)
    body_language = _heaviest(languages)
    # A sentence in another script or language (a comment form's notice) is not the body.
    anchors = [
        line.index
        for line in candidates
        if line.facts.script == body_script
        and (line.facts.language == body_language or _same_language(line.facts, body_language))
    ]
    if anchors:
        first, last = anchors[0], anchors[-1]
    else:  # no paragraph at all: treat every line as middle, so only strong evidence removes lines
        first, last = 0, len(lines) - 1
    gaps: dict[int, int] = {}
    for i in anchors[1:]:
        gap = lines[i].gap_before
        gaps[gap] = gaps.get(gap, 0) + 1
    return Layout(
        lines=lines,
        anchors=frozenset(anchors),
        first_anchor=first,
        last_anchor=last,
        script=body_script,
        language=body_language,
        typical_gap=_heaviest(gaps) or 0,
    )
