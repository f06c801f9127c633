"""Per-document stages and the pipeline that composes them.

A stage does one job on one article; the base class owns the bookkeeping (the stage's name goes into
the error when it fails). A pipeline is an extractor followed by a list of stages. It is a plain,
picklable value, so executors (local processes, Ray) can ship it to workers; *what* runs lives here,
*where* it runs lives in ``copydesk.run``.
"""

from __future__ import annotations

import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import ClassVar

from copydesk.clean.extract import PageExtractor
from copydesk.errors import ExtractionError, ExtractionTimeoutError, InputError
from copydesk.records import Article, RawPage, SkippedInput
from copydesk.store.db import Database


class ArticleStage(ABC):
    """One job on one article. Subclasses implement ``process``; the base turns failures into errors."""

    name: ClassVar[str] = "stage"

    @abstractmethod
    def process(self, article: Article) -> Article:
        """Return the article with this stage's work done (the same object may be changed and returned)."""

    def warm_up(self) -> None:  # noqa: B027 - optional hook; most stages load nothing
        """Load models or tables before the first article, outside any page's time limit."""

    def __call__(self, article: Article) -> Article:
        try:
            return self.process(article)
        except InputError:
            raise
        except Exception as exc:  # a bug or a library failure on one article must not end the run
            raise ExtractionError(
                article.origin, f"stage {self.name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc


@contextmanager
def deadline(seconds: float, origin: str) -> Iterator[None]:
    """Raise ``ExtractionTimeoutError`` in this thread after ``seconds`` (main thread only).

    This is the soft limit for slow Python code; the executor also kills a worker that stays stuck in
    C code past the hard limit.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise ExtractionTimeoutError(origin, f"took longer than {seconds:g}s (page_timeout)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True, slots=True)
class DocumentPipeline:
    """Extraction then the per-article stages, with a per-page time limit."""

    extractor: PageExtractor = field(default_factory=PageExtractor)
    stages: Sequence[ArticleStage] = ()
    page_timeout: float = 20.0

    def process(self, page: RawPage) -> Article | SkippedInput:
        """One page to one article, or the reason it was skipped; never raises for bad input."""
        try:
            with deadline(self.page_timeout, page.origin):
                article = self.extractor.extract(page)
                for stage in self.stages:
                    article = stage(article)
            return article
        except InputError as exc:
            return SkippedInput(exc.origin, exc.reason, exc.kind, page.source_id)

    def warm_up(self) -> None:
        """Import the extractor's libraries and let each stage load what it needs."""
        self.extractor.warm_up()
        for stage in self.stages:
            stage.warm_up()

    def process_many(self, pages: Sequence[RawPage]) -> list[Article | SkippedInput]:
        return [self.process(page) for page in pages]


@dataclass(slots=True)
class CorpusStageReport:
    """What a corpus stage did, for the run summary."""

    stage: str
    changed: int = 0
    notes: list[str] = field(default_factory=list)


class CorpusStage(ABC):
    """A stage that needs many articles at once (recurring chrome lines, stories, facts).

    It reads from and writes to the store, so it can be rerun alone; ``new_ids`` are the articles this
    run stored (a stage may still look at the rest of the store for evidence).
    """

    name: ClassVar[str] = "corpus-stage"

    @abstractmethod
    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        """Do this stage's work over the store."""
