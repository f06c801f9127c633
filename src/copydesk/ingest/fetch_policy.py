"""What the fetcher may do: which addresses it may connect to, how often it may ask a host, and how long
it waits before retrying.

The address check runs after DNS resolution, on every redirect hop, and again where the socket is
opened: ``PinnedTransport`` connects to an address the ``AddressGuard`` resolved and checked, never to a
name the operating system resolves a second time, so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot reach a private address. Each host is resolved once per run.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpcore
import httpx

from copydesk.config import FetchSettings
from copydesk.errors import BlockedAddressError, ConfigError

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
# NAT64's well-known prefix embeds an IPv4 address in its last 32 bits (RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the operating system gives for ``host`` (IPv4 and IPv6), in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _translated_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped (``::ffff:a.b.c.d``) or NAT64 address really reaches."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _tunnelled_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 endpoints a 6to4 or Teredo address carries; a tunnel to a private one is refused too."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def _own_problem(ip: IPAddress) -> str | None:
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
    )
    for name, hit in checks:
        if hit:
            return name
    # Whatever is left and still not global (shared address space 100.64/10, benchmarking ranges...).
    return None if ip.is_global else "non-public"


def address_problem(address: str) -> str | None:
    """Why the fetcher must not connect to ``address`` (e.g. ``"loopback"``), or ``None`` if it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    translated = _translated_ipv4(ip)
    if translated is not None:
        # The IPv6 wrapper is itself in a special-purpose range; what matters is the IPv4 it reaches.
        problem = _own_problem(translated)
        return None if problem is None else f"{problem} (embedded {translated})"
    for candidate in [ip, *_tunnelled_ipv4(ip)]:
        problem = _own_problem(candidate)
        if problem is not None:
            return problem if candidate is ip else f"{problem} (embedded {candidate})"
    return None


def _literal_ip(host: str) -> str | None:
    bare = host.strip("[]")
    try:
        return str(ipaddress.ip_address(bare.split("%", 1)[0]))
    except ValueError:
        return None


@dataclass(slots=True)
class AddressGuard:
    """Resolves each host once per run and refuses non-public addresses unless ``allow_private``.

    A host is refused if *any* of its addresses is non-public: a name that mixes public and private
    answers is how rebinding attacks start, and no news site needs one.
    """

    allow_private: bool = False
    resolver: Resolver = system_resolver
    _resolved: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def addresses(self, host: str, port: int, url: str | None = None) -> list[str]:
        """The checked addresses to connect to for ``host``; raises ``BlockedAddressError``."""
        where = url or host
        key = (host.lower(), port)
        with self._lock:
            cached = self._resolved.get(key)
        if cached is not None:
            return cached
        literal = _literal_ip(host)
        if literal is not None:
            found = [literal]
        else:
            try:
                found = list(self.resolver(host, port))
            except OSError as exc:
                raise BlockedAddressError(where, f"DNS lookup failed: {exc}") from exc
            if not found:
                raise BlockedAddressError(where, f"DNS lookup for {host} gave no address")
        if not self.allow_private:
            for address in found:
                problem = address_problem(address)
                if problem is not None:
                    what = f"{host} is" if literal is not None else f"{host} resolves to {address},"
                    raise BlockedAddressError(
                        where,
                        f"{what} a {problem} address (use --allow-private to fetch from private networks)",
                    )
        with self._lock:
            self._resolved[key] = found
        return found

    def check_url(self, url: httpx.URL) -> list[str]:
        """Scheme and address check for one URL (one redirect hop)."""
        if url.scheme not in ALLOWED_SCHEMES:
            raise BlockedAddressError(str(url), f"scheme {url.scheme!r} is not fetched (only http and https)")
        if not url.host:
            raise BlockedAddressError(str(url), "the URL has no host")
        # The ASCII (punycode) name, as the connection layer will ask for it: one cache entry per host.
        host = url.raw_host.decode("ascii")
        return self.addresses(host, url.port or (443 if url.scheme == "https" else 80), str(url))


class _PinnedBackend(httpcore.SyncBackend):
    """Opens TCP connections to the guard's checked addresses instead of re-resolving the name."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self._guard.addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # addresses() never returns an empty list
        raise last


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport with connections pinned to checked addresses; proxies from the environment off.

    TLS still verifies the certificate against the host name: only the TCP target is pinned.
    """

    def __init__(self, guard: AddressGuard, *, max_connections: int = 20) -> None:
        super().__init__(trust_env=False)
        # httpx has no public hook for the network backend, so the pool is rebuilt with one; the
        # pinning test (tests/test_fetch.py) fails loudly if a future httpx stops using ``_pool``.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=_PinnedBackend(guard),
        )


@dataclass(slots=True)
class HostThrottle:
    """At most one request per ``delay`` seconds to each host (robots.txt may ask for more).

    The gap is measured from the moment the previous request to the host was let go, or from its
    answer when ``answered`` says it came (the host saw the request before it answered, so a request
    slow to arrive does not shorten the host's gap), and a sleep that overshoots never lets the next
    request in early.
    """

    delay: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)
    _extra: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_host_delay(self, host: str, delay: float) -> None:
        """A longer delay for one host (a robots.txt ``Crawl-delay``); never shorter than ``delay``."""
        with self._lock:
            self._extra[host] = max(self.delay, delay)

    def answered(self, host: str) -> None:
        """The host answered the request let go last: its gap starts now."""
        with self._lock:
            self._last[host] = max(self._last.get(host, 0.0), self.clock())

    def wait(self, host: str) -> None:
        """Block until ``host`` may be asked again, then let this request go."""
        while True:
            with self._lock:
                now = self.clock()
                last = self._last.get(host)
                gap = self._extra.get(host, self.delay)
                if last is None or now - last >= gap:
                    self._last[host] = now
                    return
                remaining = last + gap - now
            self.sleep(remaining)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now, or ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """The fetcher's options, built from ``Settings.fetch`` plus limits that rarely need changing."""

    user_agent: str = "copydesk/0.1"
    timeout: float = 20.0
    max_body_bytes: int = 10_000_000
    per_host_delay: float = 1.0
    retries: int = 3
    allow_private: bool = False
    max_redirects: int = 10
    backoff_base: float = 0.5  # first retry waits this long, then twice as long each time
    backoff_max: float = 30.0  # no single wait (backoff or Retry-After) is longer than this
    max_crawl_delay: float = 10.0  # a robots.txt Crawl-delay above this is capped
    max_robots_bytes: int = 512_000  # Google reads the first 500 KiB of a robots.txt
    max_sitemap_depth: int = 3  # sitemap index -> sitemap -> ... levels followed
    parallel_hosts: int = 4  # article pages downloaded at once (one at a time per host)

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be {rule}"
            for name, ok, rule in (
                ("fetch.timeout", self.timeout > 0, "positive"),
                ("fetch.max_body_bytes", self.max_body_bytes > 0, "positive"),
                ("fetch.per_host_delay", self.per_host_delay >= 0, "0 or more"),
                ("fetch.retries", self.retries >= 0, "0 or more"),
                ("max_redirects", self.max_redirects >= 0, "0 or more"),
                ("parallel_hosts", self.parallel_hosts >= 1, "1 or more"),
            )
            if not ok
        ]
        if problems:
            raise ConfigError("; ".join(problems))

    @classmethod
    def from_settings(cls, fetch: FetchSettings, **changes: Any) -> FetchPolicy:
        """The policy for ``Settings.fetch``; ``changes`` set the other limits (tests shorten them)."""
        return cls(
            user_agent=fetch.user_agent,
            timeout=fetch.timeout,
            max_body_bytes=fetch.max_body_bytes,
            per_host_delay=fetch.per_host_delay,
            retries=fetch.retries,
            allow_private=fetch.allow_private,
            **changes,
        )

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based), bounded by ``backoff_max``."""
        wait = self.backoff_base * (2.0**attempt)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return float(min(wait, self.backoff_max))
