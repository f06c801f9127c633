"""The cleaning speed benchmark still runs against the code it times (it needs ECB+ for its figures;
here a few generated articles only show that every step it calls exists and is timed)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from clean_speed import measure

from copydesk.records import RawPage
from tests.support.corpus import variant


def test_clean_speed_times_every_step_on_a_few_articles() -> None:
    pages = [RawPage(f"d{i}", f"d{i}.txt", "text", variant(i)) for i in range(3)]
    report = measure(pages, rounds=1)
    assert report["articles"] == 3
    by_stage = report["warm_ms_per_article_by_stage"]
    assert isinstance(by_stage, dict) and {"extract", "lines"} <= set(by_stage)
    assert len(by_stage) > 2 and report["warm_articles_per_s"] > 0
