"""Articles and their removals in the store: write in batches, read one or many.

An article's ``raw_text`` (the text before cleaning) is stored only where cleaning changed it: a row
whose cleaning changed nothing holds '' there (an input is never empty), and ``text`` is both. Clean
inputs are the common case (already-extracted text), and each row held its text twice: 3,000
600-word articles wrote 0.34 s -> 0.29 s, the store 38 -> 29 MB. Reads give the whole ``raw_text``
back (``row_to_article``), and a corpus pass that rewrites ``text`` writes ``raw_text`` with it.
Stores written before hold ``raw_text`` whole in every row, and are read the same way."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from copydesk.errors import NotFoundError
from copydesk.records import Article, Removal, Signals
from copydesk.store.db import Database, in_chunks, json_strings

ARTICLE_COLUMNS = (
    "id, source_id, origin, input_kind, content_hash, url, site, title, published, authors, credits, "
    "language, dateline, raw_text, text, signals, metadata, ingested_at, seq"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stored_raw_text(article: Article) -> str:
    """What the ``raw_text`` column holds: '' where cleaning left the text as it was read."""
    return "" if article.raw_text == article.text else article.raw_text


def _article_row(article: Article, seq: int, ingested_at: str) -> tuple[Any, ...]:
    return (
        article.id,
        article.source_id,
        article.origin,
        article.input_kind,
        article.content_hash,
        article.url,
        article.site,
        article.title,
        article.published.isoformat() if article.published else None,
        json_strings(article.authors, ensure_ascii=False),
        json_strings(article.credits, ensure_ascii=False),
        article.language,
        article.dateline,
        _stored_raw_text(article),
        article.text,
        json.dumps({name: getattr(article.signals, name) for name in _SIGNAL_FIELDS}),
        json.dumps(article.metadata, ensure_ascii=False, default=str) if article.metadata else "{}",
        ingested_at,
        seq,
    )


# Signals holds plain values, so this dict dumps as ``dataclasses.asdict`` would (without its deep copies).
_SIGNAL_FIELDS = tuple(f.name for f in dataclasses.fields(Signals))


def _removal_rows(article: Article) -> list[tuple[Any, ...]]:
    return [
        (article.id, i, r.kind, r.text, r.reason, r.position, r.repaired_as)
        for i, r in enumerate(article.removals)
    ]


def existing_ids(db: Database, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk, marks in in_chunks(ids):
        found.update(r[0] for r in db.query(f"SELECT id FROM articles WHERE id IN ({marks})", chunk))
    return found


def put_articles(db: Database, articles: Sequence[Article]) -> int:
    """Insert the articles not yet stored; returns how many were new. Same id = same content."""
    if not articles:
        return 0
    with db.atomic() as conn:
        known = existing_ids(db, [a.id for a in articles])
        fresh: list[Article] = []
        seen: set[str] = set()
        for article in articles:
            if article.id not in known and article.id not in seen:
                fresh.append(article)
                seen.add(article.id)
        if not fresh:
            return 0
        next_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0] + 1
        stamp = _now()
        conn.executemany(
            f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ({','.join('?' * 19)})",
            [_article_row(a, next_seq + i, stamp) for i, a in enumerate(fresh)],
        )
        # the search index, here rather than by a row trigger (see migration 0009), in one statement
        # over the rows just written: SQLite indexes the batch without the interpreter lock, where a
        # row at a time took it back for every row from the ingest's pool threads (no faster end to
        # end on 2 cores, where the CPU, not the lock, sets the pace; no Python list of the batch)
        conn.execute(
            "INSERT INTO articles_fts (rowid, title, text) "
            "SELECT seq, title, text FROM articles WHERE seq BETWEEN ? AND ?",
            (next_seq, next_seq + len(fresh) - 1),
        )
        conn.executemany(
            "INSERT INTO removals (article_id, seq, kind, text, reason, position, repaired_as) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [row for a in fresh for row in _removal_rows(a)],
        )
        # what the cleaning workers noted for the recurring-chrome stage (copydesk.store.recurrence)
        conn.executemany(
            "INSERT INTO line_prints_pending (article_id, body, line_keys) VALUES (?, ?, ?)",
            [
                (a.id, a.line_prints.body, json_strings(a.line_prints.keys, ensure_ascii=False))
                for a in fresh
                if a.line_prints is not None
            ],
        )
    return len(fresh)


def update_articles(db: Database, articles: Iterable[Article]) -> int:
    """Rewrite the cleaned fields and removals of stored articles (corpus-level cleaning passes)."""
    count = 0
    with db.atomic() as conn:
        for article in articles:
            conn.execute(
                "UPDATE articles SET raw_text=?, url=?, site=?, title=?, published=?, authors=?, credits=?, "
                "language=?, dateline=?, text=?, signals=?, metadata=? WHERE id=?",
                (
                    _stored_raw_text(article),
                    article.url,
                    article.site,
                    article.title,
                    article.published.isoformat() if article.published else None,
                    json.dumps(article.authors, ensure_ascii=False),
                    json.dumps(article.credits, ensure_ascii=False),
                    article.language,
                    article.dateline,
                    article.text,
                    json.dumps(dataclasses.asdict(article.signals)),
                    json.dumps(article.metadata, ensure_ascii=False, default=str),
                    article.id,
                ),
            )
            conn.execute("DELETE FROM removals WHERE article_id=?", (article.id,))
            # the recurring stage's notes on the old text no longer hold (it reads the new one), and
            # the stored fingerprint's hash is of the old text (the stories stage checks it again)
            conn.execute("DELETE FROM line_prints_pending WHERE article_id=?", (article.id,))
            conn.execute("UPDATE story_features SET hash_current = 0 WHERE article_id=?", (article.id,))
            conn.executemany(
                "INSERT INTO removals (article_id, seq, kind, text, reason, position, repaired_as) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                _removal_rows(article),
            )
            count += 1
    return count


def removals_of(db: Database, ids: Sequence[str]) -> dict[str, list[Removal]]:
    """The given articles' removals in order (a corpus pass reads them without the texts, which it
    reads only where it may change one)."""
    out: dict[str, list[Removal]] = {i: [] for i in ids}
    for chunk, marks in in_chunks(ids):
        for row in db.query(
            f"SELECT article_id, kind, text, reason, position, repaired_as FROM removals "
            f"WHERE article_id IN ({marks}) ORDER BY article_id, seq",
            chunk,
        ):
            out[row["article_id"]].append(
                Removal(row["kind"], row["text"], row["reason"], row["position"], row["repaired_as"])
            )
    return out


def _loads(raw: str) -> Any:
    """``json.loads``, without the parser for the empty list and object most rows hold (a corpus
    pass reads every new article: three parses each)."""
    if raw == "[]":
        return []
    if raw == "{}":
        return {}
    return json.loads(raw)


def _signals(raw: str) -> Signals:
    values = json.loads(raw)
    return Signals(**{k: v for k, v in values.items() if k in _SIGNAL_FIELDS})


def row_to_article(row: sqlite3.Row, removals: list[Removal]) -> Article:
    published = row["published"]
    return Article(
        id=row["id"],
        source_id=row["source_id"],
        origin=row["origin"],
        input_kind=row["input_kind"],
        content_hash=row["content_hash"],
        raw_text=row["raw_text"] or row["text"],
        text=row["text"],
        url=row["url"],
        site=row["site"],
        title=row["title"],
        published=datetime.fromisoformat(published) if published else None,
        authors=_loads(row["authors"]),
        credits=_loads(row["credits"]),
        language=row["language"],
        dateline=row["dateline"],
        removals=removals,
        signals=_signals(row["signals"]),
        metadata=_loads(row["metadata"]),
    )


def get_article(db: Database, key: str) -> Article:
    """An article by id, or by source_id when that names exactly one (the newest version)."""
    rows = db.query(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (key,))
    if not rows:
        rows = db.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE source_id = ? ORDER BY seq DESC LIMIT 1", (key,)
        )
    if not rows:
        raise NotFoundError(f"no article with id or source_id {key!r}; 'copydesk articles' lists them")
    return row_to_article(rows[0], removals_of(db, [rows[0]["id"]])[rows[0]["id"]])


def iter_articles(
    db: Database, *, batch: int = 500, ids: Sequence[str] | None = None, site: str | None = None
) -> Iterator[Article]:
    """All articles (or the given ids) in insertion order, read in batches to bound memory."""
    if ids is not None:
        for start in range(0, len(ids), batch):
            chunk = list(ids[start : start + batch])
            marks = ",".join("?" * len(chunk))
            rows = db.query(
                f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks}) ORDER BY seq", chunk
            )
            removals = removals_of(db, [r["id"] for r in rows])
            yield from (row_to_article(r, removals[r["id"]]) for r in rows)
        return
    last = 0
    where = "AND site = ?" if site else ""
    while True:
        params: tuple[Any, ...] = (last, site, batch) if site else (last, batch)
        rows = db.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE seq > ? {where} ORDER BY seq LIMIT ?", params
        )
        if not rows:
            return
        removals = removals_of(db, [r["id"] for r in rows])
        yield from (row_to_article(r, removals[r["id"]]) for r in rows)
        last = rows[-1]["seq"]


def count_articles(db: Database) -> int:
    return int(db.query("SELECT COUNT(*) FROM articles")[0][0])


def list_article_summaries(db: Database, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT id, source_id, site, title, published, input_kind, length(text) AS chars, "
        "(SELECT COUNT(*) FROM removals r WHERE r.article_id = a.id) AS removals "
        "FROM articles a ORDER BY seq LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [dict(r) for r in rows]
