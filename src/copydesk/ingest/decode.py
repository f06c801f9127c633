"""Bytes to text: size caps, gzip, binary detection and charset guessing, with clear errors."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import Protocol

from charset_normalizer import from_bytes

from copydesk.errors import InputError, OversizedInputError, UndecodableInputError


class ByteStream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


# Control bytes other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_READ_CHUNK = 1 << 20


def too_large(origin: str, cap: int) -> OversizedInputError:
    """The error for an input over the ``max_input_bytes`` cap."""
    return OversizedInputError(origin, f"larger than the {cap:,}-byte limit (max_input_bytes)")


def unreadable(origin: str, exc: OSError) -> InputError:
    """The error for a file the system will not let us read."""
    return InputError(origin, f"cannot read file: {exc.strerror or exc}")


def read_capped(stream: ByteStream, origin: str, cap: int) -> bytes:
    """Read a whole stream but refuse more than ``cap`` bytes (also after decompression)."""
    parts: list[bytes] = []
    total = 0
    try:
        while chunk := stream.read(_READ_CHUNK):
            total += len(chunk)
            if total > cap:
                raise too_large(origin, cap)
            parts.append(chunk)
    except EOFError as exc:
        raise InputError(origin, "truncated gzip stream (the file ends early)") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(origin, f"corrupt gzip data: {exc}") from exc
    return b"".join(parts)


def read_file_bytes(path: Path, origin: str, cap: int) -> bytes:
    """A file's bytes, gunzipped when its name ends in .gz."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return read_capped(fh, origin, cap)
        with path.open("rb") as fh:
            return read_capped(fh, origin, cap)
    except OSError as exc:
        raise unreadable(origin, exc) from exc


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB: not a text or HTML document."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # C speed, no per-byte loop
    return bool(head) and controls / len(head) > 0.05


def decode_text(data: bytes, origin: str, *, html: bool = False) -> str:
    """Decode bytes as UTF-8, then a declared HTML charset, then charset detection."""
    if not data.strip():
        raise InputError(origin, "empty input")
    if looks_binary(data):
        raise UndecodableInputError(origin, "binary data, not text or HTML")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html and (match := _META_CHARSET.search(data[:4096])):
        try:
            return data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise UndecodableInputError(origin, "cannot tell the character encoding")
    return str(best)
