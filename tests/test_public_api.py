"""Pins the public Python API so a change to it is a deliberate one."""

from __future__ import annotations

import copydesk


def test_exported_members() -> None:
    assert sorted(copydesk.__all__) == sorted(
        [
            "Article",
            "CopydeskError",
            "RawPage",
            "Removal",
            "Settings",
            "SkippedInput",
            "Story",
            "__version__",
            "load_settings",
            "service",
        ]
    )
    for name in copydesk.__all__:
        assert hasattr(copydesk, name), name


def test_exception_tree_has_one_root() -> None:
    from copydesk import errors

    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == errors.__name__:
            assert issubclass(obj, errors.CopydeskError), name
