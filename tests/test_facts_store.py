"""The facts stage over the store: per story, only when membership changed; exports and CLI read it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

import pytest

from copydesk import exports
from copydesk.config import Settings
from copydesk.facts.extract import FactExtractor
from copydesk.facts.stage import FactsStage, facts_for_stories
from copydesk.records import Article, Story, StoryMember
from copydesk.store import articles as article_store
from copydesk.store import facts as fact_store
from copydesk.store.db import Database
from tests.support.fake_nlp import FakeDoc, FakeNLP

NAMES = {"Ada Voss": "PERSON", "Voss": "PERSON", "Marrow": "GPE", "Harbour Board": "ORG"}
TEXTS = {
    "a": "Mayor Ada Voss said on Tuesday that more than 400 homes in Marrow were destroyed.\n"
    "“We will rebuild every street,” Voss said.",
    "b": "More than 400 homes in Marrow were destroyed, Mayor Ada Voss said on Tuesday.\n"
    "“We shall rebuild each street,” Voss said. The Harbour Board counted 12 boats lost.",
    "c": "A fire in Marrow destroyed a barn.",
}


def article(key: str) -> Article:
    text = TEXTS[key]
    return Article(
        id=key,
        source_id=f"src-{key}",
        origin=key,
        input_kind="text",
        content_hash=key,
        raw_text=text,
        text=text,
        published=datetime(2025, 3, 12),
    )


class Stories:
    """A story source standing in for the stories stage's tables."""

    def __init__(self) -> None:
        self.stories = [
            Story(
                "s1",
                "Marrow storm",
                None,
                [StoryMember("a", "f1", "original"), StoryMember("b", "f1", "rewrite")],
            )
        ]

    def __call__(self, db: Database) -> Iterator[Story]:
        return iter(self.stories)


@pytest.fixture
def store() -> Iterator[Database]:
    db = Database.memory()
    article_store.put_articles(db, [article(k) for k in TEXTS])
    yield db
    db.close()


def test_stage_computes_facts_per_story_and_skips_unchanged_stories(store: Database) -> None:
    nlp = FakeNLP(NAMES)
    stories = Stories()
    stage = FactsStage(stories=stories, extractor=FactExtractor(nlp=nlp))
    assert stage.run(store, ["a", "b"]).changed == 1
    facts = fact_store.get_story_facts(store, "s1")
    homes = [f for f in facts.figures if f.counted == "home"]
    assert len(homes) == 2 and facts.figure_groups[homes[0].id] == facts.figure_groups[homes[1].id]
    assert facts.group(facts.figure_groups[homes[0].id]).status == "agree"
    assert [r.article_id for r in facts.rewrites] == ["b"]
    assert stage.run(store, []).changed == 0  # same members, same relations: nothing to redo
    stories.stories[0].members.append(StoryMember("c", "f2", "independent"))
    assert stage.run(store, ["c"]).changed == 1
    stories.stories = []
    report = stage.run(store, [])
    assert report.changed == 0 and "dropped" in report.notes[0]
    assert fact_store.stored_keys(store) == {}


def test_export_rows_follow_the_contract(store: Database) -> None:
    FactsStage(stories=Stories(), extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(store, [])
    figures = list(exports.exporter("figures").rows(store))
    assert set(exports.FIGURE_FIELDS) == set(figures[0])
    row = next(r for r in figures if r["counted"] == "home")
    assert (row["story_id"], row["value"], row["qualifier"], row["status"]) == (
        "s1",
        400,
        "more than",
        "agree",
    )
    assert row["source_id"] in ("src-a", "src-b") and row["text"] == "more than 400 homes"
    quotes = [r for r in exports.exporter("quotes").rows(store) if r["kind"] == "direct"]
    assert {r["speaker"] for r in quotes} == {"Ada Voss"} and len({r["group_id"] for r in quotes}) == 1
    entities = list(exports.exporter("entities").rows(store))
    voss = next(r for r in entities if r["canonical"] == "Ada Voss")
    assert set(voss["surface_forms"]) == {"Ada Voss", "Voss"} and voss["article_ids"] == ["a", "b"]


def test_cli_facts_command(settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from copydesk.cli.app import app

    with Database.open(settings.db) as db:
        article_store.put_articles(db, [article(k) for k in TEXTS])
        FactsStage(stories=Stories(), extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(db, [])
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(settings.db), "facts", "s1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {g["status"] for g in data["groups"] if g["kind"] == "figure"} >= {"agree"}
    result = runner.invoke(app, ["--db", str(settings.db), "facts", "s1"])
    assert result.exit_code == 0 and "Ada Voss" in result.output and "more than 400 homes" in result.output
    missing = runner.invoke(app, ["--db", str(settings.db), "facts", "nope"])
    assert missing.exit_code != 0


def test_cli_facts_rows_drift_by_row_and_large_groups_merged(settings: Settings) -> None:
    """Each quote row shows its own drift (the group's list skips quotes without drift, so reading it by
    position showed a later quote's drift on an identical one), and a group of more than 12 sources
    prints one row per value with the rest counted."""
    from typer.testing import CliRunner

    from copydesk.align.story import StoryFacts
    from copydesk.cli.app import app
    from copydesk.records import FactGroup, Figure, Quote

    sources = [f"n{k:02d}" for k in range(30)]
    quotes = [
        Quote("a/q", "a", "direct", "We will rebuild every street", "s", 0, "Ada Voss"),
        Quote("b/q", "b", "direct", "We will rebuild every street", "s", 0, "Ada Voss"),
        Quote("c/q", "c", "direct", "We will rebuild every single street", "s", 0, "Ada Voss"),
    ]
    figures = [Figure(f"{a}/f", a, "number", "400 homes", "s", 0, 400.0) for a in sources]
    groups = [
        FactGroup("s9/q0", "s9", "quote", "drift", [q.id for q in quotes], "Ada Voss", drift=["+single"]),
        FactGroup("s9/g0", "s9", "figure", "agree", [f.id for f in figures], "home"),
    ]
    facts = StoryFacts(
        "s9",
        figures=figures,
        quotes=quotes,
        groups=groups,
        figure_groups={f.id: "s9/g0" for f in figures},
        quote_groups={q.id: "s9/q0" for q in quotes},
    )
    with Database.open(settings.db) as db:
        fact_store.put_story_facts(db, facts, "key")
    result = CliRunner().invoke(app, ["--db", str(settings.db), "facts", "s9"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "rebuild" in line]
    assert ["+single" in row for row in rows] == [False, False, True]
    assert result.output.count("400 homes") == 1 and "n00 and 29 more" in result.output


class BrokenNLP(FakeNLP):
    """Fails on any text that mentions Marrow, as a library bug on one odd article would."""

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[FakeDoc]:
        texts = list(texts)
        if any("Marrow" in t for t in texts):
            raise RuntimeError("model crashed")
        return super().pipe(texts, batch_size)


def test_a_failing_article_is_skipped_with_a_note_not_a_crash(store: Database) -> None:
    stories = Stories()
    stories.stories.append(Story("s2", "barn", None, [StoryMember("c", "f3", "original")]))
    report = FactsStage(stories=stories, extractor=FactExtractor(nlp=BrokenNLP(NAMES))).run(store, [])
    assert any("fact extraction failed" in note for note in report.notes)
    assert set(fact_store.stored_keys(store)) == {"s1", "s2"}  # stories still get what could be read


@pytest.mark.nlp
@pytest.mark.slow
def test_copydesk_run_computes_facts_for_every_story(settings: Settings) -> None:
    from copydesk import service

    demo = Path(__file__).resolve().parent.parent / "examples" / "demo" / "txt"
    if not demo.is_dir():
        pytest.skip("examples/demo is not present")
    report = service.run([str(demo)], settings, executor="inprocess")
    assert any(stage.stage == "facts" for stage in report.stages)
    with Database.open(settings.db) as db:
        stories = db.query("SELECT COUNT(*) FROM stories WHERE merged_into IS NULL")[0][0]
        assert stories > 0
        assert len(fact_store.stored_keys(db)) == stories
        assert list(exports.exporter("figures").rows(db)) and list(exports.exporter("entities").rows(db))
    again = service.run([str(demo)], settings, executor="inprocess")
    assert next(s for s in again.stages if s.stage == "facts").changed == 0  # nothing changed, nothing redone


@pytest.mark.nlp
@pytest.mark.slow
@pytest.mark.parametrize("in_thread", [False, True], ids=["forked-helper", "spawned-helper-off-main-thread"])
def test_worker_processes_give_the_same_facts(
    store: Database, monkeypatch: pytest.MonkeyPatch, in_thread: bool
) -> None:
    from copydesk.facts import stage as stage_module

    monkeypatch.setattr(stage_module, "PARALLEL_MIN", 1)
    monkeypatch.setattr(stage_module, "ARTICLES_PER_BATCH", 1)  # three batches: helper and this process
    stories = Stories()
    stories.stories += [
        Story("s2", "barn", None, [StoryMember("c", "f3", "original")]),
        Story("s3", "again", None, [StoryMember("b", "f1", "original"), StoryMember("c", "f3", "rewrite")]),
    ]
    serial = Database.memory()
    article_store.put_articles(serial, [article(k) for k in TEXTS])
    FactsStage(stories=stories).run(serial, [])
    helped = FactsStage(stories=stories, workers=2)
    if in_thread:  # a server runs stages in worker threads: helpers are spawned there, not forked
        with ThreadPoolExecutor(1) as threads:
            changed = threads.submit(helped.run, store, []).result().changed
    else:
        changed = helped.run(store, []).changed
    assert changed == 3
    for story_id in ("s1", "s2", "s3"):  # names are tagged in the same order: the very same facts
        assert fact_store.get_story_facts(serial, story_id) == fact_store.get_story_facts(store, story_id)


class DyingPool:
    """A helper pool whose process dies at once: every batch handed to it comes back broken."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.submitted = 0

    def __enter__(self) -> DyingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: object, *args: object) -> Future[object]:
        self.submitted += 1
        future: Future[object] = Future()
        future.set_exception(BrokenProcessPool("helper killed"))
        return future


def test_a_dead_helper_s_batches_are_finished_here(store: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from copydesk.facts import stage as stage_module

    monkeypatch.setattr(stage_module, "PARALLEL_MIN", 1)
    monkeypatch.setattr(stage_module, "ARTICLES_PER_BATCH", 1)
    monkeypatch.setattr(stage_module, "ProcessPoolExecutor", DyingPool)
    stories = Stories()
    stories.stories.append(Story("s2", "barn", None, [StoryMember("c", "f3", "original")]))
    serial = Database.memory()
    article_store.put_articles(serial, [article(k) for k in TEXTS])
    FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(serial, [])
    helped = FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES)), workers=2)
    report = helped.run(store, [])
    assert report.changed == 2 and any("helper process died" in note for note in report.notes)
    for story_id in ("s1", "s2"):
        assert fact_store.get_story_facts(serial, story_id) == fact_store.get_story_facts(store, story_id)


def test_a_copy_is_read_once_and_gets_the_facts_reading_it_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Articles with one text and one reference date are read once: the copies' facts (ids moved to
    theirs) are what reading each gives; a copy of another date is read again (its "Tuesday" differs)."""
    from dataclasses import replace

    from copydesk.align.story import StoryArticle
    from copydesk.facts import stage as facts_stage
    from copydesk.facts.extract import article_facts

    text = TEXTS["b"] + " On Monday 40 more boats were counted."
    first = replace(article("b"), id="b1", text=text)
    copy = replace(first, id="b2")
    later = replace(first, id="b3", published=datetime(2025, 4, 2))
    members = [StoryArticle(a, "exact-copy", "f") for a in (first, copy, later)]
    named = dict(
        zip(("b1", "b2", "b3"), FactExtractor(nlp=FakeNLP(NAMES)).names([first, copy, later]), strict=True)
    )
    reads: list[str] = []

    def counted(a: Article, *rest: object) -> object:
        reads.append(a.id)
        return article_facts(a, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(facts_stage, "article_facts", counted)
    finished = facts_stage.finish_stories([("s", members, None)], named)
    [story], notes = finished.facts, finished.notes
    assert reads == ["b1", "b3"] and not notes
    alone = {a.id: article_facts(a, named[a.id], None) for a in (first, copy, later)}
    assert [f for f in story.figures if f.article_id == "b2"] == alone["b2"].figures
    aligned = [replace(q, speaker=None) for q in story.quotes if q.article_id == "b2"]
    assert aligned == [replace(q, speaker=None) for q in alone["b2"].quotes]  # speakers merged by the story
    assert {f.when for f in alone["b3"].figures} != {f.when for f in alone["b1"].figures}


def test_a_snapshot_reads_one_state_while_another_connection_writes(tmp_path: Path) -> None:
    """A facts page's count and rows are read in one snapshot: rows a run writes meanwhile (it
    deletes and rewrites a story's facts) are seen only after it."""
    path = tmp_path / "s.db"
    with Database.open(path) as writer, writer.atomic() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    with Database.open(path, readonly=True) as reader, Database.open(path) as writer:
        with reader.snapshot():
            before = reader.query("SELECT COUNT(*) FROM t")[0][0]
            with writer.atomic() as conn:
                conn.execute("INSERT INTO t VALUES (2)")
            with reader.snapshot():  # nested: the same snapshot
                assert reader.query("SELECT COUNT(*) FROM t")[0][0] == before == 1
        assert reader.query("SELECT COUNT(*) FROM t")[0][0] == 2


def test_stored_facts_read_back_as_they_were_written(store: Database) -> None:
    """The figures and quotes are read back by column position into their records: a column out of
    step with a record's fields would come back in the wrong field."""
    stories = Stories()
    stage = FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES)))
    work = stage._prepared(store, [(stories.stories[0], "key")])
    [written] = facts_for_stories(stage.extractor, work.jobs).facts
    assert written.figures and written.quotes
    fact_store.put_story_facts(store, written, "key")
    read = fact_store.get_story_facts(store, "s1")
    assert (read.figures, read.quotes) == (written.figures, written.quotes)
    assert (read.figure_groups, read.quote_groups) == (written.figure_groups, written.quote_groups)
