"""Results handed over through a file come back as they were, once, and leave nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from copydesk.errors import CopydeskError
from copydesk.run.handoff import Handoff, HandoffFolder, HandoffLost


def test_a_result_comes_back_once_and_its_file_goes() -> None:
    folder = HandoffFolder()
    try:
        value = {"rows": np.arange(12, dtype=np.float32).reshape(3, 4), "ids": ["a", "b", "c"]}
        left = folder.put(value, "chunk-1.pickle")
        assert isinstance(left, Handoff) and os.path.exists(left.path)
        back = left.take()
        assert back["ids"] == value["ids"] and np.array_equal(back["rows"], value["rows"])
        assert not os.path.exists(left.path)
        with pytest.raises(HandoffLost):  # taken already
            left.take()
    finally:
        folder.close()


def test_close_removes_the_folder_with_results_never_taken() -> None:
    folder = HandoffFolder()
    folder.put([1, 2, 3], "chunk-0.pickle")
    folder.put([4], "chunk-1.pickle")
    folder.close()
    assert not os.path.exists(folder.path)
    folder.close()  # twice is harmless


def test_a_value_that_cannot_be_written_is_handed_over_itself() -> None:
    folder = HandoffFolder()
    folder.close()  # the folder is gone: nothing can be written there
    value = ["kept"]
    assert folder.put(value, "chunk-0.pickle") is value


def test_a_file_cut_short_is_reported_as_a_lost_handoff() -> None:
    folder = HandoffFolder()
    try:
        left = folder.put(list(range(10_000)), "chunk-0.pickle")
        assert isinstance(left, Handoff)
        Path(left.path).write_bytes(Path(left.path).read_bytes()[:100])
        with pytest.raises(HandoffLost) as caught:
            left.take()
        assert isinstance(caught.value, CopydeskError) and not os.path.exists(left.path)
    finally:
        folder.close()
