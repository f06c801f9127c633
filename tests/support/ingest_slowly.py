"""Run an ingest with a slow stage (``python -m tests.support.ingest_slowly DB DIR SECONDS``)."""

from __future__ import annotations

import sys

from copydesk.ingest.job import file_sources, run_ingest
from copydesk.pipeline import DocumentPipeline
from copydesk.run.base import InProcessExecutor
from copydesk.store.db import Database
from tests.support.stages import SlowStage


def main() -> None:
    db_path, folder, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    sources, _, _ = file_sources([folder], 1_000_000)
    with Database.open(db_path) as db:
        run_ingest(
            sources,
            db=db,
            pipeline=DocumentPipeline(stages=(SlowStage(seconds),)),
            executor=InProcessExecutor(),
            batch_size=3,
        )


if __name__ == "__main__":
    main()
