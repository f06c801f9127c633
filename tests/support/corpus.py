"""Small generated inputs for reader and store tests (our own words, not real articles)."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

ARTICLE_TEXT = (
    "Harbour cranes idle as dock strike enters third day\n\n"
    "Dock workers at the port of Westmere stayed off the job for a third day on Thursday, "
    "leaving more than 40 container ships waiting at anchor outside the breakwater.\n\n"
    "The union said its members would not return until the operator restored the night-shift bonus. "
    "\u201cWe are not asking for anything new,\u201d said union secretary Mara Quell.\n\n"
    "The port authority estimated the backlog at about 12,000 containers and said talks would resume "
    "on Friday morning."
)


def article_html(title: str, body: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    nav = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(8))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:title' content='{title}'></head><body>"
        f"<nav><ul>{nav}</ul></nav><main><article><h1>{title}</h1>{paragraphs}</article></main>"
        "<footer><p>Copyright The Westmere Courier. All rights reserved.</p></footer></body></html>"
    )


def warc_bytes(records: list[tuple[str, str]], *, compress: bool = True) -> bytes:
    """A WARC file of ``response`` records (uri, html), each record its own gzip member."""
    out = io.BytesIO()
    for i, (uri, html) in enumerate(records):
        payload = html.encode("utf-8")
        http = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        header = (
            "WARC/1.1\r\n"
            "WARC-Type: response\r\n"
            f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{i:012d}>\r\n"
            "WARC-Date: 2025-03-12T10:00:00Z\r\n"
            f"WARC-Target-URI: {uri}\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n"
        ).encode()
        record = header + http + b"\r\n\r\n"
        out.write(gzip.compress(record, mtime=0) if compress else record)
    return out.getvalue()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def variant(n: int) -> str:
    """A distinct article body per n, so each gets its own content hash."""
    return ARTICLE_TEXT.replace("third day", f"day number {n}").replace("40 container", f"{40 + n} container")
