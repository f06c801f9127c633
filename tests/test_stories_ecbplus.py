"""ECB+ gate: story clustering keeps its measured event- and topic-level B-cubed F1 on the dev split.

Skips without ../shared. The full report (train and dev, ARI, the TF-IDF baseline, tuning) is
``benchmarks/ecbplus.py``; this test runs its copydesk path on dev, so the benchmark itself cannot
silently stop working (it once read the stored vector in a form the store no longer writes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

# Measured 0.969 (event; 0.943 before 6 Dec's third session) and 0.973 (topic) on dev when these
# floors were set; the margin absorbs a library's rounding, not a regression. The goal is 0.95.
EVENT_B3_FLOOR = 0.96
TOPIC_B3_FLOOR = 0.97


@pytest.mark.shared
@pytest.mark.slow
def test_story_clustering_on_ecbplus_dev_stays_above_the_floor(shared_dir: Path) -> None:
    if not (shared_dir / "eval" / "ecbplus" / "dev.jsonl").exists():
        pytest.skip("no ECB+ data under ../shared/eval/ecbplus")
    import ecbplus

    from copydesk.stories.cluster import StoryConfig
    from copydesk.stories.features import Lexicon

    config = StoryConfig()
    split = ecbplus.prepare(ecbplus.load("dev"), raw=False)
    placed = ecbplus.run_copydesk(
        split.ids, ecbplus.story_rows(split, config.weights, Lexicon.load()), config
    )
    found = ecbplus.scores(split.docs, *placed)
    assert found["event_b3"] >= EVENT_B3_FLOOR, found
    assert found["topic_b3"] >= TOPIC_B3_FLOOR, found
