"""Issue-level checks on the evaluation data in ../shared (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from copydesk import service
from copydesk.config import Settings
from copydesk.store import articles as store
from copydesk.store.db import Database

pytestmark = pytest.mark.shared


def test_seeds_store_five_articles_keyed_by_file_stem(shared_dir: Path, settings: Settings) -> None:
    seeds = shared_dir / "corpus" / "seeds"
    first = service.run([str(seeds)], settings)
    assert first.stored == 5 and not first.skipped
    assert service.run([str(seeds)], settings).stored == 0
    with Database.open(settings.db, readonly=True) as db:
        stems = {a.source_id for a in store.iter_articles(db)}
    assert stems == {p.stem for p in seeds.glob("*.txt")}


@pytest.mark.slow
def test_aeb_html_stores_181_articles_once(shared_dir: Path, settings: Settings) -> None:
    html = shared_dir / "eval" / "extraction-aeb" / "html"
    first = service.ingest([str(html)], settings)
    assert first.stored == 181, first.skipped
    again = service.ingest([str(html)], settings)
    assert again.stored == 0 and again.inputs_resumed == 181
