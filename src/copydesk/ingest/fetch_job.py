"""The fetch job: URLs, feeds and sitemaps -> article pages -> the same ingest job as files.

Named targets are fetched first to learn what they are: an HTML page becomes one page source, an RSS or
Atom feed or a sitemap (index) is expanded into article links. Each article link becomes a ``PageSource``
whose ``read()`` fetches the page when the ingest job asks for it, so extraction runs on the executor
while the next page downloads. Feeds are read on every run; article pages fetched before (and committed)
are skipped unless ``refetch``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import httpx

from copydesk.errors import FetchError
from copydesk.ingest.feeds import ArticleLink, classify, feed_links, gunzip_if_needed, sitemap_entries
from copydesk.ingest.fetch import FetchedDocument, Fetcher, normalise_url
from copydesk.ingest.job import IngestReport, PageSource, ProgressCallback, run_ingest
from copydesk.pipeline import DocumentPipeline
from copydesk.records import RawPage, SkippedInput
from copydesk.run.base import Executor
from copydesk.store import fetches
from copydesk.store.db import Database
from copydesk.store.fetches import FetchRecord

T = TypeVar("T")


@dataclass(slots=True)
class FetchReport:
    """What one fetch did: the ingest report plus how the targets were expanded and what was skipped."""

    ingest: IngestReport = field(default_factory=IngestReport)
    targets: int = 0
    listings: int = 0  # feeds and sitemaps read
    links_found: int = 0  # distinct article URLs they listed
    already_fetched: int = 0  # article URLs skipped because an earlier run fetched them
    over_limit: int = 0  # article URLs left for a later run by --max-pages
    pages_fetched: int = 0  # HTML pages downloaded and handed to extraction


@dataclass(frozen=True, slots=True)
class FetchOptions:
    refetch: bool = False
    max_pages: int | None = None


@dataclass(slots=True)
class _Planned:
    link: ArticleLink
    doc: FetchedDocument | None = None  # a named target that was already downloaded to classify it


class _Prefetch:
    """Downloads URLs a few ahead of the caller, in threads, so different hosts are asked in parallel
    while each host still gets one request at a time (``HostThrottle``).

    ``get(url)`` returns the document for ``url`` and starts the next ones in ``urls`` order; at most
    ``ahead`` documents are in flight or waiting to be read, which bounds the memory held. A URL not in
    the list is fetched directly.
    """

    def __init__(self, fetcher: Fetcher, urls: list[str], ahead: int) -> None:
        self._fetcher = fetcher
        self._order = urls
        self._position = {url: i for i, url in enumerate(self._order)}
        self._ahead = max(1, ahead)
        self._submitted = 0
        self._futures: dict[str, Future[FetchedDocument]] = {}
        self._pool = (
            ThreadPoolExecutor(max_workers=self._ahead, thread_name_prefix="copydesk-fetch")
            if self._ahead > 1
            else None
        )

    def get(self, url: str) -> FetchedDocument:
        if self._pool is None or url not in self._position:
            return self._fetcher.get(url)
        horizon = min(len(self._order), self._position[url] + self._ahead)
        while self._submitted < horizon:
            upcoming = self._order[self._submitted]
            self._futures[upcoming] = self._pool.submit(self._fetcher.get, upcoming)
            self._submitted += 1
        future = self._futures.pop(url, None)
        return future.result() if future is not None else self._fetcher.get(url)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass(slots=True)
class _Planner:
    """Expands the named targets into article pages, recording feeds and failures as it goes."""

    fetcher: Fetcher
    db: Database
    report: FetchReport
    done: set[str]
    prefetch: _Prefetch
    pages: dict[str, _Planned] = field(default_factory=dict)
    seen_done: set[str] = field(default_factory=set)
    seen_listings: set[str] = field(default_factory=set)

    def skip(self, url: str, exc: FetchError, kind: str, doc: FetchedDocument | None = None) -> None:
        fetches.record_fetch(self.db, _record(url, kind, exc.kind, doc, exc.reason))
        self.report.ingest.skipped.append(SkippedInput(url, exc.reason, exc.kind, url))

    def add_link(self, link: ArticleLink) -> None:
        try:
            url = normalise_url(link.url)
        except FetchError:
            return  # a listing's junk entry (mailto:, javascript:) is not an input the user named
        if url in self.done:
            if url not in self.seen_done:
                self.seen_done.add(url)
                self.report.already_fetched += 1
            return
        self.pages.setdefault(url, _Planned(ArticleLink(url, link.title, link.published)))

    def expand(self, target: str, depth: int = 0) -> None:
        """Fetch one named target (or a sitemap an index lists) and plan the pages it leads to."""
        try:
            url = normalise_url(target)
        except FetchError as exc:
            self.report.ingest.skipped.append(SkippedInput(target, exc.reason, exc.kind, target))
            return
        if url in self.done or url in self.pages:
            self.add_link(ArticleLink(url))
            return
        if url in self.seen_listings:
            return
        self.seen_listings.add(url)
        try:
            with _no_surprises(url):
                doc = self.prefetch.get(url)
                if not doc.ok:
                    raise FetchError(url, f"HTTP {doc.status}", kind="http")
                body = gunzip_if_needed(doc.body, url, self.fetcher.policy.max_body_bytes)
        except FetchError as exc:
            self.skip(url, exc, "unknown", None)
            return
        kind = classify(body, doc.content_type)
        if kind == "html":
            self.seen_listings.discard(url)
            self.pages.setdefault(url, _Planned(ArticleLink(url), doc))
            return
        if kind == "other":
            reason = f"neither an HTML page, a feed nor a sitemap ({doc.media_type or 'no content type'})"
            self.skip(url, FetchError(url, reason, kind="unsupported"), "unknown", doc)
            return
        try:
            with _no_surprises(url):
                if kind == "feed":
                    links = feed_links(body, doc.final_url)
                else:
                    kind, links = sitemap_entries(body, doc.final_url)
        except FetchError as exc:
            self.skip(url, exc, kind, doc)
            return
        fetches.record_fetch(self.db, _record(url, kind, "fetched", doc))
        self.report.listings += 1
        if kind == "sitemap-index":
            if depth >= self.fetcher.policy.max_sitemap_depth:
                reason = f"sitemap index nested deeper than {self.fetcher.policy.max_sitemap_depth} levels"
                self.report.ingest.skipped.append(SkippedInput(url, reason, "unsupported", url))
                return
            for link in links:
                self.expand(link.url, depth + 1)
            return
        before = len(self.pages) + len(self.seen_done)
        for link in links:
            self.add_link(link)
        self.report.links_found += len(self.pages) + len(self.seen_done) - before


@contextmanager
def _no_surprises(url: str) -> Iterator[None]:
    """Any other failure on one URL (a parser or transport bug on hostile input) becomes a
    ``FetchError`` for that URL: it is skipped with its reason, and the run goes on."""
    try:
        yield
    except FetchError:
        raise
    except Exception as exc:
        raise FetchError(url, f"unexpected {type(exc).__name__}: {exc}", kind="fetch") from exc


def _key(target: str) -> str | None:
    try:
        return normalise_url(target)
    except FetchError:
        return None


def _record(
    url: str, kind: str, outcome: str, doc: FetchedDocument | None, reason: str | None = None
) -> FetchRecord:
    if doc is None:
        return FetchRecord(url, kind, outcome, reason=reason)
    return FetchRecord(
        url,
        kind,
        outcome,
        final_url=doc.final_url,
        status=doc.status,
        reason=reason,
        content_type=doc.content_type,
        content_hash=doc.content_hash,
        bytes=len(doc.body),
    )


def _read_page(
    planned: _Planned, prefetch: _Prefetch, db: Database, report: FetchReport
) -> Iterator[RawPage | SkippedInput]:
    """Fetch one article page (unless already downloaded) and yield it as an HTML ``RawPage``."""
    url = planned.link.url
    doc = planned.doc
    planned.doc = None  # the body is not kept once handed on
    try:
        with _no_surprises(url):
            if doc is None:
                doc = prefetch.get(url)
            if not doc.ok:
                raise FetchError(url, f"HTTP {doc.status}", kind="http")
            if classify(doc.body, doc.content_type) != "html":
                raise FetchError(
                    url, f"not an HTML page ({doc.media_type or 'no content type'})", kind="unsupported"
                )
            body = doc.text()
    except FetchError as exc:
        fetches.record_fetch(db, _record(url, "page", exc.kind, doc, exc.reason))
        yield SkippedInput(url, exc.reason, exc.kind, url)
        return
    fetches.record_fetch(db, _record(url, "page", "fetched", doc))
    report.pages_fetched += 1
    yield RawPage(
        source_id=url,
        origin=url,
        kind="html",
        body=body,
        url=doc.final_url,
        title=planned.link.title,
        published=planned.link.published,
    )


def _interleave_hosts(items: list[T], url_of: Callable[[T], str]) -> list[T]:
    """Round-robin over hosts (each host's items in their order), so the prefetch window holds pages
    from several hosts instead of queueing behind one host's delay."""
    queues: dict[str, deque[T]] = {}
    for item in items:
        try:
            host = httpx.URL(url_of(item)).host
        except httpx.InvalidURL:
            host = ""
        queues.setdefault(host, deque()).append(item)
    ordered: list[T] = []
    while queues:
        for host in list(queues):
            ordered.append(queues[host].popleft())
            if not queues[host]:
                del queues[host]
    return ordered


def run_fetch(
    targets: list[str],
    *,
    db: Database,
    fetcher: Fetcher,
    pipeline: DocumentPipeline,
    executor: Executor,
    options: FetchOptions = FetchOptions(),
    batch_size: int = 64,
    on_progress: ProgressCallback | None = None,
) -> FetchReport:
    """Expand the targets, then fetch and ingest every article page not fetched before."""
    report = FetchReport(targets=len(targets))
    ahead = fetcher.policy.parallel_hosts
    done = set() if options.refetch else fetches.done_pages(db)
    targets = _interleave_hosts(targets, lambda target: target)
    target_urls = list(dict.fromkeys(u for u in map(_key, targets) if u is not None and u not in done))
    planner = _Planner(fetcher, db, report, done, _Prefetch(fetcher, target_urls, ahead))
    try:
        for target in targets:
            planner.expand(target)
    finally:
        planner.prefetch.close()
    planned = list(planner.pages.values())
    if options.max_pages is not None and len(planned) > options.max_pages:
        report.over_limit = len(planned) - options.max_pages
        planned = planned[: options.max_pages]
    planned = _interleave_hosts(planned, lambda item: item.link.url)
    pending = [item.link.url for item in planned if item.doc is None]
    prefetch = _Prefetch(fetcher, pending, ahead)
    # A fingerprint new to every run: which pages to skip was decided above from the fetch log, so the
    # ingest job must not skip them again by origin; it still records each page once it is committed.
    run_mark = "fetch " + datetime.now(UTC).isoformat()
    sources = [
        PageSource(item.link.url, run_mark, partial(_read_page, item, prefetch, db, report))
        for item in planned
    ]
    try:
        run_ingest(
            sources,
            db=db,
            pipeline=pipeline,
            executor=executor,
            batch_size=batch_size,
            on_progress=on_progress,
            report=report.ingest,
        )
    finally:
        prefetch.close()
    return report
