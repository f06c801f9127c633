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


def seed_story(
    db_path: Path,
    articles: list[Article],
    *,
    story_id: str = "story-ferry-fares",
    title: str = HEADLINE,
    members: list[Article] | None = None,
) -> str:
    """A story as the stories stage would store it (migration 0003); by default over the ferry articles."""
    stamp = "2025-03-05T00:00:00+00:00"
    ferry = members if members is not None else [a for a in articles if "fares" in a.source_id]
    with Database.open(db_path) as db, db.atomic() as conn:
        conn.execute("INSERT OR IGNORE INTO topics (id, created_at) VALUES (?, ?)", ("topic-islands", stamp))
        conn.execute(
            "INSERT INTO stories (id, topic_id, title, first_seen, last_seen, size, independent_sources, "
            "sites, credited_wires, vector_sum, opened_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                story_id,
                "topic-islands",
                title,
                ferry[0].published.isoformat() if ferry[0].published else None,
                ferry[-1].published.isoformat() if ferry[-1].published else None,
                len(ferry),
                1,
                len(ferry),
                '["Northern Wire"]',
                b"\x00" * 4,
                stamp,
                stamp,
            ),
        )
        relations = ["original"] + ["rewrite", "near-copy", "independent"] * len(ferry)
        conn.executemany(
            "INSERT INTO story_members (article_id, story_id, copy_family, relation, evidence, similarity, "
            "joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (a.id, story_id, "family-1", relations[i], "synonym swaps in 6 of 9 sentences", 0.7, stamp)
                for i, a in enumerate(ferry)
            ],
        )
    return story_id


def seed_facts(db_path: Path, articles: list[Article], story_id: str, extra: str = "") -> None:
    """Facts for a seeded story as the facts stage stores them: a conflicting figure, a drifting quote,
    a name with a variant; ``extra`` is appended to every text (the hostile test puts payloads there)."""
    from copydesk.align.story import StoryFacts
    from copydesk.records import Entity, FactGroup, Figure, Quote
    from copydesk.store import facts as fact_store

    a, b = articles[0].id, articles[1].id
    facts = StoryFacts(
        story_id,
        entities=[Entity("e1", "person", "Ada Brent", ("Ada Brent", "Councillor Brent" + extra), (a, b), 4)],
        figures=[
            Figure(
                "f1",
                a,
                "number",
                "nine percent" + extra,
                "fares rise by nine percent" + extra,
                10,
                9.0,
                None,
                "%",
            ),
            Figure(
                "f2",
                b,
                "number",
                "ten percent" + extra,
                "fares rise by ten percent" + extra,
                10,
                10.0,
                None,
                "%",
            ),
            Figure("f3", b, "date", "May", "consulted in May" + extra, 40, when="2025-05"),
        ],
        quotes=[
            Quote(
                "q1", a, "direct", "We cannot keep one boat running on goodwill" + extra, "s", 5, "Ada Brent"
            ),
            Quote(
                "q2",
                b,
                "direct",
                "We cannot keep one boat running on goodwill alone" + extra,
                "s",
                5,
                "Ada Brent",
            ),
        ],
        groups=[
            FactGroup("g1", story_id, "figure", "conflict", ["f1", "f2"], about="fare rise" + extra),
            FactGroup("g2", story_id, "figure", "single-source", ["f3"], about="consultation"),
            FactGroup("g3", story_id, "quote", "drift", ["q1", "q2"], drift=["+alone"]),
        ],
        figure_groups={"f1": "g1", "f2": "g1", "f3": "g2"},
        quote_groups={"q1": "g3", "q2": "g3"},
    )
    with Database.open(db_path) as db:
        fact_store.put_story_facts(db, facts, "seeded")


def seed_large_story(db_path: Path, seeded: list[Article]) -> str:
    """A story of 130 articles: one family of 70 (the original and 69 copies), 60 of one each."""
    articles = [
        make_article(
            f"wire-{k}",
            f"Report {k}: the harbour board of Kellwick met on Tuesday and voted {k} to {k + 3}.",
            title=f"Harbour vote {k}",
            site=f"paper{k}.example",
            url=None,
            published=f"2025-04-01T{8 + k // 60:02d}:{k % 60:02d}:00+00:00",
        )
        for k in range(130)
    ]
    with Database.open(db_path) as db:
        article_store.put_articles(db, articles)
    story_id = seed_story(db_path, seeded, story_id="story-harbour", members=articles)
    with Database.open(db_path) as db, db.atomic() as conn:
        for k, a in enumerate(articles):
            family, relation = (
                ("wire", "original" if k == 0 else "exact-copy") if k < 70 else (f"own{k}", "independent")
            )
            conn.execute(
                "UPDATE story_members SET copy_family = ?, relation = ? WHERE article_id = ?",
                (family, relation, a.id),
            )
    return story_id
