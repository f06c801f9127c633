"""The ingest job: inputs -> readers -> pipeline (on an executor) -> store, resumable and idempotent.

Outcomes come back in the order pages were sent, so an input is marked finished only once every one of
its pages is committed; a rerun after a crash redoes at most the inputs that were in flight.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO

from copydesk.ingest.readers import read_input, read_stdin
from copydesk.ingest.sources import InputFile, discover, expected_pages
from copydesk.pipeline import CorpusStageReport, DocumentPipeline
from copydesk.records import Article, RawPage, SkippedInput
from copydesk.run.base import Executor
from copydesk.run.collection import batch_collection, prompt_handoffs
from copydesk.store import articles as article_store
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import runs
from copydesk.store.db import Database

TAIL_BATCH = 256  # articles a batch holds once the input is all read


@dataclass(slots=True)
class IngestReport:
    """What one ingest did: counts, and every skipped input with its reason."""

    run_id: int = 0
    inputs: int = 0
    inputs_resumed: int = 0
    ignored_files: int = 0
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: list[SkippedInput] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)
    stages: list[CorpusStageReport] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Progress:
    inputs_done: int
    inputs_total: int
    stored: int
    skipped: int


ProgressCallback = Callable[[Progress], None]


@dataclass(slots=True)
class _InputTally:
    item: PageSource
    pages: int = 0
    read_done: bool = False


@dataclass(frozen=True, slots=True)
class PageSource:
    """Something that yields pages: a file, stdin, or a fetched URL.

    ``fingerprint`` identifies this version of the source; a source whose fingerprint was recorded as
    finished is skipped on the next run. ``None`` means never skip (stdin). ``pages``: about how many
    pages it holds, where that is known before reading (a JSONL file's lines), else None; or that
    count still being made (``_counted_in_background``).
    """

    origin: str
    fingerprint: str | None
    read: Callable[[], Iterator[RawPage | SkippedInput]]
    pages: int | Future[int | None] | None = None

    def page_count(self) -> int | None:
        """``pages``, waited for where it is still being counted."""
        return self.pages.result() if isinstance(self.pages, Future) else self.pages


def _counted_in_background(items: list[InputFile]) -> list[int | Future[int | None] | None]:
    """``expected_pages`` of each item: a JSONL file's lines counted by one thread (10 ms for 20 MB,
    which held up the start on one core while the store was opened and the pipeline built beside
    it); the ingest waits for the counts before its workers fork."""
    counts: list[int | Future[int | None] | None] = []
    counted: list[tuple[InputFile, Future[int | None]]] = []
    for item in items:
        if item.format == "jsonl":
            counted.append((item, Future()))
            counts.append(counted[-1][1])
        else:
            counts.append(expected_pages(item))

    def count() -> None:
        for item, found in counted:
            try:
                found.set_result(expected_pages(item))
            except BaseException as exc:  # handed to whoever waits for the count
                found.set_exception(exc)

    if counted:
        threading.Thread(target=count, name="copydesk-count-pages", daemon=True).start()
    return counts


def file_sources(
    paths: list[str], max_input_bytes: int, stdin: BinaryIO | None = None
) -> tuple[list[PageSource], list[SkippedInput], int]:
    """Sources for the user's paths, what could not be used, and how many files were ignored."""
    found = discover(paths)
    sources: list[PageSource] = []
    files = [item for item in found.inputs if item.format != "stdin"]
    counts = iter(_counted_in_background(files))
    for item in found.inputs:
        if item.format == "stdin":
            sources.append(PageSource("-", None, partial(read_stdin, item, max_input_bytes, stdin)))
        else:
            read = partial(read_input, item, max_input_bytes)
            sources.append(PageSource(item.origin, item.fingerprint, read, next(counts)))
    return sources, found.skipped, found.ignored


def run_ingest(
    sources: list[PageSource],
    *,
    db: Database,
    pipeline: DocumentPipeline,
    executor: Executor,
    batch_size: int = 64,
    on_progress: ProgressCallback | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Run every unfinished source through the pipeline into the store; see the module docstring."""
    report = report or IngestReport()
    finished = runs.finished_inputs(db)
    todo = [s for s in sources if s.fingerprint is None or finished.get(s.origin) != s.fingerprint]
    report.inputs = len(sources)
    report.inputs_resumed = len(sources) - len(todo)
    report.run_id = runs.start_run(db)
    # Sources whose pages are being sent or awaited, oldest first.
    tallies: deque[_InputTally] = deque()
    inputs_done = report.inputs_resumed

    read_all = False  # every page has been read (the rest are in the workers)
    arrived = 0  # outcomes received
    # About how many outcomes there will be, where every source says (see ``_batch_limit``).
    for source in sources:
        source.page_count()  # every count finished before the executor forks its workers
    counts = [s.page_count() for s in todo]
    expected = None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    def pages() -> Iterator[RawPage]:
        nonlocal read_all
        for source in todo:
            tally = _InputTally(source)
            tallies.append(tally)
            for read in source.read():
                if isinstance(read, SkippedInput):
                    report.skipped.append(read)
                    continue
                tally.pages += 1
                report.pages += 1
                yield read
            tally.read_done = True
        read_all = True

    batch: list[Article] = []
    # the log copied into the store beside the last batches (``Database.checkpoint_beside``)
    log_copy: threading.Thread | None = None
    received: dict[str, int] = {}
    completed: list[PageSource] = []
    writing: Future[None] | None = None

    def write(articles: list[Article], inputs: list[PageSource]) -> None:
        nonlocal inputs_done, log_copy
        if articles:
            with db.atomic():  # one transaction: the articles and the fingerprints computed with them
                new = article_store.put_articles(db, articles)
                fingerprint_store.put_ingest_prints(db, articles)
            report.stored += new
            report.duplicates += len(articles) - new
            # the last batches' log copied into the store while the next are cleaned and written, so
            # that closing it copies only the last one's (5,000 600-word articles: the close 56 -> 16
            # ms, ~1 core idle meanwhile; 28 alternating pairs of ingest -> stories: 20 faster, +2%)
            if read_all and (log_copy is None or not log_copy.is_alive()):
                log_copy = db.checkpoint_beside()
        for item in inputs:
            if item.fingerprint is not None:
                runs.mark_input_done(
                    db, item.origin, item.fingerprint, received.get(item.origin, 0), report.run_id
                )
            inputs_done += 1
        if on_progress:
            on_progress(Progress(inputs_done, report.inputs, report.stored, len(report.skipped)))

    def flush(writer: ThreadPoolExecutor) -> None:
        """Hand the batch and the inputs it completes to the writer thread, once the batch before is
        written: the workers go on cleaning while it writes (SQLite lets go of the GIL), where they
        ran dry while this thread wrote (a batch of 2,048 articles takes it about 0.2 s)."""
        nonlocal batch, completed, writing
        if writing is not None:
            writing.result()
        writing = writer.submit(write, batch, completed)
        batch, completed = [], []

    def settle_inputs() -> None:
        """Move inputs whose every page has come back to ``completed``."""
        while (
            tallies and tallies[0].read_done and received.get(tallies[0].item.origin, 0) >= tallies[0].pages
        ):
            completed.append(tallies.popleft().item)

    status = "failed"
    try:
        with (
            batch_collection(),
            prompt_handoffs(),
            ThreadPoolExecutor(1, thread_name_prefix="copydesk-writer") as writer,
        ):
            # Executors keep page order, so the n-th outcome belongs to the n-th page sent.
            sent_from: deque[str] = deque()
            for outcome in executor.map(pipeline, _note_input(pages(), sent_from, tallies)):
                arrived += 1
                origin = sent_from.popleft()
                received[origin] = received.get(origin, 0) + 1
                if isinstance(outcome, SkippedInput):
                    report.skipped.append(outcome)
                else:
                    batch.append(outcome)
                    report.stored_ids.append(outcome.id)
                settle_inputs()
                if (
                    len(batch) >= _batch_limit(batch_size, read_all, expected, arrived, len(batch))
                    or completed
                ):
                    flush(writer)
            settle_inputs()
            flush(writer)
            if writing is not None:
                writing.result()
            status = "done"
    finally:
        if log_copy is not None:
            log_copy.join()
        runs.record_skipped(db, report.run_id, report.skipped)
        runs.finish_run(
            db,
            report.run_id,
            stored=report.stored,
            duplicates=report.duplicates,
            skipped=len(report.skipped),
            status=status,
        )
    return report


def _batch_limit(batch_size: int, read_all: bool, expected: int | None, arrived: int, held: int) -> int:
    """How many articles the next batch is written at. The last batch is written with the workers
    done, so the batches shrink towards the end: once every page is read, ``TAIL_BATCH`` (a full
    batch of 2,048 kept a core idle for 0.15 s at the end); and where the sources said how many pages
    they hold, half of what is still to come, from before (5,000 600-word documents: the write after
    the last cleaned article 0.40 -> 0.33 s, median of five)."""
    limit = TAIL_BATCH if read_all else batch_size
    if expected is not None:
        limit = min(limit, max(TAIL_BATCH, (max(0, expected - arrived) + held) // 2))
    return limit


def _note_input(
    pages: Iterator[RawPage], sent_from: deque[str], tallies: deque[_InputTally]
) -> Iterator[RawPage]:
    """Record which input each page came from, in sending order."""
    for page in pages:
        sent_from.append(tallies[-1].item.origin)
        yield page
