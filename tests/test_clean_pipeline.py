"""Text cleaning through the real seams: ``copydesk run`` stores cleaned articles with their
removals, and ``copydesk eval clean`` scores a labelled folder (texts written for copydesk)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copydesk import service
from copydesk.cli.app import app
from copydesk.config import Settings

runner = CliRunner()

HACKED = (
    "Marsh Valley Echo | Local News, Weather, Sport\n\n"
    "Council backs new footbridge over the Lenn\n\n"
    "The town council voted on Tuesday to build a footbridge over the river Lenn, linking the station "
    "to the old market, after residents complained that the road bridge was unsafe for pedestrians.\n\n"
    "Construction is expected to begin in the spring and last about eight months, the council's "
    "transport committee said, with the cost shared between the town and the regional govern buy "
    "cheap cialis online ment.\n\n"
    "With files from Northline Press.\n\n"
    "Share this:\n\n"
    "Back to top button\n"
)


def test_run_stores_clean_text_and_every_removal(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bridge.txt").write_text(HACKED, encoding="utf-8")
    service.run([str(folder)], settings, executor="inprocess")
    article = service.get_article(settings, "bridge")
    assert "regional government." in article.text
    assert "cialis" not in article.text and "Share this:" not in article.text
    assert article.site == "Marsh Valley Echo"
    assert article.title == "Council backs new footbridge over the Lenn"
    assert article.credits == ["Northline Press"]
    assert article.signals.spam_injected
    kinds = {r.kind for r in article.removals}
    assert {"spam", "meta", "chrome"} <= kinds
    spam = next(r for r in article.removals if r.kind == "spam")
    assert spam.repaired_as == "government"
    assert article.raw_text[spam.position : spam.position + len(spam.text)] == spam.text


def test_eval_clean_scores_a_labelled_folder(tmp_path: Path) -> None:
    (tmp_path / "bridge.txt").write_text(HACKED, encoding="utf-8")
    labels = {
        "docs": {
            "bridge": {
                "title": "Council backs new footbridge over the Lenn",
                "site_name": "Marsh Valley Echo",
                "credit": "Northline Press",
                "chrome_lines": [1, 11, 13],
                "meta_lines": {"9": "credit"},
                "spam_injections": [
                    {"line": 7, "before": "govern buy cheap cialis online ment", "repaired": "government"}
                ],
            }
        }
    }
    (tmp_path / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    result = runner.invoke(app, ["eval", "clean", str(tmp_path), str(tmp_path / "labels.json"), "--json"])
    assert result.exit_code == 0, result.output
    score = json.loads(result.output)
    assert score["documents"] == 1
    for measure in ("chrome_removed", "meta_removed", "body_kept", "spam_removed", "spam_repaired"):
        assert score[measure]["share"] == 1.0, (measure, score[measure])
    assert all(field["share"] == 1.0 for field in score["fields"].values())


def test_eval_clean_without_labelled_files_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(json.dumps({"docs": {"x": {}}}), encoding="utf-8")
    result = runner.invoke(app, ["eval", "clean", str(tmp_path), str(tmp_path / "labels.json")])
    assert result.exit_code != 0
