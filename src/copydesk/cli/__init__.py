"""The ``copydesk`` command (``copydesk.cli.app``).

The command owns its process, so it chooses the BLAS thread pool here, before anything loads numpy:
one thread, unless ``OPENBLAS_NUM_THREADS`` says otherwise. copydesk works in forked processes
(ingest workers, the chunk preparer, copy-family workers) and keeps its own matrix products to one
thread each (``StoryStage.blas_threads``); OpenBLAS's pool threads, started again around every
fork, spin for about a tenth of a second before they sleep, taking a core from the work: the
stories stage's process spent 1.42 s of CPU instead of 1.24 s on 5,000 600-word documents (median
of six alternating runs). A program that calls ``copydesk.service`` itself can set the variable the
same way before it imports numpy (benchmarks/stories_scale.py does).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
