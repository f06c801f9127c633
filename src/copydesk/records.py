"""Typed records that flow through copydesk's stages: RawPage -> Article -> Story.

Fields that a stage relies on are typed attributes; ``metadata`` is only an escape hatch for
information no later stage depends on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Literal

InputKind = Literal["html", "text"]
RemovalKind = Literal["chrome", "spam", "meta", "duplicate-headline"]
REMOVAL_KINDS: tuple[RemovalKind, ...] = ("chrome", "spam", "meta", "duplicate-headline")
Relation = Literal[
    "original", "exact-copy", "near-copy", "rewrite", "translation-like", "credited-wire", "independent"
]
FigureStatus = Literal["agree", "conflict", "single-source", "related"]


def bare_date(when: datetime) -> bool:
    """A date given without a time (midnight exactly): it may stand for any hour of its day."""
    return when.hour == 0 and when.minute == 0 and when.second == 0


class PickledByConstructor:
    """For dataclasses that cross process boundaries by the million (cleaned articles coming back
    from the ingest workers, story members going to the family workers): pickled as their
    constructor and its arguments, a third of the time of the default slots pickling, which
    rebuilds them attribute by attribute."""

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()  # a dataclass's constructor fields, in order

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        names = self.__match_args__
        return type(self), attrgetter(*names)(self) if len(names) > 1 else (getattr(self, names[0]),)


def distinct_names(values: Iterable[object]) -> tuple[str, ...]:
    """Bylines or credits as a container gives them (``RawPage.authors``/``credits``): the text
    entries, stripped, blank ones and repeats dropped, in their order."""
    return tuple(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(text: str) -> bool:
    """Whether UTF-8 takes ``text`` (no lone surrogate): ASCII is known by a flag; else trying the
    encoding is ~4 times quicker than a search for the surrogates (1.9 against 8 us a 600-word text)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def without_lone_surrogates(text: str) -> str:
    """``text`` with its lone UTF-16 surrogates (a JSON ``"\\ud83d"`` escape, an emoji cut in half)
    made U+FFFD and its split pairs joined: no UTF-8 encoder, SQLite's included, takes them, and one
    had failed a whole ingest batch. ASCII and surrogate-free text comes back as it is."""
    if _storable(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def escaped_lone_surrogates(name: str) -> str:
    """A name or identifier (a file name's undecodable bytes, as Python hands them over, or a row's
    id) with each lone surrogate written as its escape (``\\udce9``): storable, readable, and two
    names that differ there stay two."""
    if _storable(name):
        return name
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", name)


def content_digest(text: str) -> str:
    """A short, stable hash of a text (hex, 16 chars): the key for idempotent ingest."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


@dataclass(slots=True)
class RawPage:
    """One input document as a reader found it, before extraction.

    ``source_id`` is stable across runs: the file stem, the ``id`` field of a JSONL/Parquet row, or the
    target URI of a WARC record. The other fields but ``body`` are hints given by the container (a
    dataset's row, an API call): they win over what extraction finds, because a row exported after
    cleaning no longer holds the banner, byline or credit lines they were read from.
    """

    source_id: str
    origin: str
    kind: InputKind
    body: str
    url: str | None = None
    title: str | None = None
    published: str | None = None
    site: str | None = None
    authors: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    dateline: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        """Every page's text made storable where it comes in (``without_lone_surrogates``; identifiers
        ``escaped_lone_surrogates``): a JSON row, an API call or a file name may carry lone
        surrogates. ~1 us a page: an ASCII string is known for one by its flag."""
        self.source_id = escaped_lone_surrogates(self.source_id)
        self.origin = escaped_lone_surrogates(self.origin)
        self.body = without_lone_surrogates(self.body)
        for name in ("url", "title", "published", "site", "dateline", "language"):
            value = getattr(self, name)
            if value is not None and not value.isascii():
                setattr(self, name, without_lone_surrogates(value))
        if any(not a.isascii() for a in self.authors):
            self.authors = tuple(without_lone_surrogates(a) for a in self.authors)
        if any(not c.isascii() for c in self.credits):
            self.credits = tuple(without_lone_surrogates(c) for c in self.credits)

    @property
    def content_hash(self) -> str:
        return content_digest(self.kind + "\x00" + self.body)

    @property
    def article_id(self) -> str:
        """Same source and same content give the same article id, so re-ingesting adds nothing."""
        return self.article_id_with(self.content_hash)

    def article_id_with(self, content_hash: str) -> str:
        """``article_id`` from the page's ``content_hash`` where the caller has it (hashing the body
        again cost a 600-word page 10 us)."""
        return content_digest(self.source_id + "\x00" + content_hash)


@dataclass(slots=True, frozen=True)
class Removal(PickledByConstructor):
    """Text taken out of an article, kept with its reason so a person can audit it.

    ``position`` is a character offset into ``Article.raw_text`` (the text before cleaning);
    ``repaired_as`` is what the surrounding text became once a spam run was cut out of a word.
    """

    kind: RemovalKind
    text: str
    reason: str
    position: int
    repaired_as: str | None = None


@dataclass(slots=True)
class Signals(PickledByConstructor):
    """Per-article flags and scores that stages set and later stages or the web page read."""

    extractor: str = "none"
    spam_injected: bool = False
    chrome_lines: int = 0
    encoding_repaired: bool = False


@dataclass(slots=True)
class Article:
    """A clean article: the body and the metadata copydesk could establish for it."""

    id: str
    source_id: str
    origin: str
    input_kind: InputKind
    content_hash: str
    raw_text: str
    text: str
    url: str | None = None
    site: str | None = None
    title: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    language: str | None = None
    dateline: str | None = None
    removals: list[Removal] = field(default_factory=list)
    signals: Signals = field(default_factory=Signals)
    metadata: dict[str, Any] = field(default_factory=dict)
    story_prints: StoryPrints | None = None
    line_prints: LinePrints | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """By the constructor (see ``PickledByConstructor``), the text sent once where cleaning
        left it as it was read."""
        values = list(attrgetter(*self.__match_args__)(self))
        if self.text == self.raw_text:
            values[_TEXT_AT] = None
        return _article, tuple(values)


def _article(*values: Any) -> Article:
    if values[_TEXT_AT] is None:
        values = (*values[:_TEXT_AT], values[_RAW_TEXT_AT], *values[_TEXT_AT + 1 :])
    return Article(*values)


_RAW_TEXT_AT, _TEXT_AT = 5, 6  # where ``Article``'s constructor takes them


@dataclass(slots=True, frozen=True)
class StoryPrints(PickledByConstructor):
    """An article's story fingerprints, computed beside cleaning in the worker processes so the
    (single-process) stories stage need not: the normalised hash of the text they were computed
    from, the event+kind vector (``store.vectors.pack_vector``), the names and figures behind it,
    and the MinHash signature (uint32 bytes) with its configuration's key ('' where not signed)."""

    norm_hash: str
    vector: bytes
    names: tuple[str, ...]
    numbers: tuple[str, ...]
    minhash_key: str = ""
    signature: bytes = b""


@dataclass(slots=True, frozen=True)
class LinePrints(PickledByConstructor):
    """What the recurring-chrome stage reads of an article, noted by the cleaning workers while they
    have its lines at hand: the body signature and the normalised short lines that could be site
    furniture (``copydesk.clean.recurring.line_prints``)."""

    body: str
    keys: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class SkippedInput:
    """An input that could not become an article, and why; listed in the run summary."""

    origin: str
    reason: str
    error_kind: str
    source_id: str | None = None


@dataclass(slots=True, frozen=True)
class StoryMember:
    """An article's place in its story: its copy family and how it relates to the family original."""

    article_id: str
    copy_family: str
    relation: Relation
    evidence: str = ""


@dataclass(slots=True)
class Story:
    """Articles reporting one real-world event; ``topic_id`` links stories about the same subject."""

    id: str
    title: str
    topic_id: str | None
    members: list[StoryMember]
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    independent_sources: int = 0
    credited_wires: list[str] = field(default_factory=list)


EntityLabel = Literal["person", "org", "place"]
FigureKind = Literal["number", "date"]
QuoteKind = Literal["direct", "indirect"]
FactGroupKind = Literal["figure", "quote"]


@dataclass(slots=True, frozen=True)
class Entity:
    """A person, organisation or place named in a story, with every way its sources wrote it."""

    id: str
    label: EntityLabel
    canonical: str
    surface_forms: tuple[str, ...]
    article_ids: tuple[str, ...]
    mentions: int = 0
    roles: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class Figure:
    """A checkable quantity or date in one article: what it counts, how it is hedged, its sentence.

    Numbers carry ``value`` in the normalised ``unit`` (miles become km); dates carry ``when`` as an
    ISO date, month or year, or ``start/end`` for a range, resolved against the article's date.
    """

    id: str
    article_id: str
    kind: FigureKind
    text: str
    sentence: str
    position: int
    value: float | None = None
    qualifier: str | None = None
    unit: str | None = None
    counted: str | None = None
    when: str | None = None
    scope: str | None = None


@dataclass(slots=True, frozen=True)
class Quote:
    """Words attributed to a speaker: quoted directly, or reported (``according to X``, ``X said that``)."""

    id: str
    article_id: str
    kind: QuoteKind
    text: str
    sentence: str
    position: int
    speaker: str | None = None
    speaker_text: str | None = None
    cue: str | None = None


@dataclass(slots=True)
class FactGroup:
    """Figures about the same thing, or quotes of one speaker saying the same thing, across sources.

    ``status`` is a ``FigureStatus`` for figures and ``agree`` / ``drift`` / ``single-source`` for
    quotes; ``related`` names groups of a different scope shown beside this one; ``drift`` lists the
    wording differences between a group's quotes (``-old +new`` token edits).
    """

    id: str
    story_id: str
    kind: FactGroupKind
    status: str
    members: list[str]
    about: str = ""
    related: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
