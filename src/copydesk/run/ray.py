"""Ray executor: the same pipeline on a Ray cluster (``pip install 'copydesk[ray]'``).

``ray`` is imported only here, when the executor is built, so the rest of copydesk never needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from copydesk.extras import require
from copydesk.pipeline import DocumentPipeline
from copydesk.records import RawPage
from copydesk.run.base import Outcome


@dataclass(slots=True)
class RayExecutor:
    """Maps the pipeline over pages with Ray Data, in blocks of ``block_size`` pages."""

    block_size: int = 256
    address: str | None = None
    _ray: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ray = require("ray", extra="ray", feature="the Ray executor")
        require("ray.data", extra="ray", feature="the Ray executor")

    def map(self, pipeline: DocumentPipeline, pages: Iterable[RawPage]) -> Iterator[Outcome]:
        ray = self._ray
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False)
        process_many = ray.remote(_process_block)
        block: list[RawPage] = []
        futures = []
        for page in pages:
            block.append(page)
            if len(block) >= self.block_size:
                futures.append(process_many.remote(pipeline, block))
                block = []
        if block:
            futures.append(process_many.remote(pipeline, block))
        for future in futures:
            yield from ray.get(future)


def _process_block(pipeline: DocumentPipeline, pages: list[RawPage]) -> list[Outcome]:
    return pipeline.process_many(pages)
