"""Provenance per story: copy families, independent report counts, credited wires, the story's title.

Sources are counted two ways: every article, and *independent* reports, where a copy family (an
original and its copies, rewrites and translations) counts once however many sites ran it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from copydesk.fingerprint.minhash import MinHashConfig
from copydesk.records import StoryMember
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.families import FamilyJudge, MemberText, copy_families
from copydesk.stories.features import Lexicon, sentences

MAX_FAMILY_MEMBERS = 200


class Titled(Protocol):
    """What a story title is chosen from (an ``Article`` or a ``story_store.StoryText``)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def text(self) -> str: ...


def story_title(articles: Sequence[Titled], members: Sequence[StoryMember]) -> str:
    """The title of the family original with the most members, else of the earliest article."""
    by_id = {a.id: a for a in articles}
    sizes: dict[str, int] = {}
    for m in members:
        sizes[m.copy_family] = sizes.get(m.copy_family, 0) + 1
    heads = [m for m in members if m.relation in ("original", "independent")]
    heads.sort(key=lambda m: -sizes[m.copy_family])
    for m in heads:
        article = by_id.get(m.article_id)
        if article is not None and article.title:
            return article.title
    for article in articles:
        if article.title:
            return article.title
    first = sentences(articles[0].text)[:1] if articles else []
    return first[0][:120] if first else ""


def refresh_stories(db: Database, story_ids: Sequence[str], lexicon: Lexicon, minhash: MinHashConfig) -> None:
    """Recompute families, relations and provenance of the given stories from their members.

    Members are read a few hundred stories at a time and everything is written in one transaction."""
    judge = FamilyJudge(lexicon.zipf, minhash)
    with db.atomic():
        for start in range(0, len(story_ids), 200):
            part = story_ids[start : start + 200]
            member_lists = story_store.member_ids_of(db, part)
            every = [a for ids in member_lists.values() for a in ids]
            texts = story_store.story_texts(db, every)
            prints = story_store.hashes_and_signatures(db, every, minhash.key)
            for story_id in part:
                ids = member_lists.get(story_id, [])
                articles = sorted((texts[a] for a in ids if a in texts), key=lambda a: a.seq)
                if articles:
                    _refresh_one(db, story_id, articles, prints, judge)


def _refresh_one(
    db: Database,
    story_id: str,
    articles: Sequence[story_store.StoryText],
    prints: dict[str, tuple[str, np.ndarray]],
    judge: FamilyJudge,
) -> None:
    texts = [
        MemberText(a.id, a.text, a.title, a.published, list(a.credits), *prints[a.id])
        for a in articles
        if a.id in prints
    ]
    members = copy_families(texts[:MAX_FAMILY_MEMBERS], judge)
    judge.forget()
    members += [
        StoryMember(t.article_id, "f" + t.article_id[:12], "independent", "not compared: story too large")
        for t in texts[MAX_FAMILY_MEMBERS:]
    ]
    story_store.put_families(db, members)
    wires = sorted({c for a in articles for c in a.credits})
    sites = {a.site or a.source_id for a in articles}
    story_store.put_provenance(
        db,
        story_id,
        title=story_title(articles, members),
        independent=len({m.copy_family for m in members}),
        sites=len(sites),
        wires=wires,
    )


STORY_FIELDS = (
    "id",
    "title",
    "topic_id",
    "article_ids",
    "first_seen",
    "last_seen",
    "articles",
    "independent_sources",
    "sites",
    "credited_wires",
    "members",
)


def story_rows(db: Database) -> Iterator[dict[str, Any]]:
    """The stories export contract (docs/exports.md): one row per live story."""
    for story_id in story_store.iter_story_ids(db):
        yield story_row(db, story_id)


def story_row(db: Database, story_id: str) -> dict[str, Any]:
    story = story_store.get_story(db, story_id)
    info = {
        r["id"]: dict(r)
        for r in db.query(
            "SELECT a.id, a.source_id, a.site, a.title, a.published FROM articles a "
            "JOIN story_members m ON m.article_id = a.id WHERE m.story_id = ?",
            (story.id,),
        )
    }
    sites = db.query("SELECT sites FROM stories WHERE id = ?", (story.id,))[0][0]
    return {
        "id": story.id,
        "title": story.title,
        "topic_id": story.topic_id,
        "article_ids": [info[m.article_id]["source_id"] for m in story.members],
        "first_seen": story.first_seen.isoformat() if story.first_seen else None,
        "last_seen": story.last_seen.isoformat() if story.last_seen else None,
        "articles": len(story.members),
        "independent_sources": story.independent_sources,
        "sites": sites,
        "credited_wires": story.credited_wires,
        "members": [
            {
                "article_id": m.article_id,
                "source_id": info[m.article_id]["source_id"],
                "site": info[m.article_id]["site"],
                "title": info[m.article_id]["title"],
                "published": info[m.article_id]["published"],
                "copy_family": m.copy_family,
                "relation": m.relation,
                "evidence": m.evidence,
            }
            for m in story.members
        ],
    }
