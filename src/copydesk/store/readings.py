"""The facts stage's kept readings of articles (``copydesk.facts.cache``): read by key, written as
each batch is finished."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from copydesk.store.db import Database

_IN_ONE_QUERY = 500  # article ids a query asks for at once (SQLite's bound on parameters is higher)


def kept_readings(db: Database, keys: Mapping[str, str]) -> dict[str, bytes]:
    """The readings kept for these articles (``keys``: article id to the key its reading must have
    now); an article whose kept reading has another key (its text, date or the code changed) has none."""
    ids = list(keys)
    found: dict[str, bytes] = {}
    for start in range(0, len(ids), _IN_ONE_QUERY):
        part = ids[start : start + _IN_ONE_QUERY]
        marks = ",".join("?" * len(part))
        for row in db.query(
            f"SELECT article_id, reading_key, reading FROM article_readings WHERE article_id IN ({marks})",
            part,
        ):
            if keys[row[0]] == row[1]:
                found[row[0]] = bytes(row[2])
    return found


def keep_readings(db: Database, readings: Iterable[tuple[str, str, bytes]]) -> None:
    """Store (article id, key, reading) rows, replacing an article's older reading."""
    with db.atomic() as conn:
        conn.executemany(
            "INSERT INTO article_readings (article_id, reading_key, reading) VALUES (?, ?, ?) ON CONFLICT "
            "(article_id) DO UPDATE SET reading_key = excluded.reading_key, reading = excluded.reading",
            list(readings),
        )


def forget_readings(db: Database, article_ids: Sequence[str]) -> None:
    """Drop these articles' kept readings (ones that could not be read back: read again next time)."""
    if article_ids:
        with db.atomic() as conn:
            conn.executemany("DELETE FROM article_readings WHERE article_id = ?", [(a,) for a in article_ids])
