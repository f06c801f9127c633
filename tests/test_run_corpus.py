"""Corpus stages run in order; a slow starter is warmed up while the stage before runs in a fork."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from copydesk.errors import CopydeskError, StoreError
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.run.corpus import run_corpus_stages
from copydesk.store.db import Database


class MarkStage(CorpusStage):
    """Writes a row (so the parent can see the child's commit) and reports the process it ran in."""

    name = "mark"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        if self.fail:
            raise StoreError("the mark stage could not write")
        with db.atomic() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS marks (pid INTEGER)")
            conn.execute("INSERT INTO marks VALUES (?)", (os.getpid(),))
        return CorpusStageReport(self.name, len(new_ids), [f"pid {os.getpid()}"])


class SlowStarter(CorpusStage):
    name = "slow"
    slow_to_start: ClassVar[bool] = True

    def __init__(self) -> None:
        self.warmed_in: int | None = None
        self.saw_marks = 0
        self.dropped = False
        self.told: CorpusStageReport | None = None

    def stage_before_done(self, report: CorpusStageReport) -> None:
        self.told = report

    def warm_up(self) -> None:
        self.warmed_in = os.getpid()

    def drop_early(self) -> None:
        self.dropped = True

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        self.saw_marks = db.query("SELECT COUNT(*) FROM marks")[0][0]
        return CorpusStageReport(self.name, 0, [f"warmed in {self.warmed_in}"])


def test_the_stage_before_a_slow_starter_runs_beside_its_warm_up(tmp_path: Path) -> None:
    with Database.open(tmp_path / "s.db") as db:
        slow = SlowStarter()
        reports = run_corpus_stages(db, [MarkStage(), slow], ["a", "b"])
        assert [r.stage for r in reports] == ["mark", "slow"]
        assert reports[0].changed == 2
        assert reports[0].notes != [f"pid {os.getpid()}"]  # the mark stage ran in another process
        assert slow.warmed_in == os.getpid()  # the warm-up happened here, for the stage that runs here
        assert slow.saw_marks == 1  # and the child's writes were committed before it ran
        assert slow.told == reports[0]  # and it was told what the stage before did


def test_a_failing_stage_in_the_forked_process_raises_here(tmp_path: Path) -> None:
    with Database.open(tmp_path / "s.db") as db:
        slow = SlowStarter()
        with pytest.raises(StoreError, match="could not write"):
            run_corpus_stages(db, [MarkStage(fail=True), slow], [])
        assert slow.warmed_in == os.getpid()
        assert slow.dropped  # what it started early (helper processes) was let go


def test_the_stories_stage_lets_its_early_helper_go_when_run_will_not_follow(tmp_path: Path) -> None:
    from copydesk.store import articles as article_store
    from copydesk.stories.stage import StoryStage
    from copydesk.stories.synthetic import generate_corpus
    from tests.test_stories import _article

    corpus = generate_corpus(100, seed=5, reports=(2, 3), copies=(1, 2))
    with Database.open(tmp_path / "s.db") as db:
        article_store.put_articles(db, [_article(a.source_id, a.title, a.text, a.published) for a in corpus])
        stage = StoryStage(workers=2, batch=200)
        stage.warm_up()
        stage.start_early(db)
        assert stage._early is not None
        preparer = stage._early[1]
        assert preparer._pool is not None  # the helper was forked
        stage.drop_early()
        assert stage._early is None and preparer._pool is None


def test_an_in_memory_store_runs_the_stages_one_after_the_other() -> None:
    db = Database.memory()
    reports = run_corpus_stages(db, [MarkStage(), SlowStarter()], ["a"])
    assert reports[0].notes == [f"pid {os.getpid()}"]
    assert reports[1].notes == ["warmed in None"]  # run loads what it needs itself


class DyingStage(CorpusStage):
    name = "dying"

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        os._exit(3)  # killed before it could answer


def test_a_stage_process_that_dies_is_reported_with_its_exit_code(tmp_path: Path) -> None:
    with (
        Database.open(tmp_path / "s.db") as db,
        pytest.raises(CopydeskError, match=r"dying stage's process ended without a report \(exit code 3\)"),
    ):
        run_corpus_stages(db, [DyingStage(), SlowStarter()], [])


class EarlyStarter(SlowStarter):
    """A slow starter that also starts early, and says where it ran."""

    name = "early"

    def __init__(self) -> None:
        super().__init__()
        self.started_in: int | None = None

    def start_early(self, db: Database) -> None:
        self.started_in = os.getpid()

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        return CorpusStageReport(self.name, 0, [f"started early in {self.started_in}, runs in {os.getpid()}"])


def test_a_stage_that_runs_in_a_fork_beside_the_next_is_not_started_early(tmp_path: Path) -> None:
    """What starting early makes (a pool, its threads) belongs to the process that made it: a stage
    run in a fork beside the slow starter after it is only warmed up, and the last is started early."""
    with Database.open(tmp_path / "s.db") as db:
        middle, last = EarlyStarter(), EarlyStarter()
        reports = run_corpus_stages(db, [MarkStage(), middle, last], ["a"])
    assert middle.warmed_in == os.getpid() and middle.started_in is None
    assert reports[1].notes[0].startswith("started early in None, runs in ")
    assert last.started_in == os.getpid()
    assert reports[2].notes == [f"started early in {os.getpid()}, runs in {os.getpid()}"]


_STORIES_BETWEEN = """
import sys
from pathlib import Path
from copydesk.clean.recurring import RecurringChromeStage
from copydesk.run.corpus import run_corpus_stages
from copydesk.store.db import Database
from copydesk.stories.stage import StoryStage
from tests.test_run_corpus import EarlyStarter

with Database.open(Path(sys.argv[1])) as db:
    stories = StoryStage(workers=2, batch=300)  # three chunks: the later ones come from the helper
    reports = run_corpus_stages(db, [RecurringChromeStage(), stories, EarlyStarter()], [])
    placed = db.query("SELECT COUNT(DISTINCT article_id) FROM story_members")[0][0]
print(" ".join(r.stage for r in reports), placed)
"""


@pytest.mark.slow
def test_the_stories_stage_between_the_recurring_pass_and_a_slow_starter_finishes(tmp_path: Path) -> None:
    """``copydesk run``'s order (recurring pass, stories, facts) on enough articles for the stories
    stage's forked helper: it had started early here, then run in a fork that waited forever for the
    early helper's results (every ``copydesk run`` of 500 articles or more, in two chunks or more,
    hung). In a process of its own, so that a hang fails this test instead of the suite."""
    from copydesk.store import articles as article_store
    from copydesk.stories.stage import MIN_TOPIC_HELPER_BATCH
    from copydesk.stories.synthetic import generate_corpus
    from tests.test_stories import _article

    corpus = generate_corpus(130, seed=6, reports=(2, 3), copies=(1, 2))
    assert len(corpus) >= MIN_TOPIC_HELPER_BATCH
    store = tmp_path / "s.db"
    with Database.open(store) as db:
        article_store.put_articles(db, [_article(a.source_id, a.title, a.text, a.published) for a in corpus])
    repo = Path(__file__).resolve().parent.parent
    with subprocess.Popen(
        [sys.executable, "-c", _STORIES_BETWEEN, str(store)],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the stage's forks too
            process.communicate()
            pytest.fail("the stories stage did not finish in 120 s")
    assert process.returncode == 0, err
    assert out.split() == ["recurring-chrome", "stories", "early", str(len(corpus))]
