"""The fetcher's rules without a server: address checks, redirects to refused addresses, retries and
backoff, Retry-After, the host throttle, robots.txt handling and feed/sitemap parsing."""

from __future__ import annotations

import gzip
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from copydesk.config import FetchSettings
from copydesk.errors import BlockedAddressError, ConfigError, FetchError, RobotsDisallowedError
from copydesk.ingest.feeds import classify, feed_links, gunzip_if_needed, root_element, sitemap_entries
from copydesk.ingest.fetch import Fetcher, normalise_url
from copydesk.ingest.fetch_policy import (
    AddressGuard,
    FetchPolicy,
    HostThrottle,
    address_problem,
    retry_after_seconds,
)

PUBLIC = "93.184.216.34"
HOSTS = {"news.example": [PUBLIC], "intranet.example": ["10.0.0.1"], "mixed.example": [PUBLIC, "127.0.0.1"]}
PAGE = b"<html><body><article><p>The harbour board met on Monday.</p></article></body></html>"


def fake_resolver(host: str, port: int) -> list[str]:
    if host not in HOSTS:
        raise OSError(f"unknown host {host}")
    return HOSTS[host]


Handler = Callable[[httpx.Request], httpx.Response]


def make_fetcher(handler: Handler, sleeps: list[float] | None = None, **policy: object) -> Fetcher:
    """A fetcher on a mock network and a fake clock that sleeping moves forward (no real waits)."""
    options: dict[str, object] = {"per_host_delay": 0.0, **policy}
    now = [1000.0]
    slept = sleeps if sleeps is not None else []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    return Fetcher(
        FetchPolicy(**options),  # type: ignore[arg-type]
        resolver=fake_resolver,
        transport=httpx.MockTransport(handler),
        sleep=sleep,
        clock=lambda: now[0],
    )


def site(routes: dict[str, httpx.Response | list[httpx.Response]], seen: list[str]) -> Handler:
    """A mock site: robots.txt is missing unless routed; a list of replies is served in turn."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        reply = routes.get(f"{request.url.host}{request.url.path}")
        if isinstance(reply, list):
            return reply.pop(0) if len(reply) > 1 else reply[0]
        return reply if reply is not None else httpx.Response(404)

    return handler


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::5", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::ffff:10.0.0.1", "private (embedded 10.0.0.1)"),
        ("::ffff:127.0.0.1", "loopback (embedded 127.0.0.1)"),
        ("64:ff9b::7f00:1", "loopback (embedded 127.0.0.1)"),
        ("2002:a00:1::", "private (embedded 10.0.0.1)"),
        ("not-an-ip", "not an IP address"),
    ],
)
def test_non_public_addresses_are_named(address: str, problem: str) -> None:
    assert address_problem(address) == problem


@pytest.mark.parametrize("address", [PUBLIC, "8.8.4.4", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@given(st.ip_addresses(v=4))
def test_ipv4_mapped_form_gets_the_same_verdict(ip: object) -> None:
    verdict = address_problem(str(ip))
    mapped = address_problem(f"::ffff:{ip}")
    assert (verdict is None) == (mapped is None)


@given(st.ip_addresses())
def test_an_allowed_address_is_global_unicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if address_problem(str(ip)) is None:
        target = getattr(ip, "ipv4_mapped", None) or ip
        assert target.is_global and not target.is_multicast


def test_guard_resolves_once_and_refuses_mixed_answers() -> None:
    calls: list[str] = []

    def counting(host: str, port: int) -> list[str]:
        calls.append(host)
        return fake_resolver(host, port)

    guard = AddressGuard(resolver=counting)
    assert guard.check_url(httpx.URL("https://news.example/a")) == [PUBLIC]
    assert guard.check_url(httpx.URL("https://news.example/b")) == [PUBLIC]
    assert calls == ["news.example"]
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1, a loopback"):
        guard.check_url(httpx.URL("http://mixed.example/"))
    with pytest.raises(BlockedAddressError, match="DNS lookup failed"):
        guard.check_url(httpx.URL("http://nowhere.example/"))
    with pytest.raises(BlockedAddressError, match="scheme 'ftp'"):
        guard.check_url(httpx.URL("ftp://news.example/file"))
    with pytest.raises(BlockedAddressError, match=r"\[::1\] is a loopback|::1 is a loopback"):
        guard.check_url(httpx.URL("http://[::1]:8080/"))
    assert AddressGuard(allow_private=True, resolver=fake_resolver).check_url(
        httpx.URL("http://intranet.example/")
    ) == ["10.0.0.1"]


def test_international_host_names_are_resolved_in_their_ascii_form() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return [PUBLIC]

    guard = AddressGuard(resolver=resolver)
    guard.check_url(httpx.URL("https://bücher.example/neu"))
    assert guard.addresses("xn--bcher-kva.example", 443) == [PUBLIC]
    assert asked == ["xn--bcher-kva.example"]


def test_redirect_to_a_private_host_is_refused_before_any_request() -> None:
    seen: list[str] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/story": httpx.Response(302, headers={"Location": "http://intranet.example/admin"}),
        "news.example/numeric": httpx.Response(301, headers={"Location": "http://127.0.0.1:8080/"}),
    }
    with make_fetcher(site(routes, seen)) as fetcher:
        with pytest.raises(
            BlockedAddressError, match=r"redirected to http://intranet\.example/admin: .*10\.0\.0\.1"
        ):
            fetcher.get("http://news.example/story")
        with pytest.raises(BlockedAddressError) as caught:
            fetcher.get("http://news.example/numeric")
    assert caught.value.url == "http://news.example/numeric"
    assert not any("intranet" in url or "127.0.0.1" in url for url in seen)


def test_redirect_to_another_scheme_is_refused() -> None:
    seen: list[str] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/x": httpx.Response(302, headers={"Location": "file:///etc/passwd"})
    }
    with (
        make_fetcher(site(routes, seen)) as fetcher,
        pytest.raises(BlockedAddressError, match="scheme 'file'"),
    ):
        fetcher.get("http://news.example/x")


def test_redirect_loops_are_bounded() -> None:
    seen: list[str] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/loop": httpx.Response(302, headers={"Location": "/loop"})
    }
    with (
        make_fetcher(site(routes, seen), max_redirects=4) as fetcher,
        pytest.raises(FetchError, match="more than 4 redirects"),
    ):
        fetcher.get("http://news.example/loop")
    assert seen.count("http://news.example/loop") == 5


def test_5xx_retried_with_exponential_backoff() -> None:
    seen: list[str] = []
    sleeps: list[float] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/a": [
            httpx.Response(503),
            httpx.Response(502),
            httpx.Response(500),
            httpx.Response(200, content=PAGE),
        ]
    }
    with make_fetcher(site(routes, seen), sleeps, retries=3, backoff_base=0.5) as fetcher:
        doc = fetcher.get("http://news.example/a")
    assert doc.status == 200 and doc.body == PAGE
    assert sleeps == [0.5, 1.0, 2.0]


def test_retry_after_is_honoured_and_bounded() -> None:
    seen: list[str] = []
    sleeps: list[float] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/a": [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, content=PAGE),
        ],
        "news.example/b": [httpx.Response(429, headers={"Retry-After": "3600"})],
    }
    with make_fetcher(site(routes, seen), sleeps, backoff_base=0.5, backoff_max=30.0) as fetcher:
        assert fetcher.get("http://news.example/a").status == 200
        assert sleeps == [7.0]
        # An hour is more than we wait: give up at once rather than come back early.
        assert fetcher.get("http://news.example/b").status == 429
    assert sleeps == [7.0]
    assert seen.count("http://news.example/b") == 1


def test_connect_errors_are_retried_then_reported() -> None:
    attempts: list[str] = []
    sleeps: list[float] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        raise httpx.ConnectError("connection refused", request=request)

    with (
        make_fetcher(flaky, sleeps, retries=2, backoff_base=0.1) as fetcher,
        pytest.raises(FetchError, match="network error after 3 tries") as caught,
    ):
        fetcher.get("http://news.example/a")
    assert caught.value.kind == "network"
    assert attempts.count("/a") == 3 and sleeps == [0.1, 0.2]


def test_declared_body_over_the_limit_is_refused() -> None:
    seen: list[str] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/big": httpx.Response(200, content=b"x" * 5000, headers={"Content-Type": "text/html"})
    }
    with (
        make_fetcher(site(routes, seen), max_body_bytes=1000) as fetcher,
        pytest.raises(FetchError, match="over the 1,000-byte limit") as caught,
    ):
        fetcher.get("http://news.example/big")
    assert caught.value.kind == "oversized"


def test_robots_rules_cached_per_host_and_crawl_delay_applied() -> None:
    seen: list[str] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/robots.txt": httpx.Response(
            200, text="User-agent: *\nDisallow: /drafts/\nCrawl-delay: 3\n"
        ),
        "news.example/a": httpx.Response(200, content=PAGE),
        "news.example/c": httpx.Response(200, content=PAGE),
    }
    sleeps: list[float] = []
    with make_fetcher(site(routes, seen), sleeps, per_host_delay=1.0) as fetcher:
        assert fetcher.get("http://news.example/a").ok
        with pytest.raises(RobotsDisallowedError, match=r"robots\.txt disallows"):
            fetcher.get("http://news.example/drafts/b")
        assert fetcher.get("http://news.example/c").ok
    assert sleeps == [3.0, 3.0]  # Crawl-delay 3 replaces the 1 s default after robots.txt is read
    assert seen.count("http://news.example/robots.txt") == 1
    assert "http://news.example/drafts/b" not in seen


def test_robots_server_error_means_disallowed_and_404_means_allowed() -> None:
    seen: list[str] = []
    routes: dict[str, httpx.Response | list[httpx.Response]] = {
        "news.example/robots.txt": httpx.Response(503),
        "news.example/a": httpx.Response(200, content=PAGE),
    }
    with (
        make_fetcher(site(routes, seen), retries=0) as fetcher,
        pytest.raises(RobotsDisallowedError, match=r"could not be read \(HTTP 503\)"),
    ):
        fetcher.get("http://news.example/a")
    routes["news.example/robots.txt"] = httpx.Response(404)
    with make_fetcher(site(routes, seen), retries=0) as fetcher:
        assert fetcher.get("http://news.example/a").ok


def test_user_agent_is_sent() -> None:
    agents: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        agents.append(request.headers["user-agent"])
        return httpx.Response(404)

    with make_fetcher(handler, user_agent="copydesk-test/1.0") as fetcher:
        fetcher.get("http://news.example/a")
    assert set(agents) == {"copydesk-test/1.0"}


def _throttle_on_a_fake_clock() -> tuple[HostThrottle, list[float], list[float]]:
    """A 2 s throttle whose clock moves only when it sleeps (or the test moves ``now[0]``)."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    return HostThrottle(2.0, clock=lambda: now[0], sleep=sleep), now, slept


def test_throttle_spaces_each_host_on_its_own_clock() -> None:
    throttle, now, slept = _throttle_on_a_fake_clock()
    throttle.wait("a.example")
    throttle.wait("b.example")
    throttle.wait("a.example")
    now[0] += 0.5
    throttle.wait("b.example")
    throttle.set_host_delay("a.example", 0.1)  # never below the configured delay
    throttle.wait("a.example")
    assert slept == [2.0, 1.5]
    throttle.set_host_delay("a.example", 5.0)  # a robots.txt Crawl-delay
    throttle.wait("a.example")
    throttle.wait("a.example")
    assert slept == [2.0, 1.5, 5.0, 5.0]


def test_throttle_gap_starts_again_when_the_host_answers() -> None:
    throttle, now, slept = _throttle_on_a_fake_clock()
    throttle.wait("a.example")
    now[0] += 1.5  # the request took 1.5 s to be answered
    throttle.answered("a.example")
    throttle.wait("a.example")
    assert slept == [2.0]  # 2 s from the answer, not 0.5 s from the request
    throttle.answered("b.example")  # each host on its own clock
    throttle.wait("a.example")
    assert slept == [2.0, 2.0]


def test_policy_refuses_unusable_limits() -> None:
    expected = r"fetch\.timeout must be positive; fetch\.retries must be 0 or more"
    with pytest.raises(ConfigError, match=expected):
        FetchPolicy(timeout=0, retries=-1)
    policy = FetchPolicy.from_settings(FetchSettings(per_host_delay=0.5, retries=1), backoff_base=0.1)
    assert (policy.per_host_delay, policy.retries, policy.backoff_base) == (0.5, 1, 0.1)


def test_retry_after_parsing() -> None:
    now = datetime(2025, 4, 14, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Mon, 14 Apr 2025 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 14 Apr 2025 07:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_normalise_url() -> None:
    assert normalise_url(" https://News.Example/a?b=1#top ") == "https://news.example/a?b=1"
    for bad in ("mailto:desk@news.example", "javascript:alert(1)", "/relative/path", "http://"):
        with pytest.raises(FetchError):
            normalise_url(bad)


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>
<item><title>Ferry back</title><link>/news/ferry</link>
<pubDate>Tue, 15 Apr 2025 06:30:00 +0200</pubDate></item>
<item><title>No link here</title></item></channel></rss>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><image:image><image:loc>https://cdn.example/p.jpg</image:loc></image:image>
       <loc>https://news.example/a</loc>
       <news:news><news:publication_date>2025-04-15T10:00:00Z</news:publication_date>
       <news:title>Orchards spared</news:title></news:news></url>
  <url><loc>https://news.example/b</loc></url>
</urlset>"""


def test_feed_links_resolve_and_carry_hints() -> None:
    [link] = feed_links(RSS, "https://news.example/feeds/main.xml")
    assert link.url == "https://news.example/news/ferry"
    assert link.title == "Ferry back" and link.published == "2025-04-15T04:30:00+00:00"


def test_news_sitemap_entries() -> None:
    kind, links = sitemap_entries(NEWS_SITEMAP, "https://news.example/sitemap.xml")
    assert kind == "sitemap"
    assert [(link.url, link.title, link.published) for link in links] == [
        ("https://news.example/a", "Orchards spared", "2025-04-15T10:00:00Z"),
        ("https://news.example/b", None, None),
    ]


def test_sitemap_entities_are_not_expanded() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://news.example/&x;</loc></url></urlset>'
    )
    _, links = sitemap_entries(hostile, "https://news.example/sitemap.xml")
    assert all("etc" not in link.url and "\n" not in link.url for link in links)


def test_classify_documents() -> None:
    assert classify(PAGE, "text/html; charset=utf-8") == "html"
    assert classify(RSS, "application/xml") == "feed"
    assert classify(RSS, None) == "feed"
    assert classify(b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>", "text/xml") == "feed"
    assert classify(NEWS_SITEMAP, "text/xml") == "sitemap"
    assert (
        classify(b"<?xml version='1.0'?><!-- index --><sitemapindex/>", "application/xml") == "sitemap-index"
    )
    assert classify(b"%PDF-1.7", "application/pdf") == "other"
    assert classify(b"just words", "text/plain") == "other"
    assert root_element(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!DOCTYPE x><rdf:RDF/>") == b"rdf"


def test_gzipped_sitemap_is_unpacked_within_the_cap() -> None:
    packed = gzip.compress(NEWS_SITEMAP)
    assert gunzip_if_needed(packed, "s.xml.gz", 10_000) == NEWS_SITEMAP
    assert gunzip_if_needed(NEWS_SITEMAP, "s.xml", 10) == NEWS_SITEMAP  # not gzip: untouched
    bomb = gzip.compress(b"<urlset>" + b" " * 200_000 + b"</urlset>")
    with pytest.raises(FetchError) as caught:
        gunzip_if_needed(bomb, "bomb.xml.gz", 50_000)
    assert caught.value.kind == "oversized"
