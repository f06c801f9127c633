"""The compiled overlap counts (copydesk._overlap) give exactly what their Python references give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.fingerprint import lsh
from copydesk.fingerprint.lsh import python_first_sharing, python_matching_blocks, python_shared_count
from copydesk.stories import sentence_align
from copydesk.stories.sentence_align import python_matched_total

overlap = pytest.importorskip("copydesk._overlap", reason="copydesk._overlap was not built")

# Few distinct words, so sequences share runs, ties and repeats; "".join builds each word afresh, so
# equal words are mostly different objects (equality, not identity, must decide).
_WORDS = st.sampled_from(["the", "of", "to", "a", "in", "was", "and", "The", "é", ""])
_SEQUENCES = st.lists(_WORDS, max_size=24).map(lambda words: tuple("".join(list(w)) for w in words))
_PRINTS = st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-20, 20), max_size=60).map(
    lambda values: np.unique(np.asarray(values, dtype=np.int64))
)


@settings(max_examples=1500)
@given(_SEQUENCES, _SEQUENCES)
def test_compiled_matched_total_is_difflibs(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert overlap.matched_total(a, b) == python_matched_total(a, b)


@settings(max_examples=1500)
@given(_SEQUENCES, _SEQUENCES)
def test_compiled_matching_blocks_are_difflibs(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert overlap.matching_blocks(list(a), list(b)) == python_matching_blocks(a, b)


def test_matching_blocks_of_long_word_lists() -> None:
    import random

    rng = random.Random(3)
    vocabulary = [f"w{n}" for n in range(40)] + ["the"] * 20
    for _ in range(30):
        a = [rng.choice(vocabulary) for _ in range(rng.randrange(300, 700))]
        b = a[rng.randrange(50) :]
        b = [w if rng.random() > 0.05 else rng.choice(vocabulary) for w in b]
        assert overlap.matching_blocks(a, b) == python_matching_blocks(a, b)
        assert overlap.matched_total(a, b) == sum(size for _, _, size in python_matching_blocks(a, b))


@settings(max_examples=800)
@given(_PRINTS, _PRINTS)
def test_compiled_shared_count_is_numpys(a: np.ndarray, b: np.ndarray) -> None:
    assert overlap.shared_count(a, b) == python_shared_count(a, b)


_MASKS = st.lists(st.integers(0, 2**70 - 1).map(lambda m: m & (2**70 - 1)), max_size=9)


@settings(max_examples=800)
@given(_MASKS, _MASKS, st.integers(1, 3))
def test_compiled_best_matches_are_the_references(a: list[int], b: list[int], min_anchors: int) -> None:
    from copydesk.stories.sentence_align import compiled_best_matches, outline, python_best_matches

    # sparse masks (a few anchors a sentence) over up to 70 bits: rows of one and two 64-bit words
    first = outline(
        [(m & (m >> 3) & (m >> 5), (m & (m >> 3) & (m >> 5)).bit_count(), 0, ()) for m in a], min_anchors
    )
    second = outline([(m & (m >> 2), (m & (m >> 2)).bit_count(), 0, ()) for m in b], min_anchors)
    for x, y in ((first, second), (second, first), (first, first)):
        assert compiled_best_matches(x, y, min_anchors) == python_best_matches(x, y, min_anchors)


@settings(max_examples=800)
@given(_MASKS, _MASKS, st.integers(1, 3))
def test_compiled_aligned_chain_is_the_reference(a: list[int], b: list[int], min_anchors: int) -> None:
    from copydesk.stories.sentence_align import compiled_aligned_chain, outline, python_aligned_chain

    # dense enough that matches chain, and sentences sit between chained pairs
    first = outline([(m & (m >> 2), (m & (m >> 2)).bit_count(), 0, ()) for m in a], min_anchors)
    second = outline([(m & (m >> 1), (m & (m >> 1)).bit_count(), 0, ()) for m in b], min_anchors)
    for x, y in ((first, second), (second, first), (first, first)):
        assert compiled_aligned_chain(x, y, min_anchors) == python_aligned_chain(x, y, min_anchors)


@settings(max_examples=800)
@given(_MASKS, _MASKS, st.integers(1, 3))
def test_compiled_anchor_reach_is_the_reference(a: list[int], b: list[int], min_anchors: int) -> None:
    from copydesk.stories.sentence_align import compiled_anchor_reach, outline, python_anchor_reach

    first = outline([(m & (m >> 3), (m & (m >> 3)).bit_count(), 0, ()) for m in a], min_anchors)
    second = outline([(m & (m >> 1) & (m >> 9), (m & (m >> 1) & (m >> 9)).bit_count(), 0, ()) for m in b], 2)
    for x, y in ((first, second), (second, first), (first, first)):
        assert compiled_anchor_reach(x, y, min_anchors) == python_anchor_reach(x, y, min_anchors)


@settings(max_examples=800)
@given(st.lists(st.integers(0, 12), max_size=30))
def test_compiled_increasing_chain_is_the_reference(targets: list[int]) -> None:
    from copydesk.stories.sentence_align import _increasing_chain, python_increasing_chain

    matches = list(enumerate(targets))
    assert _increasing_chain(matches) == python_increasing_chain(matches)


@settings(max_examples=400)
@given(
    _PRINTS,
    st.lists(st.one_of(st.none(), _PRINTS), max_size=6),
    st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0]),
)
def test_compiled_first_sharing_is_the_reference(
    mine: np.ndarray, theirs: list[np.ndarray | None], threshold: float
) -> None:
    assert overlap.first_sharing(mine, theirs, threshold) == python_first_sharing(mine, theirs, threshold)


def test_the_stories_code_uses_the_compiled_kernels() -> None:
    assert lsh.shared_shingles is overlap.shared_count
    assert lsh.first_sharing is overlap.first_sharing
    assert sentence_align.matched_total is overlap.matched_total
    assert lsh.matching_blocks is overlap.matching_blocks
    assert sentence_align.best_matches is sentence_align.compiled_best_matches
    assert sentence_align.anchor_reach is sentence_align.compiled_anchor_reach
    assert sentence_align.aligned_chain is sentence_align.compiled_aligned_chain


def test_shared_count_refuses_arrays_of_another_type() -> None:
    with pytest.raises(TypeError):
        overlap.shared_count(np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int64))


# Signature slots from a few values, so rows share some; a signature is either filled (densified) or,
# for an empty text, empty in every slot: the two kinds of row MinHasher makes.
_SLOTS = st.sampled_from([0, 1, 2, 7, 0xFFFFFFFE])


def _signatures(width: int) -> st.SearchStrategy[list[list[int]]]:
    row = st.lists(_SLOTS, min_size=width, max_size=width) | st.just([0xFFFFFFFF] * width)
    return st.lists(row, min_size=1, max_size=5)


@settings(max_examples=600)
@given(
    st.integers(1, 9).flatmap(lambda width: st.tuples(_signatures(width), _signatures(width))),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=12),
)
def test_compiled_pair_estimates_are_the_gathered_rows_estimates(
    matrices: tuple[list[list[int]], list[list[int]]], pairs: list[tuple[int, int]]
) -> None:
    from copydesk.fingerprint.minhash import EMPTY_SLOT
    from copydesk.stories.near_copies import estimated_jaccards

    mine, theirs = (np.asarray(m, dtype=np.uint32) for m in matrices)
    my_rows = np.asarray([a % len(mine) for a, _ in pairs], dtype=np.int64)
    their_rows = np.asarray([b % len(theirs) for _, b in pairs], dtype=np.int64)
    out = np.full(len(pairs), -1.0)
    overlap.pair_estimates(out, mine, my_rows, theirs, their_rows, mine.shape[1], int(EMPTY_SLOT))
    expected = estimated_jaccards(mine[my_rows], theirs[their_rows]) if pairs else np.zeros(0)
    assert out.tolist() == expected.tolist()


def test_pair_estimates_refuse_rows_out_of_range() -> None:
    signatures = np.zeros((2, 4), dtype=np.uint32)
    with pytest.raises(IndexError):
        overlap.pair_estimates(
            np.zeros(1), signatures, np.asarray([2]), signatures, np.asarray([0]), 4, 0xFFFFFFFF
        )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 700), st.sampled_from([0.3, 0.5, 0.8]))
def test_first_sharing_at_the_needed_count_among_many_candidates(
    seed: int, size: int, threshold: float
) -> None:
    """Candidates sharing one short of, exactly and one over the count the threshold asks for, among
    prints large enough that the compiled check's bit map of ``mine`` fills up (values that collide
    in it included): the reference's answer."""
    rng = np.random.default_rng(seed)
    mine = np.unique(rng.integers(-(2**63), 2**63 - 1, size=size, dtype=np.int64))
    need = max(1, int(np.ceil(threshold * len(mine))))
    theirs: list[np.ndarray | None] = []
    for shared in (need - 1, need, need + 1):
        kept = rng.choice(mine, size=min(max(shared, 0), len(mine)), replace=False)
        colliding = (mine[: len(mine) // 2] ^ (1 << 20)).astype(np.int64)  # same low bits as mine's
        theirs.append(np.unique(np.concatenate([kept, colliding])))
    rng.shuffle(theirs)
    for k in range(len(theirs) + 1):
        candidates = theirs[:k]
        assert overlap.first_sharing(mine, candidates, threshold) == python_first_sharing(
            mine, candidates, threshold
        )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 400), max_size=12),
    st.integers(0, 2**32 - 1),
    st.sampled_from([(128, 32), (96, 16), (8, 4)]),
)
def test_compiled_signing_is_the_numpy_signing(sizes: list[int], seed: int, shape: tuple[int, int]) -> None:
    """Signatures of texts of 0 to 400 shingles (empty rows, rows with most slots to densify, full
    ones), at a power-of-two width and at others: the compiled pass gives numpy's to the bit."""
    from copydesk.fingerprint.minhash import MinHashConfig, MinHasher

    num_perm, bands = shape
    hasher = MinHasher(MinHashConfig(num_perm=num_perm, bands=bands))
    rng = np.random.default_rng(seed)
    shingles = rng.integers(0, 2**64 - 1, size=sum(sizes), dtype=np.uint64, endpoint=True)
    offsets = np.cumsum([0, *sizes[:-1]]).astype(np.int64) if sizes else np.zeros(0, dtype=np.int64)
    compiled = hasher.sign_shingles(shingles, offsets)
    assert compiled.dtype == np.uint32 and compiled.shape == (len(sizes), num_perm)
    assert np.array_equal(compiled, hasher.array_signatures(shingles, offsets))


def test_compiled_signing_refuses_offsets_past_the_shingles() -> None:
    out = np.empty((2, 8), dtype=np.uint32)
    with pytest.raises(ValueError):
        overlap.sign_shingles(np.zeros(3, np.uint64), np.asarray([0, 5], np.int64), 1, 1, 1, 1, out)
