"""Quality floors on the hand-written sets (spaCy NER) and on the labelled seeds (../shared)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copydesk.config import Settings
from copydesk.facts.evaluate import score_figures, score_labelled_story, score_quotes
from copydesk.facts.extract import FactExtractor

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.nlp


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def extractor() -> Iterator[FactExtractor]:
    pytest.importorskip("spacy")
    yield FactExtractor()


def test_quote_set_floors(extractor: FactExtractor) -> None:
    docs = load("quotes_set.jsonl")
    assert sum(len(d["quotes"]) for d in docs) >= 100
    score = score_quotes(extractor, docs)
    assert score.precision >= 0.95, score.misses
    assert score.recall >= 0.90, score.misses
    assert score.accuracy >= 0.90, score.misses  # speaker accuracy on the quotes found


def test_figure_set_floors(extractor: FactExtractor) -> None:
    docs = load("figures_set.jsonl")
    assert sum(len(d["figures"]) for d in docs) >= 100
    score = score_figures(extractor, docs)
    assert score.precision >= 0.95, score.misses
    assert score.recall >= 0.90, score.misses
    assert score.accuracy >= 0.90, score.misses  # qualifier and counted noun right


@pytest.mark.shared
@pytest.mark.slow
def test_seed_stories_match_the_labels(
    shared_dir: Path, extractor: FactExtractor, settings: Settings
) -> None:
    from copydesk import service
    from copydesk.store import articles as article_store

    folder = shared_dir / "corpus" / "seeds"
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    service.ingest([str(p) for p in sorted(folder.glob("*.txt"))], settings, executor="inprocess")
    with service.open_store(settings, readonly=True) as db:
        by_source = {a.source_id: a for a in article_store.iter_articles(db)}
    figures: list[dict[str, Any]] = []
    quotes: list[dict[str, Any]] = []
    variants: list[dict[str, Any]] = []
    for story in labels["stories"].values():
        report = score_labelled_story({d[:3]: by_source[d] for d in story["docs"]}, labels, extractor)
        figures += report["figures"]
        quotes += report["quotes"]
        variants += report["entities"]
        assert report["wrong_merges"] == []
    assert len(figures) == 8 and all(f["ok"] for f in figures), figures
    assert len(quotes) == 6 and all(q["ok"] for q in quotes), quotes
    assert len(variants) == 2 and all(v["merged"] for v in variants), variants  # Rajin..., Dunai...
