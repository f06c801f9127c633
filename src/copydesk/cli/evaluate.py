"""``copydesk eval clean``: score text cleaning against a labels file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from copydesk.cli.state import state

eval_app = typer.Typer(help="Measure copydesk against labelled data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


@eval_app.command("clean")
def clean_command(
    ctx: typer.Context,
    input_dir: Annotated[Path, typer.Argument(help="Folder with the labelled .txt dumps.")],
    labels: Annotated[Path, typer.Argument(help="Labels file (format of shared/corpus/seeds/labels.json).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full score as JSON.")] = False,
    no_corpus: Annotated[
        bool, typer.Option("--no-corpus", help="Skip the corpus-level pass (recurring lines and runs).")
    ] = False,
) -> None:
    """Clean every labelled text dump and report chrome, metadata, body, spam and field scores."""
    from copydesk.clean.scoring import evaluate_clean

    cli = state(ctx)
    score = evaluate_clean(input_dir, labels, corpus=not no_corpus).as_dict()
    if as_json:
        typer.echo(json.dumps(score, ensure_ascii=False, indent=2))
        return
    table = Table("measure", "hit", "total", "share", title=f"cleaning, {score['documents']} documents")
    rows = [
        (name, score[name])
        for name in ("chrome_removed", "meta_removed", "body_kept", "spam_removed", "spam_repaired")
    ]
    rows += [(f"field: {name}", value) for name, value in score["fields"].items()]
    for name, value in rows:
        table.add_row(name, str(value["hit"]), str(value["total"]), f"{value['share']:.1%}")
    cli.out.print(table)
    misses = [m for _, value in rows for m in value["misses"]]
    for miss in misses[:40]:
        cli.out.print(f"  miss: {miss}", markup=False, highlight=False)
