"""``copydesk articles`` and ``copydesk show``: read articles back from the store."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from copydesk import service
from copydesk.cli.state import state
from copydesk.exports import article_row


def register(app: typer.Typer) -> None:
    @app.command("articles")
    def articles_command(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many to list.")] = 50,
        offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ) -> None:
        """List stored articles, oldest first."""
        cli = state(ctx)
        total, rows = service.list_articles(cli.settings(), limit=limit, offset=offset)
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row, ensure_ascii=False))
            return
        table = Table(
            "id", "source_id", "site", "published", "title", "chars", "removed", title=f"{total} articles"
        )
        for row in rows:
            table.add_row(
                row["id"],
                row["source_id"],
                row["site"] or "",
                (row["published"] or "")[:10],
                (row["title"] or "")[:70],
                str(row["chars"]),
                str(row["removals"]),
            )
        cli.out.print(table)

    @app.command("show")
    def show_command(
        ctx: typer.Context,
        article_id: Annotated[str, typer.Argument(help="Article id or source_id.")],
        as_json: Annotated[bool, typer.Option("--json", help="The export row as JSON.")] = False,
    ) -> None:
        """Show one article: metadata, clean text and what was removed."""
        cli = state(ctx)
        article = service.get_article(cli.settings(), article_id)
        row = article_row(article)
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
            return
        cli.out.rule(article.title or article.source_id)
        for key in (
            "id",
            "source_id",
            "url",
            "site",
            "published",
            "authors",
            "credits",
            "language",
            "dateline",
        ):
            value = row[key]
            if value:
                cli.out.print(
                    f"[bold]{key}[/]: {', '.join(value) if isinstance(value, list) else value}",
                    highlight=False,
                )
        cli.out.print()
        cli.out.print(article.text, markup=False, highlight=False)
        if article.removals:
            cli.out.print()
            table = Table("kind", "removed text", "reason", title=f"{len(article.removals)} removals")
            for removal in article.removals:
                table.add_row(removal.kind, removal.text[:80], removal.reason)
            cli.out.print(table)
