"""Ingest speed: articles/s for txt, html and warc through the real ingest path, next to trafilatura.

    .venv/bin/python benchmarks/ingest.py [--count 400] [--workers N] [--keep DIR]

Generates ``count`` synthetic news documents (``news_generator``, seeded) as .txt files, .html pages and
one .warc.gz, ingests each set with ``service.ingest`` into a fresh store (workers = all cores by
default, the same pipeline users get), and beside the HTML figure prints trafilatura's own
``bare_extraction`` speed on the same pages in one process and across the same number of processes,
with copydesk's share of it. Run on demand; it is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_generator import generate, warc_record

from copydesk import service
from copydesk.config import load_settings


def write_corpus(root: Path, count: int) -> tuple[dict[str, Path], list[str]]:
    """The three input sets under ``root`` and the HTML pages (for the trafilatura baseline)."""
    import random

    rng = random.Random(7)
    dirs = {kind: root / kind for kind in ("txt", "html", "warc")}
    for folder in dirs.values():
        folder.mkdir(parents=True)
    pages: list[str] = []
    with (dirs["warc"] / "pages.warc.gz").open("wb") as warc:
        for number, doc in enumerate(generate(count)):
            (dirs["txt"] / f"{doc.doc_id}.txt").write_text(doc.as_text(), encoding="utf-8")
            page = doc.as_html(rng)
            pages.append(page)
            (dirs["html"] / f"{doc.doc_id}.html").write_text(page, encoding="utf-8")
            warc.write(warc_record(doc.url, page, number, doc.published))
    return dirs, pages


def cpu_seconds() -> float:
    """CPU time of this process and its finished worker processes (robust to a busy machine)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def time_ingest(folder: Path, db: Path, workers: int) -> tuple[float, float, int, int]:
    settings = load_settings({"db": db, "workers": workers}, environ={})
    started, cpu = time.perf_counter(), cpu_seconds()
    report = service.ingest([str(folder)], settings)
    return time.perf_counter() - started, cpu_seconds() - cpu, report.stored, len(report.skipped)


def bare_extract(page: str) -> int:
    import trafilatura

    doc = trafilatura.bare_extraction(page, with_metadata=True)
    return len(getattr(doc, "text", None) or "") if doc is not None else 0


def time_trafilatura(pages: list[str], workers: int) -> float:
    started = time.perf_counter()
    if workers <= 1:
        for page in pages:
            bare_extract(page)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(bare_extract, pages, chunksize=16))
    return time.perf_counter() - started


def stage_costs(pages: list[str], texts: list[str]) -> None:
    """Milliseconds per page of extraction and of each cleaning stage, in this process."""
    from copydesk.records import RawPage

    pipeline = service.build_pipeline(load_settings(environ={}))
    for kind, bodies in (("text", texts), ("html", pages)):
        raws = [RawPage(f"p{n}", "bench", kind, body) for n, body in enumerate(bodies)]  # type: ignore[arg-type]
        pipeline.process(raws[0])  # imports and first-call set-up are not a per-page cost
        costs: dict[str, float] = {}
        for raw in raws[1:]:
            started = time.perf_counter()
            article = pipeline.extractor.extract(raw)
            costs["extract"] = costs.get("extract", 0.0) + time.perf_counter() - started
            for stage in pipeline.stages:
                started = time.perf_counter()
                article = stage(article)
                costs[stage.name] = costs.get(stage.name, 0.0) + time.perf_counter() - started
        each = ", ".join(f"{name} {1000 * total / (len(raws) - 1):.1f}" for name, total in costs.items())
        print(f"ms per {kind} page, one process: {each}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400, help="documents per format")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, default=None, help="write the corpus and stores here")
    parser.add_argument("--profile", type=int, default=50, help="pages timed per stage in-process (0: off)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="copydesk-bench-"))
    try:
        dirs, pages = write_corpus(root / "corpus", args.count)
        words = sum(len(p.split()) for p in pages) // max(1, len(pages))
        print(f"{args.count} documents per format (~{words} tokens of HTML each), {args.workers} workers")
        rates: dict[str, float] = {}
        for kind, folder in dirs.items():
            elapsed, cpu, stored, skipped = time_ingest(folder, root / f"{kind}.db", args.workers)
            rates[kind] = stored / elapsed
            print(
                f"ingest {kind:<5} {stored:5d} stored, {skipped} skipped in {elapsed:6.2f}s: "
                f"{rates[kind]:7.1f} articles/s ({rates[kind] / args.workers:6.1f} per core; "
                f"{stored / cpu:6.1f} per CPU-second)"
            )
        cpu = cpu_seconds()
        single = len(pages) / time_trafilatura(pages, 1)
        single_cpu = len(pages) / (cpu_seconds() - cpu)
        pooled = len(pages) / time_trafilatura(pages, args.workers)
        print(
            f"trafilatura bare_extraction, 1 process:      {single:7.1f} pages/s "
            f"({single_cpu:6.1f} per CPU-second)"
        )
        print(
            f"trafilatura bare_extraction, {args.workers} processes:    {pooled:7.1f} pages/s "
            f"({pooled / args.workers:6.1f} per core)"
        )
        print(
            f"copydesk html ingest / trafilatura alone: {rates['html'] / pooled:.2f} "
            f"(same {args.workers} cores); warc: {rates['warc'] / pooled:.2f}; "
            f"uptime load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        if args.profile:
            texts = [path.read_text(encoding="utf-8") for path in sorted(dirs["txt"].iterdir())]
            stage_costs(pages[: args.profile], texts[: args.profile])
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
