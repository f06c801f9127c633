"""Normalised text and hashes that survive re-typesetting: the key for exact copies.

Two publications of one wire text differ in curly quotes, dashes, spacing, case and line breaks; the
normalised hash ignores exactly those differences and nothing else (word order and wording count).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Callable

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
# For ASCII text (NFKC and the punctuation map leave it as it is, casefolding is lowercasing): every
# byte that is not a word character becomes a space, capitals become small, in one bytes.translate.
_ASCII_FOLD = bytes(
    (c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() or c == 95 else 32 for c in range(128)
) + bytes(128)


def _ascii_folded(text: str) -> str:
    """An ASCII text's words, casefolded, between spaces (``text.isascii()`` must hold)."""
    return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")


def normalise_for_hash(text: str) -> str:
    """Casefolded NFKC words joined by single spaces; punctuation and layout dropped."""
    if text.isascii():
        return " ".join(_ascii_folded(text).split())
    return unicode_normalise_for_hash(text)


def unicode_normalise_for_hash(text: str) -> str:
    """``normalise_for_hash`` for any text (the ASCII shortcut gives the same, tests hold)."""
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def normalised_hash(text: str) -> str:
    """A 16-hex-char hash of the normalised text: equal for exact copies, typography aside."""
    folded = _compiled_ascii_folded(text) if _compiled_ascii_folded is not None else None
    if folded is None:
        folded = normalise_for_hash(text).encode("utf-8")
    return hashlib.blake2b(folded, digest_size=8).hexdigest()


_compiled_ascii_folded: Callable[[str], bytes | None] | None
try:  # an ASCII text's normalised words in one pass (tests hold them equal to normalise_for_hash's)
    from copydesk._textscan import ascii_folded_words as _compiled_ascii_folded
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _compiled_ascii_folded = None


def words(text: str) -> list[str]:
    """The normalised words of a text, in order (the unit MinHash shingles are built from)."""
    if text.isascii():
        return _ascii_folded(text).split()
    return unicode_words(text)


def unicode_words(text: str) -> list[str]:
    """``words`` for any text (the ASCII shortcut gives the same, tests hold)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold())


def stable_hash(value: str) -> int:
    """A 32-bit hash that is the same in every process and Python version (unlike ``hash``)."""
    return zlib.crc32(value.encode("utf-8"))
