"""Presentation helpers the pages share: removals shown in place, side-by-side diffs, safe links, SVG.

Everything here returns plain data (strings, tuples, numbers); templates do the HTML with autoescape
on, so no function in this module builds markup from article text.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from copydesk.records import Article, Removal
from copydesk.store.search import HIT_END, HIT_START

_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f\"'<>`\\]")


def safe_href(url: str | None) -> str | None:
    """The URL when it is a plain http(s) URL that can be linked; ``None`` for anything else.

    ``javascript:``, ``data:``, protocol-relative and URLs with spaces, quotes or control characters are
    shown as text only.
    """
    if not url or len(url) > 2048 or _UNSAFE_URL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of article text: kept (``removal is None``) or removed, with the removal that took it."""

    text: str
    removal: Removal | None = None


@dataclass(slots=True)
class MarkedText:
    segments: list[Segment] = field(default_factory=list)
    unplaced: list[Removal] = field(default_factory=list)


def mark_removals(article: Article) -> MarkedText:
    """The raw text cut into kept and removed runs, so the page shows each removal where it was.

    A removal whose ``text`` is not found at its ``position`` in ``raw_text`` (or that overlaps one
    already placed) is listed in ``unplaced`` instead of being guessed into place.
    """
    raw = article.raw_text
    out = MarkedText()
    cursor = 0
    for removal in sorted(article.removals, key=lambda r: (r.position, -len(r.text))):
        start, end = removal.position, removal.position + len(removal.text)
        if not removal.text or start < cursor or end > len(raw) or raw[start:end] != removal.text:
            out.unplaced.append(removal)
            continue
        if start > cursor:
            out.segments.append(Segment(raw[cursor:start]))
        out.segments.append(Segment(removal.text, removal))
        cursor = end
    if cursor < len(raw):
        out.segments.append(Segment(raw[cursor:]))
    return out


def removal_title(removal: Removal) -> str:
    title = f"{removal.kind}: {removal.reason}"
    if removal.repaired_as:
        title += f" (the word was repaired as “{removal.repaired_as}”)"
    return title


def hit_segments(snippet: str | None) -> list[tuple[str, bool]]:
    """An FTS5 snippet as (text, is_match) runs, for ``<mark>`` in the template."""
    if not snippet:
        return []
    runs: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(f"[{HIT_START}{HIT_END}]", snippet)):
        if part:
            runs.append((part, i % 2 == 1))
    return runs


# --- side-by-side diff -------------------------------------------------------------------------

Runs = list[tuple[str, bool]]  # (text, changed)
MAX_DIFF_PARAGRAPHS = 400


@dataclass(frozen=True, slots=True)
class DiffRow:
    tag: str  # equal | replace | delete | insert
    left: Runs
    right: Runs


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()][:MAX_DIFF_PARAGRAPHS]


MAX_DIFF_WORDS = 3000  # difflib is quadratic in the worst case; longer paragraphs are marked whole


def word_diff(left: str, right: str) -> tuple[Runs, Runs]:
    a, b = re.findall(r"\S+\s*", left), re.findall(r"\S+\s*", right)
    if len(a) > MAX_DIFF_WORDS or len(b) > MAX_DIFF_WORDS:
        return [(left, left != right)] if left else [], [(right, left != right)] if right else []
    lruns: Runs = []
    rruns: Runs = []
    # Compare words without their trailing space, so the last word of a text matches the same word mid-text.
    keys_a, keys_b = [t.rstrip() for t in a], [t.rstrip() for t in b]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if i2 > i1:
            lruns.append(("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            rruns.append(("".join(b[j1:j2]), tag != "equal"))
    return lruns, rruns


PAIR_MIN_RATIO = 0.4  # below this, two paragraphs are shown as one removed and one added


def _pair_paragraphs(left: list[str], right: list[str]) -> list[DiffRow]:
    """Pair changed paragraphs in order with their most similar counterpart (a rewrite keeps order)."""
    rows: list[DiffRow] = []
    j = 0
    for paragraph in left:
        words = paragraph.split()
        best, best_ratio = -1, PAIR_MIN_RATIO
        for k in range(j, min(len(right), j + 8)):
            ratio = difflib.SequenceMatcher(None, words, right[k].split(), autojunk=False).ratio()
            if ratio >= best_ratio:
                best, best_ratio = k, ratio
        if best < 0:
            rows.append(DiffRow("delete", [(paragraph, True)], []))
            continue
        rows.extend(DiffRow("insert", [], [(p, True)]) for p in right[j:best])
        lruns, rruns = word_diff(paragraph, right[best])
        rows.append(DiffRow("replace", lruns, rruns))
        j = best + 1
    rows.extend(DiffRow("insert", [], [(p, True)]) for p in right[j:])
    return rows


def side_by_side(left: str, right: str) -> tuple[list[DiffRow], float]:
    """Paragraph rows for two texts, with changed words marked, and their similarity (0..1)."""
    a, b = _paragraphs(left), _paragraphs(right)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("equal", [(p, False)], [(p, False)]) for p in a[i1:i2])
        elif tag == "replace":
            rows.extend(_pair_paragraphs(a[i1:i2], b[j1:j2]))
        elif tag == "delete":
            rows.extend(DiffRow("delete", [(p, True)], []) for p in a[i1:i2])
        else:
            rows.extend(DiffRow("insert", [], [(p, True)]) for p in b[j1:j2])
    words_a, words_b = left.split(), right.split()
    if not (words_a or words_b):
        return rows, 1.0
    matcher_words = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
    # Past a few thousand words the exact ratio costs more than the page; the bag-of-words bound is shown.
    big = len(words_a) + len(words_b) > 4 * MAX_DIFF_WORDS
    return rows, matcher_words.quick_ratio() if big else matcher_words.ratio()


# --- coverage timeline -------------------------------------------------------------------------


# Lanes of a story's coverage timeline: past it, the sites that reported last share the last lane.
TIMELINE_LANES = 40


@dataclass(frozen=True, slots=True)
class TimelineMark:
    x: float
    y: float
    label: str
    article_id: str
    relation: str


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: int
    marks: list[TimelineMark]
    ticks: list[tuple[float, str]]
    lanes: list[tuple[float, str]]


def _utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC (what the store assumes when a page gives no zone)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def coverage_timeline(
    items: list[tuple[str, str, str, datetime | None]],
    *,
    width: int = 1080,
    lane_height: int = 28,
    max_lanes: int = TIMELINE_LANES,
) -> Timeline | None:
    """Coordinates for an SVG timeline: one lane per site, one mark per dated article.

    ``items`` are (article_id, site, relation, published); undated articles are left off. Past
    ``max_lanes`` sites (a wire story run by 10,000 sites drew 10,000 lanes, 280,000 pixels tall),
    the sites that reported last share one lane, with one mark for the articles of a relation at
    one point of it.
    """
    dated = [(i, s or "unknown site", r, _utc(p)) for i, s, r, p in items if p is not None]
    if not dated:
        return None
    times = [p.timestamp() for *_, p in dated]
    lo, hi = min(times), max(times)
    span = hi - lo or 1.0
    first: dict[str, float] = {}
    for (_, site, _, _), t in zip(dated, times, strict=True):
        if t < first.get(site, math.inf):
            first[site] = t
    sites = sorted(first, key=lambda site: (first[site], site))
    rest = len(sites) - (max_lanes - 1) if len(sites) > max_lanes else 0
    shown = sites[: len(sites) - rest] if rest else sites
    left, right, top = 170.0, 20.0, 24.0
    inner = width - left - right
    lanes = [(top + k * lane_height, site) for k, site in enumerate(shown)]
    if rest:
        lanes.append((top + len(shown) * lane_height, f"{rest:,} other sites"))
    lane_y = {site: y for y, site in lanes[: len(shown)]}  # the shared lane's label is no site
    marks: list[TimelineMark] = []
    pooled: dict[tuple[float, str], list[tuple[str, str, datetime]]] = {}
    for i, s, r, p in dated:
        x = round(left + (p.timestamp() - lo) / span * inner if hi > lo else left + inner / 2, 1)
        if s in lane_y:
            marks.append(
                TimelineMark(x=x, y=lane_y[s], label=f"{s} · {p:%Y-%m-%d %H:%M}", article_id=i, relation=r)
            )
        else:
            pooled.setdefault((round(x), r), []).append((i, s, p))
    for (x, r), pool in pooled.items():
        i, s, p = pool[0]
        label = f"{s} · {p:%Y-%m-%d %H:%M}" + (f" and {len(pool) - 1:,} more" if len(pool) > 1 else "")
        marks.append(TimelineMark(x=float(x), y=lanes[-1][0], label=label, article_id=i, relation=r))
    ticks: list[tuple[float, str]] = []
    if hi > lo:
        fmt = "%m-%d %H:%M" if span < 3 * 86400 else "%Y-%m-%d"
        for k in range(5):
            t = lo + span * k / 4
            ticks.append((round(left + inner * k / 4, 1), datetime.fromtimestamp(t, UTC).strftime(fmt)))
    else:
        ticks.append((round(left + inner / 2, 1), datetime.fromtimestamp(lo, UTC).strftime("%Y-%m-%d %H:%M")))
    height = int(top + len(lanes) * lane_height + 16)
    return Timeline(width, height, marks, ticks, lanes)
