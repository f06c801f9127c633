"""The demo corpus in examples/: its labels hold, and every article in it is ingested once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from copydesk import service
from copydesk.config import Settings
from copydesk.store import articles as store
from copydesk.store.db import Database

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"


def test_labels_match_the_files() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "check_labels.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_labelled_article_is_ingested(settings: Settings) -> None:
    labels = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
    report = service.ingest([str(DEMO)], settings)
    assert not report.skipped, report.skipped
    with Database.open(settings.db, readonly=True) as db:
        ids = {a.source_id for a in store.iter_articles(db)}
    assert ids == set(labels["docs"])
    suffixes = {"".join(Path(p).suffixes) for p in DEMO.rglob("*") if p.is_file() and p.name != "labels.json"}
    assert suffixes == {".txt", ".html", ".html.gz", ".warc.gz", ".jsonl", ".parquet"}


def test_demo_stories_follow_the_labels(settings: Settings) -> None:
    """No story mixes two labelled events (the two earthquakes on one topic stay apart), and all but
    one labelled event are a single story (the tram vote report still stands apart)."""
    from copydesk.store import stories as story_store
    from copydesk.stories.stage import StoryStage

    labels = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
    service.ingest([str(DEMO)], settings)
    with Database.open(settings.db) as db:
        StoryStage().run(db, [])
        by_source = {a.source_id: a.id for a in store.iter_articles(db)}
        story_of = story_store.story_ids_of(db, list(by_source.values()))
    found = {
        event: {story_of[by_source[doc]] for doc in label["docs"]}
        for event, label in labels["stories"].items()
    }
    events_of: dict[str, set[str]] = {}
    for event, stories in found.items():
        for story in stories:
            events_of.setdefault(story, set()).add(event)
    assert all(len(events) == 1 for events in events_of.values()), events_of
    assert sum(len(stories) == 1 for stories in found.values()) >= len(found) - 1, found
