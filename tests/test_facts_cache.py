"""Articles' readings kept by the facts stage: read back as they were read, used only under their key."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest

from copydesk.facts import stage as facts_stage
from copydesk.facts.cache import decode_reading, encode_reading, reading_key
from copydesk.facts.extract import FactExtractor, article_facts
from copydesk.facts.stage import FactsStage
from copydesk.records import Article, StoryMember
from copydesk.store import articles as article_store
from copydesk.store import facts as fact_store
from copydesk.store.db import Database
from tests import test_facts_store
from tests.support.fake_nlp import FakeNLP
from tests.test_facts_store import NAMES, TEXTS, Stories, article

store = test_facts_store.store  # the same fixture: a store of test_facts_store's three short articles
DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo_src" / "articles"
DEMO_NAMES = {"Agnes Tulin": "PERSON", "Tulin": "PERSON", "Ostrel": "GPE", "Kellen": "GPE", "Sarvania": "GPE"}


def demo_articles() -> list[Article]:
    texts = sorted(DEMO.glob("*.txt"))[:12] if DEMO.is_dir() else []
    if not texts:
        pytest.skip("examples/demo_src is not present")
    return [
        dataclasses.replace(article("a"), id=path.stem, text=path.read_text(encoding="utf-8"))
        for path in texts
    ]


def test_a_kept_reading_reads_back_as_the_reading() -> None:
    """Names, figures, dates and quotes of the demo's articles: encoded and decoded, the same."""
    extractor = FactExtractor(nlp=FakeNLP({**NAMES, **DEMO_NAMES}))
    articles = demo_articles()
    for a, named in zip(articles, extractor.names(articles), strict=True):
        read = article_facts(a, named, date(2025, 9, 22))
        assert read.figures and read.sentences
        back, spans = decode_reading(a, encode_reading(read, named.spans))
        assert back == read and spans == named.spans


def test_the_key_follows_the_text_the_date_and_the_model() -> None:
    a = article("a")
    key = reading_key(a, None, "m")
    assert reading_key(dataclasses.replace(a), None, "m") == key
    assert reading_key(dataclasses.replace(a, text=a.text + " More."), None, "m") != key
    assert reading_key(dataclasses.replace(a, published=datetime(2025, 3, 13)), None, "m") != key
    assert reading_key(a, None, "other_model") != key
    undated = dataclasses.replace(a, published=None)
    assert reading_key(undated, date(2025, 1, 1), "m") != reading_key(undated, date(2025, 1, 2), "m")


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []

    def counted(a: Article, *rest: object) -> object:
        reads.append(a.id)
        return article_facts(a, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(facts_stage, "article_facts", counted)
    return reads


def test_a_story_that_gains_an_article_reads_only_that_one_and_gets_the_same_facts(
    store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = counting(monkeypatch)
    stories = Stories()
    FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(store, [])
    assert sorted(reads) == ["a", "b"]
    stories.stories[0].members.append(StoryMember("c", "f2", "independent"))
    reads.clear()
    FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(store, ["c"])
    assert reads == ["c"]
    kept_run = fact_store.get_story_facts(store, "s1")

    fresh = Database.memory()
    article_store.put_articles(fresh, [article(k) for k in TEXTS])
    FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(fresh, [])
    assert fact_store.get_story_facts(fresh, "s1") == kept_run
    fresh.close()


def test_a_rewritten_text_is_read_again(store: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = counting(monkeypatch)
    stories = Stories()
    FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(store, [])
    changed = dataclasses.replace(article("b"), text=TEXTS["b"] + " Another 20 boats were counted.")
    store.conn.execute("UPDATE articles SET text = ? WHERE id = 'b'", (changed.text,))
    stories.stories[0].members.append(StoryMember("c", "f2", "independent"))
    reads.clear()
    FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES))).run(store, [])
    assert sorted(reads) == ["b", "c"]
    facts = fact_store.get_story_facts(store, "s1")
    assert any(f.counted == "boat" and f.value == 20 for f in facts.figures)


def test_an_unreadable_kept_reading_leaves_its_article_out_with_a_note(store: Database) -> None:
    stories = Stories()
    stage = FactsStage(stories=stories, extractor=FactExtractor(nlp=FakeNLP(NAMES)))
    stage.run(store, [])
    store.conn.execute("UPDATE article_readings SET reading = ? WHERE article_id = 'b'", (b"not a reading",))
    stories.stories[0].members.append(StoryMember("c", "f2", "independent"))
    report = stage.run(store, ["c"])
    assert any("cannot be read back" in note for note in report.notes)
    assert {f.article_id for f in fact_store.get_story_facts(store, "s1").figures} == {"a"}
    # forgotten: the next change to the story reads the article again
    stories.stories[0].members.pop()
    stage.run(store, [])
    assert {f.article_id for f in fact_store.get_story_facts(store, "s1").figures} == {"a", "b"}
