"""The fetch job on a mock network: listing loops and depth, mixed hosts, and failures that must end as
skipped inputs rather than a crashed run."""

from __future__ import annotations

import httpx

from copydesk import service
from copydesk.config import Settings
from copydesk.ingest.fetch import Fetcher
from copydesk.ingest.fetch_job import FetchReport
from copydesk.ingest.fetch_policy import FetchPolicy
from copydesk.store.db import Database
from copydesk.store.fetches import FetchRecord, done_pages, record_fetch
from tests.support.fetch_site import rss_feed, sitemap, sitemap_index, story_html

HOSTS = {
    "ledger.example": ["93.184.216.34"],
    "wire.example": ["93.184.216.35"],
    "lan.example": ["192.168.0.7"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in HOSTS:
        raise OSError(f"unknown host {host}")
    return HOSTS[host]


def run(settings: Settings, routes: dict[str, tuple[str, str | bytes]], targets: list[str]) -> FetchReport:
    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.url.host}{request.url.path}"
        if key not in routes:
            return httpx.Response(404)
        content_type, body = routes[key]
        if content_type == "raise":
            raise ValueError("a transport bug")
        return httpx.Response(200, content=body, headers={"Content-Type": content_type})

    policy = FetchPolicy(per_host_delay=0.0, backoff_base=0.0)
    with Fetcher(policy, resolver=resolver, transport=httpx.MockTransport(handler)) as fetcher:
        return service.fetch(targets, settings, executor="inprocess", fetcher=fetcher)


def test_sitemap_index_loops_and_depth_are_bounded(settings: Settings) -> None:
    base = "http://ledger.example"
    routes = {
        # The index lists itself and a chain of nested indexes four levels deep.
        "ledger.example/index.xml": (
            "application/xml",
            sitemap_index([f"{base}/index.xml", f"{base}/i1.xml"]),
        ),
        "ledger.example/i1.xml": ("application/xml", sitemap_index([f"{base}/i2.xml", f"{base}/sm.xml"])),
        "ledger.example/i2.xml": ("application/xml", sitemap_index([f"{base}/i3.xml"])),
        "ledger.example/i3.xml": ("application/xml", sitemap_index([f"{base}/i4.xml"])),
        "ledger.example/i4.xml": ("application/xml", sitemap_index([f"{base}/sm.xml"])),
        "ledger.example/sm.xml": ("application/xml", sitemap([f"{base}/news/tram"])),
        "ledger.example/news/tram": ("text/html", story_html("tram")),
    }
    report = run(settings, routes, [f"{base}/index.xml"])
    assert report.ingest.stored == 1
    [too_deep] = report.ingest.skipped
    assert too_deep.origin == f"{base}/i3.xml" and "deeper than 3 levels" in too_deep.reason


def test_feed_on_one_host_pages_on_another_and_a_refused_one(settings: Settings) -> None:
    feed = rss_feed("http://wire.example", ["ferry"]).replace(
        "</channel>",
        "<item><title>Office memo</title><link>http://lan.example/memo</link></item></channel>",
    )
    routes = {
        "ledger.example/feed": ("application/rss+xml", feed),
        "wire.example/news/ferry": ("text/html; charset=utf-8", story_html("ferry")),
    }
    report = run(settings, routes, ["http://ledger.example/feed"])
    assert report.ingest.stored == 1
    [refused] = report.ingest.skipped
    assert refused.origin == "http://lan.example/memo" and refused.error_kind == "blocked-address"
    assert "192.168.0.7, a private address" in refused.reason


def test_unexpected_failures_become_skipped_inputs(settings: Settings) -> None:
    routes = {
        "ledger.example/feed": ("application/rss+xml", rss_feed("http://ledger.example", ["ferry", "tram"])),
        "ledger.example/news/ferry": ("raise", ""),
        "ledger.example/news/tram": ("text/html", story_html("tram")),
    }
    report = run(settings, routes, ["http://ledger.example/feed", "not a url", "gopher://ledger.example/x"])
    assert report.ingest.stored == 1
    reasons = {s.origin: (s.error_kind, s.reason) for s in report.ingest.skipped}
    assert reasons["http://ledger.example/news/ferry"] == ("fetch", "unexpected ValueError: a transport bug")
    assert (
        reasons["not a url"][0] == "invalid-url" and reasons["gopher://ledger.example/x"][0] == "invalid-url"
    )


def test_charset_from_the_header_wins(settings: Settings) -> None:
    page = story_html("orchard").replace("<meta charset='utf-8'>", "").replace("Brenn", "Brønn")
    routes = {"ledger.example/news/orchard": ("text/html; charset=iso-8859-1", page.encode("latin-1"))}
    report = run(settings, routes, ["http://ledger.example/news/orchard"])
    assert report.ingest.stored == 1
    [article] = service.get_articles(settings, report.ingest.stored_ids)
    assert "Brønn valley" in article.text


def test_page_fetched_but_never_committed_is_fetched_again(settings: Settings) -> None:
    """A run that died after logging a fetch but before committing the article left no finished input;
    the next run must fetch the page again instead of trusting the fetch log alone."""
    url = "http://ledger.example/news/ferry"
    with Database.open(settings.db) as db:
        record_fetch(db, FetchRecord(url, "page", "fetched", final_url=url, status=200))
        assert done_pages(db) == set()
    routes = {"ledger.example/news/ferry": ("text/html", story_html("ferry"))}
    report = run(settings, routes, [url])
    assert (report.already_fetched, report.pages_fetched, report.ingest.stored) == (0, 1, 1)
    with Database.open(settings.db) as db:
        assert done_pages(db) == {url}
