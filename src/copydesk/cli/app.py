"""The ``copydesk`` command: top-level options and the one place errors become exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from copydesk.cli import articles, evaluate, export, facts, fetch, ingest, serve, stories
from copydesk.cli.state import CliState
from copydesk.errors import CopydeskError, MissingExtraError, UsageError

app = typer.Typer(
    name="copydesk",
    help="The copy desk for news feeds: clean articles, stories, copy families and corroboration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite store (default ./copydesk.db or $COPYDESK_DB).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Settings file (TOML); default ./copydesk.toml.")
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print only results and errors.")] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="More detail (-vv for more).")
    ] = 0,
) -> None:
    ctx.obj = CliState(db=db, config=config, verbosity=-1 if quiet else verbose)


ingest.register(app)
fetch.register(app)
articles.register(app)
export.register(app)
stories.register(app)
facts.register(app)
serve.register(app)
evaluate.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn copydesk errors into a message and a non-zero exit."""
    err = Console(stderr=True)
    try:
        app(args=argv, prog_name="copydesk")
    except MissingExtraError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(3)
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except CopydeskError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; what was committed is kept, and the next run resumes")
        sys.exit(130)
