"""Average-link grouping of a batch of vectors, bounded to what can be linked at all.

No two average-link clusters at threshold t can be joined unless some pair across them reaches t,
so the batch is first split into the components of its >= t links (found exactly for batches up to
12,000 rows, by nearest-neighbour search above), and each component is agglomerated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # compiled groupings (tests hold each equal to its scipy or numpy path)
    from copydesk import _links
except ImportError:  # pragma: no cover - built without the C extension
    _links = None  # type: ignore[assignment]


def load_libraries() -> None:
    """Import what the groupings import lazily where the caller would otherwise wait anyway (a forked
    helper before its first grouping is asked for, the stories stage while that helper works on the
    first chunk): scipy's linkage and graphs, about a quarter of a second, needed only where the
    compiled groupings (copydesk._links) were not built."""
    if _links is not None:
        return
    import scipy.cluster.hierarchy
    import scipy.sparse.csgraph
    import scipy.spatial.distance  # noqa: F401


@dataclass(frozen=True, slots=True)
class Centring:
    """How rows were made from plain ones (``events.centred``): each plain row minus ``strength``
    times their mean, scaled to unit length. Two such rows' similarity is then the plain rows' own,
    less ``strength`` times each one's projection on the mean, plus ``strength`` squared times the
    mean's square, over the two lengths before scaling: worked out from the plain similarities the
    links need anyway, instead of a second matrix product (23 of a 2,000-row event grouping's 90 ms;
    equal to the product's within float32 rounding, 1e-6)."""

    strength: float
    projections: np.ndarray  # float64: each plain row's dot product with the mean
    norms: np.ndarray  # float64: each centred row's length before scaling
    mean_square: float

    def rows(self, members: list[int]) -> Centring:
        return Centring(self.strength, self.projections[members], self.norms[members], self.mean_square)


def centred_distances(floor_sims: np.ndarray, centring: Centring, offset: float) -> tuple[np.ndarray, float]:
    """The condensed distances (``_condensed_distances``' order) of the centred rows, each pair's
    similarity at most its plain one (``floor_sims``) less ``offset``, and the lowest such similarity:
    compiled (copydesk._links) where built, in one pass; else in numpy (the reference)."""
    n = len(floor_sims)
    if _links is not None and floor_sims.dtype == np.float32:
        out = np.empty(n * (n - 1) // 2)
        lowest = _links.centred_distances(
            np.ascontiguousarray(floor_sims),
            np.ascontiguousarray(centring.projections, dtype=np.float64),
            np.ascontiguousarray(centring.norms, dtype=np.float64),
            centring.strength,
            centring.mean_square,
            offset,
            out,
        )
        return out, lowest
    return python_centred_distances(floor_sims, centring, offset)


def python_centred_distances(
    floor_sims: np.ndarray, centring: Centring, offset: float
) -> tuple[np.ndarray, float]:
    """``centred_distances`` in numpy, in float64."""
    n = len(floor_sims)
    plain = floor_sims.astype(np.float64)
    s, p = centring.strength, centring.projections.astype(np.float64)
    scale = np.outer(centring.norms, centring.norms).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = (plain - s * p[:, None] - s * p[None, :] + s * s * centring.mean_square) / scale
    centred[scale <= 0] = 0.0
    sims = np.minimum(centred, plain - offset)
    above = np.triu_indices(n, 1)
    pairs = sims[above]
    return np.clip(1.0 - pairs, 0.0, 2.0), float(pairs.min()) if len(pairs) else float("inf")


def cluster_by_links(
    vectors: np.ndarray,
    threshold: float,
    neighbours: int,
    times: np.ndarray | None = None,
    window: float = float("inf"),
    links: tuple[np.ndarray, float] | None = None,
    centring: Centring | None = None,
) -> list[list[int]]:
    """Average-link clusters of the rows; rows further apart than ``window`` days are never linked
    (``times`` in days, NaN for undated rows, which link to anything). With ``links`` (other
    vectors and a threshold), the components come from those vectors' links instead; with
    ``centring`` too (how the rows were made from the links' vectors), the rows' similarities come
    from the links' own."""
    n = len(vectors)
    if n == 0:
        return []
    linked, level = (vectors, threshold) if links is None else links
    # Up to one block of rows, the links' similarity matrix is the one the averaging needs (the
    # plain one, or the floor's): made once, not again per component.
    link_sims = linked @ linked.T if n <= _EDGE_BLOCK else None
    windowed = times is not None and bool(np.isfinite(window))
    if link_sims is not None and _links is not None:
        # compiled: the same components without listing every link first
        day_of = np.ascontiguousarray(times, dtype=np.float64) if windowed else None
        labels = np.asarray(_links.link_components(link_sims, level, day_of, window), dtype=np.int64)
    else:
        a, b = (
            _pairs_reaching(link_sims, level)
            if link_sims is not None
            else neighbour_edges(linked, neighbours, level)
        )
        if windowed and times is not None:
            gap = np.abs(times[a] - times[b])
            keep = ~(gap > window)  # NaN (undated) compares False, so it is kept
            a, b = a[keep], b[keep]
        labels = _components(n, a, b)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    groups: list[list[int]] = []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        members = order[lo:hi].tolist()
        if len(members) == 1:
            groups.append(members)
            continue
        known = None
        if link_sims is not None:
            known = link_sims if hi - lo == n else link_sims[np.ix_(members, members)]
        floor = None if links is None else (links[0][members], links[1])
        sims, floor_sims = (known, None) if links is None else (None, known)
        part = None if centring is None or known is None else centring.rows(members)
        for cluster in average_link(
            vectors[members], threshold, floor=floor, sims=sims, floor_sims=floor_sims, centring=part
        ):
            groups.append([members[c] for c in cluster])
    return groups


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component labels of the links a[k] - b[k], numbered in the order of each component's first
    row (as scipy numbers them): compiled (copydesk._links) where built, else joined in plain Python
    for few links (scipy's validation and sparse conversion cost about a millisecond a call, more
    than the work there) and by scipy for many."""
    if _links is not None:
        return np.asarray(
            _links.pair_components(n, np.ascontiguousarray(a, np.int64), np.ascontiguousarray(b, np.int64)),
            dtype=np.int64,
        )
    if len(a) <= 256:
        return python_components(n, a, b)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels)


def python_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``_components`` by union-find in plain Python (the compiled one's reference)."""
    parent = list(range(n))
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        while parent[x] != x:
            x = parent[x]
        while parent[y] != y:
            y = parent[y]
        if x < y:
            parent[y] = x
        elif y < x:
            parent[x] = y
    # A root is its component's first row (the lower root wins every union), and a row's parent
    # comes before it, already labelled: labels in the order of each component's first row.
    labels = [0] * n
    count = 0
    for i in range(n):
        root = parent[i]
        if root == i:
            labels[i] = count
            count += 1
        else:
            labels[i] = labels[root]
    return np.asarray(labels, dtype=np.int64)


def average_link(
    vectors: np.ndarray,
    threshold: float,
    max_size: int = 2000,
    floor: tuple[np.ndarray, float] | None = None,
    sims: np.ndarray | None = None,
    floor_sims: np.ndarray | None = None,
    centring: Centring | None = None,
) -> list[list[int]]:
    """Average-link agglomeration, stopping when no two clusters average >= threshold.

    With ``floor`` (other vectors and a level), a pair counts at most as similar as its similarity in
    those vectors minus (level - threshold): a pair below ``level`` there pulls an average down.

    Inputs larger than ``max_size`` are cut, in order, into chunks first (a bound on memory and time;
    such components only arise in batches with very many similar reports). ``sims`` and
    ``floor_sims``: the vectors' (and the floor vectors') similarity matrices where the caller has them;
    ``centring``: how the vectors were made from the floor's (``Centring``), so that their
    similarities come from ``floor_sims``.
    """
    n = len(vectors)
    if n == 1:
        return [[0]]
    if n > max_size:
        out: list[list[int]] = []
        for lo in range(0, n, max_size):
            sub_floor = None if floor is None else (floor[0][lo : lo + max_size], floor[1])
            part = average_link(vectors[lo : lo + max_size], threshold, max_size, sub_floor)
            out.extend([[lo + i for i in c] for c in part])
        return out
    condensed = _floored_distances(vectors, threshold, floor, sims, floor_sims, centring)
    if condensed is None:
        # Every pair reaches the threshold, so every average of pairs does, whatever merges first:
        # one cluster, without the tree (a 2,000-row topic group of one kind of event: the
        # distances and the tree 35 of its 75 ms).
        return [list(range(n))]
    tree = average_tree(condensed, n, overwrite=True)  # the distances are not read again
    labels = _cut(tree, n, 1.0 - threshold + 1e-9)
    clusters: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        clusters.setdefault(label, []).append(i)
    return list(clusters.values())


def _floored_distances(
    vectors: np.ndarray,
    threshold: float,
    floor: tuple[np.ndarray, float] | None,
    sims: np.ndarray | None,
    floor_sims: np.ndarray | None,
    centring: Centring | None,
) -> np.ndarray | None:
    """``average_link``'s condensed distances, or None where every pair reaches the threshold."""
    if centring is not None and floor is not None and floor_sims is not None:
        condensed, lowest = centred_distances(floor_sims, centring, floor[1] - threshold)
        return None if lowest >= threshold else condensed
    if sims is None:
        sims = vectors @ vectors.T
    if floor is not None:
        known = floor[0] @ floor[0].T if floor_sims is None else floor_sims
        sims = np.minimum(sims, known - (floor[1] - threshold))
    # the diagonal only makes the test stricter
    return None if float(sims.min()) >= threshold else _condensed_distances(sims)


def best_columns(values: np.ndarray, count: int) -> np.ndarray:
    """Each row's ``count`` highest columns, highest first, the earlier column first among equal
    values: ``np.argsort(-values, axis=1, kind="stable")[:, :count]``. Compiled for finite values
    (``copydesk._links.top_columns``: one pass a row instead of a sort; a big story's later members
    against its first 200, 13 -> 1 ms)."""
    rows, columns = values.shape
    if _links is None or columns <= count or rows == 0 or not np.isfinite(values).all():
        return np.argsort(-values, axis=1, kind="stable")[:, :count]
    out = np.empty((rows, count), dtype=np.int64)
    _links.top_columns(np.ascontiguousarray(values, dtype=np.float64), count, out)
    return out


def average_tree(condensed: np.ndarray, n: int, *, overwrite: bool = False) -> np.ndarray:
    """``linkage(condensed, method="average")``: scipy's tree of the distances (float64, finite).

    ``linkage`` checks, converts and wraps its input on every call, about 60 us, more than the
    merging itself on the stories stage's thousand small groups a chunk; where scipy's own
    nearest-neighbour-chain routine can be reached, it is called as ``linkage`` calls it. The
    compiled ``average_tree`` (copydesk._links) builds the same tree without importing scipy's
    clustering (tests hold all three equal). ``overwrite``: the caller is done with ``condensed``, and
    the compiled tree may merge in it instead of a copy (16 MB at 2,000 rows, freshly mapped)."""
    if _links is not None:
        tree = np.empty((max(n - 1, 0), 4))
        _links.average_tree(np.ascontiguousarray(condensed, dtype=np.float64), n, tree, overwrite)
        return tree
    try:
        from scipy.cluster._hierarchy import nn_chain
        from scipy.cluster.hierarchy import _LINKAGE_METHODS
    except ImportError:  # pragma: no cover - another scipy layout
        from scipy.cluster.hierarchy import linkage

        return np.asarray(linkage(condensed, method="average"))
    return np.asarray(nn_chain(condensed, n, _LINKAGE_METHODS["average"]))


def _condensed_distances(sims: np.ndarray) -> np.ndarray:
    """The distances (1 - similarity, within [0, 2]) of each pair above the diagonal, in
    ``squareform``'s order, taken out before any arithmetic: on the whole matrix, in float64, they
    cost the topic groups of a 2,000-article chunk 0.1 s. The matrices here are symmetric to the
    bit (numpy computes ``a @ a.T`` as one triangle, mirrored; their minimums and sub-matrices stay
    so), so the triangle above is the mean of the two the agglomeration once averaged. Compiled
    (copydesk._links) where built: one pass, no scipy."""
    if _links is not None and sims.dtype in (np.float32, np.float64) and sims.ndim == 2:
        n = len(sims)
        distances = np.empty(n * (n - 1) // 2)
        _links.condensed_distances(np.ascontiguousarray(sims), distances)
        return distances
    from scipy.spatial.distance import squareform

    condensed: np.ndarray = np.clip(1.0 - squareform(sims, checks=False), 0.0, 2.0).astype(np.float64)
    return condensed


def _cut(tree: np.ndarray, n: int, t: float) -> list[int]:
    """``fcluster(tree, t, criterion="distance")``'s partition (a label per row, numbered otherwise):
    the merges whose highest height below them is at most ``t`` join their two sides, each side named
    by one of its rows, and ``_components`` joins those links. scipy validates the whole tree on
    every call, which cost more than the cut on a stage's thousand small groups."""
    highest = [0.0] * (2 * n - 1)
    row_of = list(range(n)) + [0] * (n - 1)  # one row of each node's cluster
    left: list[int] = []
    right: list[int] = []
    for k, (a, b, height, _) in enumerate(tree.tolist()):
        node, a, b = n + k, int(a), int(b)
        highest[node] = max(height, highest[a], highest[b])
        row_of[node] = row_of[a]
        if highest[node] <= t:
            left.append(row_of[a])
            right.append(row_of[b])
    labels: list[int] = _components(
        n, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    ).tolist()
    return labels


_EDGE_BLOCK = 2048  # rows whose similarities ``neighbour_edges`` works out at once


def _pairs_reaching(sims: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The (row, column) pairs of a block of similarities (rows from the block's first column on)
    above its diagonal that reach ``threshold``."""
    a, b = np.nonzero(sims >= threshold)
    keep = b > a
    return a[keep], b[keep]


def neighbour_edges(vectors: np.ndarray, k: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows whose dot product reaches ``threshold``: exact up to 12,000 rows (a blocked
    matrix product; with BLAS that beats building an HNSW graph at these sizes), the ``k`` nearest
    neighbours of each row (usearch HNSW) above."""
    n = len(vectors)
    if n <= 12_000:
        firsts, seconds = [], []
        for lo in range(0, n, _EDGE_BLOCK):
            a, b = _pairs_reaching(vectors[lo : lo + _EDGE_BLOCK] @ vectors[lo:].T, threshold)
            firsts.append(a + lo)
            seconds.append(b + lo)
        return np.concatenate(firsts), np.concatenate(seconds)
    from usearch.index import Index

    index = Index(ndim=vectors.shape[1], metric="ip", dtype="f16", connectivity=12)
    index.add(np.arange(n), vectors)
    matches = index.search(vectors, k)
    keys = matches.keys.astype(np.int64)
    sims = 1.0 - matches.distances
    rows = np.repeat(np.arange(n), keys.shape[1])
    flat_keys, flat_sims = keys.reshape(-1), sims.reshape(-1)
    keep = (flat_sims >= threshold) & (flat_keys != rows) & (flat_keys >= 0) & (flat_keys < n)
    return rows[keep], flat_keys[keep]
