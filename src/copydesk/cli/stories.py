"""``copydesk stories`` and ``copydesk story ID``: stories, their copy families and provenance."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from copydesk import service
from copydesk.cli.state import state
from copydesk.stories.story_rows import FAMILIES_SHOWN, MEMBERS_SHOWN, cut_family, member_families


def register(app: typer.Typer) -> None:
    @app.command("stories")
    def stories_command(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many to list.")] = 50,
        offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
        order: Annotated[str, typer.Option("--order", help="newest or largest first.")] = "newest",
        build: Annotated[
            bool, typer.Option("--build", help="First place every article not yet in a story.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ) -> None:
        """List stories with their article and independent-source counts."""
        cli = state(ctx)
        settings = cli.settings()
        if build:
            for report in service.build_stories(settings):
                for note in report.notes:
                    cli.say(note)
        total, rows = service.list_stories(settings, order=order, limit=limit, offset=offset)
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row, ensure_ascii=False))
            return
        if not rows:
            cli.say("no stories yet: 'copydesk run' (or 'copydesk stories --build') builds them")
            return
        table = Table(
            "id", "topic", "first seen", "articles", "independent", "wires", "title", title=f"{total} stories"
        )
        for row in rows:
            table.add_row(
                row["id"],
                row["topic_id"] or "",
                (row["first_seen"] or "")[:10],
                str(row["articles"]),
                str(row["independent_sources"]),
                ", ".join(row["credited_wires"]),
                (row["title"] or "")[:70],
            )
        cli.out.print(table)

    @app.command("story")
    def story_command(
        ctx: typer.Context,
        story_id: Annotated[str, typer.Argument(help="Story id (from 'copydesk stories').")],
        as_json: Annotated[bool, typer.Option("--json", help="The story as JSON.")] = False,
        every: Annotated[
            bool,
            typer.Option(
                "--all",
                help=f"Every member (without it: {FAMILIES_SHOWN} families, {MEMBERS_SHOWN} members each).",
            ),
        ] = False,
        split: Annotated[
            list[str] | None,
            typer.Option("--split", help="Move this article (id or source_id) into a new story; repeatable."),
        ] = None,
    ) -> None:
        """Show one story: its articles by copy family, each with its relation and the evidence."""
        cli = state(ctx)
        if split:
            new_id = service.split_story(cli.settings(), story_id, split)
            cli.say(f"split {len(split)} articles into story {new_id}")
        story = service.get_story(cli.settings(), story_id)
        if as_json:
            typer.echo(json.dumps(story, ensure_ascii=False, indent=2))
            return
        cli.out.rule(story["title"] or story["id"])
        cli.out.print(
            f"[bold]id[/]: {story['id']}   [bold]topic[/]: {story['topic_id'] or '-'}   "
            f"[bold]seen[/]: {story['first_seen'] or '?'} → {story['last_seen'] or '?'}",
            highlight=False,
        )
        families = member_families(story["members"])
        cli.out.print(
            f"[bold]articles[/]: {story['articles']}   [bold]independent reports[/]: "
            f"{story['independent_sources']}   [bold]sites[/]: {story['sites']}   "
            f"[bold]copy families[/]: {len(families)}   "
            f"[bold]credited wires[/]: {', '.join(story['credited_wires']) or '-'}",
            highlight=False,
        )
        shown = families if every else [cut_family(f, 0, MEMBERS_SHOWN) for f in families[:FAMILIES_SHOWN]]
        table = Table("family", "relation", "source_id", "published", "title", "evidence", show_lines=True)
        for family in shown:
            for m in family["members"]:
                table.add_row(
                    m["copy_family"],
                    m["relation"],
                    m["source_id"],
                    (m["published"] or "")[:10],
                    (m["title"] or "")[:50],
                    m["evidence"][:160],
                )
            if family["left_out"]:
                table.add_row(family["id"], "", f"… {family['left_out']:,} more", "", "", "")
        cli.out.print(table)
        left_out = [
            f"{len(families) - len(shown):,} more copy families" if len(shown) < len(families) else "",
            f"{n:,} more members of the families shown" if (n := sum(f["left_out"] for f in shown)) else "",
        ]
        if any(left_out):
            cli.out.print(
                "; ".join(x for x in left_out if x)
                + " (--all lists every member, --json gives the story whole)",
                highlight=False,
            )
        if story["related"]:
            cli.out.print("[bold]related stories (same topic)[/]:", highlight=False)
            for other in story["related"]:
                cli.out.print(
                    f"  {other['id']}  {(other['first_seen'] or '')[:10]}  {other['title']}", markup=False
                )
