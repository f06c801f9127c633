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
from copydesk.records import Article, Figure, Quote


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


def _clean_label(value: str) -> str:
    return _norm(re.sub(r"\([^)]*\)", "", value))


def _label_match(label: str, text: str) -> bool:
    a, b = _clean_label(label), _norm(text)
    return bool(a and b) and (a in b or b in a or (len(a) > 40 and a[:40] in b))


def score_labelled_story(
    articles: dict[str, Article], labels: dict[str, Any], extractor: FactExtractor
) -> dict[str, Any]:
    """Compare a story's corroboration with hand labels in the shape of ``seeds/labels.json``.

    ``articles`` maps the labels' short document keys (``"000"``) to articles of one story.
    """
    from copydesk.align.story import StoryFacts

    keys = list(articles)
    dates = [a.published.date() for a in articles.values() if a.published]
    extracted = extractor.extract([articles[k] for k in keys], fallback_date=min(dates, default=None))
    story: StoryFacts = align_story(
        "labelled", [StoryArticle(articles[k]) for k in keys], {f.article_id: f for f in extracted}
    )
    by_key = {articles[k].id: k for k in keys}
    report: dict[str, Any] = {"figures": [], "quotes": [], "entities": []}
    for fact in labels.get("facts", []):
        values = {
            k: v
            for k, v in fact["values"].items()
            if k in articles
            and re.search(
                r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|thousand|million)\b|first of", v
            )
        }
        if not values:
            continue
        found: dict[str, Figure] = {}
        for key, value in values.items():
            hits = [f for f in story.figures if by_key[f.article_id] == key and _label_match(value, f.text)]
            if hits:
                found[key] = max(hits, key=lambda f: len(f.text))
        groups = {story.figure_groups[f.id] for f in found.values()}
        status = story.group(next(iter(groups))).status if len(groups) == 1 else None
        wanted = fact["status"].split(":")[0].split(";")[0].strip().replace("single source", "single-source")
        report["figures"].append({
            "id": fact["id"], "found": len(found), "labelled": len(values), "grouped": len(groups) == 1,
            "status": status, "labelled_status": wanted,
            "ok": len(found) == len(values) and len(groups) == 1 and status == wanted,
            "texts": {k: f.text for k, f in found.items()},
            "related": story.group(next(iter(groups))).related if len(groups) == 1 else [],
        })  # fmt: skip
    for n, labelled in enumerate(labels.get("quotes", [])):
        variants = {k: v for k, v in labelled["variants"].items() if k in articles}
        if not variants:
            continue
        speakers = [s.strip() for s in labelled["speaker"].split("/")]
        found_q: dict[str, Quote] = {}
        for key, text in variants.items():
            quote_hits = [
                q for q in story.quotes if by_key[q.article_id] == key and _label_match(text, q.text)
            ]
            if quote_hits:
                found_q[key] = quote_hits[0]
        groups = {story.quote_groups[q.id] for q in found_q.values()}
        right = [q for q in found_q.values() if any(same_name(q.speaker, s) or same_name(s, q.speaker or "")
                                                     for s in speakers)]  # fmt: skip
        report["quotes"].append({
            "group": n, "speaker": labelled["speaker"], "found": len(found_q), "labelled": len(variants),
            "grouped": len(groups) == 1, "right_speaker": len(right),
            "ok": len(found_q) == len(variants) and len(groups) == 1 and len(right) == len(found_q),
            "speakers": {k: q.speaker for k, q in found_q.items()},
        })  # fmt: skip
    surfaces = [{fold(s) for s in e.surface_forms} for e in story.entities]
    label_groups = [{fold(s) for s in v["surface"]} for v in labels.get("entity_variants", [])]
    for variant in labels.get("entity_variants", []):
        if "docs" not in variant or not set(variant["docs"]) & set(keys):
            continue
        wanted_forms = {fold(s) for s in variant["surface"]}
        holders = [i for i, forms in enumerate(surfaces) if forms & wanted_forms]
        merged = len(holders) == 1 and wanted_forms <= surfaces[holders[0]]
        report["entities"].append(
            {
                "canonical": variant["canonical"],
                "merged": merged,
                "entities": [sorted(surfaces[i]) for i in holders],
            }
        )
    wrong = [
        sorted(forms) for forms in surfaces
        if sum(1 for group in label_groups if forms & group) > 1
    ]  # fmt: skip
    report["wrong_merges"] = wrong
    report["merged_names"] = [sorted(e.surface_forms) for e in story.entities if len(e.surface_forms) > 1]
    return report
