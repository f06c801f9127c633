from collections.abc import Callable, Container
from collections.abc import Set as AbstractSet
from typing import Any

def marked_words(
    lowered: list[str], languages_of: dict[str, tuple[str, ...]], address: frozenset[str], /
) -> tuple[dict[str, int], str | None, int, bool]: ...
def fact_flags(facts: list[tuple[Any, ...]], flags: tuple[int, ...], /) -> int: ...
def first_items(rows: list[list[tuple[str, *tuple[object, ...]]]], /) -> frozenset[str]: ...
def scan_ascii_line(
    text: str, languages_of: dict[str, tuple[str, ...]], address: frozenset[str], /
) -> tuple[list[str], list[str], dict[str, int], str | None, int, bool, bool] | None: ...
def strong_join_near(
    facts: list[tuple[str, bool, bool, bool, bool, str, str]],
    known: AbstractSet[str],
    article_words: Callable[[], Container[str]],
    max_run: int,
    /,
) -> bool: ...
def ascii_line_facts(
    text: str,
    languages_of: dict[str, tuple[str, ...]],
    address: frozenset[str],
    facts_type: type[Any],
    anchor_words: int,
    anchor_chars: int,
    latin: str,
    memo: object,
    /,
) -> Any: ...
def split_sentences(text: str, /) -> list[str]: ...
def token_counts(text: str, memo: object = None, /) -> dict[str, int]: ...
def ascii_folded_words(text: str, /) -> bytes | None: ...
def word_count(text: str, /) -> int: ...
