"""Corroboration in the store: a story's facts written whole, read back as ``StoryFacts``, exported."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from copydesk.align.sentences import RewriteAlignment, SentencePair
from copydesk.align.story import StoryFacts
from copydesk.errors import NotFoundError
from copydesk.records import Entity, FactGroup, Figure, Quote
from copydesk.store.db import Database, in_chunks


def members_key(members: Sequence[tuple[str, str | None]]) -> str:
    """What a story's facts were built from: its member ids and their relations, order-free."""
    text = "\n".join(f"{a}\t{r or ''}" for a, r in sorted(members))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def stored_keys(db: Database) -> dict[str, str]:
    return {r[0]: r[1] for r in db.query("SELECT story_id, members_key FROM fact_stories")}


def delete_story_facts(db: Database, story_ids: Sequence[str]) -> None:
    with db.atomic() as conn:
        for sid in story_ids:
            for table in (
                "fact_stories",
                "fact_entities",
                "fact_figures",
                "fact_quotes",
                "fact_groups",
                "fact_rewrites",
            ):
                conn.execute(f"DELETE FROM {table} WHERE story_id = ?", (sid,))


def put_story_facts(db: Database, facts: StoryFacts, key: str) -> None:
    """Replace one story's facts in one transaction."""
    sid = facts.story_id
    with db.atomic() as conn:
        delete_story_facts(db, [sid])
        conn.execute(
            "INSERT INTO fact_stories (story_id, members_key, computed_at) VALUES (?, ?, ?)",
            (sid, key, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        conn.executemany(
            "INSERT INTO fact_entities VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    e.id,
                    e.label,
                    e.canonical,
                    json.dumps(list(e.surface_forms), ensure_ascii=False),
                    json.dumps(list(e.article_ids)),
                    json.dumps(list(e.roles), ensure_ascii=False),
                    e.mentions,
                )
                for e in facts.entities
            ],
        )
        conn.executemany(
            "INSERT INTO fact_figures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    f.id,
                    f.article_id,
                    f.kind,
                    f.text,
                    f.sentence,
                    f.position,
                    f.value,
                    f.qualifier,
                    f.unit,
                    f.counted,
                    f.when,
                    f.scope,
                    facts.figure_groups[f.id],
                )
                for f in facts.figures
            ],
        )
        conn.executemany(
            "INSERT INTO fact_quotes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    q.id,
                    q.article_id,
                    q.kind,
                    q.text,
                    q.sentence,
                    q.position,
                    q.speaker,
                    q.speaker_text,
                    q.cue,
                    facts.quote_groups[q.id],
                )
                for q in facts.quotes
            ],
        )
        conn.executemany(
            "INSERT INTO fact_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    g.id,
                    g.kind,
                    g.status,
                    g.about,
                    json.dumps(g.members),
                    json.dumps(g.related),
                    json.dumps(g.drift, ensure_ascii=False),
                )
                for g in facts.groups
            ],
        )
        conn.executemany(
            "INSERT INTO fact_rewrites VALUES (?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    r.article_id,
                    r.sibling_id,
                    r.similarity,
                    json.dumps([_pair_row(p) for p in r.pairs], ensure_ascii=False),
                )
                for r in facts.rewrites
            ],
        )


def _pair_row(p: SentencePair) -> dict[str, Any]:
    return {
        "index": p.index,
        "sibling_index": p.sibling_index,
        "similarity": p.similarity,
        "text": p.text,
        "sibling_text": p.sibling_text,
        "substitutions": [list(s) for s in p.substitutions],
    }


def get_story_facts(db: Database, story_id: str) -> StoryFacts:
    """A story's stored facts, or ``NotFoundError`` when they have not been computed (read in one
    snapshot: a run may rewrite them meanwhile)."""
    with db.snapshot():
        return _story_facts(db, story_id)


def _story_facts(db: Database, story_id: str) -> StoryFacts:
    if not db.query("SELECT 1 FROM fact_stories WHERE story_id = ?", (story_id,)):
        raise NotFoundError(
            f"no facts for story {story_id!r}; 'copydesk run' computes them ('copydesk stories' lists ids)"
        )
    facts = StoryFacts(story_id)
    for r in db.query("SELECT * FROM fact_entities WHERE story_id = ? ORDER BY rowid", (story_id,)):
        facts.entities.append(_entity(r))
    # The columns in the records' field order, each row unpacked into its record (a flood story has
    # hundreds of thousands of figures: reading each column by name took a third of the read).
    figures = db.query(
        f"SELECT {_FIGURE_COLUMNS}, group_id FROM fact_figures WHERE story_id = ? ORDER BY rowid", (story_id,)
    )
    facts.figures = [Figure(*r[:-1]) for r in figures]
    facts.figure_groups = {r[0]: r[-1] for r in figures}
    quotes = db.query(
        f"SELECT {_QUOTE_COLUMNS}, group_id FROM fact_quotes WHERE story_id = ? ORDER BY rowid", (story_id,)
    )
    facts.quotes = [Quote(*r[:-1]) for r in quotes]
    facts.quote_groups = {r[0]: r[-1] for r in quotes}
    for r in db.query("SELECT * FROM fact_groups WHERE story_id = ? ORDER BY rowid", (story_id,)):
        facts.groups.append(_group(r))
    for r in db.query("SELECT * FROM fact_rewrites WHERE story_id = ? ORDER BY rowid", (story_id,)):
        pairs = [
            SentencePair(
                p["index"],
                p["sibling_index"],
                p["similarity"],
                p["text"],
                p["sibling_text"],
                tuple((a, b) for a, b in p["substitutions"]),
            )
            for p in json.loads(r["pairs"])
        ]
        facts.rewrites.append(RewriteAlignment(r["article_id"], r["sibling_id"], r["similarity"], pairs))
    return facts


def _entity(r: Any) -> Entity:
    return Entity(
        id=r["entity_id"],
        label=r["label"],
        canonical=r["canonical"],
        surface_forms=tuple(json.loads(r["surface_forms"])),
        article_ids=tuple(json.loads(r["article_ids"])),
        mentions=r["mentions"],
        roles=tuple(json.loads(r["roles"])),
    )


_FIGURE_COLUMNS = (
    "figure_id, article_id, kind, text, sentence, position, value, qualifier, unit, counted, time_value, "
    "scope"
)
_QUOTE_COLUMNS = "quote_id, article_id, kind, text, sentence, position, speaker, speaker_text, cue"


def _group(r: Any) -> FactGroup:
    return FactGroup(
        id=r["group_id"],
        story_id=r["story_id"],
        kind=r["kind"],
        status=r["status"],
        members=json.loads(r["members"]),
        about=r["about"],
        related=json.loads(r["related"]),
        drift=json.loads(r["drift"]),
    )


def _source_ids(db: Database) -> dict[str, str]:
    return {r[0]: r[1] for r in db.query("SELECT id, source_id FROM articles")}


def iter_figure_rows(db: Database) -> Iterator[dict[str, Any]]:
    """The figures export contract (docs/exports.md)."""
    sources = _source_ids(db)
    status = {(r[0], r[1]): r[2] for r in db.query("SELECT story_id, group_id, status FROM fact_groups")}
    for r in db.query("SELECT * FROM fact_figures ORDER BY story_id, rowid"):
        yield _figure_row(r, sources.get(r["article_id"]), status.get((r["story_id"], r["group_id"])))


def _figure_row(r: Any, source_id: str | None, status: str | None) -> dict[str, Any]:
    """A stored figure as the export contract gives it (the API adds its id)."""
    return {
        "story_id": r["story_id"],
        "article_id": r["article_id"],
        "source_id": source_id,
        "kind": r["kind"],
        "value": r["value"],
        "when": r["time_value"],
        "qualifier": r["qualifier"],
        "unit": r["unit"],
        "counted": r["counted"],
        "scope": r["scope"],
        "text": r["text"],
        "sentence": r["sentence"],
        "group_id": r["group_id"],
        "status": status,
    }


def iter_quote_rows(db: Database) -> Iterator[dict[str, Any]]:
    """The quotes export contract (docs/exports.md)."""
    sources = _source_ids(db)
    status = {(r[0], r[1]): r[2] for r in db.query("SELECT story_id, group_id, status FROM fact_groups")}
    for r in db.query("SELECT * FROM fact_quotes ORDER BY story_id, rowid"):
        yield _quote_row(r, sources.get(r["article_id"]), status.get((r["story_id"], r["group_id"])))


def _quote_row(r: Any, source_id: str | None, status: str | None) -> dict[str, Any]:
    """A stored quote as the export contract gives it (the API adds its id and its group's drift)."""
    return {
        "story_id": r["story_id"],
        "article_id": r["article_id"],
        "source_id": source_id,
        "kind": r["kind"],
        "speaker": r["speaker"],
        "speaker_text": r["speaker_text"],
        "cue": r["cue"],
        "text": r["text"],
        "sentence": r["sentence"],
        "group_id": r["group_id"],
        "group_status": status,
    }


def iter_entity_rows(db: Database) -> Iterator[dict[str, Any]]:
    """The entities export contract (docs/exports.md)."""
    for r in db.query("SELECT * FROM fact_entities ORDER BY story_id, rowid"):
        yield {
            "story_id": r["story_id"],
            "entity_id": r["entity_id"],
            "label": r["label"],
            "canonical": r["canonical"],
            "surface_forms": json.loads(r["surface_forms"]),
            "article_ids": json.loads(r["article_ids"]),
            "roles": json.loads(r["roles"]),
            "mentions": r["mentions"],
        }


def fact_rows_page(
    db: Database, story_id: str, kind: str, limit: int | None = None, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """A story's figures (``kind`` "figure") or quotes ("quote") as the API lists them, in the order
    stored, ``offset`` on, at most ``limit`` (all where None), and how many there are in all.

    Read a page at a time from the rows themselves: a wire story reprinted 10,000 times has 370,000
    figures, which the whole story's facts took 6 s to read (and its response 100 MB to send); its
    rows lie in one run of row ids, so a page costs a short scan, not a sort."""
    with db.snapshot():
        return _fact_rows_page(db, story_id, kind, limit, offset)


def _fact_rows_page(
    db: Database, story_id: str, kind: str, limit: int | None, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    table = {"figure": "fact_figures", "quote": "fact_quotes"}[kind]
    if not db.query("SELECT 1 FROM fact_stories WHERE story_id = ?", (story_id,)):
        raise NotFoundError(
            f"no facts for story {story_id!r}; 'copydesk run' computes them ('copydesk stories' lists ids)"
        )
    total, first, last = db.query(
        f"SELECT COUNT(*), MIN(rowid), MAX(rowid) FROM {table} WHERE story_id = ?", (story_id,)
    )[0]
    rows = db.query(
        f"SELECT * FROM {table} WHERE rowid BETWEEN ? AND ? AND +story_id = ?"  # +: by row id, no sort
        " ORDER BY rowid LIMIT ? OFFSET ?",
        (first or 0, last or 0, story_id, -1 if limit is None else limit, offset),
    )
    groups: dict[str, Any] = {}
    for chunk, marks in in_chunks(sorted({r["group_id"] for r in rows})):
        for g in db.query(
            f"SELECT group_id, status, drift FROM fact_groups WHERE story_id = ? AND group_id IN ({marks})",
            (story_id, *chunk),
        ):
            groups[g["group_id"]] = g
    sources: dict[str, str] = {}
    for chunk, marks in in_chunks(sorted({r["article_id"] for r in rows})):
        sources.update(
            (r[0], r[1]) for r in db.query(f"SELECT id, source_id FROM articles WHERE id IN ({marks})", chunk)
        )
    build = _figure_api_row if kind == "figure" else _quote_api_row
    return int(total), [build(r, sources, groups.get(r["group_id"])) for r in rows]


def _figure_api_row(r: Any, sources: dict[str, str], group: Any) -> dict[str, Any]:
    return {"figure_id": r["figure_id"], **_figure_row(r, sources.get(r["article_id"]), _status(group))}


def _quote_api_row(r: Any, sources: dict[str, str], group: Any) -> dict[str, Any]:
    drift = json.loads(group["drift"]) if group is not None else []
    return {
        "quote_id": r["quote_id"],
        **_quote_row(r, sources.get(r["article_id"]), _status(group)),
        "drift": drift,
    }


def _status(group: Any) -> str | None:
    return group["status"] if group is not None else None
