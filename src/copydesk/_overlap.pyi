from collections.abc import Sequence

import numpy as np

def first_sharing(mine: np.ndarray, theirs: list[np.ndarray | None], threshold: float, /) -> int: ...
def shared_count(a: np.ndarray, b: np.ndarray, /) -> int: ...
def pair_estimates(
    out: np.ndarray,
    mine: np.ndarray,
    my_rows: np.ndarray,
    theirs: np.ndarray,
    their_rows: np.ndarray,
    width: int,
    empty: int,
    /,
) -> None: ...
def matched_total(a: Sequence[str], b: Sequence[str], /) -> int: ...
def matching_blocks(a: Sequence[str], b: Sequence[str], /) -> list[tuple[int, int, int]]: ...
def best_matches(
    a_rows: bytes,
    a_words: int,
    a_counts: bytes,
    b_rows: bytes,
    b_words: int,
    b_counts: bytes,
    min_anchors: int,
    /,
) -> list[tuple[int, int, float]]: ...
def anchor_reach(
    rows: bytes, row_words: int, mask: bytes, mask_words: int, min_anchors: int, /
) -> tuple[int, int]: ...
def increasing_chain(targets: bytes, /) -> list[int]: ...
def aligned_chain(
    a_bits: bytes,
    a_words: int,
    a_counts: bytes,
    b_bits: bytes,
    b_words: int,
    b_counts: bytes,
    min_anchors: int,
    /,
) -> tuple[list[tuple[int, int]], int]: ...
def relation_screen(
    hash_ids: list[int],
    lengths: list[int],
    estimates: np.ndarray,
    candidate: float,
    rows: list[bytes],
    row_words: list[int],
    every_rows: list[bytes],
    comparables: list[int],
    counts: list[bytes],
    min_anchors: int,
    share: float,
    /,
) -> bytes: ...
def shingle_hashes(
    encoded: list[bytes], word_byte: bytes, coefs: np.ndarray, prime: int, mix1: int, mix2: int, /
) -> tuple[bytearray, bytearray]: ...
def sign_shingles(
    shingles: np.ndarray | memoryview,
    offsets: np.ndarray | memoryview,
    salt: int,
    spread: int,
    mix1: int,
    mix2: int,
    out: np.ndarray | memoryview,
    /,
) -> None: ...
