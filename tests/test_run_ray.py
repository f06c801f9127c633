"""The Ray executor on a real local Ray: the same outcomes as in-process, in the pages' order, with
windows and batches smaller than the input and one page that fails (skipped, the rest kept)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from copydesk.config import Settings
from copydesk.pipeline import DocumentPipeline
from copydesk.records import Article, RawPage, SkippedInput
from copydesk.run.base import InProcessExecutor
from copydesk.service import article_stages, fingerprint_stages
from tests.support.corpus import variant
from tests.support.stages import FailOnMarker

ray = pytest.importorskip("ray", reason="copydesk[ray] is not installed")
pytest.importorskip("ray.data", reason="copydesk[ray] is not installed")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # the workers import the test-only stage from tests/, so the checkout is on their path
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    yield
    ray.shutdown()


def _pages() -> list[RawPage]:
    pages = [RawPage(f"d{i:02d}", f"d{i:02d}.txt", "text", variant(i)) for i in range(23)]
    pages[9] = RawPage("d09", "d09.txt", "text", variant(9) + "\n\nFAIL-HERE")
    return pages


@pytest.mark.slow
def test_ray_executor_gives_the_in_process_outcomes_in_order(local_ray: None) -> None:
    from copydesk.run.ray import RayExecutor

    settings = Settings()
    stages = (FailOnMarker(), *article_stages(settings), *fingerprint_stages(settings))
    pipeline = DocumentPipeline(stages=stages)
    pages = _pages()
    expected = list(InProcessExecutor().map(pipeline, pages))
    got = list(RayExecutor(batch_size=4, window=10, workers=2).map(pipeline, pages))
    assert [type(o) for o in got] == [type(o) for o in expected]
    assert isinstance(got[9], SkippedInput) and "simulated library failure" in got[9].reason
    assert [o.source_id for o in got] == [p.source_id for p in pages]
    articles = [(g, e) for g, e in zip(got, expected, strict=True) if isinstance(g, Article)]
    assert len(articles) == 22
    assert all(g == e for g, e in articles)
