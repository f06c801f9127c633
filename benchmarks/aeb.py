"""Score HTML extraction on the Article Extraction Benchmark: trafilatura alone next to copydesk.

    .venv/bin/python benchmarks/aeb.py [--data ../shared/eval/extraction-aeb] [--workers N] [--worst 10]

(a) trafilatura alone: ``bare_extraction`` with its defaults, the body text;
(b) extraction: copydesk's PageExtractor alone (trafilatura + copydesk's line judgements);
(c) copydesk: ``service.build_pipeline(settings)`` -- PageExtractor plus every text-cleaning stage that
``service.article_stages()`` plugs in -- so the figure is what users get.
Both are scored in the same run with the benchmark's own metric (``aeb_metric``), on all pages and on
the two halves (even / odd position in id order: the line rules were tuned on the even half).
Run on demand; it is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aeb_metric import Match, Score, score, shingle_match, shingles
from shared_data import SHARED

from copydesk.config import load_settings
from copydesk.errors import InputError
from copydesk.records import RawPage, SkippedInput
from copydesk.service import build_pipeline

DEFAULT_DATA = SHARED / "eval" / "extraction-aeb"


@dataclass(frozen=True, slots=True)
class PageResult:
    page_id: str
    trafilatura: str
    extraction: str
    copydesk: str
    skipped: str | None
    removed: tuple[tuple[str, str, str], ...] = ()


def read_pages(data: Path, ids: list[str]) -> Iterator[tuple[str, str]]:
    for page_id in ids:
        raw = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        yield page_id, raw.decode("utf-8", "replace")


def extract_both(item: tuple[str, str]) -> PageResult:
    import trafilatura

    page_id, html = item
    doc = trafilatura.bare_extraction(html)
    alone = str(getattr(doc, "text", None) or "") if doc is not None else ""
    pipeline = build_pipeline(load_settings(environ={}))
    page = RawPage(source_id=page_id, origin=f"{page_id}.html.gz", kind="html", body=html)
    try:
        extracted = pipeline.extractor.extract(page).text
    except InputError:
        extracted = ""
    outcome = pipeline.process(page)
    if isinstance(outcome, SkippedInput):
        return PageResult(page_id, alone, extracted, "", outcome.reason)
    removed = tuple((r.kind, r.reason, r.text) for r in outcome.removals)
    return PageResult(page_id, alone, extracted, outcome.text, None, removed)


def run(data: Path, workers: int, limit: int | None = None) -> tuple[dict[str, str], list[PageResult]]:
    truth = {k: v["articleBody"] for k, v in json.loads((data / "ground-truth.json").read_text()).items()}
    ids = sorted(truth)[:limit] if limit else sorted(truth)
    if workers <= 1:
        results = [extract_both(item) for item in read_pages(data, ids)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(extract_both, read_pages(data, ids), chunksize=4))
    return truth, results


def through_store(data: Path, workers: int) -> dict[str, str]:
    """Article texts after the real path: ``service.ingest`` of the html folder into a fresh store,
    then the corpus-level cleaning stages (recurring chrome lines; stories and facts are left out).
    """
    import tempfile

    from copydesk import service
    from copydesk.store import articles as article_store

    with tempfile.TemporaryDirectory(prefix="copydesk-aeb-") as tmp:
        settings = load_settings({"db": Path(tmp) / "aeb.db", "workers": workers}, environ={})
        report = service.ingest([str(data / "html")], settings)
        cleaning = [
            s for s in service.corpus_stages(settings) if type(s).__module__.startswith("copydesk.clean")
        ]
        with service.open_store(settings) as db:
            for stage in cleaning:
                stage.run(db, report.stored_ids)
            # source_id is the file stem; AEB files are <id>.html.gz
            return {a.source_id.removesuffix(".html"): a.text for a in article_store.iter_articles(db)}


def halves(truth: dict[str, str], results: list[PageResult], system: str) -> dict[str, Score]:
    """Scores on all pages, the even half (tuning) and the odd half (check), by position in id order."""
    matches: dict[str, list[Match]] = {"all": [], "even (tuned)": [], "odd (check)": []}
    for position, result in enumerate(sorted(results, key=lambda r: r.page_id)):
        match = shingle_match(truth[result.page_id], getattr(result, system))
        matches["all"].append(match)
        matches["odd (check)" if position % 2 else "even (tuned)"].append(match)
    return {name: score(rows) for name, rows in matches.items()}


def print_removals(truth: dict[str, str], results: list[PageResult]) -> None:
    """How often each removal reason fired, and how many of its lines the benchmark counts as body."""
    tally: dict[str, list[int]] = {}
    for result in results:
        body = shingles(truth[result.page_id])
        for kind, reason, text in result.removed:
            grams = shingles(text)
            inside = sum(1 for g in grams if g in body) / max(1, len(grams))
            counts = tally.setdefault(f"{kind}: {reason[:70]}", [0, 0])
            counts[0] += 1
            counts[1] += inside >= 0.5
    for reason, (fired, in_body) in sorted(tally.items(), key=lambda kv: -kv[1][0]):
        print(f"{fired:5d} removed, {in_body:4d} in articleBody  {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages (smoke run)")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where copydesk loses most")
    parser.add_argument(
        "--store",
        action="store_true",
        help="also score the real path: service.ingest into a temp store, then the cleaning corpus stages",
    )
    parser.add_argument(
        "--removals", action="store_true", help="per removal reason: lines removed and share in the truth"
    )
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").is_file():
        sys.exit(f"no AEB data at {args.data}; pass --data")
    started = time.perf_counter()
    truth, results = run(args.data, args.workers, args.limit)
    elapsed = time.perf_counter() - started
    print(f"AEB: {len(results)} pages in {elapsed:.1f}s ({args.workers} workers)")
    for system in ("trafilatura", "extraction", "copydesk"):
        for half, result in halves(truth, results, system).items():
            print(result.line(f"{system} {half}"))
    if args.store:
        stored = through_store(args.data, args.workers)
        results = [
            PageResult(
                r.page_id, r.trafilatura, r.extraction, stored.get(r.page_id, ""), r.skipped, r.removed
            )
            for r in results
        ]
        for half, result in halves(truth, results, "copydesk").items():
            print(result.line(f"stored+corpus {half}"))
    skipped = [r for r in results if r.skipped]
    for r in skipped:
        print(f"skipped {r.page_id}: {r.skipped}")
    if args.removals:
        print_removals(truth, results)
    if args.worst:
        rows = []
        for r in results:
            tp, fp, fn = shingle_match(truth[r.page_id], r.copydesk)
            t_tp = shingle_match(truth[r.page_id], r.trafilatura)[0]
            rows.append((tp - t_tp, r.page_id, tp, fp, fn))
        for delta, page_id, tp, fp, fn in sorted(rows)[: args.worst]:
            print(f"{page_id[:12]} tp={tp:.3f} fp={fp:.3f} fn={fn:.3f} (vs trafilatura {delta:+.3f})")


if __name__ == "__main__":
    main()
