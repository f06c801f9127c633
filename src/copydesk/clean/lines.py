"""The article as lines with offsets, and the rule that keeps cleaning auditable.

The contract every cleaning stage keeps: ``Article.text`` is a pure function of ``Article.raw_text``
and ``Article.removals``. A stage never edits ``text`` directly; it adds removals whose ``position`` is
a character offset into ``raw_text`` and rebuilds the text from the live lines (what
:func:`rebuild_text` computes from scratch). So a corpus stage can add more removals later, every
removal points at the exact raw characters it took out, and nothing is lost.

A line removal (chrome, meta, duplicate-headline) covers the whole stripped line; a spam removal
covers a span inside a line (the run plus the spaces that must go with it, so cutting it out rejoins
a split word).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple, cast

from copydesk.clean.textscan import (
    ScannedLine,
    ascii_line_facts,
    compiled_raw_lines,
    python_scan_line,
    scan_line,
)
from copydesk.clean.words import LANGUAGES_OF, READER_ADDRESS, dominant_script, site_talk_in
from copydesk.records import Article, Removal, RemovalKind

_POSITION = attrgetter("position")  # a removal's raw offset: the order removals are kept in
LINE_KINDS = frozenset({"chrome", "meta", "duplicate-headline"})


class LineFacts(NamedTuple):
    """What every stage asks of a line's text, worked out once per distinct text (a named tuple:
    thousands are built per second, and a tuple is the cheapest record to build).

    ``anchor``: sentence-shaped and long enough to be a body paragraph (see ``copydesk.clean.layout``);
    ``script`` and ``languages`` (function-word counts) tell the body's script and language apart
    from a comment form's; ``address`` lists the reader-address words used, ``site_talk`` says
    whether the line is the site talking to its reader (see ``copydesk.clean.words``).
    """

    words: list[str]
    lowered: list[str]
    ends_sentence: bool
    anchor: bool
    script: str | None
    languages: dict[str, int]
    language: str | None  # the language with most function words here (first of equals)
    language_hits: int
    address: tuple[str, ...]
    site_talk: bool
    has_letters: bool


# the tuple built straight from its fields (a named tuple's own __new__ is a Python call per line)
_new_facts = tuple.__new__

ANCHOR_WORDS = 8  # a body paragraph has at least this many words and ends like a sentence
ANCHOR_CHARS = 60  # ... or this many characters


def ascii_word_facts(word: str) -> tuple[str, str, tuple[str, ...] | None, bool]:
    """What the compiled ``line_facts`` asks of each word of a line: the word, its lower case (the
    same string when it is lower case already), its function-word languages, and whether it
    addresses the reader. Memoised by the word's characters (``_WORD_FACTS``), so a word seen before
    costs no string and no hash."""
    lowered = word.lower()
    if lowered == word:
        lowered = word
    return word, lowered, LANGUAGES_OF.get(lowered), lowered in READER_ADDRESS


_WORD_FACTS: object = None
try:  # a line's words looked up in place (without it, the compiled scan builds every word's string)
    from copydesk._tokenmemo import TokenMemo

    _WORD_FACTS = TokenMemo(ascii_word_facts, 1 << 18)
except ImportError:  # pragma: no cover - depends on the install
    pass


# Lines up to this long are memoised: the lines that recur (site furniture, bylines, prompts) are
# short, while a paragraph recurs only in a copy. Memoising every line cost more than it saved on
# unique paragraphs (3% hits on 600-word reports): the lookup, and above all the 16k lines' facts
# kept alive, which pushed the working set out of the CPU caches (15 lines: 43 -> 30 us).
MEMO_CHARS = 120


def line_facts(text: str) -> LineFacts:
    """The facts of a line's text. Every stage re-reads the same lines, from the ``Line`` that
    carries them; short lines (which recur across articles) are memoised per process, so callers
    never change what it returns."""
    if len(text) > MEMO_CHARS:
        return _worked_out(text)
    return _memoised(text)


def _worked_out(text: str) -> LineFacts:
    if ascii_line_facts is not None:  # an ASCII line without reader-address words, built in C
        built = ascii_line_facts(
            text, LANGUAGES_OF, READER_ADDRESS, LineFacts, ANCHOR_WORDS, ANCHOR_CHARS, "latin", _WORD_FACTS
        )
        if built is not None:
            return cast(LineFacts, built)
    return _assembled(text, scan_line(text, LANGUAGES_OF, READER_ADDRESS))


_memoised = lru_cache(maxsize=1 << 14)(_worked_out)


def forget_line_facts() -> None:
    """Empty the memo of short lines' facts (benchmarks/clean_speed.py times every pass as new
    articles would cost)."""
    _memoised.cache_clear()


def python_line_facts(text: str) -> LineFacts:
    """``line_facts`` without any compiled part: the reference the compiled paths are tested against."""
    return _assembled(text, python_scan_line(text, LANGUAGES_OF, READER_ADDRESS))


def _assembled(text: str, scanned: ScannedLine) -> LineFacts:
    words, lowered, languages, language, hits, addressing, ends_sentence = scanned
    address: tuple[str, ...] = ()
    talk = False
    if addressing:
        lowered_set = set(lowered)
        addressed = READER_ADDRESS.intersection(lowered_set)
        address = tuple(dict.fromkeys(w for w in lowered if w in addressed))
        talk = site_talk_in(lowered_set)
    anchor = ends_sentence and (len(words) >= ANCHOR_WORDS or len(text) >= ANCHOR_CHARS)
    anchor = anchor and (len(words) > 30 or not talk)
    # a word starts with a letter, so a line has letters exactly when it has words
    script = ("latin" if words else None) if text.isascii() else dominant_script(text)
    return _new_facts(
        LineFacts,
        (
            words,
            lowered,
            ends_sentence,
            anchor,
            script,
            languages,
            language,
            hits,
            address,
            talk,
            bool(words),
        ),
    )


class Line:
    """One non-blank line as the cleaning stages now see it (nothing changes a line once made; equal
    only to itself).

    ``segments`` maps the live text back to ``raw_text``: each ``(live_start, raw_start, length)`` is a
    stretch that spam cuts left contiguous, so ``raw_offset`` can place any live character.

    A plain class with its own ``__init__``, not a dataclass: mypyc compiles this one, while a
    dataclass's is generated when the module loads and runs interpreted (every line of every article
    is made here; callgrind, 480 600-word pages: the workers' pipeline 2.814M -> 2.756M instructions
    a page, and 2.739M with ``Layout`` and ``TextMetadata`` made the same way).
    """

    __slots__ = ("ends_sentence", "facts", "gap_before", "index", "segments", "start", "text", "words")

    def __init__(
        self,
        index: int,
        start: int,
        text: str,
        gap_before: int,
        segments: tuple[tuple[int, int, int], ...],
        words: list[str],
        ends_sentence: bool,
        facts: LineFacts,
    ) -> None:
        self.index = index
        self.start = start
        self.text = text
        self.gap_before = gap_before
        self.segments = segments
        self.words = words
        self.ends_sentence = ends_sentence
        self.facts = facts

    def __repr__(self) -> str:
        return f"Line(index={self.index}, start={self.start}, text={self.text!r}, gap={self.gap_before})"

    @classmethod
    def make(
        cls, index: int, start: int, text: str, gap: int, segments: tuple[tuple[int, int, int], ...]
    ) -> Line:
        """A line with its facts worked out once (every stage asks for them)."""
        facts = line_facts(text)
        return cls(index, start, text, gap, segments, facts.words, facts.ends_sentence, facts)

    def moved(self, index: int, gap: int) -> Line:
        """The line at another place among the live lines (after lines above it went); itself when
        nothing moved."""
        if index == self.index and gap == self.gap_before:
            return self
        return Line(
            index, self.start, self.text, gap, self.segments, self.words, self.ends_sentence, self.facts
        )

    @property
    def end(self) -> int:
        """Raw offset just after the line's last character."""
        last = self.segments[-1]
        return last[1] + last[2]

    def raw_offset(self, live: int) -> int:
        for live_start, raw_start, length in self.segments:
            if live < live_start + length:
                return raw_start + max(0, live - live_start)
        last = self.segments[-1]
        return last[1] + last[2] + (live - last[0] - last[2])


def python_raw_lines(raw: str) -> list[tuple[int, int, int]]:
    """(start, end, blank lines before) for every non-blank raw line, start/end around its content
    (the compiled ``raw_lines`` reads the same; every article's lines come through here)."""
    out: list[tuple[int, int, int]] = []
    offset = 0
    blanks = 0
    for piece in raw.split("\n"):
        stripped = piece.strip()
        if stripped:
            start = offset + piece.find(stripped[0])
            out.append((start, start + len(stripped), blanks))
            blanks = 0
        else:
            blanks += 1
        offset += len(piece) + 1
    return out


_raw_lines: Callable[[str], list[tuple[int, int, int]]] = compiled_raw_lines or python_raw_lines


def _spam_cuts(article: Article) -> list[tuple[int, int]]:
    return sorted((r.position, r.position + len(r.text)) for r in article.removals if r.kind == "spam")


def _cut_line(
    raw: str, start: int, end: int, cuts: Sequence[tuple[int, int]], index: int, gap: int
) -> Line | None:
    """The raw line [start, end) with the spam cuts taken out of it; None when nothing is left."""
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
        return None
    return Line.make(index, start, text, gap, tuple(segments) or ((0, start, 0),))


def live_lines(article: Article) -> list[Line]:
    """The lines no removal has taken, with spam spans cut out of them."""
    raw = article.raw_text
    gone_lines = {r.position for r in article.removals if r.kind in LINE_KINDS}
    cuts = _spam_cuts(article)
    lines: list[Line] = []
    pending_gap = 0
    for start, end, blanks in _raw_lines(raw):
        pending_gap += blanks
        if start in gone_lines:
            continue
        if not cuts:  # the usual case: the raw line as it stands (never blank: _raw_lines strips)
            text = raw[start:end]
            facts = line_facts(text)  # Line.make, inlined: every line of every article comes here
            lines.append(
                Line(
                    len(lines),
                    start,
                    text,
                    pending_gap,
                    ((0, start, end - start),),
                    facts.words,
                    facts.ends_sentence,
                    facts,
                )
            )
            pending_gap = 0
            continue
        line = _cut_line(raw, start, end, cuts, len(lines), pending_gap)
        if line is not None:
            lines.append(line)
            pending_gap = 0
    return lines


def first_word_of(text: str) -> str:
    """``text.split(None, 1)[0]`` of a non-blank line, without copying the rest of the line where the
    word ends within its first 40 characters (the metadata and chrome steps ask it of most lines, and
    most lines are paragraphs)."""
    parts = text[:40].split(None, 1)
    if len(parts) < 2 and len(text) > 40:  # the word may go on past the head
        parts = text.split(None, 1)
    return parts[0]


def without_lines(current: Sequence[Line], gone: set[int] | frozenset[int]) -> list[Line]:
    """``current`` minus the lines starting at ``gone`` (raw offsets), renumbered, blank lines kept."""
    kept: list[Line] = []
    gap = 0
    for line in current:
        gap += line.gap_before
        if line.start in gone:
            continue
        kept.append(line.moved(len(kept), gap))
        gap = 0
    return kept


def recut_lines(article: Article, current: Sequence[Line], changed: set[int]) -> list[Line]:
    """``current`` after new spam cuts in the lines starting at ``changed`` (raw offsets): only those
    lines are read again from ``raw_text``."""
    raw = article.raw_text
    cuts = _spam_cuts(article)
    lines: list[Line] = []
    gap = 0
    for line in current:
        gap += line.gap_before
        if line.start in changed:
            end = _raw_line_end(raw, line.start)
            fresh = _cut_line(raw, line.start, end, cuts, len(lines), gap)
            if fresh is None:
                continue
            lines.append(fresh)
        else:
            lines.append(line.moved(len(lines), gap))
        gap = 0
    return lines


def _raw_line_end(raw: str, start: int) -> int:
    newline = raw.find("\n", start)
    return len(raw[start : newline if newline >= 0 else len(raw)].rstrip()) + start


def join_lines(lines: Sequence[Line]) -> str:
    """The article text the live lines make: a blank line stays wherever the raw text had one."""
    parts: list[str] = []
    for line in lines:
        if parts:
            parts.append("\n\n" if line.gap_before else "\n")
        parts.append(line.text.strip())
    return "".join(parts)


def rebuild_text(article: Article, current: Sequence[Line] | None = None) -> str:
    """``raw_text`` minus ``removals``; a blank line stays wherever the raw text had one.

    ``current`` (the live lines before the latest line removals) saves re-reading the raw text: the
    text is then those lines minus the ones a removal now covers.
    """
    if current is None:
        return join_lines(live_lines(article))
    gone = {r.position for r in article.removals if r.kind in LINE_KINDS}
    return join_lines(without_lines(current, gone))


def remove_lines(
    article: Article, lines: Sequence[tuple[Line, RemovalKind, str]], current: Sequence[Line] | None = None
) -> list[Line]:
    """Record ``(line, kind, reason)`` line removals and rebuild the text; returns the live lines
    after (derived from ``current``, the live lines the removals were chosen from, when given)."""
    if current is None:
        current = live_lines(article)
    if not lines:
        return list(current)
    raw = article.raw_text
    for line, kind, reason in lines:
        article.removals.append(Removal(kind, raw[line.start : line.end], reason, line.start))
    article.removals.sort(key=_POSITION)
    after = without_lines(current, {line.start for line, _, _ in lines})
    article.text = join_lines(after)
    return after
