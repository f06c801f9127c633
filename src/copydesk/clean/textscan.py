"""The per-line word scan every cleaning stage starts from, compiled where it can be.

Each line of each article is split into words, lowercased and checked for function words and
reader-address words (``copydesk.clean.lines.line_facts``); in CPython that is a third of the cleaning
time. ``copydesk._textscan`` (C, built at install when a compiler is at hand) does the same work:
words of pure-ASCII lines (most news lines; other text takes the regex), the word marks of any line,
and the spam screen's join checks. The Python functions here are the reference: tests hold the
compiled ones equal to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain
from typing import Any

# a letter, then letters, digits and in-word punctuation (an underscore joins too: the simpler class
# scans twice as fast, and underscores do not occur in news prose)
WORD = re.compile(r"[^\W\d_][\w'’\-.]*")

_TERMINALS = ".!?…;"
_CLOSERS = "\"'”’»)]"


def ends_like_sentence(text: str) -> bool:
    """Full stop, ! ? … ; (a closing quote or bracket may follow it), or a closing quote: the
    end of a sentence (read from the end: a regex search would try every position)."""
    tail = text.rstrip()
    last = tail[-1:]
    if not last:
        return False
    if last in _TERMINALS or last in "\"”’»'":
        return True
    if last in ")]":
        body = tail.rstrip(_CLOSERS)
        return bool(body) and body[-1] in _TERMINALS
    return False


Marks = tuple[dict[str, int], str | None, int, bool]


def python_marked_words(
    lowered: list[str], languages_of: dict[str, tuple[str, ...]], address: frozenset[str]
) -> Marks:
    """Over a line's lowercased words: function-word counts per language (keyed in the order the
    languages first occur; ``languages_of`` maps a function word to its languages), the language
    with most (the first of equals) and its count, and whether any word is in ``address``."""
    counts: dict[str, int] = {}
    for word in filter(languages_of.__contains__, lowered):
        for lang in languages_of[word]:
            counts[lang] = counts.get(lang, 0) + 1
    language = max(counts, key=counts.__getitem__) if counts else None
    hits = counts[language] if language else 0
    return counts, language, hits, not address.isdisjoint(lowered)


# (words, lowered, function-word counts, language, its count, addressed, ends like a sentence)
ScannedLine = tuple[list[str], list[str], dict[str, int], str | None, int, bool, bool]


def python_scan_line(
    text: str, languages_of: dict[str, tuple[str, ...]], address: frozenset[str]
) -> ScannedLine:
    """``WORD``'s words, ``marked_words`` and ``ends_like_sentence`` of a line at once (every line of
    every article asks all three), in Python: the reference of the compiled scan."""
    return _scan(text, languages_of, address, python_marked_words)


def python_scan_ascii_line(
    text: str, languages_of: dict[str, tuple[str, ...]], address: frozenset[str]
) -> ScannedLine | None:
    """``python_scan_line`` of an ASCII line; None for other text (what the compiled scan reads)."""
    return python_scan_line(text, languages_of, address) if text.isascii() else None


def _scan(
    text: str, languages_of: dict[str, tuple[str, ...]], address: frozenset[str], marks: Callable[..., Marks]
) -> ScannedLine:
    words, lowered = line_words(text)
    return (words, lowered, *marks(lowered, languages_of, address), ends_like_sentence(text))


def python_first_items(rows: list[list[Any]]) -> frozenset[Any]:
    """The first item of every tuple in a list of lists of tuples (an article's token words)."""
    return frozenset(row[0] for row in chain.from_iterable(rows))


def python_fact_flags(facts: list[tuple[Any, ...]], flags: tuple[int, ...]) -> int:
    """Bit b set when item ``flags[b]`` is true in any of a line's token facts (``any(map(
    itemgetter(flags[b]), facts))`` for each b; the compiled ``fact_flags`` reads them in one pass)."""
    return sum(1 << b for b, index in enumerate(flags) if any(fact[index] for fact in facts))


def python_word_count(text: str) -> int:
    """How many whitespace-separated words a text has (the compiled ``word_count`` counts the same
    without building the list)."""
    return len(text.split())


word_count: Callable[[str], int]
marked_words: Callable[[list[str], dict[str, tuple[str, ...]], frozenset[str]], Marks]
first_items: Callable[[list[list[Any]]], frozenset[Any]]
fact_flags: Callable[[list[tuple[Any, ...]], tuple[int, ...]], int]
scan_ascii_line: Callable[[str, dict[str, tuple[str, ...]], frozenset[str]], ScannedLine | None]
# the whole line facts of most lines (copydesk.clean.lines.line_facts is its Python reference)
ascii_line_facts: Callable[..., Any] | None
# a text's non-blank lines (copydesk.clean.lines.python_raw_lines is its Python reference)
compiled_raw_lines: Callable[[str], list[tuple[int, int, int]]] | None
try:
    from copydesk._textscan import (
        ascii_line_facts,
        fact_flags,
        first_items,
        marked_words,
        scan_ascii_line,
        word_count,
    )
    from copydesk._textscan import raw_lines as compiled_raw_lines
except ImportError:  # no compiler at install: the same results, slower
    ascii_line_facts = None
    compiled_raw_lines = None
    word_count = python_word_count
    marked_words = python_marked_words
    first_items = python_first_items
    fact_flags = python_fact_flags
    scan_ascii_line = python_scan_ascii_line

COMPILED = scan_ascii_line is not python_scan_ascii_line


def line_words(text: str) -> tuple[list[str], list[str]]:
    """A line's words (``WORD``) and their lowercase forms, for any text."""
    words = WORD.findall(text)
    return words, list(map(str.lower, words))


def scan_line(text: str, languages_of: dict[str, tuple[str, ...]], address: frozenset[str]) -> ScannedLine:
    """``python_scan_line`` of any line: compiled for ASCII lines, the regex for others."""
    scanned = scan_ascii_line(text, languages_of, address)
    return scanned if scanned is not None else _scan(text, languages_of, address, marked_words)
