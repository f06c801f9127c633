"""``copydesk fetch``: download URLs, feeds and sitemaps into the store, politely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from copydesk import service
from copydesk.cli.ingest import ExecutorOpt, WorkersOpt, print_report
from copydesk.cli.state import CliState, state
from copydesk.ingest.fetch_job import FetchReport
from copydesk.ingest.job import Progress as IngestProgress
from copydesk.ingest.job import ProgressCallback

TargetsArg = Annotated[
    list[str], typer.Argument(help="Article URLs, RSS/Atom feeds, XML sitemaps or sitemap indexes.")
]


def _fetch_with_progress(cli: CliState, job: Callable[[ProgressCallback], FetchReport]) -> FetchReport:
    if cli.verbosity < 0:
        return job(lambda _p: None)
    with Progress(
        TextColumn("[bold]fetch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages · {task.fields[stored]} stored · {task.fields[skipped]} skipped"),
        TimeElapsedColumn(),
        console=cli.err,
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None, stored=0, skipped=0)

        def update(p: IngestProgress) -> None:
            bar.update(
                task, completed=p.inputs_done, total=p.inputs_total, stored=p.stored, skipped=p.skipped
            )

        return job(update)


def fetch_summary(report: FetchReport) -> str:
    parts = [f"{report.pages_fetched} pages fetched"]
    if report.listings:
        listings = "1 feed or sitemap" if report.listings == 1 else f"{report.listings} feeds and sitemaps"
        parts.append(f"{report.links_found} article links in {listings}")
    if report.already_fetched:
        parts.append(f"{report.already_fetched} fetched before (--refetch to fetch again)")
    if report.over_limit:
        parts.append(f"{report.over_limit} left for later by --max-pages")
    return " · ".join(parts)


def register(app: typer.Typer) -> None:
    @app.command("fetch")
    def fetch_command(
        ctx: typer.Context,
        targets: TargetsArg,
        allow_private: Annotated[
            bool,
            typer.Option(
                "--allow-private", help="Also fetch from private, loopback and link-local addresses."
            ),
        ] = False,
        refetch: Annotated[
            bool, typer.Option("--refetch", help="Fetch pages again even if an earlier run fetched them.")
        ] = False,
        max_pages: Annotated[
            int | None,
            typer.Option("--max-pages", min=1, help="Fetch at most this many article pages in this run."),
        ] = None,
        workers: WorkersOpt = None,
        executor: ExecutorOpt = "local",
    ) -> None:
        """Fetch article pages (honouring robots.txt, one request per host at a time) and store them."""
        cli = state(ctx)
        overrides: dict[str, Any] = {"workers": workers}
        if allow_private:
            overrides["fetch"] = {"allow_private": True}
        settings = cli.settings(**overrides)
        report = _fetch_with_progress(
            cli,
            lambda cb: service.fetch(
                targets, settings, refetch=refetch, max_pages=max_pages, executor=executor, on_progress=cb
            ),
        )
        cli.say(fetch_summary(report))
        print_report(cli, report.ingest)
        cli.say(f"store: {settings.db}")
