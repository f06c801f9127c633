"""Quotes of a story's sources grouped: one speaker saying the same thing, and how its wording drifts.

The unit matched across sources is a *bundle*: the direct quotes one speaker has in one sentence (a
rewrite often quotes two fragments of what another source quotes whole). Two bundles of two sources are
linked when each is the other's best match in the other's source: the same speaker saying mostly the same
words, or close words whoever is named. Links are applied best first, and a group takes at most one
bundle per source. Reported speech (``indirect``) stays in groups of its own.

A story can have thousands of sources, so every bundle's best match in every source is found with arrays,
not pair by pair, and bundles alike in all that matching reads (a copy's) are linked first, as one: their
link is the best either has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from copydesk.align.sentences import SentenceIncidence, drift
from copydesk.align.union import SourceGroups
from copydesk.facts.text import content_stems, fold
from copydesk.records import FactGroup, Quote

QUOTE_SAME_SPEAKER = 0.3  # containment of quote words for one speaker's quotes to be one statement
QUOTE_ANY_SPEAKER = 0.6  # ... for close quotes whose speakers were resolved differently
QUOTE_MIN_WORDS = 3  # content words two quotes need for a match without a shared speaker
_ROW_CHUNK = 512  # bundles whose scores against all others are held at once
_CELLS_AT_ONCE = 1 << 22  # bundle x source-column cells of the mutual-match test held at once

Array = np.ndarray[Any, Any]
Key = tuple[frozenset[str], str | None, int]  # what a bundle's score reads: its words, speaker, length


def score(a: Key, b: Key) -> float:
    """How well bundle ``b`` matches bundle ``a``: the share of the smaller one's words in the other,
    above a threshold that is lower for one speaker; 0 for no match."""
    words_a, speaker_a, length_a = a
    words_b, speaker_b, length_b = b
    shared = len(words_a & words_b) / min(len(words_a), len(words_b)) if words_a and words_b else 0.0
    if speaker_a and speaker_a == speaker_b:
        return shared + 0.001 if shared >= QUOTE_SAME_SPEAKER else 0.0
    return shared if shared >= QUOTE_ANY_SPEAKER and min(length_a, length_b) >= QUOTE_MIN_WORDS else 0.0


def _score_rows(rows: Any, sizes: Array, speakers: Array, lengths: Array, r: slice) -> Array:
    """``score`` of keys ``r`` against every key, as an array (the same arithmetic, so the same values)."""
    inter = (rows[r] @ rows.T).toarray()
    smaller = np.minimum(sizes[r][:, None], sizes[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = np.where(smaller > 0, inter / smaller, 0.0)
    one_speaker = (speakers[r][:, None] >= 0) & (speakers[r][:, None] == speakers[None, :])
    long_enough = np.minimum(lengths[r][:, None], lengths[None, :]) >= QUOTE_MIN_WORDS
    return np.where(
        one_speaker,
        np.where(shared >= QUOTE_SAME_SPEAKER, shared + 0.001, 0.0),
        np.where((shared >= QUOTE_ANY_SPEAKER) & long_enough, shared, 0.0),
    )


def _best_matches(keys: list[Key], key_of: Array, article_of: Array, n_articles: int) -> Array:
    """``best[k, a]``: the bundle of source ``a`` that best matches key ``k`` (ties: the first), or -1."""
    rows = SentenceIncidence([words for words, _, _ in keys]).rows.astype(np.float64)
    sizes = np.array([len(words) for words, _, _ in keys], dtype=np.float64)
    speaker_codes: dict[str, int] = {}
    speakers = np.array([speaker_codes.setdefault(s, len(speaker_codes)) if s else -1 for _, s, _ in keys])
    lengths = np.array([length for _, _, length in keys])
    order = np.lexsort((np.arange(len(key_of)), article_of))  # bundles by source, then first to last
    starts = np.searchsorted(article_of[order], np.arange(n_articles))
    best = np.full((len(keys), n_articles), -1, dtype=np.int32)  # keys x sources: kept small
    for r0 in range(0, len(keys), _ROW_CHUNK):
        r = slice(r0, min(r0 + _ROW_CHUNK, len(keys)))
        values = _score_rows(rows, sizes, speakers, lengths, r)[:, key_of[order]]
        top = np.maximum.reduceat(values, starts, axis=1)
        at_top = values == np.repeat(top, np.diff(np.append(starts, len(order))), axis=1)
        first = np.minimum.reduceat(np.where(at_top, np.arange(len(order)), len(order)), starts, axis=1)
        best[r] = np.where(top > 0, order[np.minimum(first, len(order) - 1)], -1)
    return best


def _links(
    direct: Sequence[int], keys: Sequence[Key], article: Sequence[str]
) -> tuple[list[tuple[int, int]], list[tuple[float, int, int]]]:
    """Bundles to join first (alike bundles of different sources) and the links between the rest, as
    ``(score, x, y)`` with ``x < y``: mutual best matches, one link for each pair of alike-sets."""
    if not direct:
        return [], []
    key_ids: dict[Key, int] = {}
    article_ids: dict[str, int] = {}
    unit_key = np.array([key_ids.setdefault(keys[x], len(key_ids)) for x in direct])
    unit_article = np.array([article_ids.setdefault(article[x], len(article_ids)) for x in direct])
    distinct = list(key_ids)
    node_of: dict[tuple[int, int, int], int] = {}  # (key, source, how many such before) -> node
    seen: dict[tuple[int, int], int] = {}
    node = np.empty(len(direct), dtype=np.int64)
    joined: list[tuple[int, int]] = []
    first_unit: list[int] = []
    alike_key = [score(key, key) > 0 for key in distinct]
    for pos, (k, a) in enumerate(zip(unit_key.tolist(), unit_article.tolist(), strict=True)):
        nth = seen[k, a] = seen.get((k, a), -1) + 1
        alike = alike_key[k]
        slot = node_of.setdefault((k, -1 if alike else a, nth if alike else pos), len(first_unit))
        if slot == len(first_unit):
            first_unit.append(direct[pos])
        else:
            joined.append((first_unit[slot], direct[pos]))
        node[pos] = slot
    best = _best_matches(distinct, unit_key, unit_article, len(article_ids))  # positions in ``direct``
    found: list[Array] = []
    by_key = np.argsort(unit_key, kind="stable")
    bounds = np.searchsorted(unit_key[by_key], np.arange(len(distinct) + 1))
    for k in range(len(distinct)):
        mine = by_key[bounds[k] : bounds[k + 1]]  # bundles with this key, first to last
        sources = np.flatnonzero(best[k] >= 0)
        other = best[k][sources]  # their best match in each source
        # Sources whose best match has one key and one node are one column: a mutual match is
        # "my source's best for that key is me", the same for all of them, and it links the same
        # two nodes (a wire quote copied by 10,000 sources: one column, not 10,000). Every mutual
        # pair is found from both ends, so the order of the two needs no check here.
        _, first, count = np.unique(
            unit_key[other] * len(first_unit) + node[other], return_index=True, return_counts=True
        )
        column_key, column_node = unit_key[other[first]], node[other[first]]
        only_source = np.where(count == 1, sources[first], -1)  # a column of one source: not mine
        step = max(1, _CELLS_AT_ONCE // max(1, len(first)))
        for lo in range(0, len(mine), step):
            rows = mine[lo : lo + step]
            my_source = unit_article[rows][:, None]
            mutual = (best[column_key[None, :], my_source] == rows[:, None]) & (
                only_source[None, :] != my_source
            )
            a, b = np.nonzero(mutual)
            na, nb = node[rows[a]], column_node[b]
            found.append(np.unique(np.minimum(na, nb) * len(first_unit) + np.maximum(na, nb)))
    pairs = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    links = []
    for na, nb in zip((pairs // len(first_unit)).tolist(), (pairs % len(first_unit)).tolist(), strict=True):
        if na == nb:
            continue
        x, y = sorted((first_unit[na], first_unit[nb]))
        links.append((score(keys[x], keys[y]), x, y))
    return joined, links


def group_quotes(
    story_id: str, quotes: Sequence[Quote], canonical: Callable[[str | None], str | None]
) -> tuple[list[FactGroup], dict[str, str]]:
    """Quote groups and quote id -> group id (see the module docstring)."""
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
    groups = SourceGroups([[a] for a in unit_article])
    repeated: dict[tuple[str, frozenset[str], str | None], int] = {}
    for x in direct:  # one source repeating its own quote
        said = frozenset(fold(quotes[i].text) for i in units[x])
        first = repeated.setdefault((unit_article[x], said, unit_speaker[x]), x)
        if first != x:
            groups.union(first, x, shared=True)
    keys: list[Key] = [
        (frozenset(stems), speaker or None, len(stems))
        for stems, speaker in zip(unit_stems, unit_speaker, strict=True)
    ]
    joined, links = _links(direct, keys, unit_article)
    for x, y in joined:
        groups.union(x, y)
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
