"""Where the evaluation data lies: ../shared beside the repository, or where COPYDESK_SHARED says
(as the test suite reads it: ``tests/conftest.py``)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COPYDESK_SHARED", REPO.parent / "shared"))
