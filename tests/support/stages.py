"""Test-only stages, importable by worker processes and subprocesses."""

from __future__ import annotations

import os
import time

from copydesk.pipeline import ArticleStage
from copydesk.records import Article


class SlowStage(ArticleStage):
    """Sleeps per article, so a test can interrupt an ingest part-way through."""

    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def process(self, article: Article) -> Article:
        time.sleep(self.seconds)
        return article


class HangOnMarker(ArticleStage):
    """Never returns for an article containing HANG-HERE (stands in for a stuck extractor)."""

    name = "hang-on-marker"

    def process(self, article: Article) -> Article:
        while "HANG-HERE" in article.raw_text:
            time.sleep(0.05)
        return article


class FailOnMarker(ArticleStage):
    name = "fail-on-marker"

    def process(self, article: Article) -> Article:
        if "FAIL-HERE" in article.raw_text:
            raise RuntimeError("simulated library failure")
        return article


class RecordingStage(ArticleStage):
    """Notes (its label, the article's source id) in a list it was given, in the order it runs."""

    name = "recording"

    def __init__(self, label: str, seen: list[tuple[str, str]]) -> None:
        self.label = label
        self.seen = seen

    def process(self, article: Article) -> Article:
        self.seen.append((self.label, article.source_id))
        return article


class WarmedWhere(ArticleStage):
    """Notes in each article the process that warmed it up (``warm_up`` loads once per stage copy)."""

    name = "warmed-where"

    def __init__(self) -> None:
        self.warmed_in: int | None = None

    def warm_up(self) -> None:
        if self.warmed_in is None:
            self.warmed_in = os.getpid()

    def process(self, article: Article) -> Article:
        article.metadata["warmed_in"] = self.warmed_in
        article.metadata["worked_in"] = os.getpid()
        return article
