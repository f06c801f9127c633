"""The fetcher end to end against a news site served on 127.0.0.1: feeds, sitemaps, robots, redirects,
address policy, rate limit, body cap, retries, rerun skipping and the CLI."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import httpcore
import pytest
from typer.testing import CliRunner

from copydesk import service
from copydesk.cli.app import app
from copydesk.config import FetchSettings, Settings
from copydesk.ingest.fetch import Fetcher
from copydesk.ingest.fetch_job import FetchReport
from copydesk.ingest.fetch_policy import FetchPolicy
from copydesk.records import Article
from copydesk.store import articles as article_store
from copydesk.store.db import Database
from copydesk.store.fetches import fetch_log
from tests.support.fetch_site import (
    STORIES,
    NewsSite,
    Reply,
    atom_feed,
    gzipped,
    rss_feed,
    sitemap,
    sitemap_index,
    story_html,
)

FAST = FetchPolicy(per_host_delay=0.0, allow_private=True, backoff_base=0.01, timeout=5.0)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    served = NewsSite().start()
    yield served
    served.stop()


def fetch(settings: Settings, targets: list[str], policy: FetchPolicy = FAST, **kw: object) -> FetchReport:
    with Fetcher(policy) as fetcher:
        return service.fetch(targets, settings, executor="inprocess", fetcher=fetcher, **kw)  # type: ignore[arg-type]


def stored(settings: Settings) -> dict[str, Article]:
    with Database.open(settings.db) as db:
        return {a.source_id: a for a in article_store.iter_articles(db)}


def test_rss_feed_articles_are_stored_with_feed_hints(site: NewsSite, settings: Settings) -> None:
    site.add("/feed.xml", rss_feed(site.base, ["ferry", "library"]), "application/rss+xml")
    site.add_stories("ferry", "library")
    report = fetch(settings, [site.url("/feed.xml")])
    assert (report.listings, report.links_found, report.pages_fetched) == (1, 2, 2)
    assert report.ingest.stored == 2 and not report.ingest.skipped
    articles = stored(settings)
    ferry = articles[site.url("/news/ferry")]
    assert ferry.url == site.url("/news/ferry") and ferry.origin == site.url("/news/ferry")
    assert ferry.title == STORIES["ferry"][0]
    assert ferry.published is not None and ferry.published.isoformat().startswith("2025-04-14T08:00")
    assert "212 passengers" in ferry.text
    with Database.open(settings.db) as db:
        feed_row = fetch_log(db, site.url("/feed.xml"))
        page_row = fetch_log(db, site.url("/news/library"))
    assert feed_row is not None and feed_row.kind == "feed" and feed_row.outcome == "fetched"
    assert page_row is not None and page_row.status == 200 and page_row.content_hash
    assert page_row.final_url == site.url("/news/library")


def test_atom_feed_with_relative_links(site: NewsSite, settings: Settings) -> None:
    site.add("/atom", atom_feed(["orchard", "tram"]), "application/atom+xml")
    site.add_stories("orchard", "tram")
    report = fetch(settings, [site.url("/atom")])
    assert report.ingest.stored == 2
    assert set(stored(settings)) == {site.url("/news/orchard"), site.url("/news/tram")}


def test_sitemap_index_with_gzipped_sitemap(site: NewsSite, settings: Settings) -> None:
    site.add(
        "/sitemap.xml", sitemap_index([site.url("/sm-1.xml.gz"), site.url("/sm-2.xml")]), "application/xml"
    )
    site.add("/sm-1.xml.gz", gzipped(sitemap([site.url("/news/ferry")])), "application/gzip")
    site.add("/sm-2.xml", sitemap([site.url("/news/tram"), site.url("/news/ferry#comments")]), "text/xml")
    site.add_stories("ferry", "tram")
    report = fetch(settings, [site.url("/sitemap.xml")])
    assert report.listings == 3 and report.pages_fetched == 2
    assert set(stored(settings)) == {site.url("/news/ferry"), site.url("/news/tram")}
    assert site.paths().count("/news/ferry") == 1  # the fragment variant is the same page


def test_robots_txt_disallowed_path_is_skipped(site: NewsSite, settings: Settings) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /news/library\n", "text/plain")
    site.add("/feed.xml", rss_feed(site.base, ["ferry", "library"]), "application/rss+xml")
    site.add_stories("ferry", "library")
    report = fetch(settings, [site.url("/feed.xml")])
    assert report.ingest.stored == 1
    [skip] = report.ingest.skipped
    assert skip.error_kind == "robots" and skip.origin == site.url("/news/library")
    assert "/news/library" not in site.paths()
    assert site.paths().count("/robots.txt") == 1  # read once per host and run


def test_robots_txt_for_copydesk_agent_only(site: NewsSite, settings: Settings) -> None:
    site.add("/robots.txt", "User-agent: copydesk\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "text/plain")
    site.add_stories("tram")
    report = fetch(settings, [site.url("/news/tram")])
    assert [s.error_kind for s in report.ingest.skipped] == ["robots"]
    assert "/news/tram" not in site.paths()


def test_redirect_is_followed_and_final_url_kept(site: NewsSite, settings: Settings) -> None:
    site.add_replies("/old/ferry", [Reply(301, headers={"Location": "/news/ferry"})])
    site.add_stories("ferry")
    report = fetch(settings, [site.url("/old/ferry")])
    assert report.ingest.stored == 1
    article = stored(settings)[site.url("/old/ferry")]
    assert article.url == site.url("/news/ferry")
    with Database.open(settings.db) as db:
        row = fetch_log(db, site.url("/old/ferry"))
    assert row is not None and row.final_url == site.url("/news/ferry")


def test_loopback_refused_without_allow_private(site: NewsSite, settings: Settings) -> None:
    site.add_stories("orchard")
    strict = FetchPolicy(per_host_delay=0.0, allow_private=False)
    report = fetch(settings, [site.url("/news/orchard")], strict)
    [skip] = report.ingest.skipped
    assert (
        skip.error_kind == "blocked-address"
        and "loopback" in skip.reason
        and "--allow-private" in skip.reason
    )
    assert site.hits == []
    report = fetch(settings, [site.url("/news/orchard")], FAST)
    assert report.ingest.stored == 1


def test_settings_allow_private_lifts_the_check(site: NewsSite, settings: Settings) -> None:
    site.add_stories("orchard")
    report = service.fetch(
        [site.url("/news/orchard")],
        settings.replace(fetch=FetchSettings(allow_private=True, per_host_delay=0.0)),
        executor="inprocess",
    )
    assert report.ingest.stored == 1


def test_connection_goes_to_the_checked_address(site: NewsSite, settings: Settings) -> None:
    """A made-up host name reaches the local server only through the fetcher's own resolver."""
    site.add_stories("tram")
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if host == "ledger.example" else []

    url = f"http://ledger.example:{site.port}/news/tram"
    with Fetcher(FAST, resolver=resolver) as fetcher:
        report = service.fetch([url], settings, executor="inprocess", fetcher=fetcher)
    assert report.ingest.stored == 1
    assert {hit.host for hit in site.hits} == {f"ledger.example:{site.port}"}
    assert calls == ["ledger.example"]  # resolved once per run, then pinned


def test_dns_rebinding_cannot_reach_loopback(
    site: NewsSite, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first DNS answer is public, later ones loopback. The fetcher asks once and opens its socket
    to the address it checked, so the loopback server is never reached. (The socket layer is replaced
    so the test makes no connection to the public address.)"""
    site.add_stories("tram")
    answers = [["192.0.43.10"], ["127.0.0.1"]]
    calls: list[str] = []
    dialled: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, 1)]

    def no_network(self: object, host: str, port: int, *args: object, **kw: object) -> object:
        dialled.append(host)
        raise httpcore.ConnectError(f"test: no route to {host}")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_network)
    policy = FetchPolicy(per_host_delay=0.0, retries=1, backoff_base=0.0)
    with Fetcher(policy, resolver=rebinding) as fetcher:
        report = service.fetch(
            [f"http://rebind.example:{site.port}/news/tram"], settings, executor="inprocess", fetcher=fetcher
        )
    assert report.ingest.stored == 0 and len(report.ingest.skipped) == 1
    assert calls == ["rebind.example"] and set(dialled) == {"192.0.43.10"} and len(dialled) >= 2
    assert site.hits == []


def test_per_host_delay_spaces_requests(site: NewsSite, settings: Settings) -> None:
    site.add_stories("ferry", "tram")
    policy = FetchPolicy(per_host_delay=0.3, allow_private=True)
    sent: list[float] = []
    with Fetcher(policy) as fetcher:
        fetcher.client.event_hooks["request"].append(lambda _request: sent.append(time.monotonic()))
        urls = [site.url("/news/ferry"), site.url("/news/tram")]
        report = service.fetch(urls, settings, executor="inprocess", fetcher=fetcher)
    assert report.ingest.stored == 2
    assert len(sent) == 3  # robots.txt, then the two pages
    # Measured one hook after the throttle's own: a few microseconds of call overhead either way.
    assert min(b - a for a, b in itertools.pairwise(sent)) >= 0.299
    # The server sees the same spacing, give or take the scheduling of its threads on a busy machine.
    arrived = [hit.at for hit in site.hits]
    assert arrived[-1] - arrived[0] >= 0.55


def test_hosts_are_fetched_in_parallel_each_at_its_own_pace(site: NewsSite, settings: Settings) -> None:
    site.add_stories("ferry", "tram", "library", "orchard")
    hosts = {"ledger.example", "wire.example"}

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host in hosts else []

    a, b = (f"http://{h}:{site.port}" for h in ("ledger.example", "wire.example"))
    urls = [f"{a}/news/ferry", f"{a}/news/tram", f"{b}/news/library", f"{b}/news/orchard"]
    policy = FetchPolicy(per_host_delay=0.6, allow_private=True)
    with Fetcher(policy, resolver=resolver) as fetcher:
        report = service.fetch(urls, settings, executor="inprocess", fetcher=fetcher)
    assert report.ingest.stored == 4
    by_host: dict[str, list[float]] = {}
    for hit in site.hits:
        by_host.setdefault(hit.host.split(":")[0], []).append(hit.at)
    assert sorted(by_host) == sorted(hosts) and all(len(t) == 3 for t in by_host.values())
    # Each host: robots.txt and two pages, spaced by the delay; the two hosts start together.
    for times in by_host.values():
        assert min(b - a for a, b in itertools.pairwise(times)) >= 0.55
    assert abs(by_host["ledger.example"][0] - by_host["wire.example"][0]) < 0.3


def test_body_over_the_limit_is_refused_while_streaming(site: NewsSite, settings: Settings) -> None:
    big = story_html("library").replace("</article>", "<p>" + "more words " * 2000 + "</p></article>")
    site.add("/news/declared", big)
    site.add("/news/streamed", big, send_length=False)
    site.add_stories("tram")
    policy = FetchPolicy(per_host_delay=0.0, allow_private=True, max_body_bytes=8_000)
    urls = [site.url("/news/declared"), site.url("/news/streamed"), site.url("/news/tram")]
    report = fetch(settings, urls, policy)
    assert report.ingest.stored == 1
    assert sorted(s.error_kind for s in report.ingest.skipped) == ["oversized", "oversized"]


def test_retries_on_503_then_success(site: NewsSite, settings: Settings) -> None:
    site.add_replies(
        "/news/orchard",
        [
            Reply(503, b"busy", "text/plain", headers={"Retry-After": "0"}),
            Reply(503, b"busy", "text/plain"),
            Reply(200, story_html("orchard").encode()),
        ],
    )
    report = fetch(settings, [site.url("/news/orchard")])
    assert report.ingest.stored == 1
    assert site.paths().count("/news/orchard") == 3


def test_gives_up_after_the_retries(site: NewsSite, settings: Settings) -> None:
    site.add_replies("/news/orchard", [Reply(500, b"broken", "text/plain")])
    policy = FetchPolicy(per_host_delay=0.0, allow_private=True, retries=2, backoff_base=0.01)
    report = fetch(settings, [site.url("/news/orchard")], policy)
    [skip] = report.ingest.skipped
    assert skip.error_kind == "http" and "500" in skip.reason
    assert site.paths().count("/news/orchard") == 3


def test_second_run_skips_fetched_pages_and_refetch_forces(site: NewsSite, settings: Settings) -> None:
    site.add("/feed.xml", rss_feed(site.base, ["ferry", "library", "tram"]), "application/rss+xml")
    site.add_stories("ferry", "library", "tram")
    first = fetch(settings, [site.url("/feed.xml")], max_pages=2)
    assert (first.pages_fetched, first.over_limit, first.ingest.stored) == (2, 1, 2)
    second = fetch(settings, [site.url("/feed.xml")])
    assert (second.already_fetched, second.pages_fetched, second.ingest.stored) == (2, 1, 1)
    third = fetch(settings, [site.url("/feed.xml")])
    assert (third.already_fetched, third.pages_fetched) == (3, 0)
    assert site.paths().count("/news/ferry") == 1 and site.paths().count("/feed.xml") == 3
    forced = fetch(settings, [site.url("/feed.xml")], refetch=True)
    assert forced.pages_fetched == 3 and forced.ingest.duplicates == 3  # same content: no new article
    assert site.paths().count("/news/ferry") == 2


def test_failed_pages_are_tried_again_next_run(site: NewsSite, settings: Settings) -> None:
    site.add_replies(
        "/news/tram", [Reply(404, b"gone", "text/plain"), Reply(200, story_html("tram").encode())]
    )
    first = fetch(settings, [site.url("/news/tram")])
    assert [(s.error_kind, s.reason) for s in first.ingest.skipped] == [("http", "HTTP 404")]
    second = fetch(settings, [site.url("/news/tram")])
    assert second.ingest.stored == 1


def test_non_html_page_is_skipped_with_reason(site: NewsSite, settings: Settings) -> None:
    site.add("/feed.xml", rss_feed(site.base, ["ferry"]), "application/rss+xml")
    site.add("/news/ferry", b"%PDF-1.4 not really", "application/pdf")
    report = fetch(settings, [site.url("/feed.xml"), site.url("/files/report.pdf")])
    skipped = {s.origin: (s.error_kind, s.reason) for s in report.ingest.skipped}
    assert skipped == {
        site.url("/files/report.pdf"): ("http", "HTTP 404"),
        site.url("/news/ferry"): ("unsupported", "not an HTML page (application/pdf)"),
    }


def test_cli_fetch_end_to_end(site: NewsSite, tmp_path: Path) -> None:
    site.add("/feed.xml", rss_feed(site.base, ["ferry", "orchard"]), "application/rss+xml")
    site.add_stories("ferry", "orchard")
    db = tmp_path / "cli.db"
    env = {"COPYDESK_FETCH__PER_HOST_DELAY": "0", "COLUMNS": "250"}
    runner = CliRunner()
    args = ["--db", str(db), "fetch", site.url("/feed.xml"), "--executor", "inprocess"]
    refused = runner.invoke(app, args, env=env)
    assert refused.exit_code == 0
    assert "0 articles stored" in refused.output and "loopback address" in refused.output
    result = runner.invoke(app, [*args, "--allow-private"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 pages fetched" in result.output and "2 articles stored" in result.output
    again = runner.invoke(app, [*args, "--allow-private"], env=env)
    assert "2 fetched before" in again.output and "0 articles stored" in again.output
    usage = runner.invoke(app, ["--db", str(db), "fetch"])
    assert usage.exit_code != 0
    bad = runner.invoke(app, [*args, "--max-pages", "0"])
    assert bad.exit_code != 0
