"""The stories export contract (docs/exports.md): a story's row, with its members' families and
relations, as ``copydesk export --what stories`` and the API give it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from copydesk.store import stories as story_store
from copydesk.store.db import Database

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


# Copy families on a story page, and members shown of each: a wire story run by 10,000 sites made a
# page of 12 MB that took 16 s and `copydesk story` 152,000 lines; the rest are a page away
# (``/stories/{id}/families``) or asked for (``copydesk story --all``).
FAMILIES_SHOWN = 50
MEMBERS_SHOWN = 20


def member_families(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A story's member rows (``story_row``'s) grouped by copy family, the family's original first, then
    by publication; families in order of first report."""
    families: dict[str, list[dict[str, Any]]] = {}
    for member in members:
        families.setdefault(member["copy_family"], []).append(member)
    out: list[dict[str, Any]] = []
    for family_id, group in families.items():
        group.sort(key=lambda m: (m["relation"] != "original", m["published"] is None, m["published"] or ""))
        out.append(
            {"id": family_id, "original": group[0], "members": group, "size": len(group), "left_out": 0}
        )
    out.sort(key=lambda f: (f["original"]["published"] is None, f["original"]["published"] or ""))
    return out


def cut_family(family: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """``family`` with only its members ``offset`` to ``offset + limit``; ``left_out``: how many follow."""
    members = family["members"][offset : offset + limit]
    return {**family, "members": members, "left_out": max(0, family["size"] - offset - len(members))}
