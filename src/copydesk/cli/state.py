"""What the top-level options give every command: settings overrides, verbosity, consoles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from copydesk.config import Settings, load_settings


@dataclass(slots=True)
class CliState:
    db: Path | None = None
    config: Path | None = None
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def settings(self, **overrides: Any) -> Settings:
        return load_settings({"db": self.db, **overrides}, config_file=self.config)

    def say(self, message: str) -> None:
        """Normal output on stderr (stdout stays clean for data); silent with -q."""
        if self.verbosity >= 0:
            self.err.print(message)

    def detail(self, message: str) -> None:
        if self.verbosity >= 1:
            self.err.print(message)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
