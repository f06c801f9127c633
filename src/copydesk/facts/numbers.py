"""Numbers as news writes them: ``1,000``, ``a thousand``, ``2.5 million``, ``60 thousand``, ``six``.

``NUMBER`` is one regular expression for a whole number phrase; ``parse_number`` turns its text into a
value. Kept apart from figures so dates can reuse the ordinals (``the first of September``).
"""

from __future__ import annotations

import re

UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000, "dozen": 12}  # fmt: skip
SCALE_ABBREVIATIONS = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "tn": 1e12}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "twenty-first": 21, "twenty-second": 22, "twenty-third": 23, "twenty-fourth": 24,
    "twenty-fifth": 25, "twenty-sixth": 26, "twenty-seventh": 27, "twenty-eighth": 28,
    "twenty-ninth": 29, "thirtieth": 30, "thirty-first": 31,
}  # fmt: skip

_WORD_NUM = "|".join(sorted(UNITS_WORDS, key=len, reverse=True))
_SCALE = "|".join(SCALES)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Word numbers: "six", "twenty-five", "a thousand", "two hundred thousand", "a dozen".
_WORDS = (
    rf"(?:(?:{_WORD_NUM})(?:[- ](?:{_WORD_NUM}))?|half an?|an?)"
    rf"(?:[- ](?:{_SCALE}))*(?!\w)"
)
NUMBER = re.compile(
    rf"(?<![\w.,])(?:(?P<digits>{_DIGITS})(?:\s?(?P<scale>{_SCALE})s?\b|(?P<abbr>bn|mn|[kKmM])\b)?"
    rf"|(?P<words>{_WORDS}))",
    re.IGNORECASE,
)


def parse_number(text: str) -> float | None:
    """The value of a number phrase, or ``None`` when it is not one ("a" alone is not a number)."""
    low = text.lower().replace(",", "").strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s?([a-z]+)?", low)
    if m:
        value = float(m.group(1))
        suffix = m.group(2)
        if suffix:
            scale = SCALES.get(suffix.rstrip("s")) or SCALE_ABBREVIATIONS.get(suffix)
            if scale is None:
                return None
            value *= scale
        return value
    total = 0.0
    current = 0.0
    seen = False
    half = low.startswith("half ")
    if half:
        low = low[5:]
    for part in re.split(r"[\s-]+", low):
        if part in ("a", "an"):
            current = max(current, 1.0)
            continue
        if part in UNITS_WORDS:
            current += UNITS_WORDS[part]
            seen = True
        elif part in SCALES:
            scale = SCALES[part]
            current = max(current, 1.0) * scale
            seen = True
            if scale >= 1000:
                total += current
                current = 0.0
        else:
            return None
    value = total + current
    return (value / 2 if half else value) if seen else None
