"""The executor seam: the same pipeline runs in-process, in local worker processes, or on Ray."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from copydesk.pipeline import DocumentPipeline
from copydesk.records import Article, RawPage, SkippedInput

Outcome = Article | SkippedInput


class Executor(Protocol):
    """Runs a pipeline over pages and yields one outcome per page, in the pages' order."""

    def map(self, pipeline: DocumentPipeline, pages: Iterable[RawPage]) -> Iterator[Outcome]: ...


class InProcessExecutor:
    """Runs everything in the calling process: for debugging, tests and tiny inputs."""

    def map(self, pipeline: DocumentPipeline, pages: Iterable[RawPage]) -> Iterator[Outcome]:
        for page in pages:
            yield pipeline.process(page)
