"""Corpus stages run in order; a slow starter is warmed up while the stage before runs in a fork."""

from __future__ import annotations

import os
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
