"""A seeded generator of synthetic news documents for benchmarks: text dumps, HTML pages, WARC records.

The words are invented for the project (no real article text); each document is a headline, a
dateline and about 600 words of template sentences, and the HTML page wraps it in the site furniture
a real page has (navigation, share bar, related links, footer) so extraction has work to do.
"""

from __future__ import annotations

import gzip
import html
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PLACES = [
    "Ostrel",
    "Varnholm",
    "Kettering Bay",
    "Lusk Harbour",
    "Tavor",
    "Mirenne",
    "Brackwater",
    "Solvay Point",
]
_ACTORS = [
    "the port authority",
    "the regional council",
    "the transport ministry",
    "local fishermen",
    "the harbour workers' union",
    "the national weather office",
    "a consortium of shipbuilders",
    "the city's mayor",
    "residents of the old quarter",
    "the coastal guard",
]
_VERBS = ["announced", "rejected", "delayed", "approved", "questioned", "welcomed", "criticised", "reviewed"]
_OBJECTS = [
    "a plan to dredge the northern channel",
    "the new ferry timetable",
    "a proposal to rebuild the sea wall",
    "the budget for the bridge repairs",
    "a study of the river's flood risk",
    "the expansion of the container terminal",
    "a ban on night-time freight traffic",
    "the contract for the new lighthouse",
]
_DETAILS = [
    "The decision follows months of talks that stalled over the cost of the work.",
    "Officials said the first phase would begin before the end of the year.",
    "Critics argue that the estimate of {n} million leaves out the cost of upkeep.",
    "About {n} households live within a kilometre of the site, according to the census.",
    "A spokesperson declined to say when the final report would be published.",
    "Traffic on the coastal road fell by {n} percent during the last closure.",
    "The council will vote on the matter at its meeting on {day}.",
    "Engineers warned that the old structure could not withstand another winter storm.",
    "Business owners near the quay said they had not been consulted.",
    "The ministry has set aside {n} million for the project over three years.",
]
_QUOTES = [
    '"We cannot wait another season," said {person}, who chairs the committee.',
    '"This is the right decision for the town," {person} told reporters.',
    '"Nobody has explained where the money will come from," said {person}.',
    '"We will keep the public informed at every step," {person} said.',
]
_PEOPLE = ["Mara Lindqvist", "Tomas Orrel", "Ines Varga", "Piet Halloran", "Asha Rendell", "Jon Mikkelsen"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
_SITES = ["harbourtimes", "coastalpost", "northerndispatch", "baycourier"]


@dataclass(frozen=True, slots=True)
class NewsDocument:
    doc_id: str
    site: str
    headline: str
    published: datetime
    paragraphs: list[str]

    @property
    def url(self) -> str:
        return f"https://www.{self.site}.example/news/{self.doc_id}"

    def as_text(self) -> str:
        date = self.published.strftime("%d %B %Y")
        return "\n\n".join([self.headline, f"Published: {date}", *self.paragraphs]) + "\n"

    def as_html(self, rng: random.Random) -> str:
        related = "".join(
            f'<li><a href="/news/r{rng.randrange(10**6)}">{html.escape(_headline(rng))}</a></li>'
            for _ in range(4)
        )
        nav = "".join(
            f'<li><a href="/{s}">{s.title()}</a></li>' for s in ("world", "business", "sport", "weather")
        )
        body = "".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.headline)} | {self.site.title()}</title>"
            f'<meta property="og:title" content="{html.escape(self.headline)}">'
            f'<meta name="date" content="{self.published.isoformat()}"></head><body>'
            f'<header><a href="/">{self.site.title()}</a><nav><ul>{nav}</ul></nav></header>'
            '<div class="cookie-banner">We use cookies to improve your experience. '
            "<button>Accept</button></div>"
            f"<main><article><h1>{html.escape(self.headline)}</h1>"
            f'<p class="byline">By {rng.choice(_PEOPLE)}</p>'
            f"<time datetime='{self.published.isoformat()}'>{self.published:%d %B %Y}</time>"
            f'<div class="article-body">{body}</div>'
            '<div class="share">Share this article: <a href="#">Facebook</a> <a href="#">X</a></div>'
            f"</article><aside><h2>Related articles</h2><ul>{related}</ul></aside></main>"
            f"<footer><p>© 2024 {self.site.title()}. All rights reserved.</p>"
            '<a href="/privacy">Privacy policy</a> <a href="/contact">Contact us</a></footer>'
            "</body></html>"
        )


def _headline(rng: random.Random) -> str:
    place, actor = rng.choice(_PLACES), rng.choice(_ACTORS)
    return f"{place}: {actor} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}".capitalize()


def _sentence(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return (
            f"{rng.choice(_ACTORS).capitalize()} in {rng.choice(_PLACES)} "
            f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} on {rng.choice(_DAYS)}."
        )
    if roll < 0.85:
        return rng.choice(_DETAILS).format(n=rng.randrange(2, 400), day=rng.choice(_DAYS))
    return rng.choice(_QUOTES).format(person=rng.choice(_PEOPLE))


def generate(count: int, *, seed: int = 20241124, words: int = 600) -> Iterator[NewsDocument]:
    """``count`` documents of about ``words`` words each, the same for the same seed."""
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    for index in range(count):
        paragraphs: list[str] = []
        total = 0
        while total < words:
            paragraph = " ".join(_sentence(rng) for _ in range(rng.randrange(2, 5)))
            # A serial number keeps every document distinct, so re-ingest deduplication does not kick in.
            if not paragraphs:
                paragraph = f"{rng.choice(_PLACES).upper()} - Report {index:06d}. {paragraph}"
            paragraphs.append(paragraph)
            total += len(paragraph.split())
        yield NewsDocument(
            doc_id=f"doc{index:06d}",
            site=rng.choice(_SITES),
            headline=_headline(rng),
            published=start + timedelta(hours=index),
            paragraphs=paragraphs,
        )


def warc_record(url: str, html_page: str, record_id: int, date: datetime) -> bytes:
    """One gzipped WARC/1.0 ``response`` record holding an HTTP 200 response with the page."""
    payload = html_page.encode("utf-8")
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    headers = (
        "WARC/1.0\r\n"
        "WARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-{record_id:012d}>\r\n"
        f"WARC-Date: {date.strftime('%Y-%m-%dT%H:%M:%SZ')}\r\n"
        f"WARC-Target-URI: {url}\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http)}\r\n\r\n"
    ).encode()
    return gzip.compress(headers + http + b"\r\n\r\n")
