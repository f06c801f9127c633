"""Scoring fact extraction against hand-labelled sets (tests/data/quotes_*.jsonl, figures_*.jsonl).

A quote counts as found when its words match a labelled quote (same words, or one inside the other with
at least 80% of its length); its speaker is right when the resolved name is the labelled one (the
labelled name may be longer: ``Orvane Shipping Company`` for ``the company``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from copydesk.align.story import StoryArticle, align_story
from copydesk.facts.extract import FactExtractor
from copydesk.facts.text import fold
from copydesk.records import Article


@dataclass(slots=True)
class Score:
    labelled: int = 0
    found: int = 0
    matched: int = 0
    right: int = 0  # matched with the right speaker / qualifier / counted noun
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.labelled if self.labelled else 1.0

    @property
    def accuracy(self) -> float:
        return self.right / self.matched if self.matched else 1.0

    def summary(self) -> dict[str, float]:
        return {
            "labelled": self.labelled,
            "found": self.found,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "accuracy": round(self.accuracy, 3),
        }


def _norm(text: str) -> str:
    return re.sub(r"[^\w' ]+", "", fold(text)).strip()


def same_quote(a: str, b: str) -> bool:
    x, y = _norm(a), _norm(b)
    if x == y:
        return True
    short, long_ = sorted((x, y), key=len)
    return bool(short) and short in long_ and len(short) >= 0.8 * len(long_)


def same_name(predicted: str | None, labelled: str) -> bool:
    if not predicted:
        return False
    p, g = _norm(predicted), _norm(labelled)
    return p == g or g.endswith(" " + p) or p.endswith(" " + g) or (len(p) > 6 and p in g)


def article_of(doc: dict[str, Any]) -> Article:
    published = datetime.fromisoformat(doc["published"]) if doc.get("published") else None
    return Article(
        id=doc["id"], source_id=doc["id"], origin=doc["id"], input_kind="text", content_hash=doc["id"],
        raw_text=doc["text"], text=doc["text"], published=published,
    )  # fmt: skip


def score_quotes(extractor: FactExtractor, docs: Iterable[dict[str, Any]]) -> Score:
    """Direct quotes against the labels: precision, recall and speaker accuracy."""
    score = Score()
    docs = list(docs)
    articles = [article_of(d) for d in docs]
    for doc, article, facts in zip(docs, articles, extractor.extract(articles), strict=True):
        story = align_story(doc["id"], [StoryArticle(article)], {article.id: facts})
        predicted = [q for q in story.quotes if q.kind == "direct"]
        score.labelled += len(doc["quotes"])
        score.found += len(predicted)
        for gold in doc["quotes"]:
            hit = next((q for q in predicted if same_quote(q.text, gold["text"])), None)
            if hit is None:
                score.misses.append(f"{doc['id']}: missed {gold['text']!r}")
                continue
            score.matched += 1
            if same_name(hit.speaker, gold["speaker"]):
                score.right += 1
            else:
                score.misses.append(f"{doc['id']}: speaker {hit.speaker!r} for {gold['speaker']!r}")
        for q in predicted:
            if not any(same_quote(q.text, g["text"]) for g in doc["quotes"]):
                score.misses.append(f"{doc['id']}: extra {q.text!r}")
    return score


def score_figures(extractor: FactExtractor, docs: Iterable[dict[str, Any]]) -> Score:
    """Number figures against the labels: a figure matches on value and unit; it is right when its
    qualifier and counted noun are the labelled ones too."""
    score = Score()
    docs = list(docs)
    articles = [article_of(d) for d in docs]
    for doc, facts in zip(docs, extractor.extract(articles), strict=True):
        predicted = [f for f in facts.figures if f.kind == "number"]
        score.labelled += len(doc["figures"])
        score.found += len(predicted)
        used: set[str] = set()
        for gold in doc["figures"]:
            hit = next(
                (
                    f
                    for f in predicted
                    if f.id not in used
                    and f.value is not None
                    and abs(f.value - gold["value"]) <= 0.01 * max(abs(gold["value"]), 1)
                    and f.unit == gold.get("unit")
                ),
                None,
            )
            if hit is None:
                score.misses.append(f"{doc['id']}: missed {gold}")
                continue
            used.add(hit.id)
            score.matched += 1
            if hit.qualifier == gold.get("qualifier") and hit.counted == gold.get("counted"):
                score.right += 1
            else:
                score.misses.append(
                    f"{doc['id']}: {hit.text!r} -> {hit.qualifier}/{hit.counted}, "
                    f"labelled {gold.get('qualifier')}/{gold.get('counted')}"
                )
        for f in predicted:
            if f.id not in used:
                score.misses.append(f"{doc['id']}: extra {f.text!r}")
    return score
