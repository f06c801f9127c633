from collections.abc import Callable

def sentence_key(
    tokens: list[str],
    memo: dict[str, tuple[str, str, str, bool]],
    read: Callable[[str], tuple[str, str, str, bool]],
    bound: int,
    anchor_bits: dict[str, int],
    anchor_words: list[str],
    word_bits: dict[str, int],
    word_words: list[str],
    /,
) -> tuple[int, int, int, tuple[str, ...]]: ...
def sentence_tokens(sentence: str, /) -> list[str]: ...
