"""Ingest bookkeeping: runs, finished inputs (for resume) and skipped inputs (for the summary)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from copydesk.records import SkippedInput
from copydesk.store.db import Database


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def start_run(db: Database) -> int:
    with db.atomic() as conn:
        cur = conn.execute("INSERT INTO ingest_runs (started_at, status) VALUES (?, 'running')", (_now(),))
        return int(cur.lastrowid or 0)


def finish_run(db: Database, run_id: int, *, stored: int, duplicates: int, skipped: int, status: str) -> None:
    with db.atomic() as conn:
        conn.execute(
            "UPDATE ingest_runs SET finished_at=?, status=?, stored=?, duplicates=?, skipped=? WHERE id=?",
            (_now(), status, stored, duplicates, skipped, run_id),
        )


def finished_inputs(db: Database) -> dict[str, str]:
    """origin -> fingerprint of every input whose articles were all stored."""
    return {r["origin"]: r["fingerprint"] for r in db.query("SELECT origin, fingerprint FROM ingest_inputs")}


def mark_input_done(db: Database, origin: str, fingerprint: str, articles: int, run_id: int) -> None:
    with db.atomic() as conn:
        conn.execute(
            "INSERT INTO ingest_inputs (origin, fingerprint, articles, run_id, finished_at) "
            "VALUES (?,?,?,?,?) "
            "ON CONFLICT(origin) DO UPDATE SET fingerprint=excluded.fingerprint, articles=excluded.articles, "
            "run_id=excluded.run_id, finished_at=excluded.finished_at",
            (origin, fingerprint, articles, run_id, _now()),
        )


def record_skipped(db: Database, run_id: int, skipped: Iterable[SkippedInput]) -> None:
    with db.atomic() as conn:
        conn.executemany(
            "INSERT INTO skipped_inputs (run_id, origin, source_id, error_kind, reason) VALUES (?,?,?,?,?)",
            [(run_id, s.origin, s.source_id, s.error_kind, s.reason) for s in skipped],
        )
