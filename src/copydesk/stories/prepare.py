"""Batches made ready for the story desk in worker processes: feature rows, MinHash, topic groups.

Why: all three read one batch and nothing else (not the stories stored, not where other articles
went), so worker processes can build them for the next batches while the desk, which must stay
sequential, places this one. Each ``submit`` is one task on one worker (a whole batch, so its topic
groups can be built there too); keep as many batches in flight as there are workers.
With fork (Linux) the workers share the parent's loaded lexicon instead of loading their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from copydesk.fingerprint.minhash import MinHashConfig, MinHasher
from copydesk.stories.cluster import StoryConfig, batch_topic_groups, day_number
from copydesk.stories.features import Lexicon, feature_rows

# A worker process's own lexicon, hasher and config, set once by ``_start_worker`` (state of that
# process only: the parent never reads or writes it).
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class ReadyBatch:
    """What a worker built for one batch: ``combined`` feature rows, MinHash signatures (None when
    the pool has no MinHash config) and ``batch_topic_groups`` (None without a story config)."""

    rows: np.ndarray
    signatures: np.ndarray | None
    topic_groups: list[list[int]] | None


def _start_worker(
    lexicon: Lexicon | None, config: StoryConfig, minhash: MinHashConfig | None, topics: bool
) -> None:
    _WORKER["lexicon"] = lexicon if lexicon is not None else Lexicon.load()
    _WORKER["config"] = config
    _WORKER["hasher"] = MinHasher(minhash) if minhash is not None else None
    _WORKER["topics"] = topics


def _work(titles: list[str | None], texts: list[str], dates: list[datetime | None]) -> ReadyBatch:
    config: StoryConfig = _WORKER["config"]
    rows = feature_rows(titles, texts, _WORKER["lexicon"], config.weights, dates)
    days = [day_number(d) for d in dates]
    hasher: MinHasher | None = _WORKER["hasher"]
    signatures = None if hasher is None else hasher.signatures(texts)
    groups = batch_topic_groups(rows, np.asarray(days), config) if _WORKER["topics"] and len(texts) else None
    return ReadyBatch(rows, signatures, groups)


class BatchPool:
    """Worker processes that make whole batches ready (see the module docstring)."""

    def __init__(
        self,
        workers: int,
        lexicon: Lexicon | None = None,
        config: StoryConfig | None = None,
        minhash: MinHashConfig | None = None,
        topics: bool = True,
    ) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        shared = lexicon if context.get_start_method() == "fork" else None
        self.workers = max(1, workers)
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(shared, config or StoryConfig(), minhash, topics),
        )

    def submit(
        self, titles: Sequence[str | None], texts: Sequence[str], dates: Sequence[datetime | None]
    ) -> Future[ReadyBatch]:
        return self._pool.submit(_work, list(titles), list(texts), list(dates))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> BatchPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
