"""Metadata written as lines of text: site banner, headline (and its repeat), dates, datelines,
bylines and editors, wire credits.

Metadata lines leave the body as ``meta`` removals and fill the article's fields; a headline printed
a second time leaves as ``duplicate-headline``. The first headline stays in the body. Fields that the
container or the HTML extractor already filled are kept (they come from markup, which is better
evidence than a line of text), except that text fills what they left empty.

A source merely cited in a sentence ("according to TASS") is not a credit: credits come only from
lines whose whole job is to credit (``With files from Reuters.``, ``— Reuters``, ``(AP)``,
``Source: AFP``) or from an opening dateline such as ``WASHINGTON (AP) —``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import ClassVar

from copydesk.clean.dates import maybe_date, parse_date
from copydesk.clean.layout import Layout, layout_for
from copydesk.clean.lines import Line, first_word_of, live_lines, remove_lines
from copydesk.clean.outlets import interviewing_outlet, masthead
from copydesk.clean.words import READER_ADDRESS, is_stopword, vocabulary
from copydesk.pipeline import ArticleStage
from copydesk.records import Article, RemovalKind

_TAGLINE_WORDS = vocabulary(
    """news latest breaking trusted trust daily online today headlines updates diverse independent voice
    source official home world local stories media times post"""
)
# Words newspapers put in their names; one feature of a masthead line, with its position and shape.
# "Name | tagline", "Name - tagline": a bar with any spaces around it, or a dash with spaces on both
# sides (the same splits as ``\s*\|\s*|\s+[–—]\s+|\s+-\s+``, written so that a match must start at a
# space or a bar: 2.7x faster on a long line)
_SITE_SPLIT = re.compile(r"\s+(?:\|\s*|[–—-]\s+)|\|\s*")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_TAGLINE_MOST_WORDS = 12
# Matches at the start of a text with more letter runs than a tagline has (each run taken whole:
# possessive, so one run is never counted as several): one call instead of a run-by-run scan.
_MORE_THAN_TAGLINE = re.compile(rf"(?:[\W\d_]*+[^\W\d_]++){{{_TAGLINE_MOST_WORDS + 1}}}")
_DATE_LABEL = re.compile(
    r"^(?P<label>first published|last updated|published|updated|posted|released|date)"
    r"(?:\s+on)?\s*[:|\-–—]?\s*",
    re.I,
)
_DATELINE_SPLIT = re.compile(r"\s+(?:[-–—]+\s*)+|\s*,\s*")
_CALENDAR_WORDS = vocabulary(
    """monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun january
    february march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec today yesterday"""
)
_BYLINE = re.compile(
    r"^(?:(?P<role>written|edited|reported|reporting|words|story|text|photos?|compiled)\s+)?by\b\s*[:|]?\s*"
    r"(?P<names>.+?)\s*$",
    re.I,
)
_ROLE_WORDS = vocabulary(
    """journalist journalists reporter reporters correspondent correspondents editor editors writer
    writers staff desk section contributor columnist photographer author authors"""
)
_CREDIT_LINES = (
    re.compile(
        r"^(?:with|additional)\s+(?:files|reporting|information|input|contributions?)\s+(?:from|by)\s+"
        r"(?P<who>.+?)\.?$",
        re.I,
    ),
    re.compile(r"^(?:sources?|credits?|via)\s*:\s*(?P<who>.+?)\.?$", re.I),
    re.compile(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?(?P<who>[^\d].+?)\.?$", re.I),
    re.compile(r"^[—–-]{1,2}\s*(?P<who>[A-Z][\w&.' -]{1,60}?)\.?$"),
    re.compile(r"^\((?P<who>[A-Z][\w&.' -]{1,40})\)\.?$"),
)
_INLINE_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'\- ]{1,40}(?:,\s*[A-Z][\w.'\- ]{1,30}?)?)"
    r"(?:,\s*(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}))?\s*"
    r"(?:\((?P<credit>[A-Za-z][\w&.' -]{0,30})\))?\s*[—–-]{1,2}\s+"
)
_COPYRIGHT_SITE = re.compile(
    r"^(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(?P<name>[^.|]{2,50}?)\.?\s*"
    r"(?:[.|]\s*)?all rights reserved\.?$",
    re.I,
)
_PAGE_CONTROLS = frozenset({"button", "click", "reply", "subscribe", "cookies", "login"})
_SEPARATORS = re.compile(r"\s[|·•›»/]\s|\s\|")
_ROLE_LABEL = re.compile(r"^(?P<role>[A-Za-z ]{3,30}?)\s*[:|]\s*(?P<names>[^|:]+)$")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|/)\s*")


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").split()).casefold()


def _first_word_folded(text: str) -> str:
    """The first word of ``_norm(text)`` (of a non-blank line), without folding the rest."""
    return first_word_of(text).replace("’", "'").replace("‘", "'").casefold()


def _lines_reading(lines: Sequence[Line], title: str) -> Iterator[Line]:
    """The lines that read as ``title`` once case and spacing are folded (``_norm``); a line whose
    first word does not fold to the title's is let go without normalising it (most lines)."""
    wanted = _norm(title)
    first = wanted.split(" ", 1)[0]
    for ln in lines:  # a loop, not a generator expression: mypyc would make that a list, read whole
        if _first_word_folded(ln.text) == first and _norm(ln.text) == wanted:
            yield ln


def _capitalised_names(text: str, max_words: int = 6) -> list[str]:
    """Names in a byline or credit: each part short and capitalised, else nothing."""
    names: list[str] = []
    for part in _NAME_SPLIT.split(text.strip().rstrip(".")):
        words = part.split()
        if not words:
            continue
        if len(words) > max_words or not words[0][:1].isupper():
            return []
        if any(
            w[:1].islower() and w.lower() not in {"de", "van", "von", "der", "la", "le", "bin", "al"}
            for w in words
        ):
            return []
        names.append(part.strip())
    return names


class TextMetadata:
    """What the text says about itself, and which lines said it (a plain class, not a dataclass:
    mypyc compiles its ``__init__``, where a dataclass's runs interpreted, one an article)."""

    __slots__ = (
        "authors",
        "credits",
        "dateline",
        "language",
        "published",
        "removals",
        "site",
        "title",
        "updated",
    )

    def __init__(self, language: str | None = None) -> None:
        self.site: str | None = None
        self.title: str | None = None
        self.published: datetime | None = None
        self.updated: datetime | None = None
        self.dateline: str | None = None
        self.authors: list[str] = []
        self.credits: list[str] = []
        self.language = language
        self.removals: list[tuple[Line, RemovalKind, str]] = []


def site_banner(line: Line) -> str | None:
    """``Daily Planet | Latest, Breaking News`` -> ``Daily Planet``."""
    text = line.text
    if "|" not in text and "-" not in text and "–" not in text and "—" not in text:
        return None  # no separator _SITE_SPLIT could split at
    first = _SITE_SPLIT.search(text)
    if first is None:
        return None  # one part
    if text[: first.start()].strip() and not _may_be_banner(text, first):
        return None  # judged without splitting the line (a paragraph with a dash in it, mostly)
    parts = [p.strip() for p in _SITE_SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return None
    name = parts[0]
    if not _banner_name(name.split()):
        return None
    rest = " ".join(parts[1:])
    # the words of a tagline; one word more than a tagline has is enough to say it is none
    rest_words = [m.group() for m in islice(_LETTER_RUN.finditer(rest.lower()), _TAGLINE_MOST_WORDS + 1)]
    if not rest_words or len(rest_words) > _TAGLINE_MOST_WORDS or (line.ends_sentence and rest.endswith(".")):
        return None
    tagline = "," in rest or any(w in _TAGLINE_WORDS for w in rest_words)
    return name if tagline or masthead(name) else None


def _may_be_banner(text: str, first: re.Match[str]) -> bool:
    """False where ``site_banner`` returns None for what stands before and after the first separator:
    a name (the first part) of more than five words or not capitalised, or more words after it than a
    tagline has (separators hold no letters, so the tagline's words are the rest of the line's)."""
    if not _banner_name(text[: first.start()].split()):
        return False
    return _MORE_THAN_TAGLINE.match(text[first.end() :].lower()) is None


def _banner_name(words: list[str]) -> bool:
    """A site banner's name: one to five words, each capitalised or a figure."""
    return 1 <= len(words) <= 5 and all(w[:1].isupper() or w[:1].isdigit() for w in words)


def masthead_line(lines: Sequence[Line]) -> str | None:
    """A first line that is only the paper's name: short, capitalised, a masthead word or a name the
    text repeats (a copyright line, "The Highland Courier will have more")."""
    line = lines[0]
    words = line.text.split(None, 5)  # six parts: more than five words (a paragraph, mostly)
    if not 1 <= len(words) <= 5 or line.ends_sentence or not all(w[:1].isupper() for w in words):
        return None
    name = line.text.strip()
    display = name.title() if name.isupper() else name
    if masthead(name):
        return display
    text = "\n".join(ln.text for ln in lines)
    if len(words) >= 2 and text.casefold().count(name.casefold()) >= 2:
        return display
    return None


def _title_candidate(line: Line) -> bool:
    words = line.words
    text = line.text.strip()
    if not 3 <= len(words) <= 30 or text.endswith((":", ".", "*")) or not re.search(r"[a-z]", text):
        return False
    if len(_SEPARATORS.findall(text)) >= 2 or sum(1 for w in words if w.lower() in READER_ADDRESS) >= 2:
        return False
    if any(w.lower() in _PAGE_CONTROLS for w in words):
        return False
    capitalised = all(w[:1].isupper() for w in words)
    if capitalised and not any(is_stopword(w) for w in words):
        # "Home World Business Sport" is a menu; a headline this short or this bare has punctuation
        return len(words) > 4 and bool(re.search(r"[\d,:;'’\"?!]", text))
    return True


def _pick_title(lines: Sequence[Line], layout: Layout, taken: set[int]) -> Line | None:
    """The headline: a line printed twice among the first lines (even one that ends with a full
    stop), else the last headline-shaped line of the head zone before the byline and date (site
    taglines, navigation and section labels come above the headline)."""
    top = [ln for ln in lines[:8] if ln.index not in taken]
    # lines grouped by their first word folded: only a line whose first word an earlier line shares
    # is folded whole and compared (most heads print no line twice)
    by_first_word: dict[str, list[Line]] = {}
    for line in top:
        earlier = by_first_word.setdefault(_first_word_folded(line.text), [])
        if earlier:
            key = _norm(line.text)
            first = next((e for e in earlier if _norm(e.text) == key), None)
            if (
                first is not None
                and 3 <= len(line.words) <= 30
                and (line.index - first.index == 1 or line.index < layout.first_anchor)
                and not any(w.lower() in _PAGE_CONTROLS for w in line.words)
            ):
                return first
        earlier.append(line)
    head = [ln for ln in lines[: max(layout.first_anchor, 1)] if ln.index not in taken]
    candidates = [ln for ln in head[:10] if _title_candidate(ln) and not _BYLINE.match(ln.text.strip())]
    meta_at = [i for i in sorted(taken) if 0 < i < layout.first_anchor]
    above_meta = [c for c in candidates if meta_at and c.index < meta_at[0]]
    candidates = above_meta or candidates
    return candidates[-1] if candidates else None


def _date_line(line: Line, language: str | None) -> tuple[str, datetime, str | None] | None:
    """(label, date, dateline place) for a line that is only a date, a labelled date or a dateline."""
    if len(line.words) > _DATE_WORDS:  # before any copy of the line: most lines are sentences
        return None
    text = line.text.strip()
    if not maybe_date(text):
        return None
    label_match = _DATE_LABEL.match(text)
    label = label_match.group("label").lower() if label_match else "date"
    rest = text[label_match.end() :] if label_match else text
    parts = [p for p in _DATELINE_SPLIT.split(rest, maxsplit=1) if p]
    place: str | None = None
    if not label_match and len(parts) == 2:
        head = parts[0].strip(" -–—,")
        head_words = head.split()
        if (
            1 <= len(head_words) <= 4
            and all(w[:1].isupper() for w in head_words)
            and not any(w.lower().strip(".") in _CALENDAR_WORDS for w in head_words)
            and not maybe_date(head)
        ):
            place = head
            rest = parts[1]
    # the shape checks come before parsing, which costs milliseconds when dateparser is asked
    if not label_match and line.text.rstrip().endswith(".") and len(line.words) >= 6:
        return None  # a sentence that mentions a date ("She checked in on 9 May 2008.")
    leftover = re.sub(r"[\W\d_]+", " ", rest).split()
    if sum(1 for w in leftover if w.lower() not in _CALENDAR_WORDS and len(w) > 2) > 2:
        return None
    parsed = parse_date(rest, language)
    if parsed is None:
        return None
    return label, parsed, place


_CREDIT_WORDS = 10  # a credit line is short
_BYLINE_WORDS = 10
_DATE_WORDS = 12
_ROLE_LINE_WORDS = 8
# No metadata line is longer (credit, byline, date or role line): a longer one is passed over unread.
_META_LINE_WORDS = max(_CREDIT_WORDS, _BYLINE_WORDS, _DATE_WORDS, _ROLE_LINE_WORDS)


def _credit_line(line: Line) -> list[str]:
    text = line.text.strip()
    if len(line.words) > _CREDIT_WORDS:
        return []
    for pattern in _CREDIT_LINES:
        match = pattern.match(text)
        if match:
            return _capitalised_names(match.group("who"))
    return []


def _byline(line: Line) -> list[str]:
    if len(line.words) > _BYLINE_WORDS or line.text.rstrip().endswith((".", "?", "!")):
        return []
    match = _BYLINE.match(line.text.strip())
    if not match:
        return []
    parts = [p for p in re.split(r"\s*,\s*", match.group("names")) if p]
    kept = [p for p in parts if not any(w.lower() in _ROLE_WORDS for w in p.split())]
    return _capitalised_names(", ".join(kept or parts))


def _role_names(text: str) -> list[str]:
    """``Reporter: Ana Lind | Editor: Tom Berg`` -> both names; parts without a name give none."""
    names: list[str] = []
    for part in re.split(r"\s+\|\s+|\s*;\s*", text):
        match = _ROLE_LABEL.match(part.strip())
        if match and any(w.lower() in _ROLE_WORDS for w in match.group("role").split()):
            names.extend(_capitalised_names(match.group("names")))
    return names


# A byline that names the newsroom instead of a person: "Staff and wire reports", "From staff reports".
_COLLECTIVE_WORDS = _ROLE_WORDS | vocabulary(
    "and from by of the wire wires report reports agencies news service services"
)


def _collective_byline(line: Line) -> str | None:
    """The line itself when it is a collective byline: role words and connectives only, no name."""
    words = [w.lower() for w in line.words]
    if not words or any(w not in _COLLECTIVE_WORDS for w in words):
        return None
    text = re.sub(r"^(?:by|from)\s+", "", line.text.strip(), flags=re.I)
    return text[:1].upper() + text[1:]


def _role_line(line: Line) -> bool:
    """``Politic section - CJ journalist``, ``Staff and wire reports``: short, role words, labelled."""
    words = line.words
    if (
        not 2 <= len(words) <= _ROLE_LINE_WORDS
        or line.ends_sentence
        or not any(w.lower() in _ROLE_WORDS for w in words)
    ):
        return False
    return len(words) <= 4 or bool(re.search(r"\s[-–—|]\s|[:|]", line.text))


def read_metadata(
    lines: Sequence[Line], layout: Layout, known_title: str | None, known_site: str | None = None
) -> TextMetadata:
    meta = TextMetadata(language=layout.language)
    taken: set[int] = set()

    def take(line: Line, kind: RemovalKind, reason: str) -> None:
        taken.add(line.index)
        meta.removals.append((line, kind, reason))

    for line in lines[:2]:
        site = site_banner(line)
        if site:
            meta.site = site
            take(line, "meta", f"site banner: site name {site!r} with a tagline")
            break
    if meta.site is None and known_site is None and lines:
        site = masthead_line(lines)
        if site:
            meta.site = site
            take(lines[0], "meta", f"masthead: the site name {site!r} above the article")
    for line in lines:
        if line.index in taken or len(line.words) > _META_LINE_WORDS:  # most lines: paragraphs
            continue
        top, bottom = layout.near_top(line), layout.near_bottom(line)
        credit = (
            _credit_line(line)
            if len(line.words) <= _CREDIT_WORDS
            and (bottom or layout.is_edge(line) or line.text[:1] not in "—–-(")
            else []
        )
        if credit:
            meta.credits.extend(c for c in credit if c not in meta.credits)
            take(line, "meta", f"credit line: {', '.join(credit)}")
            continue
        if not (top or bottom):
            continue
        authors = _byline(line)
        if authors:
            meta.authors.extend(a for a in authors if a not in meta.authors)
            take(line, "meta", f"byline: {', '.join(authors)}")
            continue
        dated = _date_line(line, layout.language)
        if dated:
            label, when, place = dated
            if label in {"updated", "last updated"}:
                meta.updated = meta.updated or when
            else:
                meta.published = meta.published or when
            if place:
                meta.dateline = meta.dateline or place
            where = f", dateline {place!r}" if place else ""
            take(line, "meta", f"{label} line: {when.date().isoformat()}{where}")
            continue
        if top and _role_line(line) and line.index not in layout.anchors:
            named = _role_names(line.text)
            collective = None if named else _collective_byline(line)
            named = [collective] if collective else named
            meta.authors.extend(a for a in named if a not in meta.authors)
            who = f": {', '.join(named)}" if named else ""
            take(line, "meta", f"byline or section line (newsroom role words, no sentence){who}")
    title_line: Line | None = None
    if known_title:
        title_line = next(_lines_reading(lines[:8], known_title), None)
        meta.title = known_title
    else:
        title_line = _pick_title(lines, layout, taken)
        if title_line is not None:
            meta.title = title_line.text.strip()
    if meta.title:
        for line in _lines_reading(lines, meta.title):
            if line is not title_line and line.index not in taken:
                take(line, "duplicate-headline", "the headline printed again")
    _inline_dateline(lines, layout, meta, taken)
    if meta.site is None:
        for line in lines[-3:]:
            match = _COPYRIGHT_SITE.match(line.text.strip())
            if match and line.index not in taken and _capitalised_names(match.group("name")):
                meta.site = match.group("name").strip()
                take(line, "meta", f"copyright line: site name {meta.site!r}")
    return meta


def _inline_dateline(lines: Sequence[Line], layout: Layout, meta: TextMetadata, taken: set[int]) -> None:
    """``KELLEN, Sarvania, March 12 (MPA) — A strong ...``: place and credit; the line stays."""
    first = next((ln for ln in lines if ln.index in layout.anchors and ln.index not in taken), None)
    if first is None:
        return
    match = _INLINE_DATELINE.match(first.text.strip())
    if not match:
        return
    place = match.group("place").strip()
    head = place.split(",")[0]
    if head.upper() != head or len(head) < 3:
        return
    meta.dateline = meta.dateline or ", ".join(
        p.strip().title() if p.isupper() else p.strip() for p in place.split(",")
    )
    credit = match.group("credit")
    if credit and credit.strip()[:1].isupper() and credit.strip() not in meta.credits:
        meta.credits.append(credit.strip())


def clean_metadata(article: Article, lines: Sequence[Line], layout: Layout | None = None) -> list[Line]:
    """Fill the article's fields from its metadata lines and take those lines out of the body;
    returns the live lines after (``layout``: the lines' layout where the caller has it)."""
    if not lines:
        return list(lines)
    layout = layout_for(lines, layout)
    meta = read_metadata(lines, layout, article.title, article.site)
    article.title = article.title or meta.title
    article.site = article.site or meta.site
    article.published = article.published or meta.published or meta.updated
    article.dateline = article.dateline or meta.dateline
    article.language = article.language or meta.language
    article.authors.extend(a for a in meta.authors if a not in article.authors)
    article.credits.extend(c for c in meta.credits if c not in article.credits)
    if not article.credits and not article.authors:
        outlet = interviewing_outlet(lines, article.site)
        if outlet:
            article.credits.append(outlet)
    return remove_lines(article, meta.removals, lines)


class TextMetadataStage(ArticleStage):
    """Reads metadata lines into fields and takes them out of the body."""

    name: ClassVar[str] = "text-metadata"

    def process(self, article: Article) -> Article:
        clean_metadata(article, live_lines(article))
        return article
