"""MinHash signatures over word shingles, computed for a whole batch of texts at once.

Why our own kernel: rensa and datasketch take a Python list of shingle strings, and building that list
costs more than the hashing. Here the text is hashed as bytes: word boundaries, per-word polynomial
hashes and shingle hashes in one compiled pass per text (copydesk._overlap.shingle_hashes; the same
array operations in numpy where it is not built, and as its reference), then the ``num_perm``
multiply-shift permutations and the per-document minimum as array operations.
benchmarks/minhash.py compares it with both.

The configuration is frozen and seeded: a signature stored today compares with one computed next
year only when ``MinHashConfig`` is the same, so its ``key`` is stored beside the signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from copydesk.errors import UsageError

_BYTE_PRIME = np.uint64(0x100000001B3)
_BYTE_PRIME_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_EMPTY = np.uint32(0xFFFFFFFF)
_BYTE_PRIME_INT, _MIX_INT, _MIX2_INT = int(_BYTE_PRIME), int(_MIX), int(_MIX2)
HASH_BLOCK = 64  # texts hashed and signed together (see ``MinHasher.shingle_hashes``)
EMPTY_SLOT = _EMPTY  # the value of every slot of an empty text's signature
# Bytes that belong to words: ASCII letters and digits, underscore, and every non-ASCII byte.
_WORD_BYTE = np.zeros(256, dtype=bool)
for _b in b"abcdefghijklmnopqrstuvwxyz0123456789_":
    _WORD_BYTE[_b] = True
_WORD_BYTE[0x80:] = True
_WORD_BYTE_TABLE = _WORD_BYTE.astype(np.uint8).tobytes()
# Non-ASCII punctuation that would otherwise glue to words: mapped to a space.
_PUNCT = str.maketrans(dict.fromkeys("‘’‚‛“”„«»–—―…·•\u00a0\u2009\u200b", " "))


@dataclass(frozen=True, slots=True)
class MinHashConfig:
    """Signature length, shingle size (words) and seed; bands x rows must equal ``num_perm``."""

    num_perm: int = 128
    shingle: int = 5
    seed: int = 1
    bands: int = 32

    def __post_init__(self) -> None:
        if self.num_perm <= 0 or self.shingle <= 0 or self.bands <= 0 or self.num_perm % self.bands:
            raise UsageError("MinHash needs positive num_perm/shingle/bands with num_perm divisible by bands")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def key(self) -> str:
        return f"mh1-p{self.num_perm}-k{self.shingle}-s{self.seed}"


class MinHasher:
    """Seeded permutations (multiply-shift hashing on 64-bit shingle hashes) for one config."""

    def __init__(self, config: MinHashConfig = MinHashConfig()) -> None:
        self.config = config
        rng = np.random.default_rng(config.seed)
        self._a = rng.integers(1, 2**63, size=config.num_perm, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=config.num_perm, dtype=np.uint64)
        k = config.shingle
        self._coef = rng.integers(1, 2**63, size=k, dtype=np.uint64) | np.uint64(1)
        self._pow: np.ndarray = np.zeros(0, dtype=np.uint64)
        self._salt, self._spread = int(self._b[0]), int(self._a[0])  # the one-permutation signing's
        self._inv: np.ndarray = np.zeros(0, dtype=np.uint64)

    def shingle_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """64-bit hashes of every k-word shingle, all texts concatenated, and each text's start offset.

        Words are runs of letters, digits and non-ASCII bytes after casefolding, found on the UTF-8
        bytes with a lookup table (a regex pass over the text costs more than all the hashing).
        A text shorter than k words gives one shingle of all its words; an empty text gives none.
        Texts are hashed ``HASH_BLOCK`` at a time: a text's hashes do not depend on its neighbours, and
        arrays that stay in cache cost less (600-word texts: 0.41 ms each in blocks of 2,000, 0.05 ms
        in blocks of 64).
        """
        if len(texts) <= HASH_BLOCK:
            return self._block_hashes(texts)
        parts = [self._block_hashes(texts[i : i + HASH_BLOCK]) for i in range(0, len(texts), HASH_BLOCK)]
        starts = np.cumsum([0] + [len(shingles) for shingles, _ in parts[:-1]])
        return (
            np.concatenate([shingles for shingles, _ in parts]),
            np.concatenate([offsets + start for (_, offsets), start in zip(parts, starts, strict=True)]),
        )

    def _block_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encoded = [_encoded(t) for t in texts]
        if _compiled_shingles is not None:  # the same hashes, text by text in C (a tenth of the time)
            joined, starts = _compiled_shingles(
                encoded, _WORD_BYTE_TABLE, self._coef, _BYTE_PRIME_INT, _MIX_INT, _MIX2_INT
            )
            return np.frombuffer(joined, dtype=np.uint64), np.frombuffer(starts, dtype=np.int64)
        return self._array_hashes(encoded)

    def _array_hashes(self, encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """``_block_hashes`` of the encoded texts with numpy's array operations (the compiled
        kernel's reference, and the path where it is not built)."""
        lengths = np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=len(encoded))
        raw = np.frombuffer(b"\x00".join(encoded) + b"\x00", dtype=np.uint8)
        inside = np.flatnonzero(_WORD_BYTE[raw])
        if len(inside) == 0:
            return np.zeros(0, dtype=np.uint64), np.zeros(len(encoded), dtype=np.int64)
        # Word bytes of neighbouring words are never adjacent (a non-word byte lies between).
        first_byte = np.flatnonzero(np.r_[True, np.diff(inside) > 1])
        word_hash = self._word_hashes(raw[inside], first_byte)
        counts = np.diff(np.r_[0, np.searchsorted(inside[first_byte], np.cumsum(lengths))])
        return self._shingles(word_hash, counts)

    def _powers(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """P**i and P**-i (mod 2**64) for i < n, grown on demand and kept by this hasher."""
        if len(self._pow) < n:
            size = max(n, 2 * len(self._pow), 1 << 16)
            self._pow, self._inv = _power_table(_BYTE_PRIME, size), _power_table(_BYTE_PRIME_INV, size)
        return self._pow, self._inv

    def _word_hashes(self, word_bytes: np.ndarray, first_byte: np.ndarray) -> np.ndarray:
        """Polynomial hash of each word: sum of byte * P**j over the word's bytes, computed for all
        words at once with global powers and then shifted back by P**-start (P is odd, so invertible)."""
        power, inverse = self._powers(len(word_bytes))
        contrib = (word_bytes.astype(np.uint64) + np.uint64(1)) * power[: len(word_bytes)]
        return _mix(np.add.reduceat(contrib, first_byte) * inverse[first_byte])

    def _shingles(self, word_hash: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = self.config.shingle
        word_starts = np.r_[0, np.cumsum(counts)[:-1]]
        n_shingles = np.where(counts >= k, counts - k + 1, np.minimum(counts, 1))
        offsets = np.r_[0, np.cumsum(n_shingles)].astype(np.int64)
        total = int(offsets[-1])
        if total == 0:
            return np.zeros(0, dtype=np.uint64), offsets[:-1]
        # A k-word window at every word position of the concatenation, then the windows that stay
        # inside one text are kept; texts shorter than k words get one shingle of all their words.
        n_words = len(word_hash)
        windows = np.zeros(max(0, n_words - k + 1), dtype=np.uint64)
        for j in range(k):
            windows += word_hash[j : j + len(windows)] * self._coef[j]
        doc_of = np.repeat(np.arange(len(counts)), n_shingles)
        first = word_starts[doc_of] + (np.arange(total) - offsets[:-1][doc_of])
        short = counts[doc_of] < k
        acc = windows[np.where(short, 0, first)] if len(windows) else np.zeros(total, dtype=np.uint64)
        if short.any():
            for i in np.flatnonzero(short).tolist():
                width = int(counts[doc_of[i]])
                acc[i] = np.sum(word_hash[first[i] : first[i] + width] * self._coef[:width])
        return _mix(acc), offsets[:-1]

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """A ``(len(texts), num_perm)`` uint32 matrix; an empty text gets all-max (matches nothing).

        One-permutation hashing: each shingle is hashed once, its hash picks one of ``num_perm`` bins
        and the bin keeps its minimum; bins left empty borrow from the next filled bin to the right
        (rotation densification, Shrivastava & Li 2014). Equal slots still estimate Jaccard, at the
        cost of one hash per shingle instead of ``num_perm``.
        """
        return self.sign_shingles(*self.shingle_hashes(texts))

    def sign_shingles(self, shingles: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``signatures`` of the texts whose ``shingle_hashes`` these are (for a caller that keeps
        the shingles too): compiled where built (``copydesk._overlap.sign_shingles``, text by text
        in one pass: 2,000 600-word texts 24 -> ~5 ms), else ``array_signatures``."""
        if _compiled_signing is None:
            return self.array_signatures(shingles, offsets)
        out = np.empty((len(offsets), self.config.num_perm), dtype=np.uint32)
        _compiled_signing(
            np.ascontiguousarray(shingles, dtype=np.uint64),
            np.ascontiguousarray(offsets, dtype=np.int64),
            self._salt,
            self._spread,
            _MIX_INT,
            _MIX2_INT,
            out,
        )
        return out

    def array_signatures(self, shingles: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``sign_shingles`` with numpy's array operations (the compiled kernel's reference)."""
        n, width = len(offsets), self.config.num_perm
        if n > HASH_BLOCK:  # in blocks, as ``shingle_hashes`` (same rows, less memory traffic)
            ends = np.r_[offsets[1:], len(shingles)]
            return np.concatenate(
                [
                    self.array_signatures(
                        shingles[offsets[i] : ends[min(i + HASH_BLOCK, n) - 1]],
                        offsets[i : i + HASH_BLOCK] - offsets[i],
                    )
                    for i in range(0, n, HASH_BLOCK)
                ]
            )
        out = np.full((n, width), _EMPTY, dtype=np.uint32)
        if len(shingles) == 0:
            return out
        hashed = _mix(shingles ^ self._b[0])
        doc_of = np.repeat(np.arange(n), np.diff(np.r_[offsets, len(shingles)]))
        slot = doc_of * width + (hashed % np.uint64(width)).astype(np.int64)
        value = (hashed >> np.uint64(32)).astype(np.uint32)
        value = np.minimum(value, _EMPTY - np.uint32(1))
        np.minimum.at(out.reshape(-1), slot, value)
        return _densify(out, self._a)

    def signature(self, text: str) -> np.ndarray:
        row: np.ndarray = self.signatures([text])[0]
        return row

    def signature_bytes(self, text: str) -> bytes:
        """``signature(text)`` as the store keeps it (uint32, native order): where the kernels are
        built, the two compiled calls on typed views of their own buffers, without the arrays
        ``signatures`` makes for a batch (an ingest worker signs one article at a time: 19 -> 15 us
        a 600-word text)."""
        if _compiled_shingles is None or _compiled_signing is None:
            return self.signature(text).astype(np.uint32).tobytes()
        joined, starts = _compiled_shingles(
            [_encoded(text)], _WORD_BYTE_TABLE, self._coef, _BYTE_PRIME_INT, _MIX_INT, _MIX2_INT
        )
        out = bytearray(4 * self.config.num_perm)
        _compiled_signing(
            memoryview(joined).cast("Q"),
            memoryview(starts).cast("q"),
            self._salt,
            self._spread,
            _MIX_INT,
            _MIX2_INT,
            memoryview(out).cast("I"),
        )
        return bytes(out)


def _encoded(text: str) -> bytes:
    """The text's bytes as words are found in: casefolded, non-ASCII punctuation made spaces, UTF-8
    (an ASCII text only lower-cased: casefolding is lowering there and no such punctuation is
    ASCII; 7.5 -> 1.2 us a 600-word text)."""
    if text.isascii():
        return text.lower().encode("ascii")
    return text.casefold().translate(_PUNCT).encode("utf-8", "replace")


def _power_table(base: np.uint64, size: int) -> np.ndarray:
    """base**i mod 2**64 for i < size (uint64 products wrap, which is the modulus we want)."""
    table = np.full(size, base, dtype=np.uint64)
    table[0] = 1
    return np.cumprod(table, dtype=np.uint64)


def _densify(sig: np.ndarray, salts: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the nearest filled bin to its right (wrapping), salted by distance."""
    empty = sig == _EMPTY
    rows_with_gaps = np.flatnonzero(empty.any(axis=1) & ~empty.all(axis=1))
    if len(rows_with_gaps) == 0:
        return sig
    part = sig[rows_with_gaps]
    width = part.shape[1]
    doubled = np.concatenate([part, part], axis=1)
    filled = doubled != _EMPTY
    index = np.where(filled, np.arange(2 * width)[None, :], 2 * width)
    nearest = np.minimum.accumulate(index[:, ::-1], axis=1)[:, ::-1][:, :width]
    borrowed = np.take_along_axis(doubled, nearest, axis=1).astype(np.uint64)
    distance = (nearest - np.arange(width)[None, :]).astype(np.uint64)
    salted = (_mix(borrowed + distance * salts[0]) >> np.uint64(32)).astype(np.uint32)
    sig[rows_with_gaps] = np.where(part == _EMPTY, np.minimum(salted, _EMPTY - np.uint32(1)), part)
    return sig


def _mix(values: np.ndarray) -> np.ndarray:
    """A splitmix64 finaliser, so nearby inputs give unrelated 64-bit hashes."""
    z = values * _MIX
    z ^= z >> np.uint64(31)
    z *= _MIX2
    z ^= z >> np.uint64(29)
    return z


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The share of equal signature slots: an unbiased estimate of the shingle-set Jaccard."""
    if a.shape != b.shape:
        raise UsageError("signatures of different lengths cannot be compared")
    valid = (a != _EMPTY) | (b != _EMPTY)
    if not valid.any():
        return 0.0
    return float(np.mean(a[valid] == b[valid]))


def compiled_pair_estimates(
    mine: np.ndarray, my_rows: np.ndarray, theirs: np.ndarray, their_rows: np.ndarray
) -> np.ndarray | None:
    """For each k, the estimated Jaccard of ``mine[my_rows[k]]`` against ``theirs[their_rows[k]]``
    (equal slots over the slots not empty on both sides, 0 where none), read straight from the two
    uint32 signature matrices by ``copydesk._overlap.pair_estimates``; None where the kernel was not
    built or the matrices are not signatures of one width (the caller's numpy path then)."""
    if (
        _pair_estimates is None
        or mine.dtype != np.uint32
        or theirs.dtype != np.uint32
        or mine.ndim != 2
        or theirs.ndim != 2
        or mine.shape[1] != theirs.shape[1]
        or mine.shape[1] == 0
    ):
        return None
    estimates = np.empty(len(my_rows))
    _pair_estimates(
        estimates,
        np.ascontiguousarray(mine),
        np.ascontiguousarray(my_rows, dtype=np.int64),
        np.ascontiguousarray(theirs),
        np.ascontiguousarray(their_rows, dtype=np.int64),
        mine.shape[1],
        int(_EMPTY),
    )
    return estimates


def band_keys(signatures: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """One 64-bit key per (document, band): documents sharing any band key are LSH candidates."""
    n = signatures.shape[0]
    bands = signatures.reshape(n, config.bands, config.rows).astype(np.uint64)
    acc = np.zeros((n, config.bands), dtype=np.uint64)
    for r in range(config.rows):
        acc = _mix(acc ^ bands[:, :, r])
    # Salt with the band number so equal values in different bands never collide.
    return acc ^ (np.arange(config.bands, dtype=np.uint64)[None, :] * _MIX)


_PairEstimates = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int], None]
_pair_estimates: _PairEstimates | None
try:  # compiled pair estimates (tests hold them equal to the numpy estimates)
    from copydesk._overlap import pair_estimates as _pair_estimates
except ImportError:  # pragma: no cover - built without the C extension
    _pair_estimates = None

# shingles, offsets and out: arrays, or typed memoryviews of the shingle kernel's own buffers
_SigningKernel = Callable[[Any, Any, int, int, int, int, Any], None]
_compiled_signing: _SigningKernel | None
try:  # compiled signing (tests hold it equal to ``MinHasher.array_signatures``)
    from copydesk._overlap import sign_shingles as _compiled_signing
except ImportError:  # pragma: no cover - built without the C extension
    _compiled_signing = None

_ShingleKernel = Callable[[list[bytes], bytes, np.ndarray, int, int, int], tuple[bytearray, bytearray]]
_compiled_shingles: _ShingleKernel | None
try:  # compiled shingle hashing (tests hold it equal to ``MinHasher._array_hashes``)
    from copydesk._overlap import shingle_hashes as _compiled_shingles
except ImportError:  # pragma: no cover - built without the C extension
    _compiled_shingles = None
