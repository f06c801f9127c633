"""The functions the CLI, the web app and Python users all call. No Typer or FastAPI in here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from copydesk import exports
from copydesk.config import Settings
from copydesk.errors import NotFoundError, UsageError
from copydesk.ingest.fetch import Fetcher
from copydesk.ingest.fetch_job import FetchOptions, FetchReport, run_fetch
from copydesk.ingest.fetch_policy import FetchPolicy
from copydesk.ingest.job import IngestReport, PageSource, ProgressCallback, file_sources, run_ingest
from copydesk.pipeline import ArticleStage, CorpusStage, DocumentPipeline
from copydesk.records import Article, RawPage
from copydesk.run.base import Executor, InProcessExecutor
from copydesk.run.collection import prompt_handoffs
from copydesk.run.corpus import run_corpus_stages
from copydesk.run.local import LocalExecutor
from copydesk.store import articles as article_store
from copydesk.store import search as search_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database


@contextmanager
def open_store(settings: Settings, *, readonly: bool = False) -> Iterator[Database]:
    db = Database.open(settings.db, readonly=readonly)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def _store_warming(settings: Settings, *, warm: bool) -> Iterator[tuple[Database, DocumentPipeline]]:
    """The store, opened while a thread builds the pipeline (importing its stages' modules) and
    loads its tables (``warm_up``): SQLite's statements, like the tables' reading, let go of the
    interpreter lock, so the three take little more than the longest instead of their sum, on a
    core that would sit idle before the workers fork (a new store, 5,000 600-word documents: the
    workers forked ~70 -> ~40 ms after the ingest began; the imports alone were ~35 ms)."""

    def ready() -> DocumentPipeline:
        pipeline = build_pipeline(settings)
        if warm:
            pipeline.warm_up()
        return pipeline

    # the lock handed over after 1 ms, not 5: each statement of the store's opening waited for it
    with prompt_handoffs(), ThreadPoolExecutor(1, thread_name_prefix="copydesk-warm-up") as loader:
        building = loader.submit(ready)
        db = Database.open(settings.db)
        try:
            pipeline = building.result()
        except BaseException:
            db.close()
            raise
    try:
        yield db, pipeline
    finally:
        db.close()


def article_stages(settings: Settings) -> list[ArticleStage]:
    """The per-article cleaning stages, in order."""
    from copydesk.clean.stages import text_cleaning_stages

    return [*text_cleaning_stages()]


def corpus_stages(settings: Settings) -> list[CorpusStage]:
    """The corpus-level stages ``run`` applies after ingest, in order (each owns its module)."""
    from copydesk.clean.recurring import RecurringChromeStage
    from copydesk.facts.stage import FactsStage
    from copydesk.stories.stage import StoryStage

    facts = FactsStage(settings.spacy_model, workers=settings.worker_count)
    return [RecurringChromeStage(), StoryStage(workers=settings.worker_count), facts]


def fingerprint_stages(settings: Settings) -> list[ArticleStage]:
    """Per-article work for the corpus stages, done in the worker processes after cleaning (the
    stories stage's feature vectors); the ingest writer stores it beside the article."""
    from copydesk.stories.stage import StoryStage

    return [StoryStage().print_stage()]


def build_pipeline(settings: Settings) -> DocumentPipeline:
    stages = (*article_stages(settings), *fingerprint_stages(settings))
    return DocumentPipeline(stages=stages, page_timeout=settings.page_timeout)


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
    # Ray's workers load their own tables; local ones (forked, or this process) use these
    with _store_warming(settings, warm=executor != "ray") as (db, pipeline):
        return run_ingest(
            sources,
            db=db,
            pipeline=pipeline,
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
        report.stages.extend(run_corpus_stages(db, corpus_stages(settings), report.stored_ids))
    return report


def fetch(
    targets: list[str],
    settings: Settings,
    *,
    refetch: bool = False,
    max_pages: int | None = None,
    executor: str = "local",
    on_progress: ProgressCallback | None = None,
    fetcher: Fetcher | None = None,
) -> FetchReport:
    """Fetch URLs, RSS/Atom feeds and sitemaps and ingest their article pages like files.

    Pages fetched by an earlier run are skipped unless ``refetch``; ``fetcher`` replaces the one built
    from ``settings.fetch`` (tests give one with a fake resolver or transport).
    """
    if not targets:
        raise UsageError("name at least one URL, RSS/Atom feed or sitemap")
    if max_pages is not None and max_pages < 1:
        raise UsageError("--max-pages must be 1 or more")
    active = fetcher or Fetcher(FetchPolicy.from_settings(settings.fetch))
    try:
        with open_store(settings) as db:
            return run_fetch(
                targets,
                db=db,
                fetcher=active,
                pipeline=build_pipeline(settings),
                executor=build_executor(settings, executor),
                options=FetchOptions(refetch=refetch, max_pages=max_pages),
                batch_size=settings.batch_size,
                on_progress=on_progress,
            )
    finally:
        if fetcher is None:
            active.close()


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


# --- reads for the web pages and the REST API (each call opens its own read-only connection) ---


def prepare_store(settings: Settings) -> None:
    """Create the store if missing and apply pending migrations, so later reads can be read-only."""
    Database.open(settings.db).close()


def find_articles(settings: Settings, flt: search_store.ArticleFilter) -> search_store.ArticlePage:
    """Full-text search (FTS5) and filtered listing of articles; see ``store.search``."""
    with open_store(settings, readonly=True) as db:
        return search_store.find_articles(db, flt)


def list_sites(settings: Settings) -> list[str]:
    with open_store(settings, readonly=True) as db:
        return search_store.sites(db)


def source_stats(settings: Settings) -> list[dict[str, Any]]:
    """Per site: articles, spam-injected articles and, once stories exist, copies and rewrites."""
    with open_store(settings, readonly=True) as db:
        return search_store.site_stats(db)


def list_stories(
    settings: Settings, *, order: str = "newest", limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """Stories with their article and independent-source counts (none until stories are built)."""
    with open_store(settings, readonly=True) as db:
        if not _has_stories(db):
            return 0, []
        return story_store.count_stories(db), story_store.list_story_summaries(
            db, order=order, limit=limit, offset=offset
        )


def get_story(settings: Settings, story_id: str) -> dict[str, Any]:
    """One story: the export row (members with copy family, relation, evidence), related stories, log."""
    from copydesk.stories.story_rows import story_row

    with open_store(settings, readonly=True) as db:
        if not _has_stories(db):
            raise NotFoundError(f"no story {story_id!r}: stories appear once 'copydesk run' has built them")
        row = story_row(db, story_id)
        related = story_store.related_stories(db, row["id"], row["topic_id"])
        return {**row, "related": related, "log": story_store.story_log(db, row["id"])}


def build_stories(settings: Settings) -> list[Any]:
    """Run the stories stage alone over the store (places every article not yet in a story)."""
    from copydesk.stories.stage import StoryStage

    with open_store(settings) as db:
        return [StoryStage(workers=settings.worker_count).run(db, [])]


def split_story(settings: Settings, story_id: str, article_ids: list[str]) -> str:
    """Move some articles of a story into a new story (logged as a split); returns the new story id."""
    from copydesk.fingerprint.minhash import MinHashConfig
    from copydesk.stories.edit import split_story as split
    from copydesk.stories.features import Lexicon

    with open_store(settings) as db:
        return split(db, story_id, article_ids, Lexicon.load(), MinHashConfig())


def story_of_article(settings: Settings, article_id: str) -> dict[str, Any] | None:
    """The story an article belongs to, with its members, or ``None``."""
    from copydesk.stories.story_rows import story_row

    with open_store(settings, readonly=True) as db:
        if not _has_stories(db):
            return None
        found = story_store.story_id_of_article(db, article_id)
        if found is None:
            return None
        return {**story_row(db, found[0]), "relation": found[1]}


def list_topics(settings: Settings) -> list[dict[str, Any]]:
    """Topics that link stories (empty until the stories stage has run)."""
    with open_store(settings, readonly=True) as db:
        return story_store.list_topics(db) if _has_stories(db) else []


def topic_article_ids(settings: Settings, topic: str) -> list[str]:
    """The articles of every story under ``topic``."""
    with open_store(settings, readonly=True) as db:
        if not _has_stories(db):
            raise NotFoundError(f"no topic {topic!r}: topics appear once stories are built ('copydesk run')")
        return story_store.topic_article_ids(db, topic)


def get_facts(settings: Settings, story_id: str) -> Any:
    """A story's corroboration (``copydesk.align.story.StoryFacts``) as the facts stage stored it."""
    from copydesk.store import facts as fact_store

    with open_store(settings, readonly=True) as db:
        return fact_store.get_story_facts(db, _facts_story_id(db, story_id))


def get_fact_rows(
    settings: Settings, story_id: str, kind: str, limit: int | None = None, offset: int = 0
) -> tuple[str, int, list[dict[str, Any]]]:
    """A story's figures or quotes (``kind``) as the API lists them, a page at a time: the story's
    id, how many there are, and the page's rows."""
    from copydesk.store import facts as fact_store

    with open_store(settings, readonly=True) as db:
        story_id = _facts_story_id(db, story_id)
        total, rows = fact_store.fact_rows_page(db, story_id, kind, limit, offset)
        return story_id, total, rows


def _facts_story_id(db: Database, story_id: str) -> str:
    """The story whose facts ``story_id`` names: a merged-away id leads to the story that absorbed it;
    an id the stories stage does not know may still have facts (built from stories given by another
    source)."""
    if not db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fact_stories'"):
        raise NotFoundError(f"no facts for story {story_id!r}: 'copydesk run' computes them")
    if _has_stories(db):
        with contextlib.suppress(NotFoundError):
            story_id = story_store.get_story(db, story_id).id
    return story_id


def build_facts(settings: Settings) -> list[Any]:
    """Run the facts stage alone: recompute facts for stories whose membership changed."""
    from copydesk.facts.stage import FactsStage

    with open_store(settings) as db:
        return [FactsStage(settings.spacy_model, workers=settings.worker_count).run(db, [])]


def _has_stories(db: Database) -> bool:
    """A read-only connection cannot migrate, so an older store may lack the stories tables."""
    return bool(db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stories'"))


def get_articles(settings: Settings, ids: list[str]) -> list[Article]:
    with open_store(settings, readonly=True) as db:
        return list(article_store.iter_articles(db, ids=ids))


def export_stream(settings: Settings, what: str, fmt: str) -> Iterator[bytes]:
    """One export as byte chunks; the read-only connection lives exactly as long as the stream."""
    exporter = exports.exporter(what)
    chosen = exports.check_format(fmt)

    def chunks() -> Iterator[bytes]:
        with open_store(settings, readonly=True) as db:
            yield from exports.stream_rows(exporter.rows(db), exporter.fields, chosen)

    return chunks()


def ingest_pages(settings: Settings, pages: list[RawPage]) -> IngestReport:
    """Ingest pages handed over in memory (REST API) through the same pipeline and stages as ``run``."""
    source = PageSource("api", None, lambda: iter(pages), len(pages))
    with open_store(settings) as db:
        report = run_ingest(
            [source],
            db=db,
            pipeline=build_pipeline(settings),
            executor=InProcessExecutor(),
            batch_size=settings.batch_size,
        )
        report.stages.extend(run_corpus_stages(db, corpus_stages(settings), report.stored_ids))
    return report


# --- end of the web reads ---
