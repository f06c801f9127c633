from collections.abc import Callable, Mapping, Sequence
from typing import Any

def weigh(
    tokens: Mapping[str, int],
    boosted: Mapping[str, int],
    lead_tokens: dict[str, int],
    opening_order: Sequence[str],
    readings: Readings,
    read: Callable[[str], Any],
    number_slot: Callable[[str], tuple[int, float]],
    params: tuple[float, ...],
    /,
) -> tuple[bytes, bytes, list[str], list[str]]: ...
def pack_vector(vector: Any, /) -> bytes: ...
def unpack_vector(blob: bytes, /) -> bytearray: ...

class Readings:
    """A memo of tokens' readings, decoded, for ``weigh`` (up to ``bound`` tokens)."""

    def __init__(self, bound: int = 2000000, /) -> None: ...
    def __len__(self) -> int: ...
