"""``copydesk export``: write the store's contents in a documented shape (docs/exports.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from copydesk import service
from copydesk.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        ctx: typer.Context,
        what: Annotated[str, typer.Option("--what", help="What to export: articles.")] = "articles",
        fmt: Annotated[
            str | None,
            typer.Option("--format", "-f", help="jsonl, csv or parquet (default: from -o, else jsonl)."),
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Output file (default: stdout).")
        ] = None,
    ) -> None:
        """Export articles (and, as they exist, stories and facts) as JSONL, CSV or Parquet."""
        cli = state(ctx)
        count = service.export(cli.settings(), what, fmt, output)
        cli.say(f"{count} {what} rows written{f' to {output}' if output else ''}")
