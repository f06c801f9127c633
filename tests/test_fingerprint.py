"""Fingerprints: normalised hash, MinHash kernel, LSH banding and pair verification."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.fingerprint.lsh import LshIndex, near_copy_pairs, shingle_set, verify_pair
from copydesk.fingerprint.minhash import MinHashConfig, MinHasher, estimated_jaccard
from copydesk.fingerprint.normalise import (
    normalise_for_hash,
    normalised_hash,
    unicode_normalise_for_hash,
    unicode_words,
    words,
)

WORDS = [f"w{i}" for i in range(3000)]


def _doc(rng: random.Random, n: int = 300) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def test_normalised_hash_ignores_typography_not_wording() -> None:
    a = "The minister said: “We will build it” — and left.\n\nMore later."
    b = 'the Minister said  "we will BUILD it" - and left. More later'
    assert normalised_hash(a) == normalised_hash(b)
    assert normalised_hash(a) != normalised_hash(a.replace("build", "sell"))


@given(st.text(min_size=1, max_size=200))
@settings(max_examples=60, deadline=None)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise_for_hash(text)
    assert normalise_for_hash(once) == once


def test_signatures_are_seeded_and_batch_independent() -> None:
    rng = random.Random(1)
    docs = [_doc(rng) for _ in range(5)]
    hasher = MinHasher(MinHashConfig(seed=3))
    batch = hasher.signatures(docs)
    assert np.array_equal(batch[2], hasher.signature(docs[2]))
    assert np.array_equal(batch, MinHasher(MinHashConfig(seed=3)).signatures(docs))
    assert not np.array_equal(batch, MinHasher(MinHashConfig(seed=4)).signatures(docs))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Cé’-\n1."), max_size=300), st.sampled_from([64, 100, 128]))
def test_one_texts_signature_bytes_are_its_row_of_a_batch(text: str, num_perm: int) -> None:
    """The ingest workers' one-text path gives the stored bytes of the batch path's row, empty and
    short texts (fewer words than a shingle) included, and any width (a power of two or not)."""
    hasher = MinHasher(MinHashConfig(num_perm=num_perm, bands=4))
    row = hasher.signatures(["a first text of a few words", text])[1].astype(np.uint32).tobytes()
    assert hasher.signature_bytes(text) == row


def test_signature_bytes_without_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    import copydesk.fingerprint.minhash as minhash

    text = _doc(random.Random(5))
    expected = MinHasher().signature_bytes(text)
    monkeypatch.setattr(minhash, "_compiled_shingles", None)
    monkeypatch.setattr(minhash, "_compiled_signing", None)
    assert MinHasher().signature_bytes(text) == expected


def test_estimate_tracks_true_jaccard() -> None:
    rng = random.Random(2)
    hasher = MinHasher(MinHashConfig(num_perm=256, bands=64))
    errors = []
    for rate in (0.02, 0.05, 0.1, 0.2):
        base = _doc(rng, 600).split()
        edited = [rng.choice(WORDS) if rng.random() < rate else w for w in base]
        a, b = " ".join(base), " ".join(edited)
        sa, sb = shingle_set(a, 5), shingle_set(b, 5)
        true = len(sa & sb) / len(sa | sb)
        sig = hasher.signatures([a, b])
        errors.append(abs(estimated_jaccard(sig[0], sig[1]) - true))
    assert max(errors) < 0.08


def test_empty_and_short_texts() -> None:
    hasher = MinHasher()
    sig = hasher.signatures(["", "one two", "one two"])
    assert estimated_jaccard(sig[0], sig[0]) == 0.0
    assert estimated_jaccard(sig[1], sig[2]) == 1.0


def test_lsh_recall_on_near_copies() -> None:
    """Near copies (Jaccard >= 0.5) are found by banding then verified; unrelated texts are not."""
    rng = random.Random(5)
    originals = [_doc(rng) for _ in range(40)]
    copies = []
    for text in originals:
        words = text.split()
        cut = words[: int(len(words) * 0.85)]
        cut[rng.randrange(len(cut))] = "changed"
        copies.append(" ".join(cut))
    found = {(i, j) for i, j, _ in near_copy_pairs(originals + copies, MinHasher())}
    expected = {(i, i + 40) for i in range(40)}
    assert len(found & expected) / len(expected) >= 0.95
    assert found <= expected


def test_index_query_and_evidence() -> None:
    rng = random.Random(9)
    docs = [_doc(rng) for _ in range(10)]
    hasher = MinHasher()
    index = LshIndex(hasher.config)
    index.add(range(10), hasher.signatures(docs))
    copy = docs[4] + " and one more line"
    sig = hasher.signature(copy)
    assert 4 in index.query(sig)
    evidence = verify_pair(copy, docs[4], sig, hasher.signature(docs[4]), hasher.config)
    assert evidence.jaccard > 0.9 and evidence.shared_passages
    assert "Jaccard" in evidence.describe()


def test_empty_texts_are_not_lsh_candidates_of_each_other() -> None:
    hasher = MinHasher()
    index = LshIndex(hasher.config)
    index.add(range(3), hasher.signatures(["", "", "some words here and there again"]))
    assert index.query(hasher.signature("")) == set()
    assert index.candidate_pairs() == set()


def test_shingle_prints_count_what_the_shingle_sets_share() -> None:
    from copydesk.fingerprint.lsh import ShinglePrints, shared_shingles

    a = "The ferry union said crossings were cancelled at Brannock harbour after talks on pay broke down."
    b = "Crossings were cancelled at Brannock harbour after talks on pay broke down, the union said."
    prints = ShinglePrints(MinHasher(MinHashConfig(shingle=5)), capacity=2)
    assert (
        shared_shingles(prints.of("a", a), prints.of("b", b))
        == len(shingle_set(a, 5) & shingle_set(b, 5))
        > 0
    )
    assert len(prints.of("a", a)) == len(shingle_set(a, 5))
    assert "a" in prints and prints.get("b") is not None
    prints.of("c", "A third text, short.")
    assert "a" not in prints and "b" in prints and "c" in prints  # the oldest goes first
    assert len(prints.of("empty", "")) == 0


@settings(max_examples=600)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_shortcut_normalises_as_the_unicode_path_does(text: str) -> None:
    assert normalise_for_hash(text) == unicode_normalise_for_hash(text)
    assert words(text) == unicode_words(text)


@settings(max_examples=600)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_the_compiled_fold_is_the_normalised_text(text: str) -> None:
    compiled = pytest.importorskip("copydesk._textscan")
    folded = compiled.ascii_folded_words(text)
    if text.isascii():
        assert folded == unicode_normalise_for_hash(text).encode("utf-8")
    else:
        assert folded is None


_FEW_WORDS = st.lists(
    st.sampled_from(["ferry", "union", "pay", "Pay", "talks", "the", "3,5", "é"]), max_size=14
)


@settings(max_examples=400)
@given(_FEW_WORDS, _FEW_WORDS)
def test_shingle_prints_are_the_shingle_sets(a: list[str], b: list[str]) -> None:
    from copydesk.fingerprint.lsh import ShinglePrints, shared_shingles

    text_a, text_b = " ".join(a), " ".join(b)
    prints = ShinglePrints(MinHasher(MinHashConfig(shingle=5)))
    mine, theirs = prints.of("a", text_a), prints.of("b", text_b)
    assert len(mine) == len(shingle_set(text_a, 5))
    assert shared_shingles(mine, theirs) == len(shingle_set(text_a, 5) & shingle_set(text_b, 5))


@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3), max_size=50))
def test_sorted_unique_is_numpys_unique(values: list[int]) -> None:
    from copydesk.fingerprint.lsh import sorted_unique

    array = np.asarray(values, dtype=np.int64)
    assert np.array_equal(sorted_unique(array), np.unique(array))
    assert sorted_unique(array).dtype == np.int64


@settings(max_examples=200)
@given(st.lists(st.lists(_FEW_WORDS.map(" ".join), max_size=3).map("\n".join), max_size=6))
def test_a_batch_s_prints_are_each_text_s_own(texts: list[str]) -> None:
    """The prints a signing batch hands on (``split_prints``) are the ones each text would get alone,
    and the batch signs as ``signatures`` does; empty and short texts included."""
    from copydesk.fingerprint.lsh import ShinglePrints, split_prints

    hasher = MinHasher(MinHashConfig(shingle=5))
    shingles, offsets = hasher.shingle_hashes(texts)
    alone = ShinglePrints(MinHasher(MinHashConfig(shingle=5)))
    for i, found in enumerate(split_prints(shingles, offsets)):
        assert np.array_equal(found, alone.of(str(i), texts[i]))
        assert len(found) == len(shingle_set(texts[i], 5))
    assert np.array_equal(hasher.sign_shingles(shingles, offsets), hasher.signatures(texts))


@settings(max_examples=150)
@given(st.lists(st.lists(_FEW_WORDS.map(" ".join), max_size=3).map("\n".join), max_size=12))
def test_hashing_in_blocks_changes_nothing(texts: list[str]) -> None:
    """Texts are hashed and signed ``HASH_BLOCK`` at a time; blocks of 1, 2 or 5 texts give the same
    shingles, offsets and signatures as one block of all (empty texts and block edges included)."""
    import copydesk.fingerprint.minhash as minhash

    whole = MinHasher(MinHashConfig(shingle=3))
    shingles, offsets = whole.shingle_hashes(texts)
    signed = whole.sign_shingles(shingles, offsets)
    for block in (1, 2, 5):
        saved, minhash.HASH_BLOCK = minhash.HASH_BLOCK, block
        try:
            hasher = MinHasher(MinHashConfig(shingle=3))
            got, got_offsets = hasher.shingle_hashes(texts)
            assert np.array_equal(got, shingles) and np.array_equal(got_offsets, offsets)
            assert np.array_equal(hasher.sign_shingles(shingles, offsets), signed)
            assert np.array_equal(hasher.signatures(texts), signed)
        finally:
            minhash.HASH_BLOCK = saved


@settings(max_examples=100)
@given(st.lists(st.lists(_FEW_WORDS.map(" ".join), max_size=3).map("\n".join), min_size=2, max_size=8))
def test_pairwise_estimates_are_estimated_jaccard(texts: list[str]) -> None:
    """The near-copy check's batch estimates equal ``estimated_jaccard`` pair by pair, with and
    without empty texts among them (the all-filled shortcut and the masked path)."""
    from copydesk.stories.near_copies import estimated_jaccards

    hasher = MinHasher(MinHashConfig(shingle=3))
    signed = hasher.signatures(texts)
    pairs = [(i, j) for i in range(len(texts)) for j in range(len(texts))]
    mine = signed[[i for i, _ in pairs]]
    theirs = signed[[j for _, j in pairs]]
    expected = [estimated_jaccard(signed[i], signed[j]) for i, j in pairs]
    assert estimated_jaccards(mine, theirs).tolist() == expected
    filled = [k for k, (i, j) in enumerate(pairs) if texts[i].split() and texts[j].split()]
    assert estimated_jaccards(mine[filled], theirs[filled]).tolist() == [expected[k] for k in filled]


@settings(max_examples=150)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40), st.integers(0, 16)), max_size=60),
    st.booleans(),
)
def test_candidates_ranked_as_lexsort_ranks_them(pairs: list[tuple[int, int, int]], off_grid: bool) -> None:
    """The shortlist's order (query, best estimate, earlier row) is ``np.lexsort``'s, on the integer
    path (estimates that are slot counts over the width) and off it."""
    from copydesk.stories.near_copies import _best_first

    unique = sorted({(q, r): e for q, r, e in pairs}.items())
    queries = np.asarray([q for (q, _), _ in unique], dtype=np.int64)
    rows = np.asarray([r for (_, r), _ in unique], dtype=np.int64)
    estimates = np.asarray([e / 16 for _, e in unique]) + (0.001 if off_grid else 0.0)
    expected = np.lexsort((rows, -estimates, queries)) if unique else np.zeros(0, dtype=np.intp)
    assert _best_first(queries, rows, estimates, 16).tolist() == expected.tolist()


# Words of several scripts and widths, digits, underscores, ASCII and non-ASCII punctuation and spaces
_HASH_PIECES = st.sampled_from(
    [
        *(
            "Harbour",
            "quay",
            "ÉCLUSE",
            "straße",
            "北京",
            "42",
            "x_1",
            "'",
            "’",
            " ",
            "\n",
            ".",
            "—",
            "…",
            "\u00a0",
        )
    ]
)


@settings(max_examples=300)
@given(
    st.lists(st.lists(_HASH_PIECES, max_size=14).map("".join) | st.text(max_size=30), max_size=6),
    st.integers(1, 6),
)
def test_compiled_shingle_hashes_are_the_array_path_s(texts: list[str], shingle: int) -> None:
    """The compiled kernel gives numpy's hashes and offsets to the bit (texts shorter than a shingle,
    empty ones and every script included), and an ASCII text's quick encoding is the full one."""
    from copydesk.fingerprint import minhash

    if minhash._compiled_shingles is None:
        pytest.skip("copydesk._overlap was not built")
    hasher = MinHasher(MinHashConfig(shingle=shingle))
    encoded = [minhash._encoded(t) for t in texts]
    assert encoded == [t.casefold().translate(minhash._PUNCT).encode("utf-8", "replace") for t in texts]
    got, offsets = hasher.shingle_hashes(texts)
    want, want_offsets = hasher._array_hashes(encoded)
    assert got.dtype == np.uint64 and offsets.dtype == np.int64
    assert np.array_equal(got, want) and np.array_equal(offsets, want_offsets)


def _reference_pairs(
    config: MinHashConfig, batches: list[np.ndarray], queries: np.ndarray, per_key: int | None
) -> list[tuple[int, int]]:
    """(query row, owner) pairs of ``LshIndex.query_pairs``, worked out key by key: the owners of
    each band key in the order they were indexed, the first ``per_key`` of them."""
    from copydesk.fingerprint.minhash import EMPTY_SLOT, band_keys

    by_key: dict[int, list[int]] = {}
    owner = 0
    for signatures in batches:
        for row, keys in enumerate(band_keys(signatures, config).tolist()):
            if not (signatures[row] == EMPTY_SLOT).all():
                for key in keys:
                    by_key.setdefault(key, []).append(owner + row)
        owner += len(signatures)
    pairs: set[tuple[int, int]] = set()
    for row, keys in enumerate(band_keys(queries, config).tolist()):
        if (queries[row] == EMPTY_SLOT).all():
            continue
        for key in keys:
            pairs.update((row, o) for o in by_key.get(key, [])[:per_key])
    return sorted(pairs)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, 1, 2, 5]),
    st.sampled_from([None, 1, 7, 40]),
)
def test_lsh_query_pairs_take_the_first_owners_of_each_key(
    seed: int, per_key: int | None, at_once: int | None
) -> None:
    """Band keys shared by many documents (a small alphabet of slot values) give each query at most
    ``per_key`` owners a key, the earliest indexed, whatever slices the pairs are made in."""
    import copydesk.fingerprint.lsh as lsh
    from copydesk.fingerprint.minhash import EMPTY_SLOT

    rng = np.random.default_rng(seed)
    config = MinHashConfig(num_perm=8, bands=4)

    def signatures(n: int) -> np.ndarray:
        made = rng.integers(0, 3, size=(n, 8)).astype(np.uint32)
        made[rng.random(n) < 0.1] = EMPTY_SLOT  # empty texts match nothing
        return made

    batches = [signatures(int(rng.integers(0, 30))) for _ in range(int(rng.integers(1, 4)))]
    index = LshIndex(config)
    owner = 0
    for batch in batches:
        index.add(np.arange(owner, owner + len(batch)), batch)
        owner += len(batch)
    queries = signatures(int(rng.integers(0, 25)))
    old = lsh._EXPANDED_AT_ONCE
    try:
        if at_once is not None:
            lsh._EXPANDED_AT_ONCE = at_once
        rows, owners = index.query_pairs(queries, per_key)
    finally:
        lsh._EXPANDED_AT_ONCE = old
    found = list(zip(rows.tolist(), owners.tolist(), strict=True))
    assert found == _reference_pairs(config, batches, queries, per_key)


def test_lsh_query_pairs_of_a_flood_grow_with_the_queries_not_the_flood() -> None:
    """Thousands of indexed reprints of one text: with ``per_key`` each new reprint is paired with
    that many of them, the first indexed (before, with all: 12 GB for 2,000 against 8,000)."""
    hasher = MinHasher()
    text = _doc(random.Random(3))
    index = LshIndex(hasher.config)
    index.add(np.arange(5000), np.repeat(hasher.signatures([text]), 5000, axis=0))
    rows, owners = index.query_pairs(np.repeat(hasher.signatures([text + " one more line"]), 300, axis=0), 16)
    assert len(rows) == 300 * 16
    assert set(owners.tolist()) == set(range(16))
