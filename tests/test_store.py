"""The SQLite store: migrations, transactions, idempotent ingest, concurrent readers, resume."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from copydesk.errors import MigrationError, NotFoundError, StoreError
from copydesk.ingest.job import file_sources, run_ingest
from copydesk.pipeline import DocumentPipeline
from copydesk.records import REMOVAL_KINDS, Article, Removal, Signals
from copydesk.run.base import InProcessExecutor
from copydesk.store import articles as store
from copydesk.store.db import Database, Migration, json_strings
from tests.support.corpus import variant

REPO = Path(__file__).resolve().parent.parent


def make_corpus(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"doc{i:04d}.txt").write_text(variant(i), encoding="utf-8")
    return folder


def ingest_folder(db: Database, folder: Path) -> int:
    sources, _, _ = file_sources([str(folder)], 1_000_000)
    report = run_ingest(
        sources, db=db, pipeline=DocumentPipeline(), executor=InProcessExecutor(), batch_size=7
    )
    return report.stored


def test_migrations_are_recorded_and_applied_once(tmp_path: Path) -> None:
    with Database.open(tmp_path / "a.db") as db:
        first = db.applied_migrations()
        assert first and first[0] == "0001_core"
        assert db.migrate() == []
    with Database.open(tmp_path / "a.db") as db:
        assert db.applied_migrations() == first
        assert db.query("PRAGMA journal_mode")[0][0] == "wal"
        # the search index keeps a batch's new terms in memory, not in many small segments (0011)
        assert db.query("SELECT v FROM articles_fts_config WHERE k = 'hashsize'")[0][0] == 8 << 20


def test_opening_a_migrated_store_takes_no_write_lock(tmp_path: Path) -> None:
    """A reader opening the store while a writer holds it (the web app during an ingest) does not
    wait for the writer: with nothing to apply, migrate begins no transaction."""
    path = tmp_path / "a.db"
    Database.open(path).close()
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with Database.open(path) as db:
            assert db.migrate() == []
        assert time.monotonic() - started < 1.0
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_migrations_another_process_applied_meanwhile_are_not_applied_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes opening one new store at once both find it unmigrated; the second to take the
    write lock must find the first's migrations there (it failed: "table articles already exists")."""
    path = tmp_path / "a.db"
    Database.open(path).close()  # the other process, done first
    db = Database.open(path, migrate=False)
    seen = Database.applied_migrations
    calls = iter(range(1_000))

    def stale_first(self: Database) -> list[str]:
        found = seen(self)
        return [] if next(calls) == 0 else found  # this process's look before the write lock

    monkeypatch.setattr(Database, "applied_migrations", stale_first)
    try:
        assert db.migrate() == []
    finally:
        db.close()


def _open_new_store(path: str) -> str:
    try:
        Database.open(Path(path)).close()
    except Exception as exc:  # returned: the test shows which process failed and why
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_processes_opening_one_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(8):
        path = str(tmp_path / f"new-{round_}.db")
        with context.Pool(4) as pool:
            assert pool.map(_open_new_store, [path] * 4) == ["ok"] * 4


def test_failed_migration_leaves_database_at_last_good_one(tmp_path: Path) -> None:
    with Database.open(tmp_path / "a.db") as db:
        before = db.applied_migrations()
        bad = [
            Migration("9998_ok", "CREATE TABLE t_ok (x INTEGER);"),
            Migration("9999_bad", "CREATE TABLE t_bad (x); NOT SQL;"),
        ]
        with pytest.raises(MigrationError, match="9999_bad"):
            db.migrate(bad)
        assert db.applied_migrations() == [*before, "9998_ok"]
        assert not db.query("SELECT name FROM sqlite_master WHERE name = 't_bad'")


def test_atomic_savepoints_roll_back_inner_block_only() -> None:
    db = Database.memory()
    db.conn.execute("CREATE TABLE t (x INTEGER)")
    with db.atomic() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError), db.atomic() as inner:
            inner.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("inner fails")
        conn.execute("INSERT INTO t VALUES (3)")
    assert [r[0] for r in db.query("SELECT x FROM t ORDER BY x")] == [1, 3]


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    folder = make_corpus(tmp_path / "in", 20)
    with Database.open(tmp_path / "s.db") as db:
        assert ingest_folder(db, folder) == 20
        assert ingest_folder(db, folder) == 0
        # Touch every file: fingerprints change, contents do not -> still nothing new.
        for f in folder.iterdir():
            os.utime(f, (time.time() + 5, time.time() + 5))
        assert ingest_folder(db, folder) == 0
        assert store.count_articles(db) == 20


def test_changed_content_is_a_new_version(tmp_path: Path) -> None:
    folder = make_corpus(tmp_path / "in", 2)
    with Database.open(tmp_path / "s.db") as db:
        ingest_folder(db, folder)
        (folder / "doc0000.txt").write_text(variant(99), encoding="utf-8")
        assert ingest_folder(db, folder) == 1
        assert "139 container" in store.get_article(db, "doc0000").raw_text, (
            "source_id lookup gives the newest"
        )


def test_search_index_follows_inserts_and_rewrites(tmp_path: Path) -> None:
    # put_articles writes the index itself (migration 0009); rewrites go through the update trigger
    folder = make_corpus(tmp_path / "in", 12)
    with Database.open(tmp_path / "s.db") as db:
        ingest_folder(db, folder)
        rewritten = store.get_article(db, "doc0003")
        rewritten.text = "Harbour pilots in Quillmouth voted to strike over night shifts."
        store.update_articles(db, [rewritten])
        db.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        indexed = db.query("SELECT COUNT(*) FROM articles_fts")[0][0]
        assert indexed == store.count_articles(db) == 12
        hits = db.query("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'Quillmouth'")
        seq = db.query("SELECT seq FROM articles WHERE id = ?", (rewritten.id,))[0][0]
        assert [h[0] for h in hits] == [seq]


def test_get_unknown_article_raises_not_found() -> None:
    with pytest.raises(NotFoundError, match="copydesk articles"):
        store.get_article(Database.memory(), "nope")


def test_readonly_open_of_missing_db_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="copydesk ingest"):
        Database.open(tmp_path / "missing.db", readonly=True)


def test_reader_process_queries_while_ingest_writes(tmp_path: Path) -> None:
    folder = make_corpus(tmp_path / "in", 60)
    db_path = tmp_path / "s.db"
    Database.open(db_path).close()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.ingest_slowly", str(db_path), str(folder), "0.02"], cwd=REPO
    )
    counts: list[int] = []
    try:
        while writer.poll() is None:
            with Database.open(db_path, readonly=True) as reader:
                counts.append(store.count_articles(reader))
                list(store.iter_articles(reader, batch=10))
            time.sleep(0.05)
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert len(counts) > 5, "the reader ran during the write"
    assert counts == sorted(counts), "readers see whole committed batches only, never a rollback"
    assert any(0 < c < 60 for c in counts), "a reader saw the store part-way through the ingest"


def test_interrupted_ingest_is_consistent_and_resumes(tmp_path: Path) -> None:
    folder = make_corpus(tmp_path / "in", 40)
    db_path = tmp_path / "s.db"
    Database.open(db_path).close()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.ingest_slowly", str(db_path), str(folder), "0.05"], cwd=REPO
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        with Database.open(db_path, readonly=True) as reader:
            if store.count_articles(reader) >= 6:
                break
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    with Database.open(db_path) as db:
        assert db.query("PRAGMA integrity_check")[0][0] == "ok"
        partial = store.count_articles(db)
        assert 0 < partial < 40
        done_inputs = db.query("SELECT COUNT(*) FROM ingest_inputs")[0][0]
        assert done_inputs <= partial, "an input is marked finished only after its article is committed"
        assert db.query("SELECT status FROM ingest_runs ORDER BY id DESC LIMIT 1")[0][0] == "running"
        assert ingest_folder(db, folder) == 40 - partial
        assert store.count_articles(db) == 40


text_st = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=text_st,
    title=st.none() | text_st,
    authors=st.lists(text_st, max_size=3),
    removals=st.lists(
        st.builds(
            Removal,
            st.sampled_from(REMOVAL_KINDS),
            text_st,
            text_st,
            st.integers(0, 10**6),
            st.none() | text_st,
        ),
        max_size=4,
    ),
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
    spam=st.booleans(),
    meta=st.dictionaries(st.text(max_size=10), st.integers() | text_st, max_size=3),
)
def test_articles_round_trip_through_the_store(
    raw: str,
    title: str | None,
    authors: list[str],
    removals: list[Removal],
    published: datetime | None,
    spam: bool,
    meta: dict[str, object],
) -> None:
    db = Database.memory()
    article = Article(
        id="a1",
        source_id="s1",
        origin="o",
        input_kind="text",
        content_hash="h",
        raw_text=raw,
        text=raw[::-1],
        title=title,
        authors=authors,
        removals=removals,
        published=published,
        signals=Signals(spam_injected=spam),
        metadata=meta,
    )
    assert store.put_articles(db, [article]) == 1
    assert store.put_articles(db, [article]) == 0
    assert store.get_article(db, "a1") == article


def test_raw_text_is_stored_only_where_cleaning_changed_the_text() -> None:
    """A row whose cleaning changed nothing holds '' for ``raw_text`` (its ``text`` is both) and reads
    back whole; a rewrite of ``text`` by a corpus pass stores the text before cleaning with it; rows
    written whole (stores from before) read the same."""
    import dataclasses

    db = Database.memory()
    body = "Harbour pilots walked out on Monday.\nRelated Articles"
    same = Article(
        id="a1", source_id="s1", origin="o", input_kind="text", content_hash="h1", raw_text=body, text=body
    )
    cut = dataclasses.replace(
        same,
        id="a2",
        source_id="s2",
        text=body.split("\n")[0],
        removals=[Removal("chrome", "Related Articles", "r", 37)],
    )
    store.put_articles(db, [same, cut])
    stored = dict(db.query("SELECT id, raw_text FROM articles"))
    assert stored == {"a1": "", "a2": body}
    assert store.get_article(db, "a1") == same and store.get_article(db, "a2") == cut
    rewritten = dataclasses.replace(same, text=cut.text, removals=cut.removals)
    store.update_articles(db, [rewritten])
    assert db.query("SELECT raw_text FROM articles WHERE id = 'a1'")[0][0] == body
    assert store.get_article(db, "a1") == rewritten
    with db.atomic() as conn:  # unchanged by cleaning, written whole, as stores from before hold it
        conn.execute("UPDATE articles SET raw_text = ?, text = ? WHERE id = 'a1'", (body, body))
    assert store.get_article(db, "a1") == dataclasses.replace(rewritten, text=body)


def test_sqlite_is_new_enough_for_fts5() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")


@given(st.lists(st.text()), st.booleans())
def test_json_strings_is_json_dumps_of_the_list(values: list[str], ascii_only: bool) -> None:
    import json

    assert json_strings(values, ensure_ascii=ascii_only) == json.dumps(values, ensure_ascii=ascii_only)


@given(
    st.sampled_from([5, 6, 512, 1024]).flatmap(
        lambda dim: st.lists(
            st.one_of(st.just(0.0), st.floats(-4.0, 4.0, width=32)), min_size=dim, max_size=dim
        )
    )
)
def test_stored_vectors_read_back_as_their_float16_values(values: list[float]) -> None:
    import numpy as np

    from copydesk.store.vectors import pack_vector, unpack_vector

    vector = np.asarray(values, dtype=np.float32)
    expected = vector.astype(np.float16).astype(np.float32)
    packed = pack_vector(vector)
    assert len(packed) <= 2 * len(vector) or len(vector) % 2  # never longer, where it can be whole
    assert np.array_equal(unpack_vector(packed), expected)
    if len(vector) % 2 == 0:  # rows stored before the packed form (the whole vector) read back the same
        assert np.array_equal(unpack_vector(vector.astype(np.float16).tobytes()), expected)


@given(
    st.sampled_from([5, 6, 512, 1024]).flatmap(
        lambda dim: st.lists(
            st.one_of(
                st.just(0.0),
                st.just(-0.0),
                st.floats(-1.0, 1.0, width=32),
                st.floats(width=32, allow_nan=False),
                st.integers(0, 2**32 - 1).map(lambda b: float(np.uint32(b).view(np.float32))),
            ),
            min_size=dim,
            max_size=dim,
        )
    )
)
def test_the_compiled_packing_is_the_python_one(values: list[float]) -> None:
    """Float16 rounding included (every float32 bit pattern was checked once against numpy's)."""
    from copydesk.store import vectors

    if vectors._compiled_pack is None:
        pytest.skip("the compiled kernels are not built")
    vector = np.asarray(values, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = vectors.python_pack_vector(vector)
    assert vectors.pack_vector(vector) == expected
    wide = vector.astype(np.float64)  # not float32: packed by the Python path, as before
    with np.errstate(over="ignore", invalid="ignore"):
        assert vectors.pack_vector(wide) == vectors.python_pack_vector(wide)


def test_the_compiled_unpacking_is_the_python_one_for_every_half() -> None:
    """Bit for bit (signed zeros, subnormals, infinities, NaN payloads), whole and packed, and
    writable as the Python path's arrays are."""
    from copydesk.store import vectors

    if vectors._compiled_unpack is None:
        pytest.skip("the compiled kernels are not built")
    every = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    whole = every.tobytes()  # a whole vector of every float16, a multiple of four bytes
    got = vectors.unpack_vector(whole)
    assert np.array_equal(got.view(np.uint32), vectors.python_unpack_vector(whole).view(np.uint32))
    got[0] = 1.0  # writable
    for start in range(0, 1 << 16, 1000):  # packed: slots, values, length
        values = every[start : start + 1000]
        slots = np.arange(len(values), dtype=np.uint16) * 2
        packed = np.concatenate([slots, values, np.asarray([2 * len(values) + 1], dtype=np.uint16)]).tobytes()
        expected = vectors.python_unpack_vector(packed).view(np.uint32)
        assert np.array_equal(vectors.unpack_vector(packed).view(np.uint32), expected)
    assert len(vectors.unpack_vector(b"")) == 0
    with pytest.raises(ValueError, match="past the vector"):
        vectors.unpack_vector(np.asarray([7, 0, 3], dtype=np.uint16).tobytes())


def test_a_failed_write_fails_the_ingest_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer thread's error reaches the caller; the run is recorded as failed, and what was
    committed before stays."""
    folder = make_corpus(tmp_path / "in", 20)
    written: list[int] = []
    real_put = store.put_articles

    def failing_put(db: Database, articles: list[Article]) -> int:
        if written:
            raise StoreError("disk full")
        written.append(real_put(db, articles))
        return written[-1]

    monkeypatch.setattr(store, "put_articles", failing_put)
    db = Database.open(tmp_path / "c.db")
    with pytest.raises(StoreError, match="disk full"):
        ingest_folder(db, folder)
    assert [r[0] for r in db.query("SELECT status FROM ingest_runs")] == ["failed"]
    assert db.query("SELECT count(*) FROM articles")[0][0] == written[0] > 0


def _rows_in_the_file(path: Path, table: str = "t") -> int:
    """Rows of ``table`` in the database file itself, the write-ahead log left unread."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as file_only:
        try:
            return int(file_only.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:  # the table is still only in the log
            return 0


def test_a_checkpoint_beside_copies_the_log_into_the_file_while_writes_go_on(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    db = Database.open(path)
    db.conn.execute("PRAGMA wal_autocheckpoint = 0")  # nothing copied unless asked
    with db.atomic() as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500)])
    assert _rows_in_the_file(path) == 0
    copying = db.checkpoint_beside()
    assert copying is not None
    with db.atomic() as conn:  # this connection writes on meanwhile
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500, 600)])
    copying.join()
    assert _rows_in_the_file(path) in (500, 600)  # what was committed when it began, at least
    assert db.query("SELECT count(*) FROM t")[0][0] == 600
    db.close()
    assert _rows_in_the_file(path) == 600
    assert Database.memory().checkpoint_beside() is None


def test_a_checkpoint_beside_that_fails_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.open(tmp_path / "log.db")
    db.conn.execute("PRAGMA wal_autocheckpoint = 0")
    with db.atomic() as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)])
    failures: list[object] = []
    monkeypatch.setattr("threading.excepthook", failures.append)

    def refused(*args: object, **kwargs: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr("copydesk.store.db.sqlite3.connect", refused)
    copying = db.checkpoint_beside()
    assert copying is not None
    copying.join()
    assert not failures, "a head start only: its failure is no error"
    monkeypatch.undo()
    assert _rows_in_the_file(tmp_path / "log.db") == 0
    db.close()
    assert _rows_in_the_file(tmp_path / "log.db") == 3  # the close copied the log, as without it


def test_an_ingest_copies_the_log_beside_its_last_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once every page is read, each batch written starts a copy of the log (one at a time), and the
    ingest waits for the last before it returns."""
    started: list[threading.Thread | None] = []
    real = Database.checkpoint_beside

    def counted(self: Database) -> threading.Thread | None:
        thread = real(self)
        started.append(thread)
        return thread

    monkeypatch.setattr(Database, "checkpoint_beside", counted)
    with Database.open(tmp_path / "s.db") as db:
        assert ingest_folder(db, make_corpus(tmp_path / "in", 20)) == 20
        assert started and all(t is not None and not t.is_alive() for t in started)
        # copied before the store is closed: the file itself holds every article already
        assert _rows_in_the_file(tmp_path / "s.db", "articles") == 20


def test_a_new_store_has_32_kib_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    from copydesk.store.db import PAGE_BYTES

    with Database.open(tmp_path / "new.db") as db:
        assert db.query("PRAGMA page_size")[0][0] == PAGE_BYTES == 32768
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("PRAGMA page_size = 4096")
    old.execute("CREATE TABLE kept (x)")
    old.commit()
    old.close()
    with Database.open(tmp_path / "old.db") as db:
        assert db.query("PRAGMA page_size")[0][0] == 4096
        assert db.query("PRAGMA journal_mode")[0][0] == "wal"
        assert "0001_core" in db.applied_migrations()


def _membership_store(articles: int, stories: int) -> Database:
    db = Database.memory()
    with db.atomic() as conn:
        conn.executemany(
            "INSERT INTO articles (id, source_id, origin, input_kind, content_hash, raw_text, text, "
            "ingested_at, seq) VALUES (?, ?, 'x', 'text', ?, '', 'text', 'now', ?)",
            [(f"a{k}", f"a{k}", f"h{k}", k) for k in range(articles)],
        )
        conn.executemany(
            "INSERT INTO stories (id, vector_sum, opened_at, updated_at) VALUES (?, x'', 'now', 'now')",
            [(f"s{k}",) for k in range(stories)],
        )
    return db


_MEMBERSHIP = st.tuples(st.integers(0, 5), st.integers(0, 2), st.sampled_from([0.25, 0.5, 1.0]))


@given(st.lists(_MEMBERSHIP, max_size=6), st.lists(_MEMBERSHIP, max_size=8))
@hsettings(max_examples=60, deadline=None)
def test_new_memberships_replace_earlier_ones_as_insert_or_replace_does(
    before: list[tuple[int, int, float]], batch: list[tuple[int, int, float]]
) -> None:
    """``put_members`` (a delete and an insert) leaves the rows, and their order in the table and
    in a story's index, that ``INSERT OR REPLACE`` leaves: earlier memberships, repeats in one batch."""
    from copydesk.store import stories as story_store

    def rows(items: list[tuple[int, int, float]]) -> list[tuple[str, str, float]]:
        return [(f"a{a}", f"s{s}", sim) for a, s, sim in items]

    ours, reference = _membership_store(6, 3), _membership_store(6, 3)
    for db in (ours, reference):
        for a, s, sim in rows(before):
            story_store.put_members(db, [(a, s, sim)])
    story_store.put_members(ours, rows(batch))
    with reference.atomic() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO story_members (article_id, story_id, copy_family, relation, evidence, "
            "similarity, joined_at) VALUES (?, ?, '', 'independent', '', ?, 'now')",
            rows(batch),
        )

    def seen(db: Database) -> list[list[tuple[str, str, float]]]:
        listed = [
            [
                tuple(r)
                for r in db.query("SELECT article_id, story_id, similarity FROM story_members ORDER BY rowid")
            ]
        ]
        for k in range(3):
            listed.append(
                [
                    (r[0], f"s{k}", 0.0)
                    for r in db.query("SELECT article_id FROM story_members WHERE story_id = ?", (f"s{k}",))
                ]
            )
        return listed

    assert seen(ours) == seen(reference)
