"""Text normalisation: mojibake and encoding repair (ftfy), NFC, odd spaces and blank-line runs.

ftfy costs tens of microseconds a line, more than the rest of cleaning a line, and almost every line
gives it nothing to do. So a line goes to ftfy only when it holds something ftfy could change: the
pair of characters any mojibake starts with (a UTF-8 lead byte read in one of the single-byte
encodings ftfy tries, then a continuation byte or the space/``?`` its repairs look for), an HTML
entity, or one of the characters its other fixers replace (C1 controls, ligatures, full-width
forms, odd line breaks, surrogates, terminal escapes, control characters). Every other line only
needs NFC. The character sets are read from ftfy's own tables, and a property test holds the
screened path equal to ``ftfy.fix_text`` (tests/test_clean_fastpaths.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import ftfy
import ftfy.bad_codecs
from ftfy import chardata

_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]+")
# control characters (not tab or line breaks) and invisible characters, removed in one pass
_DROPPED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# anything the per-character substitutions below would change
_NEEDS_SPACING = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\u00ad"
    r"\u00a0\u2000-\u200a\u202f\u205f\u3000\t\r]"
)
# the ASCII characters that need none of it: printable ones and the line break (every other ASCII
# character is in _NEEDS_SPACING)
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n"
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
    return spaced(fixed), repaired


# ``copydesk._textscan.spacing_flags``' bits: what the spacing steps would find in an ASCII text
_ODD, _DOUBLE_SPACE, _SPACE_NEWLINE, _BLANK_RUN = 1, 2, 4, 8


def spaced(text: str) -> str:
    """The spacing steps (``python_spaced``): of an ASCII text with nothing to replace, what they
    would find read in one compiled pass (its three substring tests cost 11 us on a 600-word text:
    a needle of spaces meets a candidate at every space), the rest step by step."""
    flags = _spacing_flags(text) if _spacing_flags is not None else None
    if flags is None or flags & _ODD:
        return python_spaced(text)
    if flags & _DOUBLE_SPACE:  # runs between words only: a space before a line feed stays
        text = _MULTI_SPACE.sub(" ", text)
    blank_run = bool(flags & _BLANK_RUN)
    if flags & _SPACE_NEWLINE:
        text = _TRAILING.sub("\n", text)
        blank_run = "\n\n\n" in text  # taking a line's spaces may join blank lines into a run
    if blank_run:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n ")


def python_spaced(text: str) -> str:
    """Odd spaces and controls replaced, runs of spaces between words, spaces ending a line and runs
    of blank lines taken out, the text stripped."""
    if needs_spacing(text):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _DROPPED.sub("", text)
        text = _ODD_SPACES.sub(" ", text)
    # the substitutions below cost a scan each; a plain substring test says when one has work
    if "  " in text:
        text = _MULTI_SPACE.sub(" ", text)
    if " \n" in text:
        text = _TRAILING.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n ")


def needs_spacing(text: str) -> bool:
    """Whether ``_NEEDS_SPACING`` has work in the text; an ASCII text by deleting its plain characters
    in one C pass (the regex scanned a 600-word text in 19 us, this takes 3)."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _PLAIN_ASCII))
    return _NEEDS_SPACING.search(text) is not None


# ftfy.fix_text's settings; an immutable value built once
_FTFY = ftfy.TextFixerConfig(
    explain=False, normalization="NFC", uncurl_quotes=False, fix_latin_ligatures=True
)


def _char_class(chars: set[str]) -> str:
    return "".join(re.escape(ch) for ch in sorted(chars))


def _decoded(byte_values: range | list[int], encodings: list[str]) -> set[str]:
    chars: set[str] = set()
    for encoding in encodings:
        chars.update(bytes(byte_values).decode(encoding, errors="replace"))
    return chars


def _ftfy_screen() -> re.Pattern[str]:
    """What a line must contain for ftfy to change more than its normal form (see module doc).

    Mojibake of a UTF-8 character is its lead byte then continuation bytes, each read as a character
    of one of ftfy's single-byte encodings. ftfy also repairs a continuation byte that became a space
    (only after the lead bytes of its ``ALTERED_UTF8_RE``, never in MacRoman) or a ``?`` (after lead
    bytes, in the sloppy codecs), and replaces a lead byte followed by a lost one (U+FFFD) with one
    U+FFFD; those pairs are screened as narrowly.
    """
    encodings = list(chardata.CHARMAP_ENCODINGS)
    leads = _decoded(range(0xC0, 0xF5), encodings)
    continuations = _decoded(range(0x80, 0xC0), encodings)
    space_leads = _decoded(
        [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9, 0xE2, 0xE3, 0xF0],
        [e for e in encodings if e != "macroman"],
    )
    lossy_leads = _decoded([0xC2, 0xC3, *range(0xE0, 0xF5)], [e for e in encodings if e.startswith("sloppy")])
    # a lead byte then a lost one (U+FFFD: "é\ufffd\ufffd" is what is left of one character)
    lost_leads = _decoded(range(0xC2, 0xF5), encodings)
    singles = {chr(c) for c in range(0x80, 0xA0)}  # C1 controls
    singles |= {chr(c) for c in chardata.LIGATURES}
    singles |= {chr(c) for c in chardata.WIDTH_MAP}
    singles |= {chr(c) for c in chardata.CONTROL_CHARS}
    singles |= {"\r", "\x85", "\u2028", "\u2029", "\x1b", "\x1a", "&"}
    singles |= {chr(c) for c in range(0x00, 0x20) if chr(c) not in "\n\t"} | {"\x7f"}
    return re.compile(
        f"[{_char_class(leads)}][{_char_class(continuations)}]"
        f"|[{_char_class(space_leads)}] |[{_char_class(lossy_leads)}]\\?|[{_char_class(lost_leads)}]\ufffd"
        f"|[{_char_class(singles)}]|[\\ud800-\\udfff]"
    )


_FTFY_WORK = _ftfy_screen()
# the same for an ASCII line (entities are tested apart): control characters, terminal escapes, CR
_ASCII_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _fix_text(text: str) -> str:
    """``ftfy.fix_text`` line by line as ftfy does it, but a line with nothing for ftfy to do (see
    the module doc) only gets its normal form. The result is the same as ftfy's."""
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
        if segment.isascii():  # most lines: only an entity or a control character is work
            work = "&" in segment or _ASCII_WORK.search(segment) is not None
        else:
            work = _FTFY_WORK.search(segment) is not None
        if work:
            out.append(ftfy.fix_and_explain(segment, config)[0])
        elif segment.isascii():
            out.append(segment)
        else:
            out.append(unicodedata.normalize("NFC", segment))
        pos = textbreak
    return "".join(out)


_spacing_flags: Callable[[str], int | None] | None
try:  # what the spacing steps would find in an ASCII text, in one pass
    from copydesk._textscan import spacing_flags as _spacing_flags
except ImportError:  # pragma: no cover - built at install where a compiler is at hand
    _spacing_flags = None
