"""What a fetched document is (article page, RSS/Atom feed, sitemap, sitemap index) and the article
links a feed or sitemap lists, with the title and date hints it gives for each.

Sitemaps are parsed with lxml with entity resolution and network access off, so a hostile sitemap cannot
read local files or expand entity bombs.
"""

from __future__ import annotations

import calendar
import gzip
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urljoin

from copydesk.errors import FetchError, InputError
from copydesk.ingest.decode import read_capped

DocumentKind = Literal["html", "feed", "sitemap", "sitemap-index", "other"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
XML_TYPES = frozenset({"application/xml", "text/xml", *FEED_TYPES})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/octet-stream"})

# The first element name, after the XML declaration, comments, doctype and processing instructions.
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PROLOG = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.S | re.I)
_ROOT_KINDS: dict[bytes, DocumentKind] = {
    b"rss": "feed",
    b"feed": "feed",
    b"rdf": "feed",
    b"urlset": "sitemap",
    b"sitemapindex": "sitemap-index",
    b"html": "html",
}


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """An article URL found in a feed or sitemap, with the hints the listing gave for it."""

    url: str
    title: str | None = None
    published: str | None = None  # ISO 8601


def gunzip_if_needed(body: bytes, origin: str, cap: int) -> bytes:
    """A gzipped sitemap (``.xml.gz``) unpacked, refusing more than ``cap`` bytes after decompression."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return read_capped(gzip.GzipFile(fileobj=io.BytesIO(body)), origin, cap)
    except InputError as exc:
        raise FetchError(origin, exc.reason, kind="oversized" if "limit" in exc.reason else "fetch") from exc


def root_element(body: bytes) -> bytes | None:
    """The lower-cased local name of the document's first element, if it looks like markup."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    position = 0
    while match := _PROLOG.match(head, position):
        position = match.end()
    rest = head[position:].lstrip()
    if not rest.startswith(b"<"):
        return None
    match = _FIRST_TAG.match(rest)
    return match.group(2).lower() if match else None


def classify(body: bytes, content_type: str | None) -> DocumentKind:
    """Decide from the content type, then from the root element for XML and untyped documents."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in HTML_TYPES:
        return "html"
    if media and media not in XML_TYPES and media not in GZIP_TYPES and not media.startswith("text/"):
        return "other"
    root = root_element(body)
    return _ROOT_KINDS.get(root or b"", "other")


def _iso_from_struct(value: Any) -> str | None:
    if not isinstance(value, time.struct_time):
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()


def feed_links(body: bytes, base_url: str) -> list[ArticleLink]:
    """The entries of an RSS or Atom feed, as absolute article links (entries without a link are dropped)."""
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    links: list[ArticleLink] = []
    for entry in parsed.entries:
        href = entry.get("link")
        if not href:
            alternates = [
                link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"
            ]
            href = next((a for a in alternates if a), None)
        if not href:
            continue
        published = _iso_from_struct(entry.get("published_parsed") or entry.get("updated_parsed"))
        title = entry.get("title") or None
        links.append(ArticleLink(urljoin(base_url, str(href).strip()), title, published))
    return links


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def sitemap_entries(body: bytes, base_url: str) -> tuple[DocumentKind, list[ArticleLink]]:
    """The ``<loc>`` URLs of a sitemap (article links, with Google News title/date hints) or of a
    sitemap index (links to further sitemaps)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FetchError(base_url, f"unreadable sitemap XML: {exc}", kind="unsupported") from exc
    if root is None:
        raise FetchError(base_url, "empty sitemap", kind="unsupported")
    kind: DocumentKind = "sitemap-index" if _local(root.tag) == "sitemapindex" else "sitemap"
    entry_tag = "sitemap" if kind == "sitemap-index" else "url"
    links: list[ArticleLink] = []
    for entry in root:
        if _local(entry.tag) != entry_tag:
            continue
        fields: dict[str, str] = {}
        for child in entry.iter():
            name = _local(child.tag)
            # <loc> must be the entry's own (image and video extensions nest their own <loc>);
            # title and publication_date come from the Google News extension.
            if name == "loc" and child.getparent() is not entry:
                continue
            if name in ("loc", "title", "publication_date") and child.text and name not in fields:
                fields[name] = child.text.strip()
        if loc := fields.get("loc"):
            links.append(
                ArticleLink(urljoin(base_url, loc), fields.get("title"), fields.get("publication_date"))
            )
    return kind, links
