"""Batch collection settings are set for a batch and given back after it, in the main thread only."""

from __future__ import annotations

import gc
import threading

import pytest

from copydesk.run.collection import BATCH_THRESHOLDS, batch_collection


def test_a_batch_sets_the_collector_aside_and_gives_the_settings_back() -> None:
    before = gc.get_threshold()
    with batch_collection():
        assert gc.get_threshold() == BATCH_THRESHOLDS and gc.get_freeze_count() > 0
        with batch_collection():  # nested: the outer block's settings hold
            assert gc.get_threshold() == BATCH_THRESHOLDS
        assert gc.get_threshold() == BATCH_THRESHOLDS and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_settings_come_back_when_the_batch_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_collection():
        raise RuntimeError("a stage failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_batch_outside_the_main_thread_leaves_the_process_settings_alone() -> None:
    seen: list[tuple[int, int, int]] = []

    def batch() -> None:
        with batch_collection():
            seen.append(gc.get_threshold())

    thread = threading.Thread(target=batch)
    thread.start()
    thread.join()
    assert seen == [gc.get_threshold()] and seen[0] != BATCH_THRESHOLDS


def test_prompt_handoffs_shorten_the_switch_interval_for_the_block_only() -> None:
    import sys

    from copydesk.run.collection import HANDOFF_SECONDS, prompt_handoffs

    before = sys.getswitchinterval()
    assert before > HANDOFF_SECONDS
    with prompt_handoffs():
        assert sys.getswitchinterval() == pytest.approx(HANDOFF_SECONDS)
        with prompt_handoffs():  # nested: the outer one's
            assert sys.getswitchinterval() == pytest.approx(HANDOFF_SECONDS)
        assert sys.getswitchinterval() == pytest.approx(HANDOFF_SECONDS)
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), prompt_handoffs():
        raise RuntimeError("the batch failed")
    assert sys.getswitchinterval() == before
    seen: list[float] = []

    def elsewhere() -> None:
        with prompt_handoffs():
            seen.append(sys.getswitchinterval())

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [before]  # a batch outside the main thread leaves the process's setting alone
