"""Exports: rows in a documented, stable shape written as JSONL, CSV or Parquet.

The row contracts are documented in docs/exports.md; tests pin the column names.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from copydesk.errors import UsageError
from copydesk.records import Article
from copydesk.store import articles as article_store
from copydesk.store.db import Database

ExportFormat = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "parquet")

ARTICLE_FIELDS = (
    "id",
    "source_id",
    "url",
    "site",
    "title",
    "published",
    "authors",
    "credits",
    "language",
    "dateline",
    "text",
    "removed",
    "signals",
)


def article_row(article: Article) -> dict[str, Any]:
    """The articles export contract (docs/exports.md)."""
    return {
        "id": article.id,
        "source_id": article.source_id,
        "url": article.url,
        "site": article.site,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "authors": list(article.authors),
        "credits": list(article.credits),
        "language": article.language,
        "dateline": article.dateline,
        "text": article.text,
        "removed": [
            {
                "kind": r.kind,
                "text": r.text,
                "reason": r.reason,
                "position": r.position,
                "repaired_as": r.repaired_as,
            }
            for r in article.removals
        ],
        "signals": dataclasses.asdict(article.signals),
    }


@dataclass(frozen=True, slots=True)
class Exporter:
    """One exportable table: its documented columns and where its rows come from."""

    fields: tuple[str, ...]
    rows: Callable[[Database], Iterator[dict[str, Any]]]


def _article_rows(db: Database) -> Iterator[dict[str, Any]]:
    return (article_row(a) for a in article_store.iter_articles(db))


def _story_rows(db: Database) -> Iterator[dict[str, Any]]:
    from copydesk.stories.story_rows import story_rows

    if not db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stories'"):
        return iter(())
    return story_rows(db)


def _fact_rows(kind: str) -> Callable[[Database], Iterator[dict[str, Any]]]:
    """Rows of one facts table (figures, quotes, entities); empty on a store without facts yet."""

    def rows(db: Database) -> Iterator[dict[str, Any]]:
        from copydesk.store import facts as fact_store

        if not db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fact_stories'"):
            return iter(())
        return {
            "figures": fact_store.iter_figure_rows,
            "quotes": fact_store.iter_quote_rows,
            "entities": fact_store.iter_entity_rows,
        }[kind](db)

    return rows


FIGURE_FIELDS = (
    *("story_id", "article_id", "source_id", "kind", "value", "when", "qualifier", "unit", "counted"),
    *("scope", "text", "sentence", "group_id", "status"),
)
QUOTE_FIELDS = (
    *("story_id", "article_id", "source_id", "kind", "speaker", "speaker_text", "cue", "text"),
    *("sentence", "group_id", "group_status"),
)
ENTITY_FIELDS = (
    "story_id",
    "entity_id",
    "label",
    "canonical",
    "surface_forms",
    "article_ids",
    "roles",
    "mentions",
)

# What ``copydesk export --what NAME`` can write; each stage package adds its own entry here.
EXPORTERS: dict[str, Exporter] = {
    "figures": Exporter(FIGURE_FIELDS, _fact_rows("figures")),
    "quotes": Exporter(QUOTE_FIELDS, _fact_rows("quotes")),
    "entities": Exporter(ENTITY_FIELDS, _fact_rows("entities")),
    "articles": Exporter(ARTICLE_FIELDS, _article_rows),
    "stories": Exporter(
        (
            *("id", "title", "topic_id", "article_ids", "first_seen", "last_seen", "articles"),
            *("independent_sources", "sites", "credited_wires", "members"),
        ),
        _story_rows,
    ),
}


def exporter(what: str) -> Exporter:
    if what not in EXPORTERS:
        raise UsageError(f"cannot export {what!r}; choose one of: {', '.join(EXPORTERS)}")
    return EXPORTERS[what]


def check_format(fmt: str) -> ExportFormat:
    for known in FORMATS:
        if fmt == known:
            return known
    raise UsageError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def format_from_path(path: Path | None, default: ExportFormat = "jsonl") -> ExportFormat:
    if path is None:
        return default
    suffix = path.suffix.lower().lstrip(".")
    return check_format(suffix) if suffix in FORMATS else default


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], fields: tuple[str, ...]) -> int:
    """Lists and objects are JSON-encoded inside their cell."""
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                for k, v in row.items()
            }
        )
        count += 1
    return count


def write_parquet(
    rows: Iterable[dict[str, Any]], path: Path, fields: tuple[str, ...], batch: int = 2000
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    count = 0
    try:
        for chunk in _chunks(rows, batch):
            table = pa.Table.from_pylist([{f: r.get(f) for f in fields} for r in chunk])
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            else:
                table = table.cast(writer.schema)
            writer.write_table(table)
            count += len(chunk)
        if writer is None:
            pq.write_table(pa.table({f: pa.array([], pa.string()) for f in fields}), path)
    finally:
        if writer is not None:
            writer.close()
    return count


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_rows(
    rows: Iterable[dict[str, Any]], fields: tuple[str, ...], fmt: ExportFormat, out: Path | None
) -> int:
    """Write rows to ``out`` (stdout when ``None``; Parquet needs a file)."""
    if fmt == "parquet":
        if out is None:
            raise UsageError("Parquet is binary: give an output file with -o FILE.parquet")
        return write_parquet(rows, out, fields)
    if out is None:
        return write_jsonl(rows, sys.stdout) if fmt == "jsonl" else write_csv(rows, sys.stdout, fields)
    with out.open("w", encoding="utf-8", newline="") as fh:
        return write_jsonl(rows, fh) if fmt == "jsonl" else write_csv(rows, fh, fields)


class _Drain:
    """A write-only sink whose bytes are taken out after each chunk, so an export streams."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def stream_rows(
    rows: Iterable[dict[str, Any]], fields: tuple[str, ...], fmt: ExportFormat, batch: int = 2000
) -> Iterator[bytes]:
    """The same encodings as ``write_rows``, as byte chunks (for HTTP streaming); Parquet included."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = _Drain()
        writer: pq.ParquetWriter | None = None
        for chunk in _chunks(rows, batch):
            table = pa.Table.from_pylist([{f: r.get(f) for f in fields} for r in chunk])
            if writer is None:
                writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), table.schema)
            else:
                table = table.cast(writer.schema)
            writer.write_table(table)
            yield sink.take()
        if writer is None:
            empty = pa.table({f: pa.array([], pa.string()) for f in fields})
            pq.write_table(empty, pa.PythonFile(sink, mode="w"))
        else:
            writer.close()
        yield sink.take()
        return
    buffer = io.StringIO()
    if fmt == "csv":
        csv.DictWriter(buffer, fieldnames=list(fields)).writeheader()
    for chunk in _chunks(rows, 200):
        if fmt == "jsonl":
            write_jsonl(chunk, buffer)
        else:
            writer_csv = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore")
            for row in chunk:
                writer_csv.writerow(
                    {
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for k, v in row.items()
                    }
                )
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    tail = buffer.getvalue()
    if tail:
        yield tail.encode("utf-8")
