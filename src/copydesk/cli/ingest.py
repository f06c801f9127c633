"""``copydesk ingest`` and ``copydesk run``: read inputs into the store, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from copydesk import service
from copydesk.cli.state import CliState, state
from copydesk.ingest.job import IngestReport
from copydesk.ingest.job import Progress as IngestProgress

PathsArg = Annotated[list[str], typer.Argument(help="Files, directories, globs, or - for stdin.")]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", "-w", help="Worker processes (default: all cores).")
]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="local, inprocess or ray.")]


def _with_progress(
    cli: CliState, job: Callable[[Callable[[IngestProgress], None]], IngestReport]
) -> IngestReport:
    if cli.verbosity < 0:
        return job(lambda _p: None)
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("inputs · {task.fields[stored]} stored · {task.fields[skipped]} skipped"),
        TimeElapsedColumn(),
        console=cli.err,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, stored=0, skipped=0)

        def update(p: IngestProgress) -> None:
            bar.update(
                task, completed=p.inputs_done, total=p.inputs_total, stored=p.stored, skipped=p.skipped
            )

        return job(update)


def print_report(cli: CliState, report: IngestReport) -> None:
    cli.say(
        f"{report.stored} articles stored, {report.duplicates} already there, "
        f"{len(report.skipped)} skipped · {report.inputs} inputs "
        f"({report.inputs_resumed} unchanged since last run)"
    )
    if report.skipped and cli.verbosity >= 0:
        table = Table("skipped input", "why", title="Skipped inputs", title_justify="left")
        for item in report.skipped[: 50 if cli.verbosity < 1 else None]:
            table.add_row(escape(item.origin), escape(f"[{item.error_kind}] {item.reason}"))
        cli.err.print(table)
        if len(report.skipped) > 50 and cli.verbosity < 1:
            cli.say(f"... and {len(report.skipped) - 50} more (-v lists all)")


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_command(
        ctx: typer.Context, paths: PathsArg, workers: WorkersOpt = None, executor: ExecutorOpt = "local"
    ) -> None:
        """Read news files into the store: txt, html(.gz), warc(.gz), jsonl(.gz), parquet, or stdin."""
        cli = state(ctx)
        settings = cli.settings(workers=workers)
        report = _with_progress(
            cli, lambda cb: service.ingest(paths, settings, executor=executor, on_progress=cb)
        )
        print_report(cli, report)
        cli.say(f"store: {settings.db}")

    @app.command("run")
    def run_command(
        ctx: typer.Context, paths: PathsArg, workers: WorkersOpt = None, executor: ExecutorOpt = "local"
    ) -> None:
        """Ingest, then run every corpus stage (cleaning passes, stories, facts) over the store."""
        cli = state(ctx)
        settings = cli.settings(workers=workers)
        report = _with_progress(
            cli, lambda cb: service.run(paths, settings, executor=executor, on_progress=cb)
        )
        print_report(cli, report)
        cli.say(f"store: {settings.db}")
