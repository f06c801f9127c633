"""The ingest job: inputs -> readers -> pipeline (on an executor) -> store, resumable and idempotent.

Outcomes come back in the order pages were sent, so an input is marked finished only once every one of
its pages is committed; a rerun after a crash redoes at most the inputs that were in flight.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from copydesk.ingest.readers import read_input, read_stdin
from copydesk.ingest.sources import InputFile, discover
from copydesk.pipeline import CorpusStageReport, DocumentPipeline
from copydesk.records import Article, RawPage, SkippedInput
from copydesk.run.base import Executor
from copydesk.store import articles as article_store
from copydesk.store import runs
from copydesk.store.db import Database


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
    item: InputFile
    pages: int = 0
    read_done: bool = False


def run_ingest(
    paths: list[str],
    *,
    db: Database,
    pipeline: DocumentPipeline,
    executor: Executor,
    max_input_bytes: int,
    batch_size: int = 64,
    on_progress: ProgressCallback | None = None,
    stdin: BinaryIO | None = None,
) -> IngestReport:
    report = IngestReport()
    found = discover(paths)
    report.ignored_files = found.ignored
    report.skipped.extend(found.skipped)
    finished = runs.finished_inputs(db)
    todo = [i for i in found.inputs if i.format == "stdin" or finished.get(i.origin) != i.fingerprint]
    report.inputs = len(found.inputs)
    report.inputs_resumed = len(found.inputs) - len(todo)
    report.run_id = runs.start_run(db)
    # Inputs whose pages are all sent, waiting for their outcomes: (tally, outcomes still expected).
    tallies: deque[_InputTally] = deque()
    inputs_done = report.inputs_resumed

    def pages() -> Iterator[RawPage]:
        for item in todo:
            tally = _InputTally(item)
            tallies.append(tally)
            reader = (
                read_stdin(item, max_input_bytes, stdin)
                if item.format == "stdin"
                else read_input(item, max_input_bytes)
            )
            for read in reader:
                if isinstance(read, SkippedInput):
                    report.skipped.append(read)
                    continue
                tally.pages += 1
                report.pages += 1
                yield read
            tally.read_done = True

    batch: list[Article] = []
    received: dict[str, int] = {}
    completed: list[InputFile] = []

    def flush() -> None:
        nonlocal inputs_done
        if batch:
            new = article_store.put_articles(db, batch)
            report.stored += new
            report.duplicates += len(batch) - new
            batch.clear()
        for item in completed:
            if item.format != "stdin":
                runs.mark_input_done(
                    db, item.origin, item.fingerprint, received.get(item.origin, 0), report.run_id
                )
            inputs_done += 1
        completed.clear()
        if on_progress:
            on_progress(Progress(inputs_done, report.inputs, report.stored, len(report.skipped)))

    def settle_inputs() -> None:
        """Move inputs whose every page has come back to ``completed``."""
        while (
            tallies and tallies[0].read_done and received.get(tallies[0].item.origin, 0) >= tallies[0].pages
        ):
            completed.append(tallies.popleft().item)

    status = "failed"
    try:
        # Executors keep page order, so the n-th outcome belongs to the n-th page sent.
        sent_from: deque[str] = deque()
        for outcome in executor.map(pipeline, _note_input(pages(), sent_from, tallies)):
            origin = sent_from.popleft()
            received[origin] = received.get(origin, 0) + 1
            if isinstance(outcome, SkippedInput):
                report.skipped.append(outcome)
            else:
                batch.append(outcome)
                report.stored_ids.append(outcome.id)
            settle_inputs()
            if len(batch) >= batch_size or completed:
                flush()
        settle_inputs()
        flush()
        status = "done"
    finally:
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


def _note_input(
    pages: Iterator[RawPage], sent_from: deque[str], tallies: deque[_InputTally]
) -> Iterator[RawPage]:
    """Record which input each page came from, in sending order."""
    for page in pages:
        sent_from.append(tallies[-1].item.origin)
        yield page
