"""Ray executor: the same pipeline on Ray Data, on one machine or a cluster (``pip install 'copydesk[ray]'``).

``ray`` is imported only here, when the executor is built, so the rest of copydesk never needs it.

Pages stream in windows (the input is read as it goes and the driver holds one window at a time);
each window is a Ray dataset mapped in batches by a pool of actors, each of which receives the
pipeline once and warms it up (models and caches load once per actor and window, not per page);
outcomes come back in the pages' order. Pages and outcomes travel as pickles in a binary column, so
Ray Data never has to infer a schema for them.
"""

from __future__ import annotations

import itertools
import logging
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from copydesk.extras import require
from copydesk.pipeline import DocumentPipeline
from copydesk.records import RawPage
from copydesk.run.base import Outcome


@dataclass(slots=True)
class RayExecutor:
    """Maps the pipeline over pages with Ray Data.

    ``window``: pages per dataset (bounds the driver's memory); ``batch_size``: pages an actor
    processes at a time; ``workers``: actors (default: the cluster's CPUs); ``address``: a running
    cluster's address (default: start or join a local Ray)."""

    batch_size: int = 64
    window: int = 8192
    workers: int | None = None
    address: str | None = None
    _ray: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ray = require("ray", extra="ray", feature="the Ray executor")
        require("ray.data", extra="ray", feature="the Ray executor")

    def map(self, pipeline: DocumentPipeline, pages: Iterable[RawPage]) -> Iterator[Outcome]:
        ray = self._ray
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                ignore_reinit_error=True,
                log_to_driver=False,
                include_dashboard=False,
                logging_level=logging.ERROR,  # copydesk reports progress itself
            )
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # outcomes in the pages' order
        context.enable_progress_bars = False
        workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        iterator = iter(pages)
        for window in iter(lambda: list(itertools.islice(iterator, self.window)), []):
            dataset = ray.data.from_items([{"page": pickle.dumps(page)} for page in window])
            mapped = dataset.map_batches(
                _PipelineActor,
                fn_constructor_args=(pipeline,),
                batch_size=self.batch_size,
                batch_format="numpy",
                concurrency=min(workers, max(1, len(window) // self.batch_size)),
            )
            for batch in mapped.iter_batches(batch_format="numpy", batch_size=None):
                for outcome in batch["outcome"]:
                    yield pickle.loads(outcome)


class _PipelineActor:
    """One pipeline per actor, warmed up once, mapping batches of pickled pages to pickled outcomes."""

    def __init__(self, pipeline: DocumentPipeline) -> None:
        pipeline.warm_up()
        self.pipeline = pipeline

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[bytes]]:
        pages = [pickle.loads(raw) for raw in batch["page"]]
        return {"outcome": [pickle.dumps(outcome) for outcome in self.pipeline.process_many(pages)]}
