"""Local executor: worker processes with a hard per-page time limit.

Pages go to workers in small chunks; a chunk that outlives its limit (a page stuck in C code, where the
soft alarm cannot reach) has its worker killed, and its pages are retried one by one so only the bad
page is lost.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType

from pebble import ProcessExpired, ProcessPool
from pebble.common.types import CONSTS

from copydesk.pipeline import DocumentPipeline
from copydesk.records import RawPage, SkippedInput
from copydesk.run.base import Outcome
from copydesk.run.collection import settle_worker


class _WorkerPipeline:
    """The pipeline a worker process received once at start, warmed up outside any page's time limit.

    Each worker process has its own copy; shipping it once (not with every chunk) keeps the stages'
    loaded models and caches alive for the worker's lifetime.
    """

    pipeline: DocumentPipeline | None = None


def _start_worker(pipeline: DocumentPipeline) -> None:
    pipeline.warm_up()
    _WorkerPipeline.pipeline = pipeline
    settle_worker()


def _run_chunk(pages: list[RawPage]) -> list[Outcome]:
    pipeline = _WorkerPipeline.pipeline
    if pipeline is None:  # pragma: no cover - the pool initializer always runs first
        raise RuntimeError("worker started without a pipeline")
    return pipeline.process_many(pages)


class _PromptShutdown:
    """pebble's pool threads wake every ``sleep_unit`` (0.1 s) to see whether the pool is to stop, so
    joining a pool waited up to that long after its last result (a twentieth of a second on average
    between ingest and the stages after it, ~2% of a 5,000-article run). Once every chunk is
    scheduled, ``begin`` makes them wake every 5 ms for the rest of the pool's life, until the block
    ends: pebble's constant is the process's, so the value found is put back then (a pool ending
    beside this one meanwhile only polls faster, or stops slower, than it would have)."""

    FAST_POLL = 0.005

    def __init__(self) -> None:
        self.found: float | None = None

    def begin(self) -> None:
        if self.found is None:
            self.found = CONSTS.sleep_unit
        CONSTS.sleep_unit = min(self.found, self.FAST_POLL)

    def __enter__(self) -> _PromptShutdown:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.found is not None:
            CONSTS.sleep_unit = self.found


@dataclass(slots=True)
class LocalExecutor:
    workers: int
    # Pages per chunk: each chunk costs a round trip through the pool, and a worker takes a chunk's
    # pages step by step (20k JSONL articles: ingest 5.5-5.7 s wall with 16, 5.2-5.4 s with 48 to 96;
    # later, with the steps batched, 96 ran 1% faster than 48 in six alternating pairs).
    chunk_size: int = 96
    # A chunk's hard limit counts at most this many pages' limits, so a page stuck in C code is found
    # as soon as with chunks of 16; a chunk of very slow pages that outlives it is retried page by
    # page, each with its own limit, so nothing is lost.
    hard_limit_pages: int = 16
    # Chunks queued per worker: enough that workers keep cleaning while this process stores a batch
    # (about 300 pages a worker, as 16 chunks of 16 and 6 of 48 were; 20k JSONL articles: 10.1 s with
    # 4 chunks of 16 and batches of 64, 8.9-9.3 s with 16 and 512 on the machine of that time).
    chunks_per_worker: int = 3
    # The hard limit is the soft one plus slack, so the soft alarm normally fires first.
    hard_timeout_slack: float = 5.0

    def map(self, pipeline: DocumentPipeline, pages: Iterable[RawPage]) -> Iterator[Outcome]:
        per_page = pipeline.page_timeout + self.hard_timeout_slack
        pending: deque[tuple[Future[list[Outcome]], list[RawPage]]] = deque()
        if multiprocessing.get_start_method() == "fork":
            # once, here: forked workers inherit the loaded tables (each loaded them, 0.2 s of CPU)
            pipeline.warm_up()
        # the pool is joined inside the prompt block (its exit runs after the pool's)
        with (
            _PromptShutdown() as prompt,
            ProcessPool(max_workers=self.workers, initializer=_start_worker, initargs=(pipeline,)) as pool,
        ):
            iterator = iter(pages)
            chunks = iter(lambda: list(itertools.islice(iterator, self.chunk_size)), [])
            for chunk in chunks:
                pending.append(
                    (
                        pool.schedule(
                            _run_chunk,
                            args=(chunk,),
                            timeout=per_page * min(len(chunk), self.hard_limit_pages),
                        ),
                        chunk,
                    )
                )
                while len(pending) >= self.chunks_per_worker * self.workers:
                    yield from self._collect(pool, pipeline, *pending.popleft(), per_page)
            prompt.begin()
            while pending:
                yield from self._collect(pool, pipeline, *pending.popleft(), per_page)

    def _collect(
        self,
        pool: ProcessPool,
        pipeline: DocumentPipeline,
        future: Future[list[Outcome]],
        chunk: list[RawPage],
        per_page: float,
    ) -> Iterator[Outcome]:
        try:
            yield from future.result()
            return
        except (FutureTimeout, ProcessExpired):
            pass
        if len(chunk) == 1:
            page = chunk[0]
            yield SkippedInput(
                page.origin, f"extraction hung past {per_page:g}s; worker killed", "timeout", page.source_id
            )
            return
        retries = [(pool.schedule(_run_chunk, args=([page],), timeout=per_page), [page]) for page in chunk]
        for retry_future, retry_chunk in retries:
            yield from self._collect(pool, pipeline, retry_future, retry_chunk, per_page)
