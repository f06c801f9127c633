"""Feature vectors as the store keeps them: packed float16, whole or by their filled slots."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def pack_vector(vector: np.ndarray) -> bytes:
    """``python_pack_vector``, by the compiled packing for a float32 vector (an article's vector is
    packed in the ingest workers: 18 -> 5 us with the halves' concatenation; tests hold the two
    equal, float16 rounding included)."""
    if _compiled_pack is not None and vector.dtype == np.float32 and vector.ndim == 1:
        return _compiled_pack(np.ascontiguousarray(vector))
    return python_pack_vector(vector)


def python_pack_vector(vector: np.ndarray) -> bytes:
    """A feature vector as stored: its non-zero float16 entries, their positions (uint16) first, then
    their values, then the vector's length (uint16). A 108-word article fills ~140 of the 1,024 slots,
    so the row takes ~0.6 KB instead of 2 KB and several rows share a page (one row a page cost the
    writers a page write per article). A whole vector (two bytes a slot: rows stored before this form,
    and a vector of an even number of slots with half of them filled) is a multiple of four bytes
    long, a packed one is not, so a blob's length tells the two apart."""
    slots = np.flatnonzero(vector)
    size = len(vector)
    if size % 2 == 0 and (2 * len(slots) >= size or size > 0xFFFF):
        return vector.astype(np.float16).tobytes()
    if size > 0xFFFF:
        raise ValueError(f"a vector of {size} slots can be stored neither whole nor packed")
    # only the filled slots are converted (a value too small for float16 is kept as its zero: read
    # back, the vector is the same)
    items = np.empty(2 * len(slots) + 1, dtype=np.uint16)
    items[: len(slots)] = slots
    items[len(slots) : 2 * len(slots)] = vector[slots].astype(np.float16).view(np.uint16)
    items[-1] = size
    return items.tobytes()


def unpack_vector(blob: bytes) -> np.ndarray:
    """``python_unpack_vector``, by the compiled unpacking where it is built (tests hold the two
    equal to the bit; the stories stage reads back every pending article's vector)."""
    if _compiled_unpack is not None and isinstance(blob, bytes):
        return np.frombuffer(_compiled_unpack(blob), dtype=np.float32)
    return python_unpack_vector(blob)


def python_unpack_vector(blob: bytes) -> np.ndarray:
    """The float32 vector ``pack_vector`` stored (empty for an empty blob)."""
    if len(blob) % 4 == 0:
        return np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    items = np.frombuffer(blob, dtype=np.uint16)  # slots, values, length: two bytes each
    count = len(items) // 2
    vector = np.zeros(int(items[-1]), dtype=np.float32)
    vector[items[:count]] = items[count : 2 * count].view(np.float16)
    return vector


_compiled_pack: Callable[[np.ndarray], bytes] | None
_compiled_unpack: Callable[[bytes], bytearray] | None
try:  # the compiled packing of float32 vectors, and their unpacking
    from copydesk._weigh import pack_vector as _compiled_pack
    from copydesk._weigh import unpack_vector as _compiled_unpack
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _compiled_pack = _compiled_unpack = None
