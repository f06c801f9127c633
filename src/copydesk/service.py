"""The functions the CLI, the web app and Python users all call. No Typer or FastAPI in here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from copydesk import exports
from copydesk.config import Settings
from copydesk.errors import UsageError
from copydesk.ingest.job import IngestReport, ProgressCallback, file_sources, run_ingest
from copydesk.pipeline import ArticleStage, CorpusStage, DocumentPipeline
from copydesk.records import Article
from copydesk.run.base import Executor, InProcessExecutor
from copydesk.run.local import LocalExecutor
from copydesk.store import articles as article_store
from copydesk.store.db import Database


@contextmanager
def open_store(settings: Settings, *, readonly: bool = False) -> Iterator[Database]:
    db = Database.open(settings.db, readonly=readonly)
    try:
        yield db
    finally:
        db.close()


def article_stages(settings: Settings) -> list[ArticleStage]:
    """The per-article cleaning stages, in order."""
    return []


def corpus_stages(settings: Settings) -> list[CorpusStage]:
    """The corpus-level stages ``run`` applies after ingest, in order (each owns its module)."""
    return []


def build_pipeline(settings: Settings) -> DocumentPipeline:
    return DocumentPipeline(stages=tuple(article_stages(settings)), page_timeout=settings.page_timeout)


def build_executor(settings: Settings, kind: str = "local") -> Executor:
    if kind == "inprocess":
        return InProcessExecutor()
    if kind == "local":
        return LocalExecutor(workers=settings.worker_count)
    if kind == "ray":
        from copydesk.run.ray import RayExecutor

        return RayExecutor()
    raise UsageError(f"unknown executor {kind!r}; choose local, inprocess or ray")


def ingest(
    paths: list[str],
    settings: Settings,
    *,
    executor: str = "local",
    on_progress: ProgressCallback | None = None,
    stdin: BinaryIO | None = None,
) -> IngestReport:
    """Read the inputs, extract and clean each page, and store the articles (idempotent, resumable)."""
    if not paths:
        raise UsageError("name at least one file, directory, glob or '-' for stdin")
    sources, skipped, ignored = file_sources(paths, settings.max_input_bytes, stdin)
    report = IngestReport(skipped=skipped, ignored_files=ignored)
    with open_store(settings) as db:
        return run_ingest(
            sources,
            db=db,
            pipeline=build_pipeline(settings),
            executor=build_executor(settings, executor),
            batch_size=settings.batch_size,
            on_progress=on_progress,
            report=report,
        )


def run(
    paths: list[str],
    settings: Settings,
    *,
    executor: str = "local",
    on_progress: ProgressCallback | None = None,
    stdin: BinaryIO | None = None,
) -> IngestReport:
    """Ingest, then every corpus-level stage (cleaning passes, stories, facts) over the whole store."""
    report = ingest(paths, settings, executor=executor, on_progress=on_progress, stdin=stdin)
    with open_store(settings) as db:
        for stage in corpus_stages(settings):
            report.stages.append(stage.run(db, report.stored_ids))
    return report


def list_articles(
    settings: Settings, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    with open_store(settings, readonly=True) as db:
        return article_store.count_articles(db), article_store.list_article_summaries(
            db, limit=limit, offset=offset
        )


def get_article(settings: Settings, key: str) -> Article:
    with open_store(settings, readonly=True) as db:
        return article_store.get_article(db, key)


def export(settings: Settings, what: str, fmt: str | None, out: Path | None) -> int:
    """Write one export (see docs/exports.md); returns the number of rows written."""
    exporter = exports.exporter(what)
    chosen = exports.check_format(fmt) if fmt else exports.format_from_path(out)
    with open_store(settings, readonly=True) as db:
        return exports.write_rows(exporter.rows(db), exporter.fields, chosen, out)
