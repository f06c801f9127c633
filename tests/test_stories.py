"""Stories: event clustering, topics, incremental placement, provenance, CLI and export."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from copydesk import service
from copydesk.cli.app import main
from copydesk.config import Settings
from copydesk.pipeline import CorpusStageReport
from copydesk.records import Article
from copydesk.store import articles as article_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories import chunk_prep
from copydesk.stories.cluster import StoryConfig, StoryDesk
from copydesk.stories.features import Lexicon, build_features
from copydesk.stories.stage import StoryStage
from copydesk.stories.synthetic import generate_corpus

QUAKE_A = (
    "Quake kills 31 in Veldoria",
    "A magnitude 6.4 earthquake struck the Veldoria region on Monday, killing 31 people. "
    "Rescuers in Korvana pulled survivors from the rubble, governor Anselm Tarrow said. "
    "The tremor was felt 200 kilometres away in the capital.",
)
QUAKE_A2 = (
    "Veldoria earthquake death toll rises",
    "The death toll from Monday's 6.4 earthquake in Veldoria rose to 31, governor Anselm Tarrow said. "
    "Rescue teams in Korvana worked through the night. Aftershocks shook the region.",
)
QUAKE_B = (
    "Earthquake hits Ostramar coast",
    "A magnitude 5.1 earthquake hit the Ostramar coast on Friday, damaging 80 homes in Lissen. "
    "Mayor Brigid Okonkwo said no one was killed. The quake was shallow, seismologists said.",
)
BUDGET = (
    "Parliament passes farm budget",
    "Lawmakers in Tessaly approved a farm budget of 2.3 billion on Wednesday after a long debate. "
    "Agriculture minister Paulo Venn said subsidies for dairy farmers would rise next year.",
)


def _article(key: str, title: str, text: str, published: datetime | None = None, **extra: object) -> Article:
    return Article(
        id=key,
        source_id=key,
        origin=f"{key}.txt",
        input_kind="text",
        content_hash=key,
        raw_text=text,
        text=text,
        title=title,
        published=published,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def test_features_see_names_and_figures(lexicon: Lexicon) -> None:
    feats = build_features(QUAKE_A[0], QUAKE_A[1], lexicon)
    assert "veldoria" in feats.names and "tarrow" in feats.names
    assert "monday" not in feats.names and "6.4" in feats.numbers
    assert abs(float(np.linalg.norm(feats.vector)) - 1.0) < 1e-5


def test_same_event_one_story_other_event_of_same_kind_related(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "s.db")
    day = datetime(2025, 3, 3)
    article_store.put_articles(
        db,
        [
            _article("a1", *QUAKE_A, published=day),
            _article("a2", *QUAKE_A2, published=day),
            _article("b1", *QUAKE_B, published=datetime(2025, 7, 4)),
            _article("c1", *BUDGET, published=day),
        ],
    )
    StoryStage().run(db, [])
    story = {r[0]: r[1] for r in db.query("SELECT article_id, story_id FROM story_members")}
    assert story["a1"] == story["a2"]
    assert len({story["a1"], story["b1"], story["c1"]}) == 3
    topic = {r[0]: r[1] for r in db.query("SELECT id, topic_id FROM stories")}
    assert topic[story["c1"]] != topic[story["a1"]]


def test_incremental_join_keeps_ids_and_counts_independent_sources(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "s.db")
    day = datetime(2025, 3, 3)
    article_store.put_articles(db, [_article("a1", *QUAKE_A, published=day), _article("c1", *BUDGET)])
    StoryStage().run(db, [])
    before = {r[0]: r[1] for r in db.query("SELECT article_id, story_id FROM story_members")}
    copy = _article("a1-copy", QUAKE_A[0], QUAKE_A[1].replace("said", "said.") + " ", published=day)
    article_store.put_articles(db, [_article("a2", *QUAKE_A2, published=day), copy])
    StoryStage().run(db, [])
    after = {r[0]: r[1] for r in db.query("SELECT article_id, story_id FROM story_members")}
    assert {k: after[k] for k in before} == before
    assert after["a2"] == after["a1"] == after["a1-copy"]
    row = db.query("SELECT size, independent_sources FROM stories WHERE id = ?", (after["a1"],))[0]
    assert row["size"] == 3 and row["independent_sources"] == 2
    relation = {r[0]: r[1] for r in db.query("SELECT article_id, relation FROM story_members")}
    assert relation["a1-copy"] == "exact-copy" and relation["a1"] == "original"


def test_window_keeps_far_apart_events_apart(lexicon: Lexicon) -> None:
    desk = StoryDesk(StoryConfig(window_days=3))
    vec = build_features(*QUAKE_A, lexicon).combined
    first = desk.assign(["x"], vec[None, :], [datetime(2025, 1, 1)])
    later = desk.assign(["y"], vec[None, :], [datetime(2025, 6, 1)])
    again = desk.assign(["z"], vec[None, :], [datetime(2025, 1, 2)])
    assert first[0].story_id != later[0].story_id
    assert again[0].story_id == first[0].story_id


def test_generated_corpus_events_cluster(lexicon: Lexicon) -> None:
    corpus = generate_corpus(30, seed=11)
    vectors = np.stack([build_features(a.title, a.text, lexicon).combined for a in corpus])
    desk = StoryDesk()
    placed = desk.assign([a.source_id for a in corpus], vectors, [a.published for a in corpus])
    by_event: dict[str, set[str]] = {}
    for article, where in zip(corpus, placed, strict=True):
        by_event.setdefault(article.event, set()).add(where.story_id)
    split = sum(len(s) - 1 for s in by_event.values())
    stories = {p.story_id for p in placed}
    assert split <= 2 and len(stories) >= 28


def _settings(tmp_path: Path) -> Settings:
    from copydesk.config import load_settings

    return load_settings({"db": tmp_path / "c.db", "workers": 1}, environ={})


def test_cli_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for key, (title, text) in {"a1": QUAKE_A, "a2": QUAKE_A2, "c1": BUDGET}.items():
        (tmp_path / f"{key}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    settings = _settings(tmp_path)
    service.run([str(tmp_path / "a1.txt"), str(tmp_path / "a2.txt"), str(tmp_path / "c1.txt")], settings)
    total, rows = service.list_stories(settings)
    assert total == 2 and rows[0]["articles"] == 2
    db = ["--db", str(tmp_path / "c.db")]
    with pytest.raises(SystemExit) as done:
        main([*db, "export", "--what", "stories"])
    assert done.value.code in (0, None)
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    quake = next(r for r in lines if r["articles"] == 2)
    for key in ("id", "title", "topic_id", "article_ids", "first_seen", "last_seen", "independent_sources"):
        assert key in quake
    assert sorted(quake["article_ids"]) == ["a1", "a2"]
    assert {m["relation"] for m in quake["members"]} <= {"independent", "original", "rewrite", "near-copy"}
    assert all(m["copy_family"] for m in quake["members"])
    with pytest.raises(SystemExit) as done:
        main([*db, "story", quake["id"], "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == quake["id"]
    with pytest.raises(SystemExit) as done:
        main([*db, "story", "nope"])
    assert done.value.code == 2


@pytest.mark.shared
def test_seed_articles_form_two_related_stories(shared_dir: Path, tmp_path: Path) -> None:
    seeds = shared_dir / "corpus" / "seeds"
    labels = json.loads((seeds / "labels.json").read_text(encoding="utf-8"))
    settings = _settings(tmp_path)
    service.run(sorted(str(p) for p in seeds.glob("*.txt")), settings)
    with Database.open(settings.db) as db:
        rows = db.query(
            "SELECT a.source_id, m.story_id, s.topic_id FROM story_members m "
            "JOIN articles a ON a.id = m.article_id JOIN stories s ON s.id = m.story_id"
        )
    story = {r[0]: r[1] for r in rows}
    topic = {r[0]: r[2] for r in rows}
    groups = [v["docs"] for v in labels["stories"].values()]
    for docs in groups:
        assert len({story[d] for d in docs}) == 1
    assert story[groups[0][0]] != story[groups[1][0]]
    assert topic[groups[0][0]] == topic[groups[1][0]]


@pytest.mark.slow
def test_demo_corpus_stories(tmp_path: Path) -> None:
    """The demo corpus (examples/demo, all input formats): labelled stories kept apart, same-topic
    earthquakes linked, wire copies called as copies, and a story-level B-cubed floor."""
    demo = Path(__file__).resolve().parent.parent / "examples" / "demo"
    if not (demo / "labels.json").is_file():
        pytest.skip("examples/demo is not present")
    labels = json.loads((demo / "labels.json").read_text(encoding="utf-8"))
    settings = _settings(tmp_path)
    service.run(
        [str(demo / d) for d in ("txt", "html", "jsonl", "parquet", "warc") if (demo / d).is_dir()], settings
    )
    with Database.open(settings.db) as db:
        rows = db.query(
            "SELECT a.source_id, m.story_id, s.topic_id, m.relation FROM story_members m "
            "JOIN articles a ON a.id = m.article_id JOIN stories s ON s.id = m.story_id"
        )
    story = {r[0]: r[1] for r in rows}
    topic = {r[0]: r[2] for r in rows}
    relation = {r[0]: r[3] for r in rows}
    gold = {d: name for name, s in labels["stories"].items() for d in s["docs"] if d in story}
    from collections import Counter

    majority = {
        name: Counter(story[d] for d in gold if gold[d] == name).most_common(1)[0][0]
        for name in labels["stories"]
    }
    assert len(set(majority.values())) == len(majority)  # no two labelled stories merged
    right = sum(1 for d, name in gold.items() if story[d] == majority[name])
    assert right / len(gold) >= 0.9
    quakes = labels["topics"]["tesk-valley-earthquakes"]["stories"]
    assert len({topic[next(d for d in gold if gold[d] == q)] for q in quakes}) == 1
    copies = [
        (doc, rel)
        for fam in labels.get("families", {}).values()
        for doc, rel in fam["members"].items()
        if rel in ("exact-copy", "near-copy") and doc in relation
    ]
    called = sum(1 for doc, _ in copies if relation[doc] in ("exact-copy", "near-copy", "original"))
    assert not copies or called / len(copies) >= 0.8


def test_split_is_recorded_and_keeps_the_old_id(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    day = datetime(2025, 3, 3)
    with Database.open(settings.db) as db:
        article_store.put_articles(
            db, [_article("a1", *QUAKE_A, published=day), _article("a2", *QUAKE_A2, published=day)]
        )
        StoryStage().run(db, [])
        old = db.query("SELECT story_id FROM story_members WHERE article_id = 'a1'")[0][0]
    new = service.split_story(settings, old, ["a2"])
    shown = service.get_story(settings, old)
    assert shown["article_ids"] == ["a1"] and new != old
    assert any(e["kind"] == "split" and e["other_id"] == new for e in shown["log"])
    assert service.get_story(settings, new)["article_ids"] == ["a2"]


def test_a_story_state_is_written_again_only_once_it_changes(
    lexicon: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stage keeps what it last stored of each story; rows that have not changed since are not
    written again (a run used to rewrite every story it touched at its end)."""
    from copydesk.store import stories as story_store
    from copydesk.stories.stage import save_desk

    db = Database.memory()
    desk = StoryDesk(StoryConfig())
    when = datetime(2024, 3, 1, 9)
    text = "Flood waters rose in Harlow on Monday as the river Stour broke its banks, officials said."
    vector = build_features("Flood in Harlow", text, lexicon, published=when).combined
    opened = desk.assign(["a1"], vector[None, :], [when])[0]
    desk.link_topics([opened.story_id])
    written: list[int] = []
    real_save = story_store.save_story_states

    def counting_save(db: Database, rows: list[story_store.StoredStory]) -> None:
        written.append(len(rows))
        real_save(db, rows)

    monkeypatch.setattr(story_store, "save_story_states", counting_save)
    saved: dict = {}
    save_desk(db, desk, {opened.story_id}, saved)
    save_desk(db, desk, {opened.story_id}, saved)
    desk.join(desk.stories[opened.story_id], vector, when)
    save_desk(db, desk, {opened.story_id}, saved)
    assert written == [1, 1]  # the second call had nothing to write
    assert db.query("SELECT size FROM stories")[0][0] == 2


@pytest.mark.parametrize("told", [False, True])
@pytest.mark.parametrize("changed_at", [3, 250])
def test_chunks_prepared_early_are_kept_only_while_their_articles_read_the_same(
    tmp_path: Path, changed_at: int, told: bool
) -> None:
    """``start_early`` prepares the first chunk here and the next ones in the forked helper while
    the stage before runs; ``run`` keeps each where none of its articles changed since, and
    otherwise prepares it again: stories, members and families come out as a run without it gives,
    whether the change falls in the first chunk or in one the helper made, and whether the stage
    before said which articles it rewrote (then no text is read again) or not."""
    import dataclasses
    import shutil

    corpus = generate_corpus(160, seed=3, reports=(2, 3), copies=(1, 2))
    articles = [_article(a.source_id, a.title, a.text, a.published) for a in corpus]
    assert len(articles) >= 600  # enough for the forked helper's path, and a third chunk of 200
    origin = tmp_path / "origin.db"
    with Database.open(origin) as db:
        article_store.put_articles(db, articles)
        pending = story_store.unplaced_article_ids(db)
    # another event's report in its place: it must land elsewhere
    target = next(a for a in articles if a.id == pending[changed_at])
    changed = dataclasses.replace(target, title=articles[-1].title, text=articles[-1].text)
    taken_again: list[int] = []
    checked = chunk_prep.ChunkPreparer._checked

    def counted(preparer: chunk_prep.ChunkPreparer, k: int, chunk: Any) -> Any:
        kept = checked(preparer, k, chunk)
        if chunk is not None and kept is None:
            taken_again.append(k)
        return kept

    def outcome(early: bool, change: bool) -> list[tuple[str, ...]]:
        path = tmp_path / f"run-{early}-{change}.db"
        shutil.copy(origin, path)
        with Database.open(path) as db:
            stage = StoryStage(workers=2, batch=200)
            stage.warm_up()
            if early:
                stage.start_early(db)
                assert stage._early is not None
                for made, _ in stage._early[1]._sent.values():
                    made.result()  # the helper's chunks read before the change (not after it)
            if change:  # what the recurring pass may do meanwhile
                article_store.update_articles(db, [changed])
            if told:
                stage.stage_before_done(CorpusStageReport("before", rewritten=[changed.id] if change else []))
            stage.run(db, [])
            rows = db.query(
                "SELECT article_id, story_id, copy_family, relation FROM story_members ORDER BY article_id"
            )
            return [tuple(r) for r in rows]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chunk_prep.ChunkPreparer, "_checked", counted)
        assert outcome(early=True, change=False) == outcome(early=False, change=False)
        assert taken_again == []
        assert outcome(early=True, change=True) == outcome(early=False, change=True)
        assert taken_again == [changed_at // 200]  # only the chunk holding the change, made again
    assert outcome(early=True, change=True) != outcome(early=False, change=False)
