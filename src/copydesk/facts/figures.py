"""Figures: every quantity in an article as value, qualifier, normalised unit and the thing counted.

Rule-based on purpose: it runs at hundreds of articles a second and its decisions can be read off the
tables below (qualifiers, units, measure nouns) when a figure comes out wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from copydesk.facts.numbers import NUMBER, parse_number
from copydesk.facts.text import STOPWORDS, Sentence, fold, match_key, singular, word_set
from copydesk.records import Figure

# Hedge words before a number, and the qualifier they mean.
QUALIFIERS: dict[str, str] = {
    "more than": "more than", "over": "more than", "in excess of": "more than", "upwards of": "more than",
    "above": "more than", "just over": "more than", "well over": "more than", "nearly": "nearly",
    "almost": "nearly", "close to": "about", "about": "about", "around": "about", "roughly": "about",
    "approximately": "about", "some": "about", "an estimated": "about", "estimated": "about",
    "at least": "at least", "no fewer than": "at least", "no less than": "at least", "at most": "at most",
    "no more than": "at most", "up to": "up to", "as many as": "up to", "as much as": "up to",
    "less than": "less than", "fewer than": "less than", "under": "less than", "below": "less than",
    "just under": "less than", "only": "only", "exactly": "exactly",
}  # fmt: skip
# Words between a hedge and its number that change nothing ("a projected 2.5 million").
_FILLER = r"(?:(?:a|an|the)\s+)?(?:(?:projected|planned|total of|record|staggering|reported|further)\s+)?"
_QUALIFIER_BEFORE = re.compile(
    r"(?:^|\W)("
    + "|".join(sorted((re.escape(q) for q in QUALIFIERS), key=len, reverse=True))
    + r")\s+"
    + _FILLER
    + r"$",
    re.IGNORECASE,
)
# Unit words after a number: (normalised unit, factor to the normalised unit).
UNITS: dict[str, tuple[str, float]] = {
    "square kilometre": ("km2", 1.0), "square kilometer": ("km2", 1.0), "sq km": ("km2", 1.0),
    "square mile": ("km2", 2.589988), "km": ("km", 1.0), "kilometer": ("km", 1.0),
    "kilometre": ("km", 1.0), "mile": ("km", 1.609344),
    "mi": ("km", 1.609344), "m": ("m", 1.0), "meter": ("m", 1.0), "metre": ("m", 1.0),
    "cm": ("m", 0.01), "centimetre": ("m", 0.01), "centimeter": ("m", 0.01), "mm": ("m", 0.001),
    "millimetre": ("m", 0.001), "millimeter": ("m", 0.001),
    "foot": ("m", 0.3048), "feet": ("m", 0.3048), "ft": ("m", 0.3048), "kg": ("kg", 1.0),
    "kilogram": ("kg", 1.0), "tonne": ("t", 1.0), "ton": ("t", 1.0), "percent": ("%", 1.0),
    "per cent": ("%", 1.0), "%": ("%", 1.0), "percentage point": ("pp", 1.0), "second": ("s", 1.0),
    "minute": ("minute", 1.0), "hour": ("hour", 1.0), "day": ("day", 1.0), "week": ("week", 1.0),
    "month": ("month", 1.0), "year": ("year", 1.0), "decade": ("year", 10.0), "dollar": ("USD", 1.0),
    "euro": ("EUR", 1.0), "pound": ("GBP", 1.0), "yuan": ("CNY", 1.0), "won": ("KRW", 1.0),
    "rouble": ("RUB", 1.0), "ruble": ("RUB", 1.0), "yen": ("JPY", 1.0), "degree": ("degree", 1.0),
    "hectare": ("ha", 1.0), "acre": ("ha", 0.404686), "litre": ("l", 1.0), "liter": ("l", 1.0),
    "barrel": ("barrel", 1.0), "magnitude": ("magnitude", 1.0),
}  # fmt: skip
# Scales named before their number ("magnitude 5.7", "a Category 4 storm"): the scale is the unit.
SCALES_BEFORE = ("magnitude", "category")
_SCALE_BEFORE = re.compile(rf"\b({'|'.join(SCALES_BEFORE)})[\s-]+$", re.IGNORECASE)
CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW", "₽": "RUB"}
_UNIT_AFTER = re.compile(
    r"^(?:-|\s)?("
    + "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
    + r")(?:e?s)?(?![\w])",
    re.IGNORECASE,
)
# Nouns that count a thing named just before them: "shell output", "death toll", "missile production".
MEASURE_NOUNS = frozenset(
    [
        "output",
        "production",
        "target",
        "total",
        "tally",
        "toll",
        "count",
        "number",
        "stockpile",
        "supply",
        "supplies",
        "exports",
        "imports",
        "sales",
        "deliveries",
        "shipments",
        "capacity",
    ]
)
IRREGULAR_PLURALS = frozenset(
    [
        "people",
        "children",
        "men",
        "women",
        "police",
        "personnel",
        "staff",
        "troops",
        "cattle",
        "sheep",
        "fish",
        "aircraft",
        "deer",
    ]
)
DURATIONS = frozenset({"second", "minute", "hour", "day", "week", "month", "year"})
# Past tenses that follow a number as its verb ("a magnitude 5.7 shook the valley"); with the regular
# "-ed" ones, never taken for the counted noun.
_PAST_TENSE_WORDS = (
    "shook struck hit rose fell said told took made came went began met saw grew won lost gave got ran "
    "sent spent held kept brought bought built caught fought found paid sold stood thought wrote led fled "
    "drove broke chose flew knew threw wore became sank sought rang woke arose left"
)
PAST_TENSES = word_set(_PAST_TENSE_WORDS)
_ED_NOUNS = frozenset(
    {"speed", "breed", "creed", "greed", "steed", "seabed", "seaweed", "watershed", "riverbed", "homestead"}
    | {"bloodshed", "flatbed", "roadbed", "hotbed", "sickbed", "deathbed", "hundred"}
)
_RATE = re.compile(r"^\s*(?:a|an|per|each|every)\s+(day|week|month|year|hour|minute|second)\b", re.I)
_WORD_RUN = re.compile(r"\s*([A-Za-z][\w’'-]*)")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_ONE_AFTER = re.compile(r"\s+(?:of|another|by|and)\b")
_ONE_BEFORE = re.compile(r"\b(?:the|this|that|no|number|every|any)\s+$", re.I)
_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th)\b|:\d|/\d")
_MODEL_BEFORE = re.compile(r"[A-Za-z]-$|[#№]$")
_CAPITAL_AFTER = re.compile(r"\s+[A-Z]")
_PLURAL_AFTER = re.compile(r"\s+[a-z]+s\b")
_SIGN_BEFORE = re.compile(r"(US\$|[$€£¥₩₽])\s?$")
_CLOCK_AFTER = re.compile(r"\s?(?:[ap]\.m\.|[ap]m\b|o[’']clock\b)", re.IGNORECASE)  # "10 p.m.", "9am"
# Labels whose number names a thing rather than counting one ("the emergency number 112", "Route 66").
_LABEL_BEFORE = re.compile(
    r"\b(?:number|no\.|route|flight|platform|gate|room|line|bus|channel|article|section|chapter|page|pier|"
    r"berth|exit|junction|highway|terminal|runway)\s+$",
    re.IGNORECASE,
)
# Words that end the run after a number, besides the stopwords: prepositions ("three near Ostrel").
_RUN_ENDS = word_set(
    "near across along among amid within without toward towards beyond despite inside outside behind "
    "around onto upon via per"
)
_BRACKET = re.compile(r"\s*\([^)]*\)")


def _qualifier(prefix: str) -> tuple[str | None, str]:
    """The normalised hedge before a number and the words as written (``a projected`` included)."""
    m = _QUALIFIER_BEFORE.search(prefix[-40:])
    if not m:
        return None, ""
    return QUALIFIERS[match_key(m.group(1))], prefix[-40:][m.start(1) :].strip()


def _counted_after(rest: str) -> tuple[str | None, int]:
    """The counted noun in the words after a number: the first plural in a run of up to four words
    (``and`` and ``or`` go on with the run, a preposition or stopword ends it).

    Returns the noun and how many characters of ``rest`` reach its end (0 when no noun was found).
    """
    run: list[str] = []
    ends: list[int] = []
    pos = 0
    joined = False  # past an "and" or "or"
    for _ in range(5):
        m = _WORD_RUN.match(rest, pos)
        if not m:
            break
        word = m.group(1)
        low = fold(word).rstrip("'’")
        if run and not joined and low in ("and", "or"):  # "1,100 public and private buildings"
            pos, joined = m.end(), True
            continue
        if low in STOPWORDS or low in _RUN_ENDS or parse_number(low) is not None:
            break
        # a verb ends it ("300 fled homes"); a participle may qualify the noun ("85 injured people"),
        # but not past an "and" ("12 overnight and wounded dozens")
        if low in PAST_TENSES or (joined and _a_verb(low)):
            break
        run.append(low.removesuffix("'s"))
        pos = m.end()
        ends.append(pos)
        if _plural(low):
            return run[-1], pos
    if run and not _a_verb(run[0]):
        return run[0], ends[0]
    return None, 0


def _plural(word: str) -> bool:
    """A plural noun, by its ending or by the irregular ones (a folded word)."""
    return (word.endswith("s") and not word.endswith(("ss", "'s", "us", "is"))) or word in IRREGULAR_PLURALS


def _a_verb(word: str) -> bool:
    """A word after a number that is its verb, not the thing counted (``5.7 shook``, ``85 injured``)."""
    return word in PAST_TENSES or (len(word) > 4 and word.endswith("ed") and word not in _ED_NOUNS)


def _measure_noun(prefix: str) -> str | None:
    """``shell output ... 2.5 million`` counts shells: the word before a measure noun earlier on."""
    tokens = [fold(t) for t in _WORD.findall(prefix)]
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i] in MEASURE_NOUNS and tokens[i - 1] not in STOPWORDS:
            return tokens[i - 1]
    return None


def _skip(match: re.Match[str], sentence: str) -> bool:
    """Numbers that are not figures: pronoun 'one', bare 'a', ordinals, model names (``B-52``), clock
    times (``10:48 p.m.``, ``22:15``, ``9am``)."""
    text = match.group()
    low = text.lower()
    start, end = match.start(), match.end()
    if low in ("a", "an") or parse_number(text) is None:
        return True
    if low == "one" and (_ONE_AFTER.match(sentence, end) or _ONE_BEFORE.search(sentence[:start])):
        return True
    # The tests before the number look at its last three characters (they end there, or before a newline).
    if _ORDINAL_AFTER.match(sentence, end) or _MODEL_BEFORE.search(sentence[max(0, start - 3) : start]):
        return True
    if start >= 2 and sentence[start - 1] == ":" and sentence[start - 2].isdigit():
        return True  # the minutes of "10:48"
    if _CLOCK_AFTER.match(sentence, end) and (parse_number(text) or 0) <= 12:
        return True  # "10 p.m." ("100 AM radio stations" are stations)
    # A capitalised number word inside a name ("Five Eyes") is not a figure.
    return text[0].isupper() and start > 0 and _CAPITAL_AFTER.match(sentence, end) is not None


def extract_figures(
    article_id: str, sentences: Sequence[Sentence], taken: Sequence[tuple[int, int]] = ()
) -> list[Figure]:
    """Every quantity outside the character spans in ``taken`` (dates found first)."""
    figures: list[Figure] = []
    for sentence in sentences:
        s = sentence.text
        last_end = -1
        for match in NUMBER.finditer(s):
            start = sentence.start + match.start()
            if match.start() < last_end or any(a <= start < b for a, b in taken) or _skip(match, s):
                continue
            value = parse_number(match.group())
            if value is None:
                continue
            raw = match.group()
            prefix = s[: match.start()]
            rest = s[match.end() :]
            if _YEAR.fullmatch(raw) and not _PLURAL_AFTER.match(rest):
                continue  # a year: dates.py owns it
            unit: str | None = None
            sign = _SIGN_BEFORE.search(prefix[-6:])  # a sign, a space, a newline at most
            if sign:
                unit = CURRENCY_SIGNS[match_key(sign.group(1))]
            end = match.end()
            unit_match = _UNIT_AFTER.match(rest)
            if unit is None and unit_match:
                key = fold(unit_match.group(1))
                unit, factor = UNITS.get(key, UNITS.get(key.rstrip("s"), (key, 1.0)))
                value *= factor
                end += unit_match.end()
                rest = s[end:]
            bracket = _BRACKET.match(rest)
            skip = bracket.end() if bracket and NUMBER.search(bracket.group()) else 0
            counted, used = _counted_after(rest[skip:])
            if unit is None and counted is None and _LABEL_BEFORE.search(prefix[-12:]):
                continue  # "number 112", "Route 66": a name, not a quantity ("gate 12 guards" counts)
            # "magnitude 5.7 (quake)": the scale is the unit; "in each category 12 finalists" counts
            first = _WORD_RUN.match(rest, skip)
            counts = first is not None and _plural(fold(first.group(1)))
            scale = _SCALE_BEFORE.search(prefix[-16:]) if unit is None and not counts else None
            if scale:
                unit = match_key(scale.group(1))
            if unit in DURATIONS and not s[match.end() :].startswith("-"):
                counted, used = None, 0  # "24 years" is a duration, not a count of years
            hyphenated = s[match.end() :].startswith("-")
            if unit is not None and unit not in DURATIONS and not hyphenated:
                counted, used = None, 0  # "290 km from the border": the unit is the thing measured
            if counted is None and unit is None:
                counted = _measure_noun(prefix)
            tail = rest[skip + used :]
            rate = _RATE.match(tail)
            if skip:  # "290 kilometers (180 miles)": the bracket restates the figure; skip it
                last_end = end + skip
            qualifier, hedge = _qualifier(prefix)
            if unit in DURATIONS and hedge.lower() == "over":
                qualifier, hedge = None, ""  # "over 20 years" is a span of time, not a hedge
            text = " ".join(
                part
                for part in (
                    hedge,
                    scale and scale.group(1),
                    s[match.start() : end],
                    rest[skip : skip + used].strip(),
                )
                if part
            )
            figures.append(
                Figure(
                    id=f"{article_id}/f{len(figures)}",
                    article_id=article_id,
                    kind="number",
                    text=text,
                    sentence=s,
                    position=start,
                    value=round(value, 6),
                    qualifier=qualifier,
                    unit=unit,
                    counted=singular(counted) if counted else None,
                    scope=f"per {rate.group(1).lower()}" if rate else None,
                )
            )
    return figures
