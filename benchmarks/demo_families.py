"""Copy-family relations on the demo corpus against its labels (examples/demo/labels.json).

Ingests every demo input, runs the recurring-chrome pass and the stories stage (no facts), and counts
the labelled family members whose relation copydesk calls the same; prints each miss with its evidence.

    .venv/bin/python benchmarks/demo_families.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from copydesk import service
from copydesk.clean.recurring import RecurringChromeStage
from copydesk.config import load_settings
from copydesk.store.db import Database
from copydesk.stories.stage import StoryStage

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"


def main() -> None:
    labels = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
    inputs = [str(DEMO / d) for d in ("txt", "html", "jsonl", "parquet", "warc") if (DEMO / d).is_dir()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"db": Path(tmp) / "demo.db", "workers": 1}, environ={})
        service.ingest(inputs, settings)
        with Database.open(settings.db) as db:
            RecurringChromeStage().run(db, [])
            StoryStage().run(db, [])
            rows = db.query(
                "SELECT a.source_id, m.relation, m.evidence FROM story_members m "
                "JOIN articles a ON a.id = m.article_id"
            )
    called = {r[0]: (r[1], r[2]) for r in rows}
    right = total = 0
    for name, family in labels.get("families", {}).items():
        for doc, wanted in family["members"].items():
            total += 1
            relation, evidence = called.get(doc, ("(not stored)", ""))
            if relation == wanted:
                right += 1
            else:
                print(f"miss {name} {doc}: labelled {wanted}, called {relation} ({evidence[:140]})")
    print(f"{right} of {total} labelled copy-family relations called as labelled")


if __name__ == "__main__":
    main()
