"""Stories in the store: fingerprints, stories, topics, members with copy families, and the story log."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from copydesk.errors import NotFoundError
from copydesk.records import PickledByConstructor, Story, StoryMember
from copydesk.store.db import Database, in_chunks


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def iso_text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def parsed_date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(slots=True)
class StoredStory:
    """A story row with its running vector sum (the clusterer's state)."""

    id: str
    topic_id: str
    first_seen: datetime | None
    last_seen: datetime | None
    size: int
    vector_sum: np.ndarray


@dataclass(frozen=True, slots=True)
class StoryText(PickledByConstructor):
    """What the stories stage reads of an article: no raw text, removals or cleaning signals."""

    id: str
    source_id: str
    site: str | None
    title: str | None
    published: datetime | None
    credits: list[str]
    text: str
    seq: int


def story_texts(db: Database, ids: Sequence[str]) -> dict[str, StoryText]:
    """The given articles' texts and the fields stories use, by id (missing ids are left out)."""
    out: dict[str, StoryText] = {}
    for chunk, marks in in_chunks(ids):
        for r in db.query(
            "SELECT id, source_id, site, title, published, credits, text, seq FROM articles "
            f"WHERE id IN ({marks})",
            chunk,
        ):
            credits = json.loads(r[5]) if r[5] != "[]" else []
            out[r[0]] = StoryText(r[0], r[1], r[2], r[3], parsed_date(r[4]), credits, r[6], r[7])
    return out


def story_ids_of(db: Database, article_ids: Sequence[str]) -> dict[str, str]:
    """The story each of the given articles sits in (articles in none are left out)."""
    out: dict[str, str] = {}
    for chunk, marks in in_chunks(article_ids):
        for r in db.query(
            f"SELECT article_id, story_id FROM story_members WHERE article_id IN ({marks})", chunk
        ):
            out[r[0]] = r[1]
    return out


def articles_with_hash(db: Database, norm_hashes: Sequence[str]) -> dict[str, str]:
    """For each normalised hash already placed in a story, one article that has it."""
    out: dict[str, str] = {}
    for chunk, marks in in_chunks(norm_hashes):
        for row in db.query(
            f"SELECT f.norm_hash, f.article_id FROM story_features f JOIN story_members m "
            f"ON m.article_id = f.article_id WHERE f.norm_hash IN ({marks})",
            chunk,
        ):
            out.setdefault(row[0], row[1])
    return out


def unplaced_article_ids(db: Database) -> list[str]:
    """Articles that are in no story yet, oldest publication first (undated last), then by arrival."""
    rows = db.query(
        "SELECT a.id FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
        "WHERE m.article_id IS NULL ORDER BY a.published IS NULL, a.published, a.seq"
    )
    return [r[0] for r in rows]


def load_stories(db: Database) -> Iterator[StoredStory]:
    """Live stories (not merged away), for the clusterer's working set."""
    last = ""
    while True:
        rows = db.query(
            "SELECT id, topic_id, first_seen, last_seen, size, vector_sum FROM stories "
            "WHERE merged_into IS NULL AND id > ? ORDER BY id LIMIT 20000",
            (last,),
        )
        if not rows:
            return
        for r in rows:
            yield StoredStory(
                r["id"],
                r["topic_id"] or "",
                parsed_date(r["first_seen"]),
                parsed_date(r["last_seen"]),
                r["size"],
                np.frombuffer(r["vector_sum"], dtype=np.float32).copy(),
            )
        last = rows[-1]["id"]


def save_story_states(db: Database, stories: Sequence[StoredStory]) -> None:
    """Insert or update the clusterer's view of stories (ids, topic, span, size, vector sum)."""
    stamp = _now()
    with db.atomic() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO topics (id, created_at) VALUES (?, ?)",
            [(s.topic_id, stamp) for s in stories if s.topic_id],
        )
        conn.executemany(
            "INSERT INTO stories (id, topic_id, first_seen, last_seen, size, vector_sum, opened_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "topic_id = excluded.topic_id, "
            "first_seen = excluded.first_seen, last_seen = excluded.last_seen, size = excluded.size, "
            "vector_sum = excluded.vector_sum, updated_at = excluded.updated_at",
            [
                (
                    s.id,
                    s.topic_id or None,
                    iso_text(s.first_seen),
                    iso_text(s.last_seen),
                    s.size,
                    s.vector_sum.astype(np.float32).tobytes(),
                    stamp,
                    stamp,
                )
                for s in stories
            ],
        )


def mark_merged(db: Database, merges: Sequence[tuple[str, str]]) -> None:
    """Record merges and move the merged story's members to the story that absorbed it."""
    with db.atomic() as conn:
        for gone, keep in merges:
            conn.execute(
                "UPDATE stories SET merged_into = ?, updated_at = ? WHERE id = ?", (keep, _now(), gone)
            )
            conn.execute("UPDATE story_members SET story_id = ? WHERE story_id = ?", (keep, gone))


def put_members(db: Database, rows: Sequence[tuple[str, str, float]]) -> None:
    """New memberships (article, story, similarity); family and relation are set by ``put_families``.

    An article's earlier membership is deleted and the new one inserted, as ``INSERT OR REPLACE``
    would (the row goes to the end), but by two plain statements: with foreign keys on, SQLite's
    REPLACE cost 12 us a row against 5 (a 2,000-article chunk 24 -> 11 ms in the placing process).
    An article given twice keeps its last membership, in that one's place."""
    stamp = _now()
    latest: dict[str, tuple[str, float]] = {}
    for a, s, sim in reversed(rows):
        latest.setdefault(a, (s, sim))
    with db.atomic() as conn:
        conn.executemany("DELETE FROM story_members WHERE article_id = ?", [(a,) for a in latest])
        conn.executemany(
            "INSERT INTO story_members (article_id, story_id, copy_family, relation, evidence, "
            "similarity, joined_at) VALUES (?, ?, '', 'independent', '', ?, ?)",
            [(a, s, sim, stamp) for a, (s, sim) in reversed(latest.items())],
        )


def put_families(db: Database, members: Sequence[StoryMember]) -> None:
    with db.atomic() as conn:
        conn.executemany(
            "UPDATE story_members SET copy_family = ?, relation = ?, evidence = ? WHERE article_id = ?",
            [(m.copy_family, m.relation, m.evidence, m.article_id) for m in members],
        )


class StoryProvenance(Protocol):
    """What ``put_provenance`` writes of a story: its title and source counts (the family refresh's
    ``Provenance``)."""

    @property
    def story_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def independent(self) -> int: ...
    @property
    def sites(self) -> int: ...
    @property
    def wires(self) -> list[str]: ...


def put_provenance(db: Database, rows: Sequence[StoryProvenance]) -> None:
    """Set stories' titles and source counts (one statement for the batch: a transaction or savepoint
    per story cost ten times the update itself)."""
    with db.atomic() as conn:
        conn.executemany(
            "UPDATE stories SET title = ?, independent_sources = ?, sites = ?, credited_wires = ? "
            "WHERE id = ?",
            [
                (r.title, r.independent, r.sites, json.dumps(r.wires, ensure_ascii=False), r.story_id)
                for r in rows
            ],
        )


def put_log(db: Database, entries: Sequence[tuple[str, str, str | None, str | None, str]]) -> None:
    """Log rows: (kind, story_id, other_id, article_id, detail)."""
    stamp = _now()
    with db.atomic() as conn:
        conn.executemany(
            "INSERT INTO story_log (at, kind, story_id, other_id, article_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(stamp, *e) for e in entries],
        )


def member_ids_of(db: Database, story_ids: Sequence[str]) -> dict[str, list[str]]:
    """The member article ids of each of the given stories."""
    out: dict[str, list[str]] = {}
    for chunk, marks in in_chunks(story_ids):
        for r in db.query(
            f"SELECT story_id, article_id FROM story_members WHERE story_id IN ({marks})", chunk
        ):
            out.setdefault(r[0], []).append(r[1])
    return out


def first_member_ids(db: Database, story_ids: Sequence[str], count: int) -> dict[str, list[str]]:
    """The first ``count`` members of each of the given stories, in arrival order (stories with
    none are left out)."""
    out: dict[str, list[str]] = {}
    for story_id in story_ids:
        rows = db.query(
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id "
            "WHERE m.story_id = ? ORDER BY a.seq LIMIT ?",
            (story_id, count),
        )
        if rows:
            out[story_id] = [r[0] for r in rows]
    return out


def member_ids(db: Database, story_id: str) -> list[str]:
    return [r[0] for r in db.query("SELECT article_id FROM story_members WHERE story_id = ?", (story_id,))]


def count_stories(db: Database) -> int:
    return int(db.query("SELECT COUNT(*) FROM stories WHERE merged_into IS NULL")[0][0])


def list_story_summaries(
    db: Database, *, order: str = "newest", limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Stories newest (latest article) or largest first, with their source counts."""
    by = "size DESC, last_seen DESC" if order == "largest" else "last_seen IS NULL, last_seen DESC, size DESC"
    rows = db.query(
        "SELECT id, title, topic_id, first_seen, last_seen, size, independent_sources, sites, credited_wires "
        f"FROM stories WHERE merged_into IS NULL ORDER BY {by}, id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [
        {**dict(r), "articles": r["size"], "credited_wires": json.loads(r["credited_wires"])} for r in rows
    ]


def story_id_of_article(db: Database, article_id: str) -> tuple[str, str] | None:
    """(story id, relation) of an article, or ``None`` when it is in no story."""
    rows = db.query("SELECT story_id, relation FROM story_members WHERE article_id = ?", (article_id,))
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def list_topics(db: Database) -> list[dict[str, Any]]:
    """Topics with their stories' count, labelled by their largest story's title."""
    rows = db.query(
        "SELECT topic_id AS id, COUNT(*) AS stories, SUM(size) AS articles, "
        "(SELECT s2.title FROM stories s2 WHERE s2.topic_id = s.topic_id AND s2.merged_into IS NULL "
        " ORDER BY s2.size DESC, s2.id LIMIT 1) AS label "
        "FROM stories s WHERE topic_id IS NOT NULL AND merged_into IS NULL GROUP BY topic_id "
        "ORDER BY articles DESC, id"
    )
    return [dict(r) for r in rows]


def topic_article_ids(db: Database, topic_id: str) -> list[str]:
    rows = db.query(
        "SELECT m.article_id FROM story_members m JOIN stories s ON s.id = m.story_id WHERE s.topic_id = ?",
        (topic_id,),
    )
    if not rows and not db.query("SELECT 1 FROM topics WHERE id = ?", (topic_id,)):
        raise NotFoundError(f"no topic {topic_id!r}; topics link stories once 'copydesk run' has built them")
    return [r[0] for r in rows]


def _resolve(db: Database, story_id: str) -> str:
    seen = set()
    current = story_id
    while current not in seen:
        seen.add(current)
        rows = db.query("SELECT merged_into FROM stories WHERE id = ?", (current,))
        if not rows:
            raise NotFoundError(f"no story with id {story_id!r}; 'copydesk stories' lists them")
        if rows[0][0] is None:
            return current
        current = rows[0][0]
    return current


def get_story(db: Database, story_id: str) -> Story:
    """A story by id (a merged-away id leads to the story that absorbed it)."""
    found = _resolve(db, story_id)
    row = db.query("SELECT * FROM stories WHERE id = ?", (found,))[0]
    members = [
        StoryMember(r["article_id"], r["copy_family"], r["relation"], r["evidence"])
        for r in db.query(
            "SELECT m.* FROM story_members m JOIN articles a ON a.id = m.article_id WHERE m.story_id = ? "
            "ORDER BY m.copy_family, a.published IS NULL, a.published, a.seq",
            (found,),
        )
    ]
    return Story(
        id=row["id"],
        title=row["title"],
        topic_id=row["topic_id"],
        members=members,
        first_seen=parsed_date(row["first_seen"]),
        last_seen=parsed_date(row["last_seen"]),
        independent_sources=row["independent_sources"],
        credited_wires=json.loads(row["credited_wires"]),
    )


def related_stories(
    db: Database, story_id: str, topic_id: str | None, limit: int = 20
) -> list[dict[str, Any]]:
    """Other stories under the same topic."""
    if not topic_id:
        return []
    rows = db.query(
        "SELECT id, title, first_seen, last_seen, size FROM stories WHERE topic_id = ? AND id != ? "
        "AND merged_into IS NULL ORDER BY first_seen LIMIT ?",
        (topic_id, story_id, limit),
    )
    return [dict(r) for r in rows]


def story_log(db: Database, story_id: str) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT at, kind, story_id, other_id, article_id, detail FROM story_log "
        "WHERE story_id = ? OR other_id = ? ORDER BY id",
        (story_id, story_id),
    )
    return [dict(r) for r in rows]


def iter_story_ids(db: Database) -> Iterator[str]:
    last = ""
    while True:
        rows = db.query(
            "SELECT id FROM stories WHERE merged_into IS NULL AND id > ? ORDER BY id LIMIT 5000", (last,)
        )
        if not rows:
            return
        yield from (r[0] for r in rows)
        last = rows[-1][0]
