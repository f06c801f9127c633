"""Text normalisation: mojibake repair (ftfy), NFC, odd spaces and blank-line runs."""

from __future__ import annotations

import re
import unicodedata

import ftfy

_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TRAILING = re.compile(r"[ ]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
_MULTI_SPACE = re.compile(r"(?<=\S) {2,}(?=\S)")


def normalise_text(text: str) -> tuple[str, bool]:
    """Return the normalised text and whether ftfy changed any character (an encoding repair)."""
    if text.isascii() and "&" not in text:
        # Mojibake needs non-ASCII characters and entities need '&': nothing for ftfy to repair.
        fixed, repaired = text, False
    else:
        fixed = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_latin_ligatures=True)
        repaired = fixed != unicodedata.normalize("NFC", text)
    fixed = fixed.replace("\r\n", "\n").replace("\r", "\n")
    fixed = _CONTROLS.sub("", fixed)
    fixed = _INVISIBLE.sub("", fixed)
    fixed = _SPACES.sub(" ", fixed)
    fixed = _MULTI_SPACE.sub(" ", fixed)
    fixed = _TRAILING.sub("\n", fixed)
    fixed = _BLANK_RUNS.sub("\n\n", fixed)
    return fixed.strip("\n "), repaired
