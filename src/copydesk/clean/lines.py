"""The article as lines with offsets, and the rule that keeps cleaning auditable.

The contract every cleaning stage keeps: ``Article.text`` is a pure function of ``Article.raw_text``
and ``Article.removals``. A stage never edits ``text`` directly; it adds removals whose ``position`` is
a character offset into ``raw_text`` and calls :func:`rebuild_text`. So a corpus stage can add more
removals later, every removal points at the exact raw characters it took out, and nothing is lost.

A line removal (chrome, meta, duplicate-headline) covers the whole stripped line; a spam removal
covers a span inside a line (the run plus the spaces that must go with it, so cutting it out rejoins
a split word).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from copydesk.records import Article, Removal, RemovalKind

LINE_KINDS = frozenset({"chrome", "meta", "duplicate-headline"})

# A body sentence ends like this: full stop, ! ?, a closing quote or bracket after one, or an ellipsis.
_TERMINAL = re.compile(r"""[.!?…;]["'”’»)\]]*\s*$|["”’»']{1,2}\s*$""")
_WORD = re.compile(r"[^\W\d_](?:[^\W_]|['’\-.])*", re.UNICODE)


@dataclass(slots=True, eq=False)
class Line:
    """One non-blank line as the cleaning stages now see it (not frozen: every stage makes many, and
    frozen dataclasses are slow to build; nothing changes a line once made).

    ``segments`` maps the live text back to ``raw_text``: each ``(live_start, raw_start, length)`` is a
    stretch that spam cuts left contiguous, so ``raw_offset`` can place any live character.
    """

    index: int
    start: int
    text: str
    gap_before: int
    segments: tuple[tuple[int, int, int], ...]
    words: list[str]
    ends_sentence: bool

    @classmethod
    def make(
        cls, index: int, start: int, text: str, gap: int, segments: tuple[tuple[int, int, int], ...]
    ) -> Line:
        """A line with its words and sentence ending worked out once (every stage asks for them)."""
        words, ends_sentence = line_facts(text)
        return cls(index, start, text, gap, segments, words, ends_sentence)

    def raw_offset(self, live: int) -> int:
        for live_start, raw_start, length in self.segments:
            if live < live_start + length:
                return raw_start + max(0, live - live_start)
        last = self.segments[-1]
        return last[1] + last[2] + (live - last[0] - last[2])


@lru_cache(maxsize=1 << 12)
def line_facts(text: str) -> tuple[list[str], bool]:
    """Words and sentence ending of a line's text: every stage re-reads the same lines, so this pure
    function is memoised per process (a bounded cache for the lines of the article at hand; callers
    never change the word list)."""
    return _WORD.findall(text), bool(_TERMINAL.search(text))


def _raw_lines(raw: str) -> Iterable[tuple[int, int, int]]:
    """(start, end, blank lines before) for every non-blank raw line, start/end around its content."""
    offset = 0
    blanks = 0
    for piece in raw.split("\n"):
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            start = offset + lead
            yield start, start + len(stripped), blanks
            blanks = 0
        else:
            blanks += 1
        offset += len(piece) + 1


def live_lines(article: Article) -> list[Line]:
    """The lines no removal has taken, with spam spans cut out of them."""
    raw = article.raw_text
    gone_lines = {r.position for r in article.removals if r.kind in LINE_KINDS}
    cuts = sorted((r.position, r.position + len(r.text)) for r in article.removals if r.kind == "spam")
    lines: list[Line] = []
    pending_gap = 0
    make = Line.make
    for start, end, blanks in _raw_lines(raw):
        pending_gap += blanks
        if start in gone_lines:
            continue
        if not cuts:  # the usual case: the raw line as it stands (never blank: _raw_lines strips)
            lines.append(make(len(lines), start, raw[start:end], pending_gap, ((0, start, end - start),)))
            pending_gap = 0
            continue
        pieces: list[tuple[int, int]] = []
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > cursor:
                pieces.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            pieces.append((cursor, end))
        segments: list[tuple[int, int, int]] = []
        text_parts: list[str] = []
        live = 0
        for a, b in pieces:
            segments.append((live, a, b - a))
            text_parts.append(raw[a:b])
            live += b - a
        text = "".join(text_parts)
        if not text.strip():
            continue
        lines.append(Line.make(len(lines), start, text, pending_gap, tuple(segments) or ((0, start, 0),)))
        pending_gap = 0
    return lines


def rebuild_text(article: Article, current: Sequence[Line] | None = None) -> str:
    """``raw_text`` minus ``removals``; a blank line stays wherever the raw text had one.

    ``current`` (the live lines before the latest line removals) saves re-reading the raw text: the
    text is then those lines minus the ones a removal now covers.
    """
    if current is None:
        return _join(live_lines(article))
    gone = {r.position for r in article.removals if r.kind in LINE_KINDS}
    kept: list[Line] = []
    gap = 0
    for line in current:
        gap += line.gap_before
        if line.start in gone:
            continue
        kept.append(
            Line(line.index, line.start, line.text, gap, line.segments, line.words, line.ends_sentence)
        )
        gap = 0
    return _join(kept)


def _join(lines: Sequence[Line]) -> str:
    parts: list[str] = []
    for line in lines:
        if parts:
            parts.append("\n\n" if line.gap_before else "\n")
        parts.append(line.text.strip())
    return "".join(parts)


def remove_lines(
    article: Article, lines: Sequence[tuple[Line, RemovalKind, str]], current: Sequence[Line] | None = None
) -> None:
    """Record ``(line, kind, reason)`` line removals and rebuild the text (from ``current``, the live
    lines the removals were chosen from, when the caller has them)."""
    if not lines:
        return
    raw = article.raw_text
    for line, kind, reason in lines:
        end = line.segments[-1][1] + line.segments[-1][2]
        article.removals.append(Removal(kind, raw[line.start : end], reason, line.start))
    article.removals.sort(key=lambda r: r.position)
    article.text = rebuild_text(article, current)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))
