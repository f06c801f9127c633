"""Every CLI command is documented in docs/cli.md (and the README shows the two commands)."""

from __future__ import annotations

from pathlib import Path

from copydesk.cli.app import app

REPO = Path(__file__).resolve().parent.parent


def command_names() -> list[str]:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    for group in app.registered_groups:
        names.append(group.name or "")
    return names


def test_every_command_is_documented() -> None:
    docs = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in command_names() if f"`copydesk {name}" not in docs]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO / "README.md").read_text(encoding="utf-8")[:600]
    assert "make demo" in head and "make test" in head
