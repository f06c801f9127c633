"""Story desk internals: small stories folding into a sibling, mixed stories splitting, and batches
made ready in workers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.fingerprint.minhash import MinHashConfig, MinHasher
from copydesk.stories.cluster import VECTOR_DIM, StoryConfig, StoryDesk, batch_topic_groups, day_number
from copydesk.stories.events import absorb_small, event_groups, split_mixed
from copydesk.stories.features import Lexicon, build_features, feature_rows
from copydesk.stories.prepare import BatchPool
from copydesk.stories.synthetic import generate_corpus


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _sibling_and_stray() -> np.ndarray:
    """Four reports of one event (close to each other) and one stray report that shares a little
    with them: average link about 0.05, under the event threshold, over the small-story one."""
    base = np.zeros((5, 8), dtype=np.float32)
    base[:4, 0] = 1.0
    base[:4, 1:5] = np.eye(4) * 0.3
    base[4, 0] = 0.05
    base[4, 7] = 1.0
    return _unit(base)


def test_small_story_folds_into_its_sibling_when_undated_or_near_in_time() -> None:
    rows = _sibling_and_stray()
    cfg = StoryConfig()
    assert cfg.event_threshold > 0.05 > cfg.small_threshold
    undated = np.full(5, math.nan)
    assert absorb_small([[0, 1, 2, 3], [4]], rows, undated, cfg) == [[0, 1, 2, 3, 4]]
    near = np.asarray([100.0, 100.0, 101.0, 102.0, 104.0])
    assert absorb_small([[0, 1, 2, 3], [4]], rows, near, cfg) == [[0, 1, 2, 3, 4]]


def test_small_story_stays_apart_when_far_in_time_or_unrelated() -> None:
    rows = _sibling_and_stray()
    cfg = StoryConfig()
    far = np.asarray([100.0, 100.0, 101.0, 102.0, 100.0 + 2 + cfg.window_days + 1])
    assert absorb_small([[0, 1, 2, 3], [4]], rows, far, cfg) == [[0, 1, 2, 3], [4]]
    unrelated = rows.copy()
    unrelated[4] = 0.0
    unrelated[4, 7] = 1.0
    undated = np.full(5, math.nan)
    assert absorb_small([[0, 1, 2, 3], [4]], unrelated, undated, cfg) == [[0, 1, 2, 3], [4]]
    # Two groups both bigger than small_size never fold, however close.
    size = cfg.small_size + 1
    big = np.repeat(rows[:1], 2 * size, axis=0)
    halves = [list(range(size)), list(range(size, 2 * size))]
    assert len(absorb_small(halves, big, np.full(2 * size, math.nan), cfg)) == 2


def _two_halves(shared: float, chain: float, own: float, wording: float, count: int = 12) -> np.ndarray:
    """``count`` reports in two halves: all share ``shared`` (the kind of event) and ``chain`` (say a
    supermarket chain's name), each half its own ``own`` (the town), each report its own ``wording``."""
    rows = np.zeros((count, VECTOR_DIM), dtype=np.float32)
    rows[:, 0], rows[:, 1] = shared, chain
    rows[: count // 2, 2] = own
    rows[count // 2 :, 3] = own
    rows[np.arange(count), 10 + np.arange(count)] = wording
    return _unit(rows)


def test_two_events_one_kind_group_could_not_tell_apart_split() -> None:
    # Two fires at one chain's stores beside a second topic of the same kind: centred on the whole
    # group's mean, the chain's name still links the two fires; centred on their story's own, not.
    rows = np.zeros((24, VECTOR_DIM), dtype=np.float32)
    rows[:12] = _two_halves(0.3, 0.5, 0.6, 0.5)
    rows[12:, 0], rows[12:, 4] = 0.3, 1.1
    rows[np.arange(12, 24), 10 + np.arange(12, 24)] = 0.5
    rows = _unit(rows)
    undated = np.full(24, math.nan)
    merged = event_groups(rows, undated, StoryConfig(split_size=0))
    assert sorted(map(sorted, merged)) == [list(range(12)), list(range(12, 24))]
    split = event_groups(rows, undated, StoryConfig())
    assert sorted(map(sorted, split)) == [list(range(6)), list(range(6, 12)), list(range(12, 24))]


def test_one_event_told_two_ways_stays_whole() -> None:
    cfg = StoryConfig()
    undated = np.full(12, math.nan)
    # Centred on the story's own mean the halves part (cross similarity under the event threshold),
    # but on the plain vectors they share more than split_ratio of their own similarity.
    rows = _two_halves(0.3, 0.5, 0.4, 1.0)
    assert split_mixed(list(range(12)), rows, undated, cfg) == [list(range(12))]
    assert len(split_mixed(list(range(12)), rows, undated, StoryConfig(split_ratio=1.0))) == 2
    distinct = _two_halves(0.3, 0.5, 0.6, 1.0)
    assert sorted(map(sorted, split_mixed(list(range(12)), distinct, undated, cfg))) == [
        list(range(6)),
        list(range(6, 12)),
    ]
    # Parts smaller than split_size never stand alone.
    small = _two_halves(0.3, 0.5, 0.6, 1.0, count=8)
    assert split_mixed(list(range(8)), small, np.full(8, math.nan), cfg) == [list(range(8))]


def test_feature_rows_are_the_combined_vectors(lexicon: Lexicon) -> None:
    corpus = generate_corpus(4, seed=3)
    rows = feature_rows([a.title for a in corpus], [a.text for a in corpus], lexicon, StoryConfig().weights)
    for article, row in zip(corpus, rows, strict=True):
        assert np.allclose(row, build_features(article.title, article.text, lexicon).combined, atol=1e-6)


def test_batches_made_ready_in_a_worker_match_inline(lexicon: Lexicon) -> None:
    corpus = generate_corpus(12, seed=5)
    titles, texts, dates = [a.title for a in corpus], [a.text for a in corpus], [a.published for a in corpus]
    config = StoryConfig()
    with BatchPool(1, lexicon, config, MinHashConfig()) as pool:
        ready = pool.submit(titles, texts, dates).result()
    rows = feature_rows(titles, texts, lexicon, config.weights, dates)
    assert np.allclose(ready.rows, rows, atol=1e-6)
    assert ready.signatures is not None
    assert np.array_equal(ready.signatures, MinHasher(MinHashConfig()).signatures(texts))
    inline = batch_topic_groups(rows, np.asarray([day_number(d) for d in dates]), config)
    assert ready.topic_groups is not None
    assert sorted(map(sorted, ready.topic_groups)) == sorted(map(sorted, inline))
    ids = [a.source_id for a in corpus]
    built_here = StoryDesk(config).assign(ids, rows, dates)
    built_there = StoryDesk(config).assign(ids, ready.rows, dates, ready.topic_groups)
    assert [p.story_id for p in built_here] == [p.story_id for p in built_there]
    assert len({p.story_id for p in built_here}) >= 10


def test_components_of_few_links_match_scipy() -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from copydesk.stories.grouping import _components, python_components

    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        m = int(rng.integers(0, 300))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        graph = coo_matrix((np.ones(m, dtype=np.int8), (a, b)), shape=(n, n))
        expected = connected_components(graph, directed=False)[1]
        assert np.array_equal(_components(n, a, b), expected)  # compiled where built
        assert np.array_equal(python_components(n, a, b), expected)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.lists(
                st.lists(st.sampled_from([-1, 0, 1, 2]), min_size=3, max_size=3), min_size=n, max_size=n
            ),
            st.lists(st.sampled_from([0.0, 1.0, 2.5, 9.0, math.nan]), min_size=n, max_size=n),
        )
    ),
    st.sampled_from([0.0, 0.1, 0.5, 0.9]),
    st.sampled_from([1.0, 3.0, math.inf]),
    st.booleans(),
)
def test_compiled_link_components_are_the_links_components(
    rows: tuple[list[list[int]], list[float]], level: float, window: float, float64: bool
) -> None:
    """The compiled components of a similarity matrix's links (level, time window, NaN times linking
    to anything, float32 compared as numpy compares it) are those of the listed pairs."""
    links = pytest.importorskip("copydesk._links", reason="copydesk._links was not built")
    from copydesk.stories.grouping import _components, _pairs_reaching

    points, days = rows
    vectors = np.asarray(points, dtype=np.float64 if float64 else np.float32) / 2.0
    sims = vectors @ vectors.T
    times = np.asarray(days)
    a, b = _pairs_reaching(sims, level)
    if math.isfinite(window):
        keep = ~(np.abs(times[a] - times[b]) > window)
        a, b = a[keep], b[keep]
    expected = _components(len(sims), a, b)
    found = links.link_components(sims, level, times if math.isfinite(window) else None, window)
    assert found == expected.tolist()


@settings(max_examples=500)
@given(
    st.lists(
        st.sampled_from(["Quake", "hit", "Pellvar.", "12 died!", "Why?", " ", "\n\n", "'", '"', ")", "x"])
    ).map("".join),
    st.integers(1, 4),
)
def test_the_lead_is_the_first_sentences_of_the_opening(text: str, count: int) -> None:
    from copydesk.stories.features import lead_of, sentences

    assert lead_of(text, count) == " ".join(sentences(text[: 400 * count])[:count])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), min_size=n, max_size=n),
            st.floats(0.0, 1.2),
        )
    )
)
def test_cut_is_fclusters_partition(rows: tuple[list[list[int]], float]) -> None:
    # small integer vectors give many equal distances and heights, where a cut could go astray
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    from copydesk.stories.grouping import _cut

    points, t = rows
    tree = linkage(pdist(np.asarray(points, dtype=np.float64)), method="average")
    ours, theirs = _cut(tree, len(points), t), fcluster(tree, t=t, criterion="distance").tolist()

    def partition(labels: list[int]) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for i, label in enumerate(labels):
            groups.setdefault(label, set()).add(i)
        return {frozenset(g) for g in groups.values()}

    assert partition(ours) == partition(theirs)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 40).flatmap(
        lambda n: st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), min_size=n, max_size=n)
    )
)
def test_average_tree_is_scipys_average_linkage(points: list[list[int]]) -> None:
    # small integer vectors give many equal distances, where two routes could merge in another order
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import pdist

    from copydesk.stories.grouping import average_tree

    condensed = pdist(np.asarray(points, dtype=np.float64))
    before = condensed.copy()
    ours = average_tree(condensed, len(points))
    assert np.array_equal(ours, linkage(condensed, method="average"))
    assert np.array_equal(condensed, before)  # the distances are left as they were
    # merged in the caller's own distances (which it no longer needs): the same tree
    assert np.array_equal(average_tree(before, len(points), overwrite=True), ours)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1), st.sampled_from(["float32", "float64"]), st.booleans())
def test_condensed_distances_are_the_symmetrised_matrix_above_its_diagonal(
    n: int, seed: int, dtype: str, floored: bool
) -> None:
    """The similarity matrices the groupings make are symmetric to the bit, so the triangle above the
    diagonal is the mean of both halves (what the agglomeration once computed on the whole matrix)."""
    from scipy.spatial.distance import squareform

    from copydesk.stories.grouping import _condensed_distances

    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, 8)).astype(dtype)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    sims = rows @ rows.T
    assert np.array_equal(sims, sims.T)
    if floored:  # a floor's minimum and a sub-matrix, as ``cluster_by_links`` makes them
        floor = rows[:, ::-1] @ rows[:, ::-1].T
        keep = np.arange(0, n, 2)
        sims = np.minimum(sims, floor - 0.05)[np.ix_(keep, keep)]
    dist = np.clip(1.0 - sims, 0.0, 2.0).astype(np.float64)
    np.fill_diagonal(dist, 0.0)
    assert np.array_equal(_condensed_distances(sims), squareform((dist + dist.T) / 2))


def test_topic_groups_of_different_batches_never_share_a_topic_by_their_number() -> None:
    """Each batch numbers its topic groups from 0; linking the new stories of two batches in one call
    (as the stories stage did at the end of a run) must not pool the two batches' group 0."""
    from datetime import datetime

    def unit_row(dims: list[int]) -> np.ndarray:
        row = np.zeros(2 * VECTOR_DIM, dtype=np.float32)
        row[dims] = 1.0  # event and kind halves
        row[[VECTOR_DIM + d for d in dims]] = 1.0
        return row / np.linalg.norm(row[:VECTOR_DIM])

    desk = StoryDesk()
    when = datetime(2025, 3, 1)
    quakes = np.stack([unit_row([1, 2, 3]), unit_row([1, 2, 4])])
    visits = np.stack([unit_row([100, 101, 102]), unit_row([100, 101, 103])])
    first = desk.assign(["q1", "q2"], quakes, [when, when])
    second = desk.assign(["v1", "v2"], visits, [when, when])
    desk.link_topics([a.story_id for a in first + second if a.opened])
    topic_of = {a.article_id: desk.stories[a.story_id].topic_id for a in first + second}
    assert topic_of["q1"] == topic_of["q2"] and topic_of["v1"] == topic_of["v2"]
    assert topic_of["q1"] != topic_of["v1"]


def test_compiled_groupings_refuse_buffers_of_the_wrong_kind() -> None:
    """A mistyped buffer is refused, never read or written as another type."""
    links = pytest.importorskip("copydesk._links", reason="copydesk._links was not built")
    with pytest.raises(ValueError):
        links.average_tree(np.zeros(3), 3, np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(ValueError):
        links.condensed_distances(np.eye(3, dtype=np.float32), np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError):
        links.pair_components(3, np.zeros(2, dtype=np.int32), np.zeros(2, dtype=np.int32))
    with pytest.raises(TypeError):
        links.link_components(np.eye(3, dtype=np.int64), 0.5, None, math.inf)
    with pytest.raises(IndexError):
        links.pair_components(2, np.asarray([0, 2]), np.asarray([1, 1]))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 40),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 0.9),
    st.booleans(),
    st.sampled_from(["float32", "float64"]),
)
def test_average_link_of_rows_that_all_reach_the_threshold_is_the_trees_one_cluster(
    n: int, seed: int, spread: float, floored: bool, dtype: str
) -> None:
    """Where every pair reaches the threshold (after the floor), ``average_link`` answers without
    the tree: the tree's cut gives the same one cluster; just above the lowest pair the tree decides."""
    from copydesk.stories import grouping

    def unit(matrix: np.ndarray) -> np.ndarray:
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    rng = np.random.default_rng(seed)
    rows = unit((np.ones((n, 8)) + spread * rng.normal(size=(n, 8))).astype(dtype))
    other = unit((np.ones((n, 8)) + spread * rng.normal(size=(n, 8))).astype(dtype))
    sims = rows @ rows.T
    if floored:  # a floor at the threshold's level: each pair counts at most its floor similarity
        sims = np.minimum(sims, other @ other.T)
    low = float(np.min(sims))

    def tree_partition(threshold: float) -> list[list[int]]:
        tree = grouping.average_tree(grouping._condensed_distances(sims), n)
        groups: dict[int, list[int]] = {}
        for i, label in enumerate(grouping._cut(tree, n, 1.0 - threshold + 1e-9)):
            groups.setdefault(label, []).append(i)
        return sorted(groups.values())

    for threshold in (low - 1e-6, low + 1e-3):
        floor = (other, threshold) if floored else None
        assert sorted(grouping.average_link(rows, threshold, floor=floor)) == tree_partition(threshold)
    assert grouping.average_link(rows, low - 1e-6) == [list(range(n))]


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 40),
    st.integers(0, 2**32 - 1),
    st.floats(0.05, 1.0),
    st.floats(-0.2, 0.5),
    st.booleans(),
)
def test_centred_distances_are_the_centred_rows_product_floored(
    n: int, seed: int, strength: float, offset: float, zero_row: bool
) -> None:
    """The centred rows' distances worked out from the plain similarities: the compiled pass and the
    numpy reference agree to the last bits, and both are the centred rows' own product, floored, to
    float32 rounding (a row of zeros included)."""
    from copydesk.stories import grouping
    from copydesk.stories.events import centred

    rng = np.random.default_rng(seed)
    rows = _unit(rng.normal(size=(n, 16)).astype(np.float32) + 1.0)
    if zero_row:
        rows[0] = 0.0
    sub, centring = centred(rows, strength)
    assert centring is not None
    plain = rows @ rows.T
    compiled, lowest = grouping.centred_distances(plain, centring, offset)
    reference, lowest_too = grouping.python_centred_distances(plain, centring, offset)
    assert np.allclose(compiled, reference, rtol=0, atol=1e-12) and abs(lowest - lowest_too) < 1e-12
    product = np.minimum(sub @ sub.T, plain - offset)
    assert np.allclose(compiled, grouping._condensed_distances(product), rtol=0, atol=1e-5)
    assert abs(lowest - float(product[np.triu_indices(n, 1)].min())) < 1e-5


def test_event_groups_from_the_plain_similarities_are_the_ones_from_the_centred_product(
    lexicon: Lexicon,
) -> None:
    """A batch's event groups come out the same whether the centred rows' similarities are their own
    product or worked out from the plain rows' (what the stories stage does)."""
    from copydesk.stories import events, grouping

    config = StoryConfig()
    articles = generate_corpus(400, seed=11)
    rows = feature_rows([a.title for a in articles], [a.text for a in articles], lexicon, config.weights)
    times = np.asarray([day_number(a.published) for a in articles])
    compared = 0
    for topic in batch_topic_groups(rows, times, config):
        event_rows = rows[topic][:, :VECTOR_DIM]
        sub, centring = events.centred(event_rows, config.centring)
        args = (sub, config.event_threshold, config.neighbours, times[topic], config.window_days)
        links = (event_rows, config.link_floor)
        worked_out = grouping.cluster_by_links(*args, links, centring)
        assert worked_out == grouping.cluster_by_links(*args, links)
        compared += len(topic) > 2
    assert compared >= 5


@given(
    st.integers(0, 12),
    st.integers(1, 9),
    st.integers(1, 5),
    st.lists(
        st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, -1.0, math.nan, math.inf]), min_size=108, max_size=108
    ),
)
@settings(max_examples=300, deadline=None)
def test_best_columns_are_a_stable_sorts_first_columns(
    rows: int, columns: int, count: int, pool: list[float]
) -> None:
    """The compiled top columns of each row (ties to the earlier column) are those of a stable sort of
    the negated rows, with ties, signed zeros and (through the sort) NaN and infinities."""
    from copydesk.stories.grouping import best_columns

    values = np.array(pool[: rows * columns], dtype=np.float64).reshape(rows, columns)
    for matrix in (values, np.nan_to_num(values, nan=0.5, posinf=2.0, neginf=-2.0)):
        found = best_columns(matrix, count)
        assert found.dtype == np.int64 or len(found) == 0
        assert np.array_equal(found, np.argsort(-matrix, axis=1, kind="stable")[:, :count])


def _listed_rows(desk: StoryDesk, when: float, window: float) -> np.ndarray:
    """``StoryDesk._candidates`` worked out from the day index afresh (no rows kept between calls)."""
    found: set[int] = set(desk._undated)
    for d in range(math.floor(when - window) - 1, math.floor(when + window) + 2):
        found.update(desk._by_day.get(d, ()))
    rows = np.fromiter(found, dtype=np.int64, count=len(found))
    return desk._rows.in_window(rows[desk._rows.size[rows] > 0], when, window)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 60)), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 60)), max_size=30),
    st.lists(st.floats(0, 60), min_size=1, max_size=20),
)
def test_the_spans_kept_between_scorings_give_the_candidates_of_the_day_index(
    opened: list[int | None], joins: list[tuple[int, int]], asked: list[float]
) -> None:
    """Whatever opens, joins and is asked in between, the candidates of a day are those the day index
    lists for it at that moment (the rows kept for a span go whenever the index changes)."""
    from datetime import UTC, datetime, timedelta

    from copydesk.stories.cluster import StoryState

    start = datetime(2024, 1, 1, tzinfo=UTC)
    desk = StoryDesk()
    vector = np.zeros(2 * VECTOR_DIM, dtype=np.float32)
    states = []
    for k, day in enumerate(opened):
        when = None if day is None else start + timedelta(days=day, hours=k % 24)
        states.append(StoryState(f"s{k}", "", 0, 1, when, when))
        desk.add_story(states[-1], vector)
    window = desk.config.window_days
    for step, ((story, day), probe) in enumerate(zip(joins, asked * len(joins), strict=False)):
        when = day_number(start) + probe
        assert np.array_equal(desk._candidates(when, window), _listed_rows(desk, when, window))
        desk.join(states[story % len(states)], vector, start + timedelta(days=day, hours=step))
    for probe in asked:
        when = day_number(start) + probe
        assert np.array_equal(desk._candidates(when, window), _listed_rows(desk, when, window))
