"""The pair-by-pair grouping of figures and quotes that ``copydesk.align.figures`` and
``copydesk.align.quotes`` replaced (quadratic in a story's sources), kept as the reference they are held
to on stories small enough for it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from copydesk.align.figures import SCALE_UNITS, counted_compatible
from copydesk.align.sentences import dice, drift, stem_set
from copydesk.facts.text import content_stems, fold
from copydesk.records import FactGroup, Figure, Quote

SAME_SENTENCE = 0.6  # Dice above which two figure sentences (same hedge) are one claim rewritten
SAME_TOPIC = 0.15  # ... above which two sentences are about the same thing
QUOTE_SAME_SPEAKER = 0.3  # containment of quote words for one speaker's quotes to be one statement
QUOTE_ANY_SPEAKER = 0.6  # ... for close quotes whose speakers were resolved differently
VALUE_TOLERANCE = 0.02  # relative; 290 km vs 180 miles (289.7 km) agree


def _same_value(a: Figure, b: Figure) -> bool:
    if a.kind == "date" or b.kind == "date":
        return a.when is not None and a.when == b.when
    if a.value is None or b.value is None:
        return False
    bare_a, bare_b = a.unit is None and a.counted is None, b.unit is None and b.counted is None
    if a.unit != b.unit and not (bare_a and b.unit in SCALE_UNITS) and not (bare_b and a.unit in SCALE_UNITS):
        return False
    return abs(a.value - b.value) <= VALUE_TOLERANCE * max(abs(a.value), abs(b.value), 1e-9)


def _distinctive(f: Figure) -> bool:
    """A value unlikely to repeat by chance: not a small count, a weekday or a bare year."""
    if f.kind == "date":
        return f.when is not None and len(f.when) >= 10
    return f.value is not None and (f.value > 12 or f.unit not in (None, "day", "week", "month", "year"))


class _Groups:
    """Union-find over items that keeps at most one item per source in a group (unless ``shared``)."""

    def __init__(self, owners: Sequence[str]) -> None:
        self.parent = list(range(len(owners)))
        self.sources = [{o} for o in owners]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int, shared: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.sources[ra] & self.sources[rb] and not shared:
            return False
        self.parent[rb] = ra
        self.sources[ra] |= self.sources[rb]
        return True

    def clusters(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return out


_NUMERIC = re.compile(r"[\d.,]+")


@lru_cache(maxsize=16384)
def _sentence_stems(sentence: str) -> frozenset[str]:
    """A figure sentence's content stems without its numbers (memoised: a sentence often has several)."""
    return frozenset(s for s in stem_set(sentence) if not _NUMERIC.fullmatch(s))


def _figure_stems(f: Figure) -> frozenset[str]:
    return _sentence_stems(f.sentence)


def _value_key(f: Figure) -> tuple[str, str]:
    """A bucket for figures that may have the same value: the date, or the unit and two digits."""
    if f.kind == "date" or f.value is None:
        return ("date", f.when or "")
    return ("" if f.unit in SCALE_UNITS else f.unit or "", f"{f.value:.2g}")


def _candidate_pairs(figures: Sequence[Figure]) -> list[tuple[int, int]]:
    """Pairs worth comparing: the same value bucket or the same counted noun (not all n² pairs)."""
    buckets: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(figures):
        buckets.setdefault(_value_key(f), []).append(i)
        if f.counted:
            buckets.setdefault(("counted", f.counted), []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def group_figures(story_id: str, figures: Sequence[Figure]) -> tuple[list[FactGroup], dict[str, str]]:
    """Figure groups with their status, and a map from figure id to group id."""
    stems = [_figure_stems(f) for f in figures]
    links: list[tuple[float, int, int]] = []
    related: list[tuple[int, int]] = []
    for i, j in _candidate_pairs(figures):
        a, b = figures[i], figures[j]
        if a.article_id == b.article_id or a.kind != b.kind:
            continue
        ctx = dice(stems[i], stems[j])
        same_value = _same_value(a, b)
        counted_match = a.counted is None or b.counted is None or counted_compatible(a.counted, b.counted)
        if same_value and counted_match and (ctx >= SAME_TOPIC or (_distinctive(a) and ctx > 0.05)):
            links.append((ctx + 1.0, i, j))
        elif same_value and not counted_match and _distinctive(a) and ctx >= SAME_TOPIC:
            links.append((ctx + 0.5, i, j))  # same number, different thing counted: conflict
        elif not same_value and a.kind == "number" and a.counted and a.counted == b.counted:
            same_claim = ctx >= SAME_SENTENCE and a.qualifier == b.qualifier
            if same_claim and a.unit == b.unit and a.scope == b.scope:
                links.append((ctx, i, j))  # the same claim with another number: conflict
            elif ctx >= SAME_TOPIC / 2 or a.scope != b.scope:
                related.append((i, j))
    groups = _Groups([f.article_id for f in figures])
    for _, i, j in sorted(links, reverse=True):
        groups.union(i, j)
    out: list[FactGroup] = []
    member_group: dict[str, str] = {}
    root_group: dict[int, FactGroup] = {}
    for root, members in sorted(groups.clusters().items(), key=lambda kv: figures[kv[1][0]].position):
        items = [
            figures[m] for m in sorted(members, key=lambda m: (figures[m].article_id, figures[m].position))
        ]
        group = FactGroup(
            id=f"{story_id}/g{len(out)}",
            story_id=story_id,
            kind="figure",
            status=_figure_status(items),
            members=[f.id for f in items],
            about=next(
                (f.counted or f.unit or "" for f in items if f.counted or f.unit), items[0].when or ""
            ),
        )
        out.append(group)
        root_group[root] = group
        for f in items:
            member_group[f.id] = group.id
    for i, j in related:
        gi, gj = root_group[groups.find(i)], root_group[groups.find(j)]
        if gi is not gj:
            if gj.id not in gi.related:
                gi.related.append(gj.id)
            if gi.id not in gj.related:
                gj.related.append(gi.id)
    return out, member_group


def _figure_status(items: Sequence[Figure]) -> str:
    if len({f.article_id for f in items}) < 2:
        return "single-source"
    if any(not _same_value(a, b) for a in items for b in items):
        return "conflict"
    nouns = [f.counted for f in items if f.counted]
    if any(not counted_compatible(a, b) for a in nouns for b in nouns):
        return "conflict"
    return "agree"


def _containment(sa: frozenset[str], sb: frozenset[str]) -> float:
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def group_quotes(
    story_id: str, quotes: Sequence[Quote], canonical: Callable[[str | None], str | None]
) -> tuple[list[FactGroup], dict[str, str]]:
    """Quote groups and quote id -> group id.

    The unit matched across sources is a *bundle*: the direct quotes one speaker has in one sentence
    (a rewrite often quotes two fragments of what another source quotes whole). Links between bundles of
    two sources are kept when each is the other's best match; they are applied best first, and a group
    takes at most one bundle per source. Reported speech (``indirect``) stays in groups of its own.
    """
    speakers = [canonical(q.speaker) for q in quotes]
    bundles: dict[tuple[str, str, str | None], list[int]] = {}
    for i, q in enumerate(quotes):
        key = (q.article_id, q.sentence if q.kind == "direct" else q.id, speakers[i])
        bundles.setdefault(key, []).append(i)
    units = list(bundles.values())
    unit_stems = [content_stems(" ".join(quotes[i].text for i in u)) for u in units]
    unit_article = [quotes[u[0]].article_id for u in units]
    unit_speaker = [speakers[u[0]] for u in units]
    direct = [x for x, u in enumerate(units) if quotes[u[0]].kind == "direct"]
    unit_texts = [{fold(quotes[i].text) for i in u} for u in units]
    groups = _Groups(unit_article)
    for a_pos, x in enumerate(direct):
        for y in direct[a_pos + 1 :]:
            same_text = unit_texts[x] == unit_texts[y]
            if unit_article[x] == unit_article[y] and same_text and unit_speaker[x] == unit_speaker[y]:
                groups.union(x, y, shared=True)  # one source repeating its own quote

    unit_sets = [frozenset(s) for s in unit_stems]
    by_article: dict[str, list[int]] = {}
    for y in direct:
        by_article.setdefault(unit_article[y], []).append(y)

    def score(x: int, y: int) -> float:
        c = _containment(unit_sets[x], unit_sets[y])
        if unit_speaker[x] and unit_speaker[x] == unit_speaker[y]:
            return c + 0.001 if c >= QUOTE_SAME_SPEAKER else 0.0
        return c if c >= QUOTE_ANY_SPEAKER and min(len(unit_stems[x]), len(unit_stems[y])) >= 3 else 0.0

    def best(x: int, article: str) -> int | None:
        options = [(score(x, y), -y) for y in by_article.get(article, ())]
        top = max(options, default=(0.0, 0))
        return -top[1] if top[0] > 0 else None

    links: list[tuple[float, int, int]] = []
    articles = sorted(by_article)
    for x in direct:
        for article in (a for a in articles if a != unit_article[x]):
            match = best(x, article)
            if match is not None and x < match and best(match, unit_article[x]) == x:
                links.append((score(x, match), x, match))
    for _, x, y in sorted(links, reverse=True):
        groups.union(x, y)
    out: list[FactGroup] = []
    member_group: dict[str, str] = {}
    for members in sorted(groups.clusters().values(), key=lambda ms: quotes[units[ms[0]][0]].position):
        items = sorted(
            (i for m in members for i in units[m]), key=lambda i: (quotes[i].article_id, quotes[i].position)
        )
        texts = [quotes[i].text for i in items]
        named = [name for i in items if (name := speakers[i])]
        status = "single-source"
        if len({quotes[i].article_id for i in items}) > 1:
            status = "agree" if len({fold(t) for t in texts}) == 1 else "drift"
        group = FactGroup(
            id=f"{story_id}/q{len(out)}",
            story_id=story_id,
            kind="quote",
            status=status,
            members=[quotes[i].id for i in items],
            # Most named speaker; ties go to the one named first, so reruns give the same group label.
            about=max(dict.fromkeys(named), key=named.count) if named else "",
            drift=[d for t in texts[1:] if (d := drift(texts[0], t))],
        )
        out.append(group)
        for i in items:
            member_group[quotes[i].id] = group.id
    return out, member_group
