"""Figures of a story's sources grouped: which give the same quantity or date, and do they agree.

Figures are linked across sources when they give the same value in similar sentences, or the same value
of a different counted noun (``2.5 million shells`` vs ``2.5 million missiles``: a conflict, the tell-tale
of a mistranslation), or a different value of the same thing in what is clearly the same sentence (a
conflict). A different value of the same counted noun in a different sentence is a related figure of
another scope: shown beside the group, not called a conflict. Each group holds at most one figure per
source; links are applied best first.

A story can have thousands of sources (a wire story reprinted everywhere), so the work must not grow with
the square of its figures. Figures identical in everything the links read (the same value, counted noun,
hedge and sentence words: a copy's) are one *node*, linked first, since their link is the best there is;
pairs are scored between nodes that share a value or a counted noun, all at once as arrays; and where one
value or noun is shared by more than ``BUCKET_ALL`` nodes, each node is scored against only its
``BUCKET_NEIGHBOURS`` most similar sentences there.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from copydesk.align.sentences import SentenceIncidence, stem_set
from copydesk.align.union import SourceGroups
from copydesk.facts.text import word_set
from copydesk.records import FactGroup, Figure

SAME_SENTENCE = 0.6  # Dice above which two figure sentences (same hedge) are one claim rewritten
SAME_TOPIC = 0.15  # ... above which two sentences are about the same thing
VALUE_TOLERANCE = 0.02  # relative; 290 km vs 180 miles (289.7 km) agree
BUCKET_ALL = 400  # nodes sharing a value or noun that are all scored pair by pair
BUCKET_NEIGHBOURS = 40  # ... past that, the most similar nodes each is scored against
_ROW_CHUNK = 256  # rows of a large bucket's similarities held at once
SMALL_BUCKET = 24  # nodes of a bucket whose shared stems are counted with sets, not sparse matrices
COMPOUND_MIN = 5  # letters of the shorter noun where one counted noun ends another ("earthquake", "quake")
# People counted under a general word and under a kind of people ("600 people", "600 residents") are one
# count told two ways; two kinds ("residents", "children") are not.
GENERAL_PEOPLE = frozenset({"people", "person", "individual"})
KINDS_OF_PEOPLE = word_set(
    "resident civilian villager citizen inhabitant local worker employee passenger migrant refugee child "
    "children adult man men woman women student pupil patient victim protester demonstrator soldier troop "
    "fighter officer member voter tourist visitor survivor casualty evacuee volunteer staff personnel "
    "miner farmer fisherman fishermen driver pilot rescuer doctor nurse teacher journalist prisoner "
    "detainee hostage fan spectator pilgrim worshipper customer commuter police"
)
# Dimensionless scales (``copydesk.facts.figures``): "a reading of 6.2" may be the "magnitude 6.2" of
# another source, so a bare number (no unit, nothing counted) may equal one on a scale.
SCALE_UNITS = frozenset({"magnitude", "category"})

_NUMERIC = re.compile(r"[\d.,]+")
Array = np.ndarray[Any, Any]


@lru_cache(maxsize=16384)
def sentence_stems(sentence: str) -> frozenset[str]:
    """A figure sentence's content stems without its numbers (memoised: a sentence often has several)."""
    return frozenset(s for s in stem_set(sentence) if not _NUMERIC.fullmatch(s))


def same_value(a: Figure, b: Figure) -> bool:
    if a.kind == "date" or b.kind == "date":
        return a.when is not None and a.when == b.when
    if a.value is None or b.value is None or not _units_match(a, b):
        return False
    return abs(a.value - b.value) <= VALUE_TOLERANCE * max(abs(a.value), abs(b.value), 1e-9)


def _units_match(a: Figure, b: Figure) -> bool:
    if a.unit == b.unit:
        return True
    bare_a, bare_b = a.unit is None and a.counted is None, b.unit is None and b.counted is None
    return (bare_a and b.unit in SCALE_UNITS) or (bare_b and a.unit in SCALE_UNITS)


def distinctive(f: Figure) -> bool:
    """A value unlikely to repeat by chance: not a small count, a weekday or a bare year."""
    if f.kind == "date":
        return f.when is not None and len(f.when) >= 10
    return f.value is not None and (f.value > 12 or f.unit not in (None, "day", "week", "month", "year"))


def counted_compatible(a: str, b: str) -> bool:
    """Two counted nouns that may name the same things: a compound and its head (``earthquake`` and
    ``quake``, ``airstrike`` and ``strike``: a head of ``COMPOUND_MIN`` letters or more, three or more
    before it; not ``household`` and ``hold``), or people in general and a kind of people. A different
    noun otherwise (``shells`` and ``missiles``): a conflict."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) >= COMPOUND_MIN and len(long) - len(short) >= 3 and long.endswith(short):
        return True
    if a in GENERAL_PEOPLE or b in GENERAL_PEOPLE:
        other = b if a in GENERAL_PEOPLE else a
        return other in GENERAL_PEOPLE or other in KINDS_OF_PEOPLE
    return False


def _value_key(f: Figure) -> tuple[str, str]:
    """A bucket for figures that may have the same value: the date, or the unit and two digits."""
    if f.kind == "date" or f.value is None:
        return ("date", f.when or "")
    return ("" if f.unit in SCALE_UNITS else f.unit or "", f"{f.value:.2g}")


class _Codes:
    """Small integers for hashable values (None is -1), so that equality tests run on arrays."""

    def __init__(self) -> None:
        self.known: dict[Hashable, int] = {}

    def __call__(self, value: Hashable) -> int:
        return -1 if value is None else self.known.setdefault(value, len(self.known))


@dataclass(slots=True)
class _Nodes:
    """Figures grouped into nodes, with what the links read of each node as arrays."""

    figures: list[list[int]]  # figure indices of each node, first figure first
    sources: list[set[str]]
    stems: list[frozenset[str]]
    attributes: dict[str, Array]
    nouns: dict[int, str]  # the counted nouns by their code in ``attributes["counted"]``


def _nodes(figures: Sequence[Figure], stems: Sequence[frozenset[str]]) -> _Nodes:
    """One node per figure, but figures of different sources alike in all the links read share one
    (the k-th such figure of a source joins the node of the k-th of every other source)."""
    by_key: dict[tuple[Any, ...], int] = {}
    seen: dict[tuple[Any, ...], int] = {}
    members: list[list[int]] = []
    sources: list[set[str]] = []
    for i, f in enumerate(figures):
        node = None
        if stems[i] and same_value(f, f):
            key = (f.kind, f.value, f.unit, f.counted, f.qualifier, f.scope, f.when, stems[i])
            nth = seen[key, f.article_id] = seen.get((key, f.article_id), -1) + 1
            node = by_key.setdefault((*key, nth), len(members))
        if node is None or node == len(members):
            members.append([])
            sources.append(set())
            node = len(members) - 1
        members[node].append(i)
        sources[node].add(f.article_id)
    firsts = [figures[m[0]] for m in members]
    codes = _Codes()
    attributes = {
        "date": np.array([f.kind == "date" for f in firsts], dtype=bool),
        "value": np.array([np.nan if f.value is None else f.value for f in firsts], dtype=np.float64),
        "unit": np.array([codes(("unit", f.unit)) for f in firsts], dtype=np.int64),
        "bare": np.array([f.unit is None and f.counted is None for f in firsts], dtype=bool),
        "scale": np.array([f.unit in SCALE_UNITS for f in firsts], dtype=bool),
        "counted": np.array([codes(f.counted) if f.counted else -1 for f in firsts], dtype=np.int64),
        "qualifier": np.array([codes(("qualifier", f.qualifier)) for f in firsts], dtype=np.int64),
        "scope": np.array([codes(("scope", f.scope)) for f in firsts], dtype=np.int64),
        "when": np.array(
            [codes(("when", f.when)) if f.when is not None else -1 for f in firsts], dtype=np.int64
        ),
        "distinctive": np.array([distinctive(f) for f in firsts], dtype=bool),
        # The node's one source where it has only one (two such nodes of one source are never paired).
        "alone": np.array(
            [
                codes(("source", f.article_id)) if len(s) == 1 else -2 - k
                for k, (f, s) in enumerate(zip(firsts, sources, strict=True))
            ],
            dtype=np.int64,
        ),
    }
    nouns = {code: noun for noun, code in codes.known.items() if isinstance(noun, str)}
    return _Nodes(members, sources, [stems[m[0]] for m in members], attributes, nouns)


def _candidate_pairs(figures: Sequence[Figure], nodes: _Nodes) -> tuple[Array, Array, Array]:
    """Node pairs ``(i, j)``, ``i < j``, that share a value bucket or a counted noun, with the number of
    sentence stems they share; in a bucket past ``BUCKET_ALL`` nodes, each node's nearest only."""
    buckets: dict[tuple[str, str], list[int]] = {}
    for n, members in enumerate(nodes.figures):
        f = figures[members[0]]
        buckets.setdefault(_value_key(f), []).append(n)
        if f.counted:
            buckets.setdefault(("counted", f.counted), []).append(n)
    stems = nodes.stems
    lengths = np.array([len(s) for s in stems], dtype=np.float64)
    rows: Any = None  # the stems as a sparse incidence matrix, made for the first large bucket
    found: list[tuple[Array, Array, Array]] = []
    small: tuple[list[int], list[int], list[int]] = ([], [], [])
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        if len(bucket) <= SMALL_BUCKET:  # most buckets of most stories: sets are quicker than scipy's setup
            for x, one in enumerate(bucket):
                for other in bucket[x + 1 :]:
                    small[0].append(one)
                    small[1].append(other)
                    small[2].append(len(stems[one] & stems[other]))
            continue
        if rows is None:
            rows = SentenceIncidence(stems).rows.astype(np.float64)  # exact counts, float64 ratios
        idx = np.array(bucket)
        inside = rows[idx]
        if len(idx) <= BUCKET_ALL:
            upper = np.triu_indices(len(idx), 1)
            found.append((idx[upper[0]], idx[upper[1]], (inside @ inside.T).toarray()[upper]))
            continue
        for r0 in range(0, len(idx), _ROW_CHUNK):
            shared = (inside[r0 : r0 + _ROW_CHUNK] @ inside.T).toarray()
            local = np.arange(r0, r0 + len(shared))
            with np.errstate(divide="ignore", invalid="ignore"):
                closeness = 2 * shared / (lengths[idx[local]][:, None] + lengths[idx][None, :])
            closeness[np.arange(len(shared)), local] = -1.0  # not itself
            near = np.argpartition(-np.nan_to_num(closeness, nan=0.0), BUCKET_NEIGHBOURS, axis=1)
            near = near[:, :BUCKET_NEIGHBOURS]
            a = np.repeat(idx[local], BUCKET_NEIGHBOURS)
            b = idx[near.ravel()]
            found.append((np.minimum(a, b), np.maximum(a, b), np.take_along_axis(shared, near, 1).ravel()))
    if small[0]:
        found.append((np.array(small[0]), np.array(small[1]), np.array(small[2], dtype=np.float64)))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    first = np.concatenate([f[0] for f in found]).astype(np.int64)
    second = np.concatenate([f[1] for f in found]).astype(np.int64)
    shared_all = np.concatenate([f[2] for f in found])
    _, keep = np.unique(first * len(nodes.figures) + second, return_index=True)
    first, second = first[keep], second[keep]
    shared_all = shared_all[keep]
    total = lengths[first] + lengths[second]
    with np.errstate(divide="ignore", invalid="ignore"):
        context = np.where(total > 0, 2 * shared_all / total, 0.0)
    return first, second, context


def _classify(nodes: _Nodes, i: Array, j: Array, ctx: Array) -> tuple[Array, Array]:
    """Each pair's link score (NaN where not linked) and whether it is a related pair."""
    at = nodes.attributes
    paired = (at["alone"][i] != at["alone"][j]) & (at["date"][i] == at["date"][j])
    vi, vj = at["value"][i], at["value"][j]
    with np.errstate(invalid="ignore"):
        close = np.abs(vi - vj) <= VALUE_TOLERANCE * np.maximum(np.maximum(np.abs(vi), np.abs(vj)), 1e-9)
    units_match = (at["unit"][i] == at["unit"][j]) | (at["bare"][i] & at["scale"][j])
    units_match |= at["scale"][i] & at["bare"][j]
    number_same = ~np.isnan(vi) & ~np.isnan(vj) & units_match & close
    date_same = (at["when"][i] >= 0) & (at["when"][i] == at["when"][j])
    same = paired & np.where(at["date"][i], date_same, number_same)
    ci, cj = at["counted"][i], at["counted"][j]
    counted_match = (ci < 0) | (cj < 0) | (ci == cj) | _compatible_nouns(ci, cj, nodes.nouns)
    topical = ctx >= SAME_TOPIC
    agree = same & counted_match & (topical | (at["distinctive"][i] & (ctx > 0.05)))
    other_noun = same & ~counted_match & at["distinctive"][i] & topical
    same_noun = paired & ~same & ~at["date"][i] & (ci >= 0) & (ci == cj)
    scope_same = at["scope"][i] == at["scope"][j]
    claim = (ctx >= SAME_SENTENCE) & (at["qualifier"][i] == at["qualifier"][j])
    other_number = same_noun & claim & (at["unit"][i] == at["unit"][j]) & scope_same
    related = same_noun & ~other_number & ((ctx >= SAME_TOPIC / 2) | ~scope_same)
    score = np.full(len(i), np.nan)
    score[agree] = ctx[agree] + 1.0
    score[other_noun] = ctx[other_noun] + 0.5
    score[other_number] = ctx[other_number]
    return score, related


def _compatible_nouns(ci: Array, cj: Array, nouns: dict[int, str]) -> Array:
    """Where pairs have two different counted nouns that ``counted_compatible`` allows (each distinct
    pair of nouns judged once)."""
    out = np.zeros(len(ci), dtype=bool)
    differ = (ci >= 0) & (cj >= 0) & (ci != cj)
    if not differ.any():
        return out
    a, b = ci[differ], cj[differ]
    width = max(nouns) + 1
    distinct, inverse = np.unique(np.minimum(a, b) * width + np.maximum(a, b), return_inverse=True)
    judged = np.array([counted_compatible(nouns[k // width], nouns[k % width]) for k in distinct.tolist()])
    out[differ] = judged[inverse]
    return out


def group_figures(story_id: str, figures: Sequence[Figure]) -> tuple[list[FactGroup], dict[str, str]]:
    """Figure groups with their status, and a map from figure id to group id."""
    nodes = _nodes(figures, [sentence_stems(f.sentence) for f in figures])
    i, j, ctx = _candidate_pairs(figures, nodes)
    score, related = _classify(nodes, i, j, ctx)
    linked = ~np.isnan(score)
    li, lj, ls = i[linked], j[linked], score[linked]
    groups = SourceGroups(nodes.sources)
    best_first = np.lexsort((lj, li, ls))[::-1]
    groups.union_all(li[best_first].tolist(), lj[best_first].tolist())
    out: list[FactGroup] = []
    member_group: dict[str, str] = {}
    root_group: dict[int, FactGroup] = {}
    clusters = groups.clusters()
    for root, node_list in sorted(
        clusters.items(), key=lambda kv: figures[nodes.figures[kv[1][0]][0]].position
    ):
        items = sorted(
            (figures[m] for n in node_list for m in nodes.figures[n]),
            key=lambda f: (f.article_id, f.position),
        )
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
    for a, b in zip(i[related].tolist(), j[related].tolist(), strict=True):
        ga, gb = root_group[groups.find(a)], root_group[groups.find(b)]
        if ga is not gb:
            if gb.id not in ga.related:
                ga.related.append(gb.id)
            if ga.id not in gb.related:
                gb.related.append(ga.id)
    return out, member_group


def _figure_status(items: Sequence[Figure]) -> str:
    if len({f.article_id for f in items}) < 2:
        return "single-source"
    # any two members, each distinct value once (a flood's group has thousands of the same; a value
    # compared with itself too: one without a value agrees with nothing)
    values = list({(f.kind, f.value, f.unit, f.counted, f.when): f for f in items}.values())
    if any(not same_value(a, b) for k, a in enumerate(values) for b in values[k:]):
        return "conflict"
    nouns = sorted({f.counted for f in items if f.counted})
    if any(not counted_compatible(a, b) for k, a in enumerate(nouns) for b in nouns[k + 1 :]):
        return "conflict"
    return "agree"
