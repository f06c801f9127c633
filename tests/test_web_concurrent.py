"""Pages and API keep answering while another process ingests into the same store (WAL, read-only reads)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from copydesk.config import Settings
from copydesk.store.db import Database
from copydesk.web.app import create_app

REPO = Path(__file__).resolve().parent.parent
PAGES = ("/api/articles?limit=5", "/search?q=drainage", "/stories", "/sources", "/api/sources")


@pytest.mark.slow
def test_reads_while_another_process_ingests(settings: Settings, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for i in range(60):
        (inputs / f"notice-{i:03d}.txt").write_text(
            f"Parish notice {i}\n\nThe parish council of Fenmoor will meet on day {i} to discuss "
            f"drainage ditch number {i}, the bus shelter and the village hall roof.",
            encoding="utf-8",
        )
    Database.open(settings.db).close()
    errors: list[str] = []
    totals: list[int] = []
    requests = 0
    with TestClient(create_app(settings)) as client:
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.support.ingest_slowly", str(settings.db), str(inputs), "0.05"],
            cwd=REPO,
        )
        try:
            while writer.poll() is None:
                for url in PAGES:
                    response = client.get(url)
                    requests += 1
                    if response.status_code != 200:
                        errors.append(f"{url}: {response.status_code} {response.text[:200]}")
                totals.append(client.get("/api/articles?limit=1").json()["total"])
                if totals[-1]:
                    latest = client.get("/api/articles?limit=1").json()["articles"][0]["id"]
                    if client.get(f"/articles/{latest}").status_code != 200:
                        errors.append(f"article page {latest}")
                time.sleep(0.01)
            assert writer.wait(timeout=60) == 0
            totals.append(client.get("/api/articles?limit=1").json()["total"])
        finally:
            if writer.poll() is None:
                writer.kill()
    assert errors == []
    assert requests > 20
    assert totals[-1] == 60
    assert len(set(totals)) > 2, "the reads should have seen the store grow while the ingest ran"
