"""The CLI end to end: ingest, run, articles, show, export; errors exit non-zero with advice."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from copydesk import service
from copydesk.cli.app import app, main
from copydesk.config import Settings
from copydesk.exports import ARTICLE_FIELDS
from tests.support.corpus import ARTICLE_TEXT, article_html, variant, write_jsonl

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "strike.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (folder / "page.html").write_text(article_html("Cranes idle at Westmere", variant(1)), encoding="utf-8")
    write_jsonl(folder / "rows.jsonl", [{"id": "r1", "text": variant(2), "published": "2025-03-12T08:00:00"}])
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from copydesk.cli.app import main; main()", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_then_list_show_and_export(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "c.db"
    result = cli(db, "run", str(corpus), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert (
        "3 articles stored" in result.stderr
        and "1 skipped" in result.stderr
        and "empty input" in result.stderr
    )
    again = cli(db, "run", str(corpus))
    assert "0 articles stored" in again.stderr

    listing = cli(db, "articles", "--json")
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert {r["source_id"] for r in rows} == {"strike", "page", "r1"}

    shown = cli(db, "show", "r1", "--json")
    article = json.loads(shown.stdout)
    assert article["published"].startswith("2025-03-12") and "Westmere" in article["text"]

    out = tmp_path / "a.jsonl"
    assert cli(db, "export", "--what", "articles", "-o", str(out)).returncode == 0
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == 3 and set(ARTICLE_FIELDS) <= set(exported[0])
    assert isinstance(exported[0]["removed"], list)

    csv_out = cli(db, "-q", "export", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert len(table) == 3
    assert all(isinstance(json.loads(row["authors"]), list) for row in table), "lists are JSON in a CSV cell"

    pq_path = tmp_path / "a.parquet"
    assert cli(db, "export", "-o", str(pq_path)).returncode == 0
    parquet = pq.read_table(pq_path)
    assert parquet.num_rows == 3 and set(ARTICLE_FIELDS) <= set(parquet.column_names)


def test_an_article_export_ingested_again_keeps_its_site_bylines_and_credits(tmp_path: Path) -> None:
    """Cleaning takes the banner, byline and credit lines out of the text, so an exported article
    holds them only in its columns: ingesting the export into another store keeps them."""
    first = Settings(db=tmp_path / "first.db", workers=1)
    page = tmp_path / "courier.txt"
    page.write_text(
        "THE WESTMERE COURIER | News from the harbour\n\nBy Ana Ruiz\n\n"
        + ARTICLE_TEXT.replace("Dock workers", "WESTMERE, March 3 - Dock workers", 1)
        + "\n\nWith files from Reuters"
    )
    service.ingest([str(page)], first)
    out = tmp_path / "export.jsonl"
    service.export(first, "articles", "jsonl", out)
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (row["site"], row["authors"], row["credits"]) == (
        "THE WESTMERE COURIER",
        ["Ana Ruiz"],
        ["Reuters"],
    )
    assert not any(gone in row["text"] for gone in ("Ana Ruiz", "COURIER", "files from"))
    kept = ("site", "authors", "credits", "dateline", "language", "title", "text")

    parquet = tmp_path / "export.parquet"
    service.export(first, "articles", "parquet", parquet)
    for name, export in (("second", out), ("third", parquet)):
        again = Settings(db=tmp_path / f"{name}.db", workers=1)
        service.ingest([str(export)], again)
        _, [summary] = service.list_articles(again)
        stored = service.get_article(again, summary["id"])
        assert {k: getattr(stored, k) for k in kept} == {k: row[k] for k in kept}, export
        # the input's own id, not the first store's article hash (the export's ``id``)
        assert stored.source_id == row["source_id"] == "courier", export


def test_stdin_ingest(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from copydesk.cli.app import main; main()",
            "--db",
            str(tmp_path / "c.db"),
            "ingest",
            "-",
        ],
        input=ARTICLE_TEXT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "1 articles stored" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "advice"),
    [
        (["show", "missing-id"], 2, "copydesk articles"),
        (["export", "--what", "nonsense"], 2, "choose one of"),
        (["export", "--format", "xml"], 2, "choose one of"),
        (["export", "--format", "parquet"], 2, "-o FILE.parquet"),
    ],
)
def test_usage_errors_exit_non_zero_with_advice(
    tmp_path: Path, corpus: Path, args: list[str], code: int, advice: str
) -> None:
    db = tmp_path / "c.db"
    cli(db, "ingest", str(corpus))
    result = cli(db, *args)
    assert result.returncode == code and advice in result.stderr


def test_reading_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    result = cli(tmp_path / "none.db", "articles")
    assert result.returncode == 1 and "copydesk ingest" in result.stderr


def test_ingest_without_paths_is_a_usage_error() -> None:
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code != 0


def test_every_command_has_help() -> None:
    for command in app.registered_commands:
        name = command.name or ""
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, name


def test_main_returns_cleanly_on_help() -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0


def test_story_of_many_sources_lists_the_first_families_and_members(tmp_path: Path) -> None:
    """`copydesk story` prints the first 50 families and 20 members of each, says what it left out,
    and `--all` lists every member (a wire story of 10,000 reprints printed 152,000 lines)."""
    from tests.browser.seed import seed_large_story, seed_store

    db = tmp_path / "big.db"
    story_id = seed_large_story(db, seed_store(db))
    shown = runner.invoke(app, ["--db", str(db), "story", story_id], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "copy families: 61" in shown.output and "… 50 more" in shown.output
    assert "11 more copy families; 50 more members of the families shown (--all" in shown.output
    assert sum(f"wire-{k} " in shown.output for k in range(130)) == 20 + 49
    every = runner.invoke(app, ["--db", str(db), "story", story_id, "--all"], env={"COLUMNS": "200"})
    assert all(f"wire-{k} " in every.output for k in range(130)) and "more copy families" not in every.output
