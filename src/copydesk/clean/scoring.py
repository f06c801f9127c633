"""Score text cleaning against hand labels (the format of ``shared/corpus/seeds/labels.json``).

Labels name lines of the input .txt files: ``chrome_lines`` and ``meta_lines`` must leave the body,
every other non-blank line must stay (with its spam injections repaired: ``before`` -> ``repaired``),
and the document's ``title``, ``published``, ``credit``, ``site_name`` and ``author`` must be found.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copydesk.clean.extract import PageExtractor
from copydesk.clean.normalise import normalise_text
from copydesk.clean.recurring import clean_corpus_in_memory
from copydesk.clean.stages import text_cleaning_stages
from copydesk.errors import UsageError
from copydesk.records import Article, RawPage


@dataclass(slots=True)
class Tally:
    hit: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.hit += ok
        if not ok:
            self.misses.append(what)

    @property
    def share(self) -> float:
        return self.hit / self.total if self.total else 1.0


@dataclass(slots=True)
class CleanScore:
    """Counts over all labelled documents; ``misses`` say which line or field went wrong."""

    documents: int = 0
    chrome_removed: Tally = field(default_factory=Tally)
    meta_removed: Tally = field(default_factory=Tally)
    body_kept: Tally = field(default_factory=Tally)
    spam_removed: Tally = field(default_factory=Tally)
    spam_repaired: Tally = field(default_factory=Tally)
    fields: dict[str, Tally] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def tally(t: Tally) -> dict[str, Any]:
            return {"hit": t.hit, "total": t.total, "share": round(t.share, 4), "misses": t.misses}

        return {
            "documents": self.documents,
            "chrome_removed": tally(self.chrome_removed),
            "meta_removed": tally(self.meta_removed),
            "body_kept": tally(self.body_kept),
            "spam_removed": tally(self.spam_removed),
            "spam_repaired": tally(self.spam_repaired),
            "fields": {name: tally(t) for name, t in sorted(self.fields.items())},
        }


def _norm(text: str) -> str:
    return " ".join(normalise_text(text)[0].replace("’", "'").split()).casefold()


def _find_input(input_dir: Path, doc_id: str, label: dict[str, Any]) -> Path | None:
    if label.get("format", "txt") != "txt":
        return None
    for candidate in (
        input_dir / f"{doc_id}.txt",
        input_dir / str(label.get("path", "")),
        input_dir / Path(str(label.get("path", ""))).name,
    ):
        if candidate.is_file():
            return candidate
    return None


def clean_files(paths: Sequence[Path], *, corpus: bool = True) -> list[Article]:
    """Clean text dumps the way ``copydesk run`` does, without a store."""
    extractor = PageExtractor()
    stages = text_cleaning_stages()
    articles: list[Article] = []
    for path in paths:
        page = RawPage(source_id=path.stem, origin=str(path), kind="text", body=path.read_text("utf-8"))
        article = extractor.extract(page)
        for stage in stages:
            article = stage(article)
        articles.append(article)
    if corpus:
        clean_corpus_in_memory(articles)
    return articles


def score_document(score: CleanScore, doc_id: str, label: dict[str, Any], raw: str, article: Article) -> None:
    score.documents += 1
    raw_lines = raw.split("\n")
    clean_lines = Counter(_norm(line) for line in article.text.split("\n") if line.strip())
    clean_text = _norm(article.text)
    chrome = {int(n) for n in label.get("chrome_lines", [])}
    meta = {int(n) for n in label.get("meta_lines", {})}
    injections: dict[int, list[dict[str, Any]]] = {}
    for spam in label.get("spam_injections", []):
        injections.setdefault(int(spam["line"]), []).append(spam)
    expected_body: Counter[str] = Counter()
    for number, line in enumerate(raw_lines, start=1):
        if line.strip() and number not in chrome and number not in meta:
            expected = line
            for spam in injections.get(number, []):
                expected = expected.replace(spam["before"], spam["repaired"])
            expected_body[_norm(expected)] += 1
    for number, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        where = f"{doc_id}:{number} {line.strip()[:60]!r}"
        # a line gone from the body: the clean text holds no more copies of it than body lines do
        gone = clean_lines[_norm(line)] <= expected_body[_norm(line)]
        if number in chrome:
            score.chrome_removed.add(gone, where)
        elif number in meta:
            score.meta_removed.add(gone, where)
        else:
            expected = line
            for spam in injections.get(number, []):
                expected = expected.replace(spam["before"], spam["repaired"])
            score.body_kept.add(clean_lines[_norm(expected)] > 0, where)
    for number, spams in injections.items():
        line = raw_lines[number - 1]
        for spam in spams:
            where = f"{doc_id}:{number} {spam['before']!r}"
            score.spam_removed.add(_norm(spam["before"]) not in clean_text, where)
            at = line.find(spam["before"])
            context = line[max(0, at - 25) : at] + spam["repaired"] + line[at + len(spam["before"]) :][:25]
            score.spam_repaired.add(_norm(context) in clean_text, where)
    _score_fields(score, doc_id, label, article)


def _score_fields(score: CleanScore, doc_id: str, label: dict[str, Any], article: Article) -> None:
    def check(name: str, ok: bool, got: object) -> None:
        score.fields.setdefault(name, Tally()).add(ok, f"{doc_id}: wanted {label.get(name)!r}, got {got!r}")

    if label.get("title"):
        check("title", _norm(str(label["title"])) == _norm(article.title or ""), article.title)
    if label.get("published"):
        got = article.published.date().isoformat() if article.published else None
        check("published", got == str(label["published"])[:10], got)
    if label.get("site_name"):
        check("site_name", _norm(str(label["site_name"])) == _norm(article.site or ""), article.site)
    if label.get("credit"):
        wanted = _norm(str(label["credit"]))
        ok = any(_norm(c) in wanted or wanted in _norm(c) for c in article.credits)
        check("credit", ok, article.credits)
    if label.get("author"):
        wanted = _norm(str(label["author"]))
        ok = any(_norm(a) in wanted or wanted in _norm(a) for a in article.authors)
        check("author", ok, article.authors)


def evaluate_clean(input_dir: Path, labels_path: Path, *, corpus: bool = True) -> CleanScore:
    """Clean every labelled .txt document of ``input_dir`` and score it against ``labels_path``."""
    try:
        labels = json.loads(labels_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read labels file {labels_path}: {exc}") from exc
    docs: dict[str, dict[str, Any]] = labels.get("docs", {})
    found = [(doc_id, label, _find_input(input_dir, doc_id, label)) for doc_id, label in docs.items()]
    present = [(doc_id, label, path) for doc_id, label, path in found if path is not None]
    if not present:
        raise UsageError(f"no labelled .txt document found in {input_dir}; check the folder and labels")
    articles = clean_files([path for _, _, path in present], corpus=corpus)
    score = CleanScore()
    for (doc_id, label, path), article in zip(present, articles, strict=True):
        score_document(score, doc_id, label, path.read_text("utf-8"), article)
    return score
