"""Find the inputs a user named: files, directories, globs and stdin, each with a format and fingerprint."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from copydesk.records import SkippedInput, escaped_lone_surrogates

InputFormat = Literal["txt", "html", "warc", "jsonl", "parquet", "stdin"]

# Longest suffixes first so ".html.gz" wins over ".gz".
SUFFIX_FORMATS: tuple[tuple[str, InputFormat], ...] = (
    (".html.gz", "html"),
    (".htm.gz", "html"),
    (".warc.gz", "warc"),
    (".jsonl.gz", "jsonl"),
    (".ndjson.gz", "jsonl"),
    (".txt.gz", "txt"),
    (".html", "html"),
    (".htm", "html"),
    (".xhtml", "html"),
    (".warc", "warc"),
    (".jsonl", "jsonl"),
    (".ndjson", "jsonl"),
    (".parquet", "parquet"),
    (".txt", "txt"),
    (".text", "txt"),
)
SUPPORTED = ", ".join(sorted({s for s, _ in SUFFIX_FORMATS}))


def shown_path(path: Path | str) -> str:
    """A path as text that can be stored and printed: the bytes of a file name that are not UTF-8
    (Python hands them over as lone surrogates, which no UTF-8 encoder takes: one such name had
    failed a whole ingest) written as ``\\xe9`` escapes, as ``ls`` shows them."""
    text = str(path)
    if text.isascii():
        return text
    try:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a surrogate the file system's encoding did not make
        return escaped_lone_surrogates(text)


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input to read. ``fingerprint`` changes when the file does, so finished inputs can be skipped."""

    origin: str
    format: InputFormat
    path: Path | None
    fingerprint: str

    @property
    def stem(self) -> str:
        if self.path is None:
            return "stdin"
        name = shown_path(self.path.name)
        for suffix, _ in SUFFIX_FORMATS:
            if name.lower().endswith(suffix):
                return name[: -len(suffix)]
        return shown_path(self.path.stem)


def format_of(path: Path) -> InputFormat | None:
    name = path.name.lower()
    for suffix, fmt in SUFFIX_FORMATS:
        if name.endswith(suffix):
            return fmt
    return None


def _input_file(path: Path, fmt: InputFormat) -> InputFile:
    stat = path.stat()
    return InputFile(shown_path(path), fmt, path, f"{stat.st_size}:{stat.st_mtime_ns}")


@dataclass(slots=True)
class Discovery:
    inputs: list[InputFile]
    skipped: list[SkippedInput]
    ignored: int = 0


def discover(paths: list[str]) -> Discovery:
    """Expand the user's paths into readable inputs; anything unreadable becomes a skipped input.

    Inside a directory, files of unsupported types are ignored (counted, not reported one by one);
    a file named explicitly with an unsupported type is reported.
    """
    found = Discovery([], [])
    seen: set[str] = set()

    def add(item: InputFile) -> None:
        if item.origin not in seen:
            seen.add(item.origin)
            found.inputs.append(item)

    for raw in paths:
        if raw == "-":
            add(InputFile("-", "stdin", None, "stdin"))
            continue
        candidates: list[Path]
        if any(ch in raw for ch in "*?[") and not Path(raw).exists():
            candidates = [Path(p) for p in sorted(glob.glob(raw, recursive=True))]
            if not candidates:
                found.skipped.append(SkippedInput(shown_path(raw), "the pattern matched no file", "missing"))
                continue
        else:
            candidates = [Path(raw)]
        for path in candidates:
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    if any(part.startswith(".") for part in child.relative_to(path).parts):
                        continue
                    if not child.is_file():
                        continue
                    fmt = format_of(child)
                    if fmt is None:
                        found.ignored += 1
                        continue
                    add(_input_file(child, fmt))
            elif path.is_file():
                fmt = format_of(path)
                if fmt is None:
                    found.skipped.append(
                        SkippedInput(
                            shown_path(path), f"unsupported file type (supported: {SUPPORTED})", "unsupported"
                        )
                    )
                    continue
                add(_input_file(path, fmt))
            else:
                found.skipped.append(SkippedInput(shown_path(path), "no such file or directory", "missing"))
    return found


# Files whose lines are counted up front for ``expected_pages`` (a second read of a larger one costs
# more than the smaller last batches it buys).
COUNTED_BYTES = 256 << 20


def expected_pages(item: InputFile) -> int | None:
    """About how many pages an input holds, where a cheap look tells: an uncompressed JSONL file's
    lines (blank ones included) up to ``COUNTED_BYTES``, a Parquet file's rows (its footer says);
    None for everything else."""
    if item.format == "parquet" and item.path is not None:
        return _parquet_rows(item.path)
    if item.format != "jsonl" or item.path is None or item.path.name.lower().endswith(".gz"):
        return None
    try:
        if item.path.stat().st_size > COUNTED_BYTES:
            return None
        lines, last = 0, b"\n"
        with item.path.open("rb") as fh:
            while block := fh.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return None  # the reader reports it
    return lines + (last != b"\n")


def _parquet_rows(path: Path) -> int | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, pa.ArrowException):
        return None  # the reader reports it
