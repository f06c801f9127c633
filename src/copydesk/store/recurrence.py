"""What the recurring-chrome stage remembers between runs: printed short lines and proven spam runs.

The stage reads each article once. Line counts (how many different bodies print a line) and the spam
runs proven so far live here, so a later run asks the store which old articles a newly recurring
line or a newly proven run reaches, instead of reading every article again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from copydesk.records import LinePrints
from copydesk.store.db import Database, in_chunks


def unread_articles(db: Database, limit: int, after: int = 0) -> list[tuple[int, str, str | None]]:
    """Up to ``limit`` articles the stage has not read yet, oldest first, as ``(seq, id, site)``, from
    those stored after the ``seq`` ``after``. A run that has read every unread article up to a
    ``seq`` asks for those after it (else each batch would step over all that were read before)."""
    rows = db.query(
        "SELECT seq, id, site FROM articles WHERE seq > ? "
        "AND id NOT IN (SELECT article_id FROM recurrence_read) ORDER BY seq LIMIT ?",
        (after, limit),
    )
    return [(row[0], row[1], row[2]) for row in rows]


def record_read(
    conn: sqlite3.Connection, prints: Iterable[tuple[str, str, str]], article_ids: Iterable[str]
) -> None:
    """Store ``(line_key, body, article_id)`` prints and mark the articles as read."""
    conn.executemany(
        "INSERT OR IGNORE INTO line_prints (line_key, body, article_id) VALUES (?, ?, ?)", prints
    )
    read = [(i,) for i in article_ids]
    conn.executemany("INSERT OR IGNORE INTO recurrence_read (article_id) VALUES (?)", read)
    conn.executemany("DELETE FROM line_prints_pending WHERE article_id = ?", read)


def pending_prints(db: Database, article_ids: Sequence[str]) -> dict[str, LinePrints]:
    """The line prints the cleaning workers noted for these unread articles, where they did (the
    rows are written with the articles: ``copydesk.store.articles.put_articles``)."""
    out: dict[str, LinePrints] = {}
    for chunk, marks in in_chunks(article_ids):
        for article_id, body, keys in db.query(
            f"SELECT article_id, body, line_keys FROM line_prints_pending WHERE article_id IN ({marks})",
            chunk,
        ):
            out[article_id] = LinePrints(body, tuple(json.loads(keys)) if keys != "[]" else ())
    return out


def body_counts(db: Database, keys: Sequence[str]) -> dict[str, int]:
    """For each line key, how many different bodies print it (keys never printed are left out)."""
    counts: dict[str, int] = {}
    for chunk, marks in in_chunks(keys):
        for key, count in db.query(
            f"SELECT line_key, COUNT(DISTINCT body) FROM line_prints "
            f"WHERE line_key IN ({marks}) GROUP BY line_key",
            chunk,
        ):
            counts[key] = int(count)
    return counts


def articles_printing(db: Database, keys: Sequence[str]) -> set[str]:
    """Ids of the articles that print any of the line keys."""
    found: set[str] = set()
    for chunk, marks in in_chunks(keys):
        found.update(
            row[0]
            for row in db.query(
                f"SELECT DISTINCT article_id FROM line_prints WHERE line_key IN ({marks})", chunk
            )
        )
    return found


def proven_runs(db: Database, sites: Iterable[str]) -> dict[str, frozenset[str]]:
    """The runs proven so far for each site ('' holds the corpus-wide runs)."""
    wanted = sorted({"", *sites})
    runs: dict[str, set[str]] = {site: set() for site in wanted}
    for chunk, marks in in_chunks(wanted):
        for site, run in db.query(f"SELECT site, run FROM proven_runs WHERE site IN ({marks})", chunk):
            runs[site].add(run)
    return {site: frozenset(found) for site, found in runs.items()}


def add_proven_runs(conn: sqlite3.Connection, runs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Record ``(site, run)`` pairs; returns the pairs that were not known before."""
    added: set[tuple[str, str]] = set()
    for site, run in set(runs):
        cursor = conn.execute("INSERT OR IGNORE INTO proven_runs (site, run) VALUES (?, ?)", (site, run))
        if cursor.rowcount:
            added.add((site, run))
    return added


def articles_with_word(db: Database, word: str, site: str | None) -> set[str]:
    """Ids of the articles whose title or text holds ``word`` (full-text index), on ``site`` if given."""
    phrase = '"' + word.replace('"', '""') + '"'
    where = "AND a.site = ?" if site else ""
    params: tuple[str, ...] = (phrase, site) if site else (phrase,)
    rows = db.query(
        f"SELECT a.id FROM articles_fts f JOIN articles a ON a.seq = f.rowid "
        f"WHERE articles_fts MATCH ? {where}",
        params,
    )
    return {row[0] for row in rows}
