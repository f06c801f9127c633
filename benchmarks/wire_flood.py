"""A wire story reprinted by thousands of sites: ingest -> stories, its time and peak memory.

    .venv/bin/python benchmarks/wire_flood.py                          # 3,000, 10,000 and 30,000 reprints
    .venv/bin/python benchmarks/wire_flood.py --sizes 3000 --uncapped-up-to 3000

One 600-word wire text of ``news_generator`` reprinted N times, an hour apart, each by its own site:
a third word for word, a third with a local paragraph added, a third with one paragraph dropped.
Each size runs in a fresh process (ingest, the recurring-chrome pass, the stories stage, two
workers). Printed: the stories stage's seconds, the peak resident memory of the run's own process
and of its largest helper, and the story tables' digest. The peer is copydesk as it was before the
flood was bounded, measured in the same run up to ``--uncapped-up-to`` reprints: every indexed
article of an LSH band key paired with each new one in one step, and every shingle set kept (it took 118 s and
12.4 GB in one helper on 10,000 reprints, quadratic in the reprints). The tables must be the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def write_flood(path: Path, reprints: int) -> None:
    """The wire text and its reprints as one JSONL file (the same for the same size)."""
    from news_generator import generate

    docs = list(generate(reprints + 1, seed=11))
    wire = docs[0].paragraphs
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        for k in range(reprints):
            if k % 3 == 0:
                paragraphs = list(wire)
            elif k % 3 == 1:
                paragraphs = [*wire, docs[k + 1].paragraphs[-1]]
            else:
                dropped = 1 + k % (len(wire) - 1)
                paragraphs = [p for i, p in enumerate(wire) if i != dropped]
            row = {
                "id": f"w{k:05d}",
                "title": docs[0].headline,
                "text": "\n\n".join(paragraphs),
                "site": f"site{k}.example",
                "published": (start + timedelta(hours=k)).isoformat(),
            }
            out.write(json.dumps(row) + "\n")


def tables_digest(db_path: Path) -> str:
    """A digest of the story tables (members with their families, relations and evidence)."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT article_id, story_id, copy_family, relation, evidence FROM story_members"
            " ORDER BY article_id"
        ).fetchall()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:12]


def one_run(source: Path, uncapped: bool) -> dict[str, object]:
    """Ingest and place ``source`` in a new store; what it cost (run in a process of its own)."""
    from copydesk import service
    from copydesk.clean.recurring import RecurringChromeStage
    from copydesk.config import load_settings
    from copydesk.run.corpus import run_corpus_stages
    from copydesk.stories.stage import StoryStage

    if uncapped:  # as before: every owner of a key, expanded in one step; every shingle set kept
        import copydesk.fingerprint.lsh as lsh
        import copydesk.stories.families as families
        import copydesk.stories.near_copies as near_copies

        near_copies.CANDIDATES_PER_KEY = None  # type: ignore[assignment]
        lsh._EXPANDED_AT_ONCE = 1 << 62
        families.SHINGLE_SETS_KEPT = 1 << 40
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "flood.db"
        settings = load_settings({"db": db_path, "workers": 2}, environ={})
        start = time.perf_counter()
        report = service.ingest([str(source)], settings)
        ingested = time.perf_counter()
        with service.open_store(settings) as db:
            run_corpus_stages(db, [RecurringChromeStage(), StoryStage(workers=2)], report.stored_ids)
            stories = int(db.query("SELECT COUNT(DISTINCT story_id) FROM story_members")[0][0])
            independent = int(db.query("SELECT COALESCE(SUM(independent_sources), 0) FROM stories")[0][0])
        done = time.perf_counter()
        return {
            "articles": len(report.stored_ids),
            "ingest_s": ingested - start,
            "stories_s": done - ingested,
            "process_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "helper_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "stories": stories,
            "independent": independent,
            "digest": tables_digest(db_path),
        }


def measured(source: Path, uncapped: bool) -> dict[str, object]:
    command = [sys.executable, __file__, "--one", str(source)] + (["--uncapped"] if uncapped else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 10_000, 30_000])
    parser.add_argument("--uncapped-up-to", type=int, default=3000, help="largest size the peer runs on")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--uncapped", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.uncapped)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            source = Path(tmp) / f"flood{size}.jsonl"
            write_flood(source, size)
            runs = [("copydesk", measured(source, False))]
            if size <= args.uncapped_up_to:
                runs.append(("uncapped (before)", measured(source, True)))
            for name, run in runs:
                print(
                    f"{size:>6,} reprints, {name:<17}: stories stage {run['stories_s']:6.1f} s "
                    f"(ingest {run['ingest_s']:.1f} s); peak memory: process {run['process_mb']:,.0f} MB, "
                    f"largest helper {run['helper_mb']:,.0f} MB; {run['stories']} story, "
                    f"{run['independent']} independent source; tables {run['digest']}",
                    flush=True,
                )
            if len(runs) == 2:
                same = runs[0][1]["digest"] == runs[1][1]["digest"]
                verdict = "identical" if same else "DIFFERENT"
                print(f"        tables {verdict} to the uncapped run", flush=True)


if __name__ == "__main__":
    main()
