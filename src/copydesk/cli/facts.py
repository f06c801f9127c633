"""``copydesk facts STORY_ID``: a story's names, figures and quotes lined up across its sources."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from copydesk import service
from copydesk.align.sentences import drift
from copydesk.cli.state import state

STATUS_STYLE = {"agree": "green", "conflict": "bold red", "drift": "yellow", "single-source": "dim"}
LARGE_GROUP = 12  # past this many sources a group shows one row per value or wording, sources counted


def merged_rows(rows: list[tuple[str, str, str]], large: int = LARGE_GROUP) -> list[tuple[str, str, str]]:
    """``(source, text, speaker)`` rows of a group; in a large one, one row per text and speaker with
    its first source and how many more give it (a wire story reprinted by 2,000 sources printed 13 MB,
    a row per source)."""
    if len(rows) <= large:
        return rows
    merged: dict[tuple[str, str], list[str]] = {}
    for source, text, speaker in rows:
        merged.setdefault((text, speaker), []).append(source)
    return [
        (sources[0] + (f" and {len(sources) - 1:,} more" if len(sources) > 1 else ""), text, speaker)
        for (text, speaker), sources in merged.items()
    ]


def facts_json(facts: Any) -> dict[str, Any]:
    """The whole ``StoryFacts`` as plain JSON-ready data."""
    return {
        "story_id": facts.story_id,
        "entities": [dataclasses.asdict(e) for e in facts.entities],
        "figures": [{**dataclasses.asdict(f), "group_id": facts.figure_groups[f.id]} for f in facts.figures],
        "quotes": [{**dataclasses.asdict(q), "group_id": facts.quote_groups[q.id]} for q in facts.quotes],
        "groups": [dataclasses.asdict(g) for g in facts.groups],
        "rewrites": [
            {**dataclasses.asdict(r), "substitutions": [list(s) for s in r.substitutions]}
            for r in facts.rewrites
        ],
    }


def register(app: typer.Typer) -> None:
    @app.command("facts")
    def facts_command(
        ctx: typer.Context,
        story_id: Annotated[str, typer.Argument(help="Story id (from 'copydesk stories').")],
        build: Annotated[
            bool, typer.Option("--build", help="First compute facts for stories whose members changed.")
        ] = False,
        everything: Annotated[
            bool, typer.Option("--all", help="Also list single-source figures and quotes.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Everything as one JSON object.")] = False,
    ) -> None:
        """Show a story's names (variants merged), figures and quotes lined up across its sources."""
        cli = state(ctx)
        settings = cli.settings()
        if build:
            for report in service.build_facts(settings):
                for note in report.notes:
                    cli.say(note)
        facts = service.get_facts(settings, story_id)
        if as_json:
            typer.echo(json.dumps(facts_json(facts), ensure_ascii=False, indent=2))
            return
        figures = {f.id: f for f in facts.figures}
        quotes = {q.id: q for q in facts.quotes}
        names = Table("name", "kind", "written as", "sources", title=f"names in story {facts.story_id}")
        for e in sorted(facts.entities, key=lambda e: -len(e.article_ids)):
            if len(e.surface_forms) > 1 or len(e.article_ids) > 1 or everything:
                names.add_row(e.canonical, e.label, "; ".join(e.surface_forms), str(len(e.article_ids)))
        cli.out.print(names)
        table = Table("group", "status", "about", "source", "figure", "related", title="figures")
        for g in facts.groups:
            if g.kind != "figure" or (g.status == "single-source" and not g.related and not everything):
                continue
            rows = merged_rows([(figures[m].article_id, figures[m].text, "") for m in g.members])
            for n, (source, text, _) in enumerate(rows):
                style = STATUS_STYLE.get(g.status, "")
                table.add_row(
                    g.id if n == 0 else "",
                    f"[{style}]{g.status}[/]" if n == 0 else "",
                    g.about if n == 0 else "",
                    source,
                    text,
                    ", ".join(g.related) if n == 0 else "",
                )
        cli.out.print(table)
        table = Table("group", "status", "speaker", "source", "quote", "drift", title="quotes")
        for g in facts.groups:
            if g.kind != "quote" or (g.status == "single-source" and not everything):
                continue
            said = [quotes[m] for m in g.members]
            rows = merged_rows([(q.article_id, q.text, q.speaker or "?") for q in said])
            for n, (source, text, speaker) in enumerate(rows):
                table.add_row(
                    g.id if n == 0 else "",
                    f"[{STATUS_STYLE.get(g.status, '')}]{g.status}[/]" if n == 0 else "",
                    speaker,
                    source,
                    text[:100],
                    drift(said[0].text, text) if n else "",
                )
        cli.out.print(table)
        for r in facts.rewrites:
            swaps = ", ".join(f"{old} -> {new}" for old, new, _ in r.substitutions[:12])
            cli.out.print(
                f"[bold]{r.article_id}[/] vs closest sibling {r.sibling_id} "
                f"({len(r.pairs)} sentences aligned, similarity {r.similarity:.2f}): {swaps}",
                highlight=False,
            )
