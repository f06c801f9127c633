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
        fixed = _fix_text(text)
        repaired = fixed != unicodedata.normalize("NFC", text)
    fixed = fixed.replace("\r\n", "\n").replace("\r", "\n")
    fixed = _CONTROLS.sub("", fixed)
    fixed = _INVISIBLE.sub("", fixed)
    fixed = _SPACES.sub(" ", fixed)
    fixed = _MULTI_SPACE.sub(" ", fixed)
    fixed = _TRAILING.sub("\n", fixed)
    fixed = _BLANK_RUNS.sub("\n\n", fixed)
    return fixed.strip("\n "), repaired


# ASCII that ftfy changes: control characters (terminal escapes among them) and carriage returns
_ASCII_FIXABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# ftfy.fix_text's settings; an immutable value built once
_FTFY = ftfy.TextFixerConfig(
    explain=False, normalization="NFC", uncurl_quotes=False, fix_latin_ligatures=True
)


def _fix_text(text: str) -> str:
    """``ftfy.fix_text`` segment by segment as ftfy does it (lines), but a segment with nothing for
    ftfy to do (ASCII, no entity, no terminal escape) is passed over: most lines of a page are such,
    and ftfy costs tens of microseconds a line. The result is the same (control characters and line
    breaks of skipped lines are handled by :func:`normalise_text` after)."""
    config = _FTFY
    out: list[str] = []
    pos = 0
    while pos < len(text):
        textbreak = text.find("\n", pos) + 1
        if textbreak == 0:
            textbreak = len(text)
        if (textbreak - pos) > config.max_decode_length:
            textbreak = pos + config.max_decode_length
        segment = text[pos:textbreak]
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        if segment.isascii() and "&" not in segment and not _ASCII_FIXABLE.search(segment):
            out.append(segment)
        else:
            out.append(ftfy.fix_and_explain(segment, config)[0])
        pos = textbreak
    return "".join(out)
