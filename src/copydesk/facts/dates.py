"""Dates: absolute (``18 October 2023``) and relative (``on Wednesday``, ``last month``, ``earlier in
July``), resolved against the article's date, or the story's when the article has none.

The result is ISO text at the precision the words give: a day (``2023-10-18``), a month (``2023-09``),
a year (``2018``), or a range (``2023-09-01/2023-10-01``). Relative words resolve to the past unless the
sentence speaks of the future (``will``, ``next``), the newswire convention. Odd absolute formats that the
patterns below miss are left to the metadata extractor (htmldate) rather than guessed here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

from copydesk.facts.numbers import ORDINALS
from copydesk.facts.text import Sentence, match_key
from copydesk.records import Figure

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3,
    "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}

# Month and weekday names must be capitalised ("may" is a verb); the rest of the pattern ignores case.
_MONTH = (
    r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
_WEEKDAY = r"(?-i:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORDINAL = "|".join(sorted(ORDINALS, key=len, reverse=True))
_PART = r"(?:(?P<part>early|mid|late|the end of|the start of|the beginning of)[\s-]+)?"
# Each alternative of the date pattern, in the order it tries them, each beginning a word.
_ALTERNATIVES: dict[str, str] = {
    "iso": r"(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b)",
    "dmy": rf"(?P<dmy>\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})"
    rf"(?:,?\s+(?P<y1>\d{{4}}))?)",
    "mdy": rf"(?P<mdy>\b(?P<m2>{_MONTH})[\s,]+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:[\s,]+(?P<y2>\d{{4}}))?)",
    "ord": rf"(?P<ord>\bthe\s+(?P<d3>{_ORDINAL})\s+of\s+(?P<m3>{_MONTH})(?:,?\s+(?P<y3>\d{{4}}))?)",
    "month": rf"(?P<month>\b(?:(?P<mrel>last|next|this|earlier in|later in|in|since|until|by|of)\s+)?{_PART}"
    rf"(?P<m4>{_MONTH})(?:\s+(?P<y4>\d{{4}}))?(?![\w]))",
    "wday": rf"(?P<wday>\b(?:(?P<wrel>last|next|this|on|this past)\s+)?(?P<w>{_WEEKDAY})(?:’s|'s)?\b)",
    "rel": r"(?P<rel>\b(?P<rrel>last|next|this|this past|the past|earlier this|later this)\s+(?P<runit>week|month|year)\b)",  # noqa: E501
    "ago": r"(?P<ago>(?<![\d,.])\b(?P<an>\d{1,3}(?:,\d{3})+|\d+|a|an|one|two|three|four|five|six|seven"
    r"|eight|nine|ten)"
    r"\s+(?P<aunit>day|week|month|year)s?\s+ago\b)",
    "word": r"(?P<word>\b(?P<wd>today|yesterday|tomorrow)\b)",
    "year": r"(?P<year>\b(?P<yrel>in|since|until|by|of|from|before|after|year|early|late|mid)[\s-]+(?:(?:at least|the end of|the start of)\s+)?(?P<y5>(?:19|20)\d\d)(?![\w-]))",  # noqa: E501
}


@cache  # one per set of alternatives a sentence's triggers allow: at most 2**7
def _date_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """The alternatives ``names`` as one pattern (every alternative starts a word: one test turns
    away all other positions)."""
    return re.compile(r"\b(?=\w)(?:" + "|".join(_ALTERNATIVES[name] for name in names) + ")", re.IGNORECASE)


DATE = _date_pattern(tuple(_ALTERNATIVES))
_NO_GROUPS: dict[str, Any] = dict.fromkeys(DATE.groupindex)

# What every match of an alternative contains, tested before the pattern runs: a sentence is scanned
# only with the alternatives whose words it holds (all ten tried at every word cost 21 us a sentence of
# generated news, half the facts' extraction; most sentences need one or none). Months and weekdays are
# capitalised in the pattern, so tested as written; the case-blind words in the sentence folded as a
# case-blind pattern matches them (``match_key``: "yeſterday" is "yesterday").
_ISO_HINT = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_HINT = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec")
_WEEKDAY_HINT = re.compile(_WEEKDAY)
_YEAR_HINT = re.compile(r"(?:19|20)\d\d")


def _alternatives_for(sentence: str) -> tuple[str, ...]:
    """The alternatives of ``DATE`` that may match somewhere in ``sentence``, in the pattern's order."""
    folded = sentence.lower() if sentence.isascii() else match_key(sentence)
    month = _MONTH_HINT.search(sentence) is not None
    allowed = {
        "iso": "-" in sentence and _ISO_HINT.search(sentence) is not None,
        "dmy": month,
        "mdy": month,
        "ord": month,
        "month": month,
        "wday": "day" in sentence and _WEEKDAY_HINT.search(sentence) is not None,
        "rel": "week" in folded or "month" in folded or "year" in folded,
        "ago": "ago" in folded,
        "word": "today" in folded or "yesterday" in folded or "tomorrow" in folded,
        "year": _YEAR_HINT.search(sentence) is not None,
    }
    return tuple(name for name, hit in allowed.items() if hit)


def date_matches(sentence: str) -> list[re.Match[str]]:
    """``DATE.finditer(sentence)``, scanned with only the alternatives the sentence's words allow: the
    same matches (an alternative left out cannot match anywhere in it)."""
    names = _alternatives_for(sentence)
    if not names:
        return []
    return list(_date_pattern(names).finditer(sentence))


_RANGE = re.compile(r"\b(?:between|from)\s+$", re.IGNORECASE)
_FUTURE = re.compile(r"\b(?:will|next|is due|are due|plans? to|expected to|scheduled|upcoming)\b", re.I)
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10}  # fmt: skip


def _month(name: str) -> int:
    return MONTHS[match_key(name).rstrip(".")]


def _year_for(month: int, ref: date | None, future: bool) -> int | None:
    """The year of a month named without one: the latest such month not after the reference date."""
    if ref is None:
        return None
    if future:
        return ref.year if month >= ref.month else ref.year + 1
    return ref.year if month <= ref.month else ref.year - 1


def _shift_month(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _safe_date(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _placed(m: re.Match[str], ref: date | None, future: bool) -> str | None:
    """``_resolve``, but ``None`` for a date past the calendar's ends ("999999999 days ago", "next year"
    in 9999), which would otherwise fail the article's whole extraction."""
    try:
        return _resolve(m, ref, future)
    except (OverflowError, ValueError):
        return None


def _resolve(m: re.Match[str], ref: date | None, future: bool) -> str | None:
    """ISO text for one matched date expression, or ``None`` when it cannot be placed."""
    g = {**_NO_GROUPS, **m.groupdict()}  # a pattern of some alternatives lacks the others' groups
    if g["iso"]:
        return _safe_date(int(g["iy"]), int(g["im"]), int(g["id"]))
    for kind, dg, mg, yg in (("dmy", "d1", "m1", "y1"), ("mdy", "d2", "m2", "y2"), ("ord", "d3", "m3", "y3")):
        if g[kind]:
            day = ORDINALS[match_key(g[dg])] if kind == "ord" else int(g[dg])
            month = _month(g[mg])
            year = int(g[yg]) if g[yg] else _year_for(month, ref, future)
            return _safe_date(year, month, day) if year else None
    if g["month"]:
        month = _month(g["m4"])
        rel = (g["mrel"] or "").lower()
        month_year: int | None
        if g["y4"]:
            month_year = int(g["y4"])
        elif rel == "next":
            month_year = _year_for(month, ref, True)
        elif rel == "last" and ref is not None:
            month_year = ref.year - 1 if month >= ref.month else ref.year
        else:
            month_year = _year_for(month, ref, future and rel not in ("earlier in", "since"))
        return f"{month_year:04d}-{month:02d}" if month_year else None
    if ref is None:
        if g["year"]:
            return str(g["y5"])
        return None
    if g["wday"]:
        target = WEEKDAYS[match_key(g["w"])]
        rel = (g["wrel"] or "").lower()
        if rel == "next" or (future and rel != "last"):
            delta = (target - ref.weekday()) % 7 or (7 if rel == "next" else 0)
            return (ref + timedelta(days=delta)).isoformat()
        delta = (ref.weekday() - target) % 7 or (7 if rel == "last" else 0)
        return (ref - timedelta(days=delta)).isoformat()
    if g["rel"]:
        unit = g["runit"].lower()
        rel = g["rrel"].lower()
        step = -1 if rel in ("last", "this past", "the past") else (1 if rel == "next" else 0)
        if unit == "year":
            return str(ref.year + step)
        if unit == "month":
            d = _shift_month(ref, step)
            return f"{d.year:04d}-{d.month:02d}"
        monday = ref - timedelta(days=ref.weekday()) + timedelta(weeks=step)
        return f"{monday.isoformat()}/{(monday + timedelta(days=6)).isoformat()}"
    if g["ago"]:
        count = g["an"].replace(",", "")  # "1,000 years ago": the whole number, not "000"
        n = int(count) if count.isdigit() else _SMALL[match_key(count)]
        return _ago(ref, n, match_key(g["aunit"]))
    if g["word"]:
        shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[match_key(g["wd"])]
        return (ref + timedelta(days=shift)).isoformat()
    if g["year"]:
        return str(g["y5"])
    return None


def _ago(ref: date, n: int, unit: str) -> str | None:
    """ "N units ago" at the precision its unit gives, as "last year" or "last week" are read: "two
    years ago" is a year, "three months ago" a month, "two weeks ago" that week (Monday to Sunday);
    only days are a day. Counted back in days, reprints of one report dated a day apart gave two
    different days for the same "two years ago", a conflict neither source made; and the day
    claimed a precision the words do not have."""
    if unit == "year":
        year = ref.year - n
        return f"{year:04d}" if 1 <= year <= 9999 else None
    if unit == "month":
        d = _shift_month(ref, -n)
        return f"{d.year:04d}-{d.month:02d}"
    day = ref - timedelta(days=n * UNIT_DAYS[unit])
    if unit == "day":
        return day.isoformat()
    monday = day - timedelta(days=day.weekday())
    return f"{monday.isoformat()}/{(monday + timedelta(days=6)).isoformat()}"


def _core_start(m: re.Match[str]) -> int:
    """Where the date words begin, after a leading preposition the pattern consumed (``in July``)."""
    text = m.group()
    lead = re.match(r"(?:in|since|until|by|of|from|before|after|on|year)\s+", text, re.I)
    return m.start() + (lead.end() if lead else 0)


def extract_dates(article_id: str, sentences: Sequence[Sentence], ref: date | None) -> list[Figure]:
    """Date figures, ranges joined (``between September 1 and October 1`` is one figure)."""
    out: list[Figure] = []
    for sentence in sentences:
        s = sentence.text
        matches = date_matches(s)
        if not matches:
            continue
        future = bool(_FUTURE.search(s))
        found = [(m, _placed(m, ref, future)) for m in matches]
        i = 0
        while i < len(found):
            m, when = found[i]
            start = _core_start(m)
            end = m.end()
            text = s[start:end]
            nxt = found[i + 1] if i + 1 < len(found) else None
            if (
                nxt is not None
                and _RANGE.search(s[max(0, start - 12) : start])
                and re.fullmatch(r"\s+(?:and|to|until)\s+", s[end : nxt[0].start()])
                and when
                and nxt[1]
            ):
                lead = _RANGE.search(s[max(0, start - 12) : start])
                assert lead is not None
                start = max(0, start - 12) + lead.start()
                end = nxt[0].end()
                text = s[start:end]
                when = f"{when}/{nxt[1]}"
                i += 1
            i += 1
            out.append(
                Figure(
                    id=f"{article_id}/d{len(out)}",
                    article_id=article_id,
                    kind="date",
                    text=text.strip(),
                    sentence=s,
                    position=sentence.start + start,
                    when=when,
                )
            )
    return out
