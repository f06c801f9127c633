"""Pipeline and executors: one bad page is skipped with its reason, the rest are stored."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from copydesk.errors import MissingExtraError
from copydesk.ingest.job import file_sources, run_ingest
from copydesk.pipeline import DocumentPipeline
from copydesk.records import Article, RawPage, SkippedInput
from copydesk.run.base import InProcessExecutor
from copydesk.run.local import LocalExecutor
from copydesk.store.db import Database
from tests.support.corpus import variant
from tests.support.stages import FailOnMarker, HangOnMarker, SlowStage


def corpus(folder: Path, markers: dict[int, str]) -> list[str]:
    folder.mkdir()
    for i in range(12):
        (folder / f"d{i:02d}.txt").write_text(variant(i) + "\n\n" + markers.get(i, ""), encoding="utf-8")
    return [str(folder)]


def test_local_executor_kills_a_hung_page_and_keeps_the_rest(tmp_path: Path) -> None:
    paths = corpus(tmp_path / "in", {3: "HANG-HERE"})
    sources, _, _ = file_sources(paths, 1_000_000)
    # The soft alarm fires first in the worker; the hard kill is the backstop.
    pipeline = DocumentPipeline(stages=(HangOnMarker(),), page_timeout=0.5)
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(
            sources, db=db, pipeline=pipeline, executor=LocalExecutor(workers=2, chunk_size=4)
        )
    assert report.stored == 11
    assert [(s.source_id, s.error_kind) for s in report.skipped] == [("d03", "timeout")]


def test_hard_timeout_kills_worker_stuck_outside_python(tmp_path: Path) -> None:
    paths = corpus(tmp_path / "in", {5: "HANG-HERE"})
    sources, _, _ = file_sources(paths, 1_000_000)
    # page_timeout 0 disables the soft alarm, so only the executor's hard limit can end the page.
    pipeline = DocumentPipeline(stages=(HangOnMarker(),), page_timeout=0.0)
    executor = LocalExecutor(workers=2, chunk_size=4, hard_timeout_slack=1.0)
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(sources, db=db, pipeline=pipeline, executor=executor)
    assert report.stored == 11
    assert len(report.skipped) == 1 and report.skipped[0].source_id == "d05"
    assert "worker killed" in report.skipped[0].reason


def test_a_chunk_of_slow_pages_past_its_hard_limit_is_retried_page_by_page(tmp_path: Path) -> None:
    """A chunk's hard limit counts at most ``hard_limit_pages`` pages' limits (a stuck page is found
    as soon as with small chunks); a chunk of merely slow pages that outlives it loses nothing."""
    paths = corpus(tmp_path / "in", {})
    sources, _, _ = file_sources(paths, 1_000_000)
    pipeline = DocumentPipeline(stages=(SlowStage(0.3),), page_timeout=0.5)
    # per page 0.5 + 0.2 s; a chunk of 6 pages takes 1.8 s, past its limit of 1 page (0.7 s)
    executor = LocalExecutor(workers=2, chunk_size=6, hard_limit_pages=1, hard_timeout_slack=0.2)
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(sources, db=db, pipeline=pipeline, executor=executor)
    assert report.stored == 12 and report.skipped == []


def test_a_page_stuck_in_a_big_chunk_is_found_within_the_capped_limit(tmp_path: Path) -> None:
    import time

    paths = corpus(tmp_path / "in", {5: "HANG-HERE"})
    sources, _, _ = file_sources(paths, 1_000_000)
    pipeline = DocumentPipeline(stages=(HangOnMarker(),), page_timeout=0.0)  # no soft alarm
    # One chunk of 12 pages: uncapped, its limit would be 12 s; capped at 2 pages, 2 s, and then
    # the stuck page's own 1 s when the chunk is retried page by page.
    executor = LocalExecutor(workers=1, chunk_size=12, hard_limit_pages=2, hard_timeout_slack=1.0)
    started = time.monotonic()
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(sources, db=db, pipeline=pipeline, executor=executor)
    assert report.stored == 11 and [s.source_id for s in report.skipped] == ["d05"]
    assert time.monotonic() - started < 10


def test_failing_stage_is_reported_with_its_name(tmp_path: Path) -> None:
    paths = corpus(tmp_path / "in", {7: "FAIL-HERE"})
    sources, _, _ = file_sources(paths, 1_000_000)
    pipeline = DocumentPipeline(stages=(FailOnMarker(),))
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(sources, db=db, pipeline=pipeline, executor=InProcessExecutor())
    assert report.stored == 11
    assert (
        "fail-on-marker" in report.skipped[0].reason
        and "simulated library failure" in report.skipped[0].reason
    )


def test_html_that_trafilatura_cannot_use_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.html").write_text(
        "<html><body><script>var x = 1;</script></body></html>", encoding="utf-8"
    )
    sources, _, _ = file_sources([str(tmp_path)], 1_000_000)
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(sources, db=db, pipeline=DocumentPipeline(), executor=InProcessExecutor())
    assert report.stored == 0 and report.skipped[0].error_kind == "extraction"


def test_ray_executor_fails_early_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    # None in sys.modules makes any import of it fail, whether or not Ray is installed and loaded
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    from copydesk.run.ray import RayExecutor

    with pytest.raises(MissingExtraError, match=r"pip install 'copydesk\[ray\]'"):
        RayExecutor()


def test_a_batch_of_pages_times_out_the_stuck_one_and_restores_the_alarm_handler() -> None:
    """In this process: the page alarm's handler is installed once for the batch and given back after."""
    pipeline = DocumentPipeline(stages=(HangOnMarker(),), page_timeout=0.3)
    pages = [
        RawPage(f"p{i}", f"p{i}.txt", "text", variant(i) + ("\n\nHANG-HERE" if i == 1 else ""))
        for i in range(3)
    ]
    before = signal.getsignal(signal.SIGALRM)
    outcomes = pipeline.process_many(pages)
    assert signal.getsignal(signal.SIGALRM) is before
    assert [type(o).__name__ for o in outcomes] == ["Article", "SkippedInput", "Article"]
    skipped = outcomes[1]
    assert isinstance(skipped, SkippedInput)
    assert skipped.origin == "p1.txt" and "page_timeout" in skipped.reason and skipped.error_kind == "timeout"


def test_trafilatura_is_imported_for_a_batch_with_html_and_not_for_text_alone() -> None:
    """Workers of a text-only run skip the HTML libraries' import (0.15 s to a second a worker); a
    batch with an HTML page imports them before the pages' time limits start."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from copydesk.pipeline import DocumentPipeline\n"
        "from copydesk.records import RawPage\n"
        "pipeline = DocumentPipeline()\n"
        "pipeline.warm_up()\n"
        "pipeline.process_many([RawPage('a', 'a.txt', 'text', 'Plain words of a report.')])\n"
        "print('trafilatura' in sys.modules)\n"
        "html = '<p>' + 'Words of a report. ' * 20 + '</p>'\n"
        "pipeline.process_many([RawPage('b', 'b.html', 'html', html)])\n"
        "print('trafilatura' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_a_pages_time_limit_counts_all_of_its_steps() -> None:
    """The batch goes step by step, but each page keeps one budget: two steps of 0.2 s overrun a
    limit of 0.3 s in the second, one does not."""
    pages = [RawPage("p0", "p0.txt", "text", variant(0))]
    one = DocumentPipeline(stages=(SlowStage(0.2),), page_timeout=0.3).process_many(pages)
    two = DocumentPipeline(stages=(SlowStage(0.2), SlowStage(0.2)), page_timeout=0.3).process_many(pages)
    assert type(one[0]).__name__ == "Article"
    assert isinstance(two[0], SkippedInput) and two[0].error_kind == "timeout"


def test_a_batch_runs_step_by_step_keeping_the_pages_order() -> None:
    """Every page's first stage before any page's second (each stage's tables stay warm across the
    batch); a page that fails a stage is skipped by the later ones; outcomes in the pages' order."""
    from tests.support.stages import RecordingStage

    seen: list[tuple[str, str]] = []
    pages = [
        RawPage(f"p{i}", f"p{i}.txt", "text", variant(i) + ("\n\nFAIL-HERE" if i == 1 else ""))
        for i in range(3)
    ]
    pipeline = DocumentPipeline(stages=(RecordingStage("a", seen), FailOnMarker(), RecordingStage("b", seen)))
    outcomes = pipeline.process_many(pages)
    assert seen == [("a", "p0"), ("a", "p1"), ("a", "p2"), ("b", "p0"), ("b", "p2")]
    assert [type(o).__name__ for o in outcomes] == ["Article", "SkippedInput", "Article"]


def test_forked_workers_inherit_a_pipeline_warmed_up_once_here() -> None:
    """Where workers are forked, the pipeline is warmed up in this process before they start, so
    its tables are loaded once (each worker loaded its own: 0.2 s of CPU apiece)."""
    import multiprocessing
    import os

    from tests.support.stages import WarmedWhere

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("workers are not forked here")
    pages = [RawPage(f"p{i}", f"p{i}.txt", "text", variant(i)) for i in range(6)]
    pipeline = DocumentPipeline(stages=(WarmedWhere(),))
    outcomes = LocalExecutor(workers=2, chunk_size=2).map(pipeline, pages)
    articles = [o for o in outcomes if isinstance(o, Article)]
    assert len(articles) == len(pages)
    assert {a.metadata["warmed_in"] for a in articles} == {os.getpid()}
    assert os.getpid() not in {a.metadata["worked_in"] for a in articles}


def test_local_pools_poll_fast_only_while_they_wind_down() -> None:
    """Once every chunk is scheduled the pool's threads wake every few ms (so joining it does not wait
    out pebble's 0.1 s naps); pebble's process-wide constant is back as found when the pool is done,
    and when the caller stops reading early."""
    from pebble.common.types import CONSTS

    found = CONSTS.sleep_unit
    pages = [RawPage(f"p{i}", f"p{i}.txt", "text", variant(i)) for i in range(8)]
    seen: list[float] = []
    for outcome in LocalExecutor(workers=2, chunk_size=2).map(DocumentPipeline(), pages):
        assert isinstance(outcome, Article)
        seen.append(CONSTS.sleep_unit)
    assert seen[-1] < found and CONSTS.sleep_unit == found
    early = LocalExecutor(workers=1, chunk_size=1, chunks_per_worker=1).map(DocumentPipeline(), pages)
    next(early)
    early.close()
    assert CONSTS.sleep_unit == found


def test_row_inputs_say_how_many_pages_they_hold_and_the_last_batches_shrink(tmp_path: Path) -> None:
    """An uncompressed JSONL file's lines and a Parquet file's rows are counted up front (other inputs
    say nothing); with every source's count known, batches are written at half of what is still to
    come once that is less than a full batch, never below ``TAIL_BATCH``, so the write left after the
    last page is small; every article is stored either way."""
    import gzip
    import json

    from copydesk.ingest.job import TAIL_BATCH, _batch_limit

    rows = [json.dumps({"id": f"r{i}", "text": variant(i)}) for i in range(30)]
    (tmp_path / "a.jsonl").write_text("\n".join(rows), encoding="utf-8")  # no newline at the end
    (tmp_path / "b.jsonl").write_text("\n".join(rows[:5]) + "\n\n", encoding="utf-8")
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress("\n".join(rows).encode()))
    (tmp_path / "d.txt").write_text(variant(1), encoding="utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [variant(2), variant(3)]}), tmp_path / "e.parquet")
    (tmp_path / "f.parquet").write_bytes(b"not a parquet file")
    sources, _, _ = file_sources([str(tmp_path)], 1_000_000)
    assert {Path(s.origin).name: s.page_count() for s in sources} == {
        "a.jsonl": 30,
        "b.jsonl": 6,  # the blank line counted: a hint, not a count of pages
        "c.jsonl.gz": None,
        "d.txt": None,
        "e.parquet": 2,  # from its footer
        "f.parquet": None,  # unreadable: its reader reports it
    }
    assert [_batch_limit(2048, False, None, k, 0) for k in (0, 4000)] == [2048, 2048]
    assert _batch_limit(2048, True, None, 0, 0) == TAIL_BATCH
    assert _batch_limit(2048, False, 20_000, 1000, 0) == 2048  # far from the end: full batches
    assert _batch_limit(2048, False, 5000, 4096, 0) == 452  # 904 to come
    assert _batch_limit(2048, False, 5000, 4600, 0) == TAIL_BATCH  # 400 to come: no batch under 256
    assert _batch_limit(2048, False, 5000, 3000, 1000) == 1500  # half of the 3,000 held or to come
    with Database.open(tmp_path / "s.db") as db:
        report = run_ingest(
            [s for s in sources if s.pages is not None],
            db=db,
            pipeline=DocumentPipeline(stages=()),
            executor=InProcessExecutor(),
            batch_size=8,
        )
    assert report.stored == 32  # a.jsonl and e.parquet (b.jsonl repeats a.jsonl: duplicates)


def test_ingest_loads_the_tables_in_a_thread_while_the_store_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``service.ingest`` warms its pipeline up in another thread while the store opens (both let go
    of the interpreter lock for most of it); the workers fork once it is done, and a warm-up that
    fails stops the ingest with its own error, the store closed."""
    import threading

    from copydesk import service
    from copydesk.config import load_settings

    threads: list[str] = []
    original = DocumentPipeline.warm_up

    def warm_up(pipeline: DocumentPipeline) -> None:
        threads.append(threading.current_thread().name)
        original(pipeline)

    monkeypatch.setattr(DocumentPipeline, "warm_up", warm_up)
    source = tmp_path / "in.txt"
    source.write_text(variant(1), encoding="utf-8")
    settings = load_settings({"db": tmp_path / "a.db", "workers": 2}, environ={})
    report = service.ingest([str(source)], settings)
    assert report.stored == 1
    assert threads[0].startswith("copydesk-warm-up")

    def broken(pipeline: DocumentPipeline) -> None:
        raise RuntimeError("no word tables")

    monkeypatch.setattr(DocumentPipeline, "warm_up", broken)
    closed: list[Database] = []
    monkeypatch.setattr(Database, "close", lambda db: closed.append(db))
    with pytest.raises(RuntimeError, match="no word tables"):
        service.ingest([str(source)], load_settings({"db": tmp_path / "b.db"}, environ={}))
    assert len(closed) == 1
