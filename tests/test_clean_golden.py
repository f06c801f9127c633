"""Golden cleaning cases (tests/golden/clean_cases.json, written for copydesk): what must stay and
what must go, with an F1 floor on line decisions, exact spam repairs and metadata fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from copydesk.clean.extract import PageExtractor
from copydesk.clean.stages import text_cleaning_stages
from copydesk.records import Article, RawPage

GOLDEN = Path(__file__).parent / "golden" / "clean_cases.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text("utf-8"))["cases"]
F1_FLOOR = 0.97  # line-level F1 of "must go" decisions over all cases


def clean(text: str) -> Article:
    article = PageExtractor().extract(RawPage("golden", "golden", "text", text))
    for stage in text_cleaning_stages():
        article = stage(article)
    return article


def _present(article: Article, line_start: str) -> bool:
    return any(line.strip().lstrip('"“').startswith(line_start) for line in article.text.split("\n"))


def test_line_decisions_meet_the_f1_floor() -> None:
    true_drop = false_drop = missed_drop = 0
    for case in CASES:
        article = clean(case["text"])
        for line in case["must_drop"]:
            if _present(article, line):
                missed_drop += 1
            else:
                true_drop += 1
        false_drop += sum(1 for line in case["must_keep"] if not _present(article, line))
    precision = true_drop / max(1, true_drop + false_drop)
    recall = true_drop / max(1, true_drop + missed_drop)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    assert f1 >= F1_FLOOR, f"F1 {f1:.3f} (precision {precision:.3f}, recall {recall:.3f})"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_body_line_stays(case: dict[str, Any]) -> None:
    article = clean(case["text"])
    lost = [line for line in case["must_keep"] if not _present(article, line)]
    assert not lost


@pytest.mark.parametrize("case", [c for c in CASES if c.get("spam")], ids=lambda c: c["name"])
def test_spam_is_cut_and_words_rejoined(case: dict[str, Any]) -> None:
    article = clean(case["text"])
    for spam in case["spam"]:
        assert spam["before"] not in article.text
        assert spam["after"] in article.text, spam
    spam_removals = [r for r in article.removals if r.kind == "spam"]
    assert len(spam_removals) == len(case["spam"])
    assert article.signals.spam_injected


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fields(case: dict[str, Any]) -> None:
    article = clean(case["text"])
    wanted = case.get("fields", {})
    if "title" in wanted:
        assert article.title == wanted["title"]
    if "site" in wanted:
        assert article.site == wanted["site"]
    if "published" in wanted:
        assert article.published is not None
        assert article.published.date().isoformat() == wanted["published"]
    if "dateline" in wanted:
        assert article.dateline == wanted["dateline"]
    if "authors" in wanted:
        assert article.authors == wanted["authors"]
    if "credits" in wanted:
        assert article.credits == wanted["credits"]
    if case.get("duplicate_headline"):
        assert [r.kind for r in article.removals].count("duplicate-headline") == 1


def test_a_batch_cleaned_step_by_step_is_cleaned_as_article_by_article() -> None:
    """The pipeline takes the cleaning steps one at a time over a batch; every golden case comes out
    as the stage cleans it alone: text, removals, line prints, metadata."""
    from copydesk.pipeline import DocumentPipeline

    pages = [RawPage(c["name"], c["name"], "text", c["text"]) for c in CASES]
    batched = DocumentPipeline(stages=text_cleaning_stages()).process_many(pages)
    for case, got in zip(CASES, batched, strict=True):
        assert isinstance(got, Article)
        alone = clean(case["text"])
        assert (got.text, got.removals, got.line_prints) == (alone.text, alone.removals, alone.line_prints)
        assert (got.title, got.published, got.authors, got.credits, got.dateline) == (
            alone.title,
            alone.published,
            alone.authors,
            alone.credits,
            alone.dateline,
        )


def test_a_cleaning_step_failing_on_one_article_skips_that_page_alone() -> None:
    from copydesk.clean.lines import Line
    from copydesk.clean.stages import CLEANING_STEPS, TextCleaningStage
    from copydesk.pipeline import DocumentPipeline
    from copydesk.records import SkippedInput

    def failing(article: Article, lines: list[Line], layout: object = None) -> list[Line]:
        if "Second" in article.raw_text:
            raise RuntimeError("simulated bug")
        return list(lines)

    stage = TextCleaningStage([*CLEANING_STEPS[:1], ("failing", failing), *CLEANING_STEPS[1:]])
    texts = ["First report of the council vote.", "Second report of the council vote.", "Third one."]
    pages = [RawPage(f"p{i}", f"p{i}.txt", "text", t) for i, t in enumerate(texts)]
    outcomes = DocumentPipeline(stages=(stage,)).process_many(pages)
    assert [type(o).__name__ for o in outcomes] == ["Article", "SkippedInput", "Article"]
    skipped = outcomes[1]
    assert isinstance(skipped, SkippedInput) and "text-cleaning" in skipped.reason
    assert skipped.source_id == "p1"
