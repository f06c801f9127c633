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
from contextlib import contextmanager, nullcontext
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


class _PageOverran(ExtractionTimeoutError):
    """Raised by the alarm handler (stages let an ``InputError`` through); ``deadline`` names the page."""

    def __init__(self) -> None:
        super().__init__("", "page_timeout")


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _PageOverran


@contextmanager
def alarm_handler() -> Iterator[bool]:
    """The SIGALRM handler ``deadline`` needs, installed for the block (once for a batch of pages:
    installing and restoring it per page cost more than arming the timer); yields whether timers may
    be armed (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield True
    finally:
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def deadline(seconds: float, origin: str, handled: bool = False) -> Iterator[None]:
    """Raise ``ExtractionTimeoutError`` in this thread after ``seconds`` (main thread only);
    ``handled``: inside ``alarm_handler`` (so the handler is not installed again).

    This is the soft limit for slow Python code; the executor also kills a worker that stays stuck in
    C code past the hard limit.
    """
    if seconds <= 0:
        yield
        return
    with nullcontext(True) if handled else alarm_handler() as armed:
        if not armed:
            yield
            return
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        except _PageOverran:
            raise ExtractionTimeoutError(origin, f"took longer than {seconds:g}s (page_timeout)") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


@dataclass(frozen=True, slots=True)
class DocumentPipeline:
    """Extraction then the per-article stages, with a per-page time limit."""

    extractor: PageExtractor = field(default_factory=PageExtractor)
    stages: Sequence[ArticleStage] = ()
    page_timeout: float = 20.0

    def process(self, page: RawPage, *, handled: bool = False) -> Article | SkippedInput:
        """One page to one article, or the reason it was skipped; never raises for bad input.
        ``handled``: called inside ``alarm_handler``."""
        try:
            with deadline(self.page_timeout, page.origin, handled):
                article = self.extractor.extract(page)
                for stage in self.stages:
                    article = stage(article)
            return article
        except InputError as exc:
            return SkippedInput(exc.origin, exc.reason, exc.kind, page.source_id)

    def warm_up(self) -> None:
        """Let each stage load what it needs (the extractor's HTML libraries wait for a batch with
        HTML in it: ``process_many``)."""
        for stage in self.stages:
            stage.warm_up()

    def process_many(self, pages: Sequence[RawPage]) -> list[Article | SkippedInput]:
        if any(page.kind == "html" for page in pages):
            self.extractor.warm_up()  # outside the pages' time limits; a no-op once imported
        with alarm_handler() as armed:
            return [self.process(page, handled=armed) for page in pages]


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
    # Whether ``warm_up`` takes long enough (libraries, tables) to be worth doing while the stage
    # before runs (``copydesk.run.corpus.run_corpus_stages``).
    slow_to_start: ClassVar[bool] = False

    @abstractmethod
    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        """Do this stage's work over the store."""

    def warm_up(self) -> None:  # noqa: B027 - optional hook; most stages load nothing
        """Load what ``run`` needs before it starts (it loads it itself when this was not called)."""
