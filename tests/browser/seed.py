"""A small store for the web and API tests: articles with removals of every kind (our own words)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from copydesk.records import Article, Removal, Signals, content_digest
from copydesk.store import articles as article_store
from copydesk.store.db import Database

HEADLINE = "Lerwick ferry fares to rise by nine percent"
SPAM = "CHEAP-WATCHES-ONLINE"
BODY_A = (
    "Home | News | Sport\n"
    f"{HEADLINE}\n"
    f"The island council voted on Tuesday to raise ferry fa{SPAM}res by nine percent from April.\n"
    "Councillor Ada Brent said the increase would pay for a second vessel on the northern route.\n"
    "\u201cWe cannot keep one boat running on goodwill,\u201d she said.\n"
    "Share this article on social media"
)
BODY_B = (
    f"{HEADLINE}\n"
    "The island council agreed on Tuesday to lift ferry fares by nine percent from April.\n"
    "Councillor Ada Brent said the rise would fund a second ship on the northern route.\n"
    "\u201cWe cannot keep one boat running on goodwill alone,\u201d she said.\n"
    "Residents will be consulted on timetables in May."
)
BODY_C = "Market traders in Brindle report a quiet week as the harvest festival is postponed by rain."


def _removals(raw: str) -> list[Removal]:
    chrome = "Home | News | Sport\n"
    footer = "\nShare this article on social media"
    return [
        Removal("chrome", chrome, "site navigation line", raw.index(chrome)),
        Removal("duplicate-headline", HEADLINE + "\n", "repeats the title", raw.index(HEADLINE)),
        Removal("spam", SPAM, "injected link text inside a word", raw.index(SPAM), repaired_as="fares"),
        Removal("chrome", footer, "share prompt", raw.index(footer)),
    ]


def _clean(raw: str, removals: list[Removal]) -> str:
    out = raw
    for r in sorted(removals, key=lambda r: r.position, reverse=True):
        out = out[: r.position] + out[r.position + len(r.text) :]
    return out.strip()


def make_article(
    source_id: str,
    raw: str,
    *,
    title: str | None,
    site: str | None,
    url: str | None,
    published: str | None,
    removals: list[Removal] | None = None,
    spam: bool = False,
) -> Article:
    removals = removals or []
    digest = content_digest(raw)
    return Article(
        id=content_digest(source_id + "\x00" + digest),
        source_id=source_id,
        origin=f"tests/{source_id}.txt",
        input_kind="text",
        content_hash=digest,
        raw_text=raw,
        text=_clean(raw, removals),
        url=url,
        site=site,
        title=title,
        published=datetime.fromisoformat(published) if published else None,
        removals=removals,
        signals=Signals(extractor="text", spam_injected=spam, chrome_lines=2 if removals else 0),
    )


def seed_articles() -> list[Article]:
    return [
        make_article(
            "islandpost-fares",
            BODY_A,
            title=HEADLINE,
            site="islandpost.example",
            url="https://islandpost.example/fares",
            published="2025-03-04T09:30:00+00:00",
            removals=_removals(BODY_A),
            spam=True,
        ),
        make_article(
            "northwire-fares",
            BODY_B,
            title=HEADLINE,
            site="northwire.example",
            url="https://northwire.example/a/1",
            published="2025-03-04T11:00:00+00:00",
        ),
        make_article(
            "brindle-market",
            BODY_C,
            title="Brindle market quiet as festival is postponed",
            site="brindletimes.example",
            url="javascript:alert('XSS-url')",
            published="2025-02-20T08:00:00+00:00",
        ),
    ]


def seed_store(db_path: Path) -> list[Article]:
    articles = seed_articles()
    with Database.open(db_path) as db:
        article_store.put_articles(db, articles)
    return articles
