"""Readers: turn each input file into raw pages (or skipped inputs), one format per function.

A reader never raises for one bad record: it yields a ``SkippedInput`` and goes on. A whole-file
failure (unreadable, truncated gzip) becomes one ``SkippedInput`` after the pages read so far.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from copydesk.errors import InputError, OversizedInputError
from copydesk.ingest.decode import (
    decode_text,
    looks_binary,
    read_capped,
    read_file_bytes,
    too_large,
    unreadable,
)
from copydesk.ingest.sources import InputFile
from copydesk.records import InputKind, RawPage, SkippedInput, content_digest, distinct_names

ReadItem = RawPage | SkippedInput


def _skip(exc: InputError, source_id: str | None = None) -> SkippedInput:
    return SkippedInput(exc.origin, exc.reason, exc.kind, source_id)


def sniff_kind(text: str) -> InputKind:
    """HTML if the document starts like markup; stdin and untyped rows use this."""
    head = text.lstrip()[:1024].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) or ("<body" in head or "<div" in head):
        return "html"
    return "text"


def read_txt(item: InputFile, cap: int) -> Iterator[ReadItem]:
    assert item.path is not None
    try:
        body = decode_text(read_file_bytes(item.path, item.origin, cap), item.origin)
    except InputError as exc:
        yield _skip(exc, item.stem)
        return
    yield RawPage(item.stem, item.origin, "text", body)


def read_html(item: InputFile, cap: int) -> Iterator[ReadItem]:
    assert item.path is not None
    try:
        body = decode_text(read_file_bytes(item.path, item.origin, cap), item.origin, html=True)
    except InputError as exc:
        yield _skip(exc, item.stem)
        return
    yield RawPage(item.stem, item.origin, "html", body)


def read_stdin(item: InputFile, cap: int, stream: BinaryIO | None = None) -> Iterator[ReadItem]:
    source = stream if stream is not None else sys.stdin.buffer
    try:
        data = read_capped(source, "-", cap)
        if data[:2] == b"\x1f\x8b":
            data = read_capped(gzip.GzipFile(fileobj=io.BytesIO(data)), "-", cap)
        body = decode_text(data, "-", html=True)
    except InputError as exc:
        yield _skip(exc)
        return
    yield RawPage(f"stdin-{content_digest(body)[:12]}", "-", sniff_kind(body), body)


def read_warc(item: InputFile, cap: int) -> Iterator[ReadItem]:
    """HTML ``response`` records; ``source_id`` and ``url`` are the record's WARC-Target-URI."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    assert item.path is not None
    index = 0
    compressed = item.path.name.lower().endswith(".gz")
    try:
        # Python's gzip reader (C zlib underneath) notices a truncated member, where fastwarc's own
        # decompressor would stop silently and hide the loss; the stream then ends cleanly so the
        # records before the break are still read.
        with item.path.open("rb") as raw:
            stream = _BreakNotingStream(raw, compressed=compressed)
            for record in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=True):
                index += 1
                uri = record.headers.get("WARC-Target-URI") or f"{item.stem}#{index}"
                origin = f"{item.origin}#{uri}"
                content_type = (record.http_headers.get("Content-Type") or "") if record.http_headers else ""
                status = record.http_headers.status_code if record.http_headers else 200
                # Redirects, errors and non-HTML payloads (robots.txt, images) are not articles.
                if not 200 <= (status or 200) < 300 or (content_type and "html" not in content_type.lower()):
                    continue
                length = record.content_length or 0
                if length > cap:
                    yield _skip(
                        OversizedInputError(origin, f"record larger than the {cap:,}-byte limit"), uri
                    )
                    continue
                data = record.reader.read()
                if stream.broken and record.content_length and len(data) < length:
                    continue
                try:
                    body = decode_text(data, origin, html=True)
                except InputError as exc:
                    yield _skip(exc, uri)
                    continue
                yield RawPage(uri, origin, "html", body, url=uri)
    except OSError as exc:
        stream.broken = stream.broken or str(exc)
    if stream.broken:
        yield SkippedInput(
            item.origin, f"WARC stream broken after {index} records: {stream.broken}", "truncated"
        )


class _BreakNotingStream:
    """Bytes of a WARC file, gunzipped member by member when compressed.

    A truncated or corrupt gzip member ends the stream cleanly after every byte that could be
    decoded, and ``broken`` says why, so the records before the break are kept and the loss reported.
    """

    def __init__(self, raw: BinaryIO, *, compressed: bool) -> None:
        self.raw = raw
        self.compressed = compressed
        self.broken = ""
        self.position = 0
        self._pending = b""
        self._inflater = zlib.decompressobj(wbits=31)
        self._raw_done = False
        self._mid_member = False

    def tell(self) -> int:
        return self.position

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0, /) -> int:
        raise io.UnsupportedOperation("a WARC stream is read forward only")

    def close(self) -> None:
        """The underlying file is closed by its owner."""

    def _fill(self, want: int) -> None:
        while len(self._pending) < want and not self._raw_done:
            chunk = self.raw.read(1 << 16)
            if not self.compressed:
                self._pending += chunk
                self._raw_done = not chunk
                continue
            if not chunk:
                self._raw_done = True
                if self._mid_member:
                    self.broken = "compressed file ended inside a gzip member (truncated)"
                break
            data = chunk
            try:
                while data:
                    self._mid_member = True
                    self._pending += self._inflater.decompress(data)
                    if not self._inflater.eof:
                        break
                    data = self._inflater.unused_data
                    self._inflater = zlib.decompressobj(wbits=31)
                    self._mid_member = False
            except zlib.error as exc:
                self.broken = f"corrupt gzip data: {exc}"
                self._raw_done = True

    def read(self, size: int = -1, /) -> bytes:
        self._fill(size if size >= 0 else 1 << 62)
        cut = len(self._pending) if size < 0 else min(size, len(self._pending))
        data, self._pending = self._pending[:cut], self._pending[cut:]
        self.position += len(data)
        return data


def _row_page(row: dict[str, Any], origin: str, default_id: str) -> RawPage:
    """A JSONL/Parquet row: ``text`` or ``html`` plus optional ``id`` (``source_id`` wins), ``url``,
    ``title``, ``published``, ``site``, ``authors`` and ``credits`` (lists, or one name; ``author`` and
    ``credit`` too), ``dateline`` and ``language``: the columns of copydesk's own article export, so
    a round trip keeps what cleaning took out of the text."""
    html = row.get("html")
    text = row.get("text")
    if isinstance(html, str) and html.strip():
        kind: InputKind = "html"
        body = html
    elif isinstance(text, str) and text.strip():
        kind = "text"
        body = text
    else:
        raise InputError(origin, "row has no non-empty 'text' or 'html' field")
    if looks_binary(body[:8192].encode("utf-8", "replace")):
        raise InputError(origin, "row body is binary data, not text")
    # copydesk's own export names both: its ``id`` is the article's hash, its ``source_id`` the input's
    # id, which a round trip keeps
    raw_id = row.get("source_id")
    if raw_id in (None, ""):
        raw_id = row.get("id")
    source_id = str(raw_id) if raw_id not in (None, "") else default_id

    def opt(key: str) -> str | None:
        value = row.get(key)
        return None if value in (None, "") else str(value)

    return RawPage(
        source_id,
        origin,
        kind,
        body,
        url=opt("url"),
        title=opt("title"),
        published=opt("published"),
        site=opt("site"),
        authors=_row_names(row, "authors", "author"),
        credits=_row_names(row, "credits", "credit"),
        dateline=opt("dateline"),
        language=_row_language(row.get("language")),
    )


def _row_names(row: dict[str, Any], plural: str, singular: str) -> tuple[str, ...]:
    """A row's bylines or credits: ``plural`` (a list of names, or one name), else ``singular``;
    an entry may be an object with a ``name`` (as schema.org's ``Person`` is written); blank and
    other entries dropped, each name once. A single string stays one name: "Doe, Jane" is one
    person, so it is not split at commas."""
    value = row.get(plural)
    if value in (None, "", []):
        value = row.get(singular)
    entries = [value] if isinstance(value, str | dict) else value if isinstance(value, list | tuple) else []
    return distinct_names(entry.get("name") if isinstance(entry, dict) else entry for entry in entries)


def _row_language(value: Any) -> str | None:
    """A row's language where it is a code (``en``, ``fra``; the export writes ISO 639-1), else
    None: cleaning then tells the language from the text, as for a row without one."""
    code = value.strip().lower() if isinstance(value, str) else ""
    return code if 2 <= len(code) <= 3 and code.isascii() and code.isalpha() else None


def read_jsonl(item: InputFile, cap: int) -> Iterator[ReadItem]:
    assert item.path is not None
    try:
        lines = _jsonl_lines(item.path, item.origin, cap * 64)
        stem = item.stem
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            yield _jsonl_row(line, cap, f"{item.origin}:{lineno}", f"{stem}:{lineno}")
    except InputError as exc:
        yield _skip(exc)


def _jsonl_lines(path: Path, origin: str, cap: int) -> Iterator[bytes]:
    """The file's lines as ``bytes.splitlines`` splits them (at \\n, \\r and \\r\\n). A plain file is read
    a block at a time, its size checked against ``cap`` first, so its first pages are on their way
    to the workers while the rest is read (reading 20 MB whole held them back 20-45 ms); a gzipped
    one is read whole (its size is known only once it is)."""
    if path.name.lower().endswith(".gz"):
        return iter(read_file_bytes(path, origin, cap).splitlines())
    try:
        size = path.stat().st_size
        if size > cap:
            raise too_large(origin, cap)
        stream = path.open("rb")
    except OSError as exc:
        raise unreadable(origin, exc) from exc
    return _block_lines(stream, origin)


def _block_lines(stream: BinaryIO, origin: str) -> Iterator[bytes]:
    with stream:
        rest = b""
        try:
            while block := stream.read(_READ_BLOCK):
                data = rest + block if rest else block
                # A line feed always ends a line, so the bytes up to the last one split as the whole
                # file would; what follows it may go on in the next block. Where that tail holds a
                # carriage return (or there is no line feed at all), it is cut line by line instead.
                end = data.rfind(b"\n") + 1
                if end and data.find(b"\r", end) < 0:
                    lines = data.splitlines()
                    rest = lines.pop() if end < len(data) else b""
                    yield from lines
                    continue
                lines = data.splitlines(keepends=True)
                # the last line may go on in the next block (one ending in a carriage return too: a
                # line feed may follow it there)
                rest = lines.pop() if not lines[-1].endswith(b"\n") else b""
                yield from (_unended(line) for line in lines)
        except OSError as exc:
            raise unreadable(origin, exc) from exc
        yield from rest.splitlines()


def _unended(line: bytes) -> bytes:
    """A line of ``splitlines(keepends=True)`` without its line break."""
    if line.endswith(b"\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith((b"\n", b"\r")) else line


_READ_BLOCK = 1 << 20


def _jsonl_row(line: bytes, cap: int, origin: str, source_id: str) -> ReadItem:
    """One JSONL line's page, or why it is skipped."""
    if len(line) > cap:
        return _skip(OversizedInputError(origin, f"line larger than the {cap:,}-byte limit"))
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return SkippedInput(origin, f"malformed JSON line: {exc}", "malformed")
    if not isinstance(row, dict):
        return SkippedInput(origin, "JSON line is not an object", "malformed")
    try:
        return _row_page(row, origin, source_id)
    except InputError as exc:
        return _skip(exc)


def read_parquet(item: InputFile, cap: int) -> Iterator[ReadItem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert item.path is not None
    rowno = 0
    try:
        parquet = pq.ParquetFile(item.path)
        columns = (
            *("id", "source_id", "url", "title", "published", "site", "authors", "author", "credits"),
            "credit",
            *("dateline", "language", "text", "html"),
        )
        wanted = [c for c in columns if c in parquet.schema_arrow.names]  # top-level, lists too
        if "text" not in wanted and "html" not in wanted:
            yield SkippedInput(item.origin, "Parquet file has no 'text' or 'html' column", "malformed")
            return
        for batch in parquet.iter_batches(columns=wanted, batch_size=256):
            for row in batch.to_pylist():
                rowno += 1
                origin = f"{item.origin}:{rowno}"
                body = row.get("html") or row.get("text") or ""
                if isinstance(body, str) and len(body) > cap:
                    yield _skip(OversizedInputError(origin, f"row larger than the {cap:,}-byte limit"))
                    continue
                if row.get("published") is not None and not isinstance(row["published"], str):
                    row["published"] = row["published"].isoformat()
                try:
                    yield _row_page(row, origin, f"{item.stem}:{rowno}")
                except InputError as exc:
                    yield _skip(exc)
    except (OSError, pa.ArrowException) as exc:
        yield SkippedInput(item.origin, f"unreadable Parquet file after {rowno} rows: {exc}", "malformed")


READERS: dict[str, Callable[[InputFile, int], Iterator[ReadItem]]] = {
    "txt": read_txt,
    "html": read_html,
    "warc": read_warc,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "stdin": read_stdin,
}


def read_input(item: InputFile, cap: int) -> Iterator[ReadItem]:
    """Every page of one input, in order; failures come out as ``SkippedInput`` items."""
    return READERS[item.format](item, cap)
