"""Corroboration benchmark: quality on the labelled seeds and the hand-written sets, and speed.

    .venv/bin/python benchmarks/facts.py            # everything (needs ../shared for seeds and speed)
    .venv/bin/python benchmarks/facts.py --only sets
    .venv/bin/python benchmarks/facts.py --only speed --workers 1 2

Seeds: ../shared/corpus/seeds is ingested with the real cleaning stages, each labelled story's articles
are extracted and aligned, and the result is compared with labels.json (figures found, grouped, with the
labelled status; quote groups with the right speakers; name variant groups merged, no wrong merges).
Speed: ECB+ (../shared/eval/ecbplus, 772 news documents) as stories by event label, put in a store and
run through the facts stage (``FactsStage.run``: extraction of names, figures, dates, quotes, alignment,
store writes), each worker count in a fresh process (``--rounds N``: N runs each, the fastest shown
with every run's wall time). ``articles_per_s`` is the run's wall time after this process's spaCy load
(helpers load no spaCy; their start-up is inside it); ``articles_per_s_with_spacy_load`` counts that
load too; CPU seconds include the helpers'. The machine may be shared, so the load average is printed,
and ``articles_per_busiest_process_cpu_s`` divides by the CPU seconds of the busier process: the rate if
each process had a core to itself (an upper bound: waits between the processes are not in it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from shared_data import SHARED  # noqa: E402

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


def _stage_run(workers: int) -> dict[str, Any]:
    """One speed run in this (fresh) process: ECB+ stories through the facts stage over a store."""
    from copydesk.facts.stage import FactsStage
    from copydesk.records import Story, StoryMember
    from copydesk.store import articles as article_store
    from copydesk.store.db import Database

    stories = ecb_stories()
    db = Database.memory()
    article_store.put_articles(db, [a for s in stories for a in s])
    # Every member a rewrite: each is aligned against its closest sibling, the costliest case (the
    # story stage would call most ECB+ articles originals, which are not aligned).
    records = [
        Story(s[0].id, s[0].title or "", None, [StoryMember(a.id, a.id, "rewrite") for a in s])
        for s in stories
    ]
    load_before = os.getloadavg()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    stage = FactsStage(workers=workers, stories=lambda _db: iter(records))
    stage.extractor.check()  # this process's spaCy load, timed apart (helpers load inside the run)
    loaded_cpu, loaded_wall = time.process_time(), time.perf_counter()
    report = stage.run(db, [])
    end_cpu, end_wall = time.process_time(), time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    helpers_cpu = children.ru_utime + children.ru_stime
    articles = sum(len(s) for s in stories)
    assert report.changed == len(stories), report.notes
    run_wall, run_cpu = end_wall - loaded_wall, end_cpu - loaded_cpu + helpers_cpu
    # The busier process's CPU seconds: the wall time if each process had a core to itself (a lower
    # bound: waits between the processes are not in it). On a shared machine it says what the wall
    # time cannot.
    critical = max(end_cpu - loaded_cpu, helpers_cpu)
    return {
        "workers": workers,
        "articles": articles,
        "stories": len(stories),
        "articles_per_s": round(articles / run_wall, 1),
        "articles_per_s_with_spacy_load": round(articles / (end_wall - wall), 1),
        "articles_per_cpu_s": round(articles / run_cpu, 1),
        "articles_per_busiest_process_cpu_s": round(articles / critical, 1),
        "run_wall_s": round(run_wall, 2),
        "run_cpu_s": round(run_cpu, 2),
        "this_process_cpu_s": round(end_cpu - loaded_cpu, 2),  # naming here: the critical path
        "helpers_cpu_s": round(helpers_cpu, 2),
        "spacy_load_wall_s": round(loaded_wall - wall, 2),
        "spacy_load_cpu_s": round(loaded_cpu - cpu, 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def speed(workers: list[int], rounds: int = 1) -> list[dict[str, Any]]:
    """Each worker count in fresh processes (no memo or cache carried from one run to the next)."""
    out = []
    for n in workers:
        runs = []
        for _ in range(rounds):
            done = subprocess.run(
                [sys.executable, __file__, "--stage-run", str(n)], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(done.stdout))
        best = min(runs, key=lambda r: r["run_wall_s"])
        out.append({**best, "rounds_wall_s": [r["run_wall_s"] for r in runs]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("seeds", "sets", "speed"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=1, help="speed runs per worker count (fastest shown)")
    parser.add_argument("--stage-run", type=int, help=argparse.SUPPRESS)  # one speed run, in a child
    args = parser.parse_args()
    if args.stage_run:
        print(json.dumps(_stage_run(args.stage_run)))
        return
    report: dict[str, Any] = {}
    extractor = FactExtractor()
    if args.only in (None, "sets"):
        report["sets"] = sets(extractor)
    if args.only in (None, "seeds") and (SHARED / "corpus" / "seeds").is_dir():
        report["seeds"] = seeds(FactExtractor())
    if args.only in (None, "speed") and (SHARED / "eval" / "ecbplus").is_dir():
        report["speed"] = speed(args.workers, args.rounds)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
