"""A page on which HTML extraction hangs is skipped with its reason; the other pages are stored.

The time limit is a few seconds, not less: a worker's first page also pays for importing and warming
up trafilatura inside the same limit.

The hanging extractor below stands in for trafilatura stuck on pathological markup. It is defined in
this importable module so worker processes can unpickle it: the real pages still go through the real
trafilatura, only a page carrying the marker hangs.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

from copydesk.clean.extract import PageExtractor
from copydesk.ingest.job import file_sources, run_ingest
from copydesk.pipeline import DocumentPipeline
from copydesk.records import Article, RawPage
from copydesk.run.local import LocalExecutor
from copydesk.store.db import Database

MARKER = "EXTRACTOR-HANGS-HERE"


@dataclass(frozen=True, slots=True)
class HangingExtractor(PageExtractor):
    """Hangs on a page carrying MARKER; ``block_alarm`` also masks SIGALRM, like a stall in C code."""

    block_alarm: bool = False

    def extract(self, page: RawPage) -> Article:
        if MARKER in page.body:
            if self.block_alarm:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                time.sleep(0.05)
        return PageExtractor.extract(self, page)


def _page(title: str, body: str) -> str:
    paragraphs = "".join(
        f"<p>{body} Paragraph {n} adds a little more detail to the report.</p>" for n in range(4)
    )
    return (
        f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>Contact the desk</footer></body></html>"
    )


def _write_pages(folder: Path) -> None:
    folder.mkdir()
    for n in range(5):
        body = f"The river ferry to Tavor resumed service number {n} after the storm closed the crossing."
        (folder / f"ferry-{n}.html").write_text(_page(f"Ferry {n} resumes", body), encoding="utf-8")
    hang = f"The harbour office published a notice that cannot be parsed. {MARKER}"
    (folder / "stuck.html").write_text(_page("Stuck page", hang), encoding="utf-8")


def _ingest(tmp_path: Path, pipeline: DocumentPipeline, executor: LocalExecutor) -> tuple[int, list[str]]:
    folder = tmp_path / "pages"
    _write_pages(folder)
    sources, skipped, _ = file_sources([str(folder)], 10_000_000)
    db = Database.open(tmp_path / "copydesk.db")
    try:
        report = run_ingest(sources, db=db, pipeline=pipeline, executor=executor)
        stored = db.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        db.close()
    reasons = [f"{s.source_id}|{s.error_kind}|{s.reason}" for s in [*skipped, *report.skipped]]
    return stored, reasons


def test_hanging_extraction_is_cut_off_by_page_timeout(tmp_path: Path) -> None:
    pipeline = DocumentPipeline(extractor=HangingExtractor(), page_timeout=3.0)
    stored, reasons = _ingest(tmp_path, pipeline, LocalExecutor(workers=2, chunk_size=2))
    assert stored == 5
    assert len(reasons) == 1
    source_id, kind, reason = reasons[0].split("|")
    assert (source_id, kind) == ("stuck", "timeout")
    assert "page_timeout" in reason


def test_extraction_stuck_where_the_alarm_cannot_reach_is_killed(tmp_path: Path) -> None:
    pipeline = DocumentPipeline(extractor=HangingExtractor(block_alarm=True), page_timeout=3.0)
    executor = LocalExecutor(workers=2, chunk_size=1, hard_timeout_slack=1.0)
    stored, reasons = _ingest(tmp_path, pipeline, executor)
    assert stored == 5
    assert len(reasons) == 1
    source_id, kind, reason = reasons[0].split("|")
    assert (source_id, kind) == ("stuck", "timeout")
    assert "worker killed" in reason
