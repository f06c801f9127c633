"""The SQLite database: connection policy, savepoint transactions and recorded migrations.

WAL mode lets readers in other processes query while one ingest writes; every write goes through
``atomic()`` so an interrupted run leaves the database at the last committed batch.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path
from typing import Any

from copydesk.errors import MigrationError, StoreError

BUSY_TIMEOUT_MS = 30_000
# Pages a connection may keep (in KiB, SQLite's negative form): with the default 2 MiB a writer's
# transaction of a batch of articles evicted and read back the pages of the random-keyed indexes (ids,
# content hashes) it kept touching; 64 MiB is an upper bound, filled only as pages are read.
CACHE_KIB = 65_536
PAGE_BYTES = 32768


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str


def packaged_migrations() -> list[Migration]:
    """The numbered ``schema/*.sql`` files, in order; each one is applied once, in a transaction."""
    folder = resources.files("copydesk.store").joinpath("schema")
    files = sorted((item for item in folder.iterdir() if item.name.endswith(".sql")), key=lambda i: i.name)
    return [Migration(item.name.removesuffix(".sql"), item.read_text(encoding="utf-8")) for item in files]


class Database:
    """One connection to the copydesk store; open it with ``Database.open(path)``."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self._depth = 0
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str, *, migrate: bool = True, readonly: bool = False) -> Database:
        target = Path(path)
        try:
            if readonly:
                if not target.exists():
                    raise StoreError(f"no copydesk database at {target}: run 'copydesk ingest' first")
                conn = sqlite3.connect(
                    f"file:{target}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                if target.parent and not target.parent.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            # statement journals (every multi-row write inside a transaction keeps one) and sorts in
            # memory: on disk they were a file created, written page by page and deleted per statement
            conn.execute("PRAGMA temp_store = MEMORY")
            if not readonly:
                # Pages of 32 KiB for a new store (an existing one keeps its own): fewer page reads and
                # writes, each a system call. 8 KiB ones halved those of 4 KiB (ingest -> stories on
                # 20k short reports: 89k -> 44k page writes, +5 to +10% articles/s); on 600-word
                # articles, a few to a page instead of one or two, 32 KiB took the ingest's writer
                # 0.85 -> 0.75 s CPU and the whole run ~4% less CPU (5,000 articles), the short
                # reports no slower.
                conn.execute(f"PRAGMA page_size = {PAGE_BYTES}")
                _use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {target}: {exc}") from exc
        db = cls(conn, target)
        if migrate and not readonly:
            db.migrate()
        return db

    @classmethod
    def memory(cls) -> Database:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        db = cls(conn, None)
        db.migrate()
        return db

    def close(self) -> None:
        self.conn.close()

    def checkpoint_beside(self) -> threading.Thread | None:
        """Copy the write-ahead log into the database file from a thread with a connection of its
        own, while this one goes on writing; the thread, or None for a store in memory.

        When the last connection closes, SQLite copies what the log holds beyond its last
        checkpoint and waits for the disk (the log, the file, the log's removal): after an ingest of
        5,000 600-word articles, ~10 MB and ~50 ms with both cores idle. Begun while the last
        batches are still cleaned and written, it leaves the close only what came after. It is
        PASSIVE (it never waits for this connection's writes, which go on meanwhile) and only a
        head start: where it fails, the close copies everything as before."""
        if self.path is None:
            return None

        def copy_log(path: Path) -> None:
            try:
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except sqlite3.Error:
                pass  # a head start only (see above)

        thread = threading.Thread(target=copy_log, args=(self.path,), name="copydesk-checkpoint", daemon=True)
        thread.start()
        return thread

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """A transaction, or a savepoint inside one: all of the block is written, or none of it."""
        with self._lock:
            outer = self._depth == 0
            name = f"sp{self._depth}"
            try:
                self.conn.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {name}")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot start a transaction: {exc}") from exc
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            self.conn.execute("COMMIT" if outer else f"RELEASE {name}")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store (a deferred transaction, or the one already open): a
        page of a story's rows and their count agree while a run rewrites them."""
        with self._lock:
            if self._depth:
                yield
                return
            try:
                self.conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot start a transaction: {exc}") from exc
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"query failed: {exc}") from exc

    def applied_migrations(self) -> list[str]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        return [row[0] for row in self.conn.execute("SELECT name FROM _migrations ORDER BY name")]

    def migrate(self, migrations: list[Migration] | None = None) -> list[str]:
        """Apply the migrations not yet recorded; returns the names applied now. Each migration is
        applied whole or not at all, and a failed one leaves the store at the last good one; all are
        committed at once (a savepoint each inside one transaction): a new store's thirteen commits
        each wrote its schema pages to the log again (opening a new store ~25 -> ~15 ms, at the start
        of every ingest into one, before its workers fork)."""
        pending = migrations if migrations is not None else packaged_migrations()
        done = set(self.applied_migrations())
        todo = [m for m in pending if m.name not in done]
        applied: list[str] = []
        failed: tuple[str, sqlite3.Error] | None = None
        if not todo:
            return applied  # no write transaction (it would wait for a writer's lock)
        with self.atomic():
            # read again under the write lock: another process opening the same new store may have
            # applied them while this one waited for it (two first ingests at once: the second
            # failed with "table articles already exists")
            done = set(self.applied_migrations())
            for migration in (m for m in todo if m.name not in done):
                try:
                    with self.atomic() as conn:
                        # executescript would commit; run statement by statement inside our transaction.
                        for statement in _split_sql(migration.sql):
                            conn.execute(statement)
                        conn.execute(
                            "INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))",
                            (migration.name,),
                        )
                except sqlite3.Error as exc:
                    failed = (migration.name, exc)
                    break  # the good ones before it are committed
                applied.append(migration.name)
        if failed is not None:
            name, error = failed
            raise MigrationError(f"migration {name} failed: {error}") from error
        return applied


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the store to write-ahead logging. Two processes opening one new store at once can
    each hold its file's shared lock and want the exclusive one to switch: SQLite answers one of
    them "database is locked" at once, without waiting (it would deadlock), so that one tries
    again, until the busy timeout, by when the other has switched it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` tracks triggers)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


IN_CHUNK = 500  # values per ``IN (...)`` list: far below SQLite's parameter limit, statements stay short


def in_chunks(values: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``values`` in chunks for ``WHERE x IN (...)`` queries: each chunk with its placeholders."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = list(values[start : start + IN_CHUNK])
        yield chunk, ",".join("?" * len(chunk))


def json_strings(values: Iterable[str], *, ensure_ascii: bool = True) -> str:
    """``json.dumps`` of a list of strings, the same text at a quarter of the time (the writers store
    a few such lists for every article: names, figures, credits)."""
    encode = encode_basestring_ascii if ensure_ascii else encode_basestring
    return "[" + ", ".join(map(encode, values)) + "]"
