"""The corpus stages of a run in order, each slow-starting one warmed up while the one before runs.

The stories stage spends its first tenth of a second on one core loading its lexicon, and the
recurring-chrome pass before it runs on one core too (it is mostly the store's reads and writes).
Where forking is allowed, the stage before a slow starter runs in a forked process with its own
connection to the store, and this process warms the next stage up meanwhile, then lets it start
early on what it can check later (the stories stage prepares its first chunk and keeps it where the
pass changed none of its articles): the two take the time of the longer instead of their sum, and
the next stage's own helpers, forked later, inherit what was loaded. Elsewhere (an in-memory store,
a server's worker thread) the stages run one after the other.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from copydesk.errors import CopydeskError
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.run.forking import may_fork
from copydesk.store.db import Database


def run_corpus_stages(
    db: Database, stages: Sequence[CorpusStage], new_ids: Sequence[str]
) -> list[CorpusStageReport]:
    """Each stage's report, the stages run in order over the store (see the module docstring)."""
    reports: list[CorpusStageReport] = []
    store = db.path if may_fork() else None  # stages run beside others only on a file, where forks may
    for k, stage in enumerate(stages):
        following = stages[k + 1] if k + 1 < len(stages) else None
        if following is not None and following.slow_to_start and store is not None:
            # A stage that will itself run in a forked process (beside a slow starter after it) is
            # only warmed up here, not started early: what starting early makes (a pool and its
            # threads) belongs to this process, and the fork waited for it forever.
            after = stages[k + 2] if k + 2 < len(stages) else None
            early = after is None or not after.slow_to_start
            try:
                report = run_beside(stage, store, new_ids, _starter(following, db, early=early))
            except BaseException:
                following.drop_early()
                raise
            following.stage_before_done(report)
            reports.append(report)
        else:
            reports.append(stage.run(db, new_ids))
    return reports


def _starter(stage: CorpusStage, db: Database, *, early: bool) -> Callable[[], None]:
    def start() -> None:
        stage.warm_up()
        if early:
            stage.start_early(db)

    return start


def run_beside(
    stage: CorpusStage, store: Path, new_ids: Sequence[str], meanwhile: Callable[[], None]
) -> CorpusStageReport:
    """``stage`` run in a forked process on its own connection to ``store`` while this process calls
    ``meanwhile``; its report, or the exception it raised (raised here)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_in_child, args=(stage, store, list(new_ids), send), name=stage.name)
    child.start()
    send.close()
    try:
        meanwhile()
    finally:
        try:
            report, error = receive.recv()
        except EOFError:  # it died (killed, out of memory) before it could answer
            report, error = None, None
        receive.close()
        child.join()
        if report is None and error is None:
            error = CopydeskError(
                f"the {stage.name} stage's process ended without a report (exit code {child.exitcode})"
            )
    if error is not None:
        raise error
    assert isinstance(report, CorpusStageReport)
    return report


def _run_in_child(stage: CorpusStage, store: Path, new_ids: list[str], send: Connection) -> None:
    """The forked process: the stage on a connection of its own (the parent's is left untouched)."""
    outcome: tuple[CorpusStageReport | None, BaseException | None]
    try:
        with Database.open(store) as db:
            outcome = (stage.run(db, new_ids), None)
    except BaseException as exc:  # handed to the parent, which raises it
        outcome = (None, exc)
    try:
        send.send(outcome)
    except Exception as exc:  # an exception that does not pickle: its words, then
        send.send((None, CopydeskError(f"the {stage.name} stage failed: {outcome[1]!r} ({exc})")))
    finally:
        send.close()
