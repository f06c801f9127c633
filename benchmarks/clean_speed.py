"""Cleaning speed on text dumps, one core: articles per second through the per-article stages.

    .venv/bin/python benchmarks/clean_speed.py [--ecb ../shared/eval/ecbplus/train.jsonl] [--rounds 3]

Time is CPU time of the process (one core). The steps are timed as TextCleaningStage runs them
(one reading of the lines shared by the steps). Two sets: the clean ECB+ articles as they are (the
usual crawl) and the corruption set (the same articles with spam and chrome injected, see
clean_corruption.py: every article hacked, the worst case). The first pass warms
the per-process caches (word frequencies, date patterns) and is reported apart (caches keyed on
whole lines are emptied before every pass, so a warm pass costs what new articles cost); the goal is
>= 2,000 articles/s on the warm passes. The fastest warm pass is also given stage by stage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corruption.generate import SEED, build_cases
from shared_data import SHARED

from copydesk._compiled import cleaning_compiled
from copydesk.clean import textscan
from copydesk.clean.dates import parse_date
from copydesk.clean.extract import PageExtractor
from copydesk.clean.lines import forget_line_facts, live_lines
from copydesk.clean.stages import CLEANING_STEPS
from copydesk.records import RawPage

DEFAULT_ECB = SHARED / "eval" / "ecbplus" / "train.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ecb", type=Path, default=DEFAULT_ECB)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.ecb.is_file():
        sys.exit(f"{args.ecb} not found: pass --ecb with the ECB+ train.jsonl")
    cases = build_cases(args.ecb, SEED)
    sets = {
        "clean": [RawPage(c.doc_id, c.doc_id, "text", c.clean) for c in cases],
        "corrupted": [RawPage(c.doc_id, c.doc_id, "text", c.corrupted) for c in cases],
    }
    report: dict[str, object] = {name: measure(pages, args.rounds) for name, pages in sets.items()}
    # the figures hold with the compiled kernels (built at install where a C compiler is at hand);
    # without them the same cleaning runs in Python, about 1.3x slower
    report["compiled_kernels"] = {
        "textscan": textscan.COMPILED,
        "tokenmemo": _tokenmemo_built(),
        # the cleaning modules compiled with mypyc (COPYDESK_PURE_PYTHON=1 runs their sources)
        "mypyc": cleaning_compiled(),
    }
    print(json.dumps(report, indent=2))


def _tokenmemo_built() -> bool:
    try:
        import copydesk._tokenmemo  # noqa: F401
    except ImportError:
        return False
    return True


def measure(pages: list[RawPage], rounds: int) -> dict[str, object]:
    extractor = PageExtractor()
    names = ["extract", "lines", *(name for name, _ in CLEANING_STEPS)]
    clock = time.process_time  # CPU time of this process: the figure per core, whatever else runs

    def one_pass() -> list[float]:
        # Caches keyed on whole lines would make a second pass over the same articles cheaper than
        # new articles are: emptied before every pass. Word-level caches stay warm, as they are a
        # few thousand articles into any real run.
        forget_line_facts()
        parse_date.cache_clear()
        spent = [0.0] * len(names)
        for page in pages:
            started = clock()
            article = extractor.extract(page)
            spent[0] += clock() - started
            started = clock()
            lines = live_lines(article)
            spent[1] += clock() - started
            for k, (_, step) in enumerate(CLEANING_STEPS, 2):
                started = clock()
                lines = step(article, lines)
                spent[k] += clock() - started
        return spent

    cold = sum(one_pass())
    passes = [one_pass() for _ in range(rounds)]
    fastest = min(passes, key=sum)
    best = sum(fastest)
    words = sum(len(p.body.split()) for p in pages)
    return {
        "articles": len(pages),
        "mean_words": round(words / len(pages)),
        "cold_articles_per_s": round(len(pages) / cold),
        "warm_articles_per_s": round(len(pages) / best),
        "warm_ms_per_article": round(best / len(pages) * 1000, 3),
        "warm_ms_per_article_by_stage": {
            name: round(spent / len(pages) * 1000, 3) for name, spent in zip(names, fastest, strict=True)
        },
        "load_average": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    main()
