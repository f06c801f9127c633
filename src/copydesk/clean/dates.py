"""Dates written in article text, parsed by htmldate's fast patterns with dateparser as the fallback.

Parsing is expensive (dateparser takes milliseconds a call), so callers gate lines with ``maybe_date``
(a year must be present) and parsed strings are memoised per process: a pure function of its input.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

_YEAR = re.compile(r"(?<!\d)(?:19[5-9]\d|20\d\d)(?!\d)")
# A time of day ("11:45 PM", and "11: 45 a. m." as tokenised dumps write it): only the day is kept,
# and the parsers read the date faster, and more often at all, without it.
_TIME_OF_DAY = re.compile(r"(?<!\d)\d{1,2}\s?:\s?\d{2}(?:\s?:\s?\d{2})?(?:\s?(?i:[ap]\.?\s?m)\b\.?)?")
_EARLIEST = datetime(1950, 1, 1)
_LATEST = datetime(2099, 12, 31)


def maybe_date(text: str) -> bool:
    """The cheap gate: only a string with a plausible year is worth parsing."""
    return bool(_YEAR.search(text))


@lru_cache(maxsize=4)
def _dateparser(language: str | None) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=[language or "en"],
        settings={
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PREFER_DAY_OF_MONTH": "first",
            # a date line holds a calendar date (gated on a year): relative phrases ("2 days ago")
            # and digits run together are not tried, which saves a quarter of each call
            "PARSERS": ["timestamp", "absolute-time"],
        },
    )


@lru_cache(maxsize=4096)
def parse_date(text: str, language: str | None = "en") -> datetime | None:
    """A calendar date written in ``text`` (no time zone games: the day is what matters), else None."""
    if not maybe_date(text):
        return None
    from htmldate.extractors import custom_parse

    cleaned = re.sub(r"(?<=[A-Za-z]),(?=\d)|(?<=\d),(?=\d{4})", " ", _TIME_OF_DAY.sub(" ", text))
    found = custom_parse(cleaned, "%Y-%m-%d", _EARLIEST, _LATEST)
    if found:
        return datetime.fromisoformat(found)
    try:
        data = _dateparser(language).get_date_data(cleaned)
    except Exception:  # dateparser raises assorted errors on odd strings; no date then
        return None
    parsed = data.date_obj if data else None
    if parsed is None or not _EARLIEST <= parsed.replace(tzinfo=None) <= _LATEST:
        return None
    return datetime(parsed.year, parsed.month, parsed.day)
