"""Records pickle through their constructors (cleaned articles come back from the ingest workers so)
and come back equal, the shared text sent once or twice as it needs."""

from __future__ import annotations

import pickle
from datetime import datetime

from copydesk.records import Article, LinePrints, Removal, Signals, StoryPrints


def _article(text: str) -> Article:
    return Article(
        id="a1",
        source_id="s1",
        origin="feed.jsonl:1",
        input_kind="html",
        content_hash="c1",
        raw_text="Harbour pilots walked out. Related Articles",
        text=text,
        site="example.org",
        title="Pilots walk out",
        published=datetime(2024, 3, 5, 9, 30),
        authors=["M. Ostrava"],
        credits=["With files from a wire"],
        removals=[Removal("chrome", "Related Articles", "related-links heading", 27)],
        signals=Signals("trafilatura", True, 1, False),
        metadata={"lang_score": 0.9},
        story_prints=StoryPrints("h1", b"\x00\x01", ("harbour",), ("3",)),
        line_prints=LinePrints("harbour pilots walked out.", ("related articles",)),
    )


def test_articles_come_back_equal_whether_or_not_cleaning_changed_the_text() -> None:
    for text in ("Harbour pilots walked out.", "Harbour pilots walked out. Related Articles"):
        article = _article(text)
        back = pickle.loads(pickle.dumps(article))
        assert back == article and back.text == text
    same = _article("Harbour pilots walked out. Related Articles")
    assert pickle.dumps(same).count(same.text.encode()) == 1  # sent once, not as raw_text and text


def test_nested_records_come_back_equal() -> None:
    for record in (
        Removal("spam", "weed", "injected", 4, "Pyongyang"),
        Signals(),
        StoryPrints("h", b"", (), ()),
        LinePrints("", ()),
    ):
        assert pickle.loads(pickle.dumps(record)) == record
