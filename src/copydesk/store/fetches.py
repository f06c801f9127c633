"""The fetch log: every URL the fetcher asked for, with status, final URL and content hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from copydesk.store.db import Database


@dataclass(frozen=True, slots=True)
class FetchRecord:
    url: str
    kind: str
    outcome: str
    final_url: str | None = None
    status: int | None = None
    reason: str | None = None
    content_type: str | None = None
    content_hash: str | None = None
    bytes: int | None = None


def record_fetch(db: Database, record: FetchRecord) -> None:
    """Insert or replace the row for ``record.url`` (the newest fetch wins)."""
    with db.atomic() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO fetched_urls (url, kind, final_url, status, outcome, reason, "
            "content_type, content_hash, bytes, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                record.url,
                record.kind,
                record.final_url,
                record.status,
                record.outcome,
                record.reason,
                record.content_type,
                record.content_hash,
                record.bytes,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )


def done_pages(db: Database) -> set[str]:
    """Article URLs fetched successfully whose input the ingest job marked finished (articles committed).

    Requiring both means a run that died between fetching a page and committing its article fetches
    that page again.
    """
    rows = db.query(
        "SELECT f.url FROM fetched_urls f JOIN ingest_inputs i ON i.origin = f.url "
        "WHERE f.kind = 'page' AND f.outcome IN ('fetched', 'unsupported')"
    )
    return {row["url"] for row in rows}


def fetch_log(db: Database, url: str) -> FetchRecord | None:
    rows = db.query(
        "SELECT url, kind, outcome, final_url, status, reason, content_type, content_hash, bytes "
        "FROM fetched_urls WHERE url = ?",
        (url,),
    )
    return FetchRecord(**dict(rows[0])) if rows else None
