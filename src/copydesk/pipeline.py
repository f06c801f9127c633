"""Per-document stages and the pipeline that composes them.

A stage does one job on one article; the base class owns the bookkeeping (the stage's name goes into
the error when it fails). A pipeline is an extractor followed by a list of stages. It is a plain,
picklable value, so executors (local processes, Ray) can ship it to workers; *what* runs lives here,
*where* it runs lives in ``copydesk.run``.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from types import FrameType
from typing import ClassVar, Protocol, TypeVar

from copydesk.clean.extract import PageExtractor
from copydesk.errors import ExtractionError, ExtractionTimeoutError, InputError
from copydesk.records import Article, RawPage, SkippedInput
from copydesk.store.db import Database

_Result = TypeVar("_Result")


class RunStep(Protocol):
    """Runs one step of the ``k``-th article of a batch within its page's time limit: the step's
    result, or None once the page is skipped (timed out or failed; the pipeline records why)."""

    def __call__(self, k: int, work: Callable[[], _Result], /) -> _Result | None: ...


class ArticleStage(ABC):
    """One job on one article. Subclasses implement ``process``; the base turns failures into errors."""

    name: ClassVar[str] = "stage"

    @abstractmethod
    def process(self, article: Article) -> Article:
        """Return the article with this stage's work done (the same object may be changed and returned)."""

    def warm_up(self) -> None:  # noqa: B027 - optional hook; most stages load nothing
        """Load models or tables before the first article, outside any page's time limit."""

    def process_batch(self, articles: Sequence[Article], run: RunStep) -> list[Article | None]:
        """This stage's work on a batch, each article's through ``run``; None for a skipped one. Article
        by article here; a stage of several steps may take the batch step by step instead."""
        return [run(k, partial(self, article)) for k, article in enumerate(articles)]

    def guarded(self, article: Article, work: Callable[[], _Result]) -> _Result:
        """``work`` on ``article``, a failure other than bad input named after this stage."""
        try:
            return work()
        except InputError:
            raise
        except Exception as exc:  # a bug or a library failure on one article must not end the run
            raise ExtractionError(
                article.origin, f"stage {self.name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def __call__(self, article: Article) -> Article:
        return self.guarded(article, partial(self.process, article))


class _PageOverran(ExtractionTimeoutError):
    """Raised by the page clock's alarm (stages let an ``InputError`` through); the pipeline names
    the page."""

    def __init__(self) -> None:
        super().__init__("", "page_timeout")


class PageClock:
    """The soft per-page time limit of a batch: one repeating alarm for the whole batch, and per step
    of a page a deadline kept here (no system call a page: arming and disarming a timer per page
    cost 11 us, 4% of a page's work). The alarm raises in the step under way once its page has used
    up its time, counted over all of the page's steps.

    The limit is checked every tenth of it (0.01 to 2 s), so a page is stopped at most that much
    late; the executor's hard limit stays well above."""

    def __init__(self, seconds: float, pages: int) -> None:
        self.seconds = seconds
        self.spent = [0.0] * pages
        self.deadline = math.inf  # of the step under way; infinite between steps

    def on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if time.monotonic() >= self.deadline:
            self.deadline = math.inf
            raise _PageOverran

    @classmethod
    @contextmanager
    def armed(cls, seconds: float, pages: int) -> Iterator[PageClock | None]:
        """A clock for the block, its alarm installed and ticking (restored after); None where no
        limit can be kept (no limit asked, or not the main thread, where signals cannot go)."""
        if seconds <= 0 or threading.current_thread() is not threading.main_thread():
            yield None
            return
        clock = cls(seconds, pages)
        tick = min(2.0, max(0.01, seconds / 10))
        previous = signal.signal(signal.SIGALRM, clock.on_alarm)
        signal.setitimer(signal.ITIMER_REAL, tick, tick)
        try:
            yield clock
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
        return self.process_many([page])[0]

    def warm_up(self) -> None:
        """Let each stage load what it needs (the extractor's HTML libraries wait for a batch with
        HTML in it: ``process_many``)."""
        for stage in self.stages:
            stage.warm_up()

    def process_many(self, pages: Sequence[RawPage]) -> list[Article | SkippedInput]:
        """Each page to its article or the reason it was skipped, in order; never raises for bad input.

        The batch goes through one step at a time (every page's extraction, then every article's
        first stage, and so on; the cleaning stage's steps one by one too), so each step's tables and
        memos stay in the processor's caches across the batch: page by page, the steps evicted each
        other's (10% more time a page)."""
        if any(page.kind == "html" for page in pages):
            self.extractor.warm_up()  # outside the pages' time limits; a no-op once imported
        with PageClock.armed(self.page_timeout, len(pages)) as clock:
            outcomes: list[Article | SkippedInput] = [
                self._step(clock, k, page, partial(self.extractor.extract, page))
                for k, page in enumerate(pages)
            ]
            for stage in self.stages:
                positions = [k for k, outcome in enumerate(outcomes) if isinstance(outcome, Article)]
                batch = [outcome for outcome in outcomes if isinstance(outcome, Article)]
                results = stage.process_batch(batch, self._runner(clock, pages, outcomes, positions))
                for k, result in zip(positions, results, strict=True):
                    if result is not None and isinstance(outcomes[k], Article):
                        outcomes[k] = result
        return outcomes

    def _runner(
        self,
        clock: PageClock | None,
        pages: Sequence[RawPage],
        outcomes: list[Article | SkippedInput],
        positions: list[int],
    ) -> RunStep:
        """A stage's ``RunStep`` over the batch: its j-th article is page ``positions[j]``, whose
        outcome becomes the reason it was skipped when a step skips it."""

        def run(j: int, work: Callable[[], _Result]) -> _Result | None:
            k = positions[j]
            done = self._step(clock, k, pages[k], work)
            if isinstance(done, SkippedInput):
                outcomes[k] = done
                return None
            return done

        return run

    @staticmethod
    def _step(
        clock: PageClock | None, k: int, page: RawPage, work: Callable[[], _Result]
    ) -> _Result | SkippedInput:
        """One step of page ``k``, within what is left of its time."""
        if clock is None:
            try:
                return work()
            except InputError as exc:
                return SkippedInput(exc.origin, exc.reason, exc.kind, page.source_id)
        started = time.monotonic()
        try:  # the deadline set inside: an alarm right after it raises into the handlers below
            clock.deadline = started + clock.seconds - clock.spent[k]
            done = work()
            clock.deadline = math.inf  # first thing after the work: no alarm raises past here
        except _PageOverran:
            clock.spent[k] = clock.seconds
            return SkippedInput(
                page.origin, f"took longer than {clock.seconds:g}s (page_timeout)", "timeout", page.source_id
            )
        except InputError as exc:
            clock.deadline = math.inf
            return SkippedInput(exc.origin, exc.reason, exc.kind, page.source_id)
        except BaseException:
            clock.deadline = math.inf
            raise
        clock.spent[k] += time.monotonic() - started
        return done


@dataclass(slots=True)
class CorpusStageReport:
    """What a corpus stage did, for the run summary."""

    stage: str
    changed: int = 0
    notes: list[str] = field(default_factory=list)
    # the articles whose texts the stage rewrote, where it says (None: it does not say); a stage
    # started early beside it checks its early work against these instead of re-reading the texts
    rewritten: list[str] | None = None


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

    def start_early(self, db: Database) -> None:  # noqa: B027 - optional hook
        """Begin on the store's current state while the stage before still runs (after ``warm_up``,
        beside it: ``copydesk.run.corpus``). What it read may change until then, so ``run`` uses
        the work only where it checks that it still holds."""

    def stage_before_done(self, report: CorpusStageReport) -> None:  # noqa: B027 - optional hook
        """What the stage before did, once it is done (it ran beside ``start_early``): ``run``
        follows."""

    def drop_early(self) -> None:  # noqa: B027 - optional hook
        """Let go of what ``start_early`` began (helper processes) where ``run`` will not follow: the
        stage before failed."""
