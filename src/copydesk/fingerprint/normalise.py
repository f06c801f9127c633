"""Normalised text and hashes that survive re-typesetting: the key for exact copies.

Two publications of one wire text differ in curly quotes, dashes, spacing, case and line breaks; the
normalised hash ignores exactly those differences and nothing else (word order and wording count).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib

_PUNCT_MAP = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "―": "-",
        "…": "...",
    }
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise_for_hash(text: str) -> str:
    """Casefolded NFKC words joined by single spaces; punctuation and layout dropped."""
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def normalised_hash(text: str) -> str:
    """A 16-hex-char hash of the normalised text: equal for exact copies, typography aside."""
    return hashlib.blake2b(normalise_for_hash(text).encode("utf-8"), digest_size=8).hexdigest()


def words(text: str) -> list[str]:
    """The normalised words of a text, in order (the unit MinHash shingles are built from)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold())


def stable_hash(value: str) -> int:
    """A 32-bit hash that is the same in every process and Python version (unlike ``hash``)."""
    return zlib.crc32(value.encode("utf-8"))
