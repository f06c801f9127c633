"""The HTTP fetcher: one polite, bounded GET per URL.

For every hop of a request the fetcher checks the scheme and the resolved address (``AddressGuard``),
asks the host's robots.txt (fetched once per host and run), waits its turn for the host
(``HostThrottle``), retries network errors, 5xx and 429 with exponential backoff (honouring
``Retry-After`` up to a bound), follows at most ``max_redirects`` redirects itself so each target is
checked, and refuses bodies over ``max_body_bytes`` while they stream in. Every failure is a
``FetchError``; the caller turns it into a skipped input.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.robotparser import RobotFileParser

import httpx

from copydesk.errors import FetchError, InputError, RobotsDisallowedError
from copydesk.ingest.decode import decode_text
from copydesk.ingest.fetch_policy import (
    AddressGuard,
    FetchPolicy,
    HostThrottle,
    PinnedTransport,
    Resolver,
    retry_after_seconds,
    system_resolver,
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Transient transport failures worth another try; anything else (a bad URL, broken encoding) is final.
_RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """The final response for a URL, after redirects; the body is complete (and content-decoded)."""

    url: str
    final_url: str
    status: int
    content_type: str | None
    charset: str | None
    body: bytes
    redirects: int = 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def media_type(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @property
    def content_hash(self) -> str:
        return hashlib.blake2b(self.body, digest_size=8).hexdigest()

    def text(self) -> str:
        """The body as text: the charset the server declared, else copydesk's HTML decoding."""
        if self.charset:
            try:
                return self.body.decode(self.charset).removeprefix("\ufeff")
            except (LookupError, UnicodeDecodeError):
                pass
        try:
            return decode_text(self.body, self.url, html=True)
        except InputError as exc:
            raise FetchError(self.url, exc.reason, kind=exc.kind) from exc


def normalise_url(url: str) -> str:
    """The URL as the fetcher keys it: parsed by httpx, fragment dropped; raises ``FetchError``."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(url, f"not a valid URL: {exc}", kind="invalid-url") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(url, "not an http(s) URL with a host", kind="invalid-url")
    return str(parsed.copy_with(fragment=None))


class Fetcher:
    """Fetches URLs under a ``FetchPolicy``; holds the per-run state (connections, robots, host clocks).

    ``resolver`` and ``transport`` are the test seams: a fake resolver maps made-up host names to
    addresses; ``httpx.MockTransport`` replaces the network (the guard's pre-check still runs on every
    hop, only the connection pinning is then the mock's business).
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.guard = AddressGuard(policy.allow_private, resolver)
        self.throttle = HostThrottle(policy.per_host_delay, clock, sleep)
        self._sleep = sleep
        self._clock = clock
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_trouble: dict[str, str] = {}
        self._robots_lock = threading.Lock()
        self._robots_locks: dict[str, threading.Lock] = {}
        self.client = httpx.Client(
            transport=transport or PinnedTransport(self.guard),
            timeout=policy.timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": policy.user_agent},
            # The host's turn is taken right before each request goes out (retries and redirects too),
            # and its gap starts again when the answer comes.
            event_hooks={"request": [self._take_turn], "response": [self._turn_answered]},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _take_turn(self, request: httpx.Request) -> None:
        self.throttle.wait(request.url.host)

    def _turn_answered(self, response: httpx.Response) -> None:
        self.throttle.answered(response.request.url.host)

    def get(self, url: str, *, cap: int | None = None, check_robots: bool = True) -> FetchedDocument:
        """GET ``url`` following redirects; returns the final response whatever its status."""
        current = httpx.URL(normalise_url(url))
        for hop in range(self.policy.max_redirects + 1):
            try:
                self.guard.check_url(current)
                if check_robots:
                    self._check_robots(current)
                status, headers, body = self._send(current, cap or self.policy.max_body_bytes)
            except FetchError as exc:
                if hop == 0:
                    raise
                raise type(exc)(url, f"redirected to {current}: {exc.reason}", kind=exc.kind) from exc
            location = headers.get("location")
            if status in REDIRECT_STATUSES and location:
                try:
                    current = current.join(location.strip()).copy_with(fragment=None)
                except httpx.InvalidURL as exc:
                    raise FetchError(url, f"bad redirect location {location!r}", kind="http") from exc
                continue
            return FetchedDocument(
                url=url,
                final_url=str(current),
                status=status,
                content_type=headers.get("content-type"),
                charset=_charset(headers.get("content-type")),
                body=body,
                redirects=hop,
            )
        raise FetchError(url, f"more than {self.policy.max_redirects} redirects", kind="http")

    def _send(self, url: httpx.URL, cap: int) -> tuple[int, httpx.Headers, bytes]:
        """One hop: GET with retries; the body is read only for a final (non-redirect) response."""
        policy = self.policy
        attempt = 0
        while True:
            try:
                with self.client.stream("GET", url) as response:
                    status = response.status_code
                    if status in RETRY_STATUSES:
                        wait = retry_after_seconds(response.headers.get("retry-after"))
                        if attempt < policy.retries and (wait is None or wait <= policy.backoff_max):
                            self._sleep(policy.backoff(attempt, wait))
                            attempt += 1
                            continue
                    if status in REDIRECT_STATUSES:
                        return status, response.headers, b""
                    return status, response.headers, self._read_body(response, str(url), cap)
            except _RETRYABLE as exc:
                if attempt >= policy.retries:
                    raise FetchError(
                        str(url), f"network error after {attempt + 1} tries: {_describe(exc)}", kind="network"
                    ) from exc
                self._sleep(policy.backoff(attempt, None))
                attempt += 1
            except httpx.HTTPError as exc:
                raise FetchError(str(url), f"request failed: {_describe(exc)}", kind="network") from exc

    def _read_body(self, response: httpx.Response, url: str, cap: int) -> bytes:
        """The decoded body, refused as soon as it passes ``cap`` bytes or the time limit."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(
                url, f"body of {int(declared):,} bytes is over the {cap:,}-byte limit", kind="oversized"
            )
        deadline = self._clock() + self.policy.timeout
        parts: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise FetchError(
                    url, f"body is over the {cap:,}-byte limit (max_body_bytes)", kind="oversized"
                )
            if self._clock() > deadline:
                raise FetchError(url, f"body took longer than {self.policy.timeout:g}s", kind="network")
            parts.append(chunk)
        return b"".join(parts)

    def _check_robots(self, url: httpx.URL) -> None:
        rules = self.robots_for(url)
        if rules.can_fetch(self.policy.user_agent, str(url)):
            return
        trouble = self._robots_trouble.get(f"{url.scheme}://{url.netloc.decode('ascii')}")
        if trouble:
            reason = f"robots.txt could not be read ({trouble}), so the site counts as disallowed"
        else:
            token = self.policy.user_agent.split("/", 1)[0]  # the product token robots.txt rules name
            reason = f"robots.txt disallows this URL for user agent {token!r}"
        raise RobotsDisallowedError(str(url), reason)

    def robots_for(self, url: httpx.URL) -> RobotFileParser:
        """The host's robots.txt rules, fetched once per run (RFC 9309 for missing or failing files)."""
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        with self._robots_lock:
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        # One thread reads a host's robots.txt while the others asking for that host wait for it.
        with origin_lock:
            cached = self._robots.get(origin)
            if cached is not None:
                return cached
            return self._read_robots(url, origin)

    def _read_robots(self, url: httpx.URL, origin: str) -> RobotFileParser:
        rules = RobotFileParser(origin + "/robots.txt")
        try:
            doc = self.get(origin + "/robots.txt", cap=self.policy.max_robots_bytes, check_robots=False)
        except FetchError as exc:
            # Unreachable (network errors, a redirect to a refused address, a file over the size
            # limit): RFC 9309 says assume everything is disallowed rather than crawl blind.
            doc = None
            self._robots_trouble[origin] = exc.reason
        if doc is None or doc.status >= 500 or doc.status == 429:
            rules.parse(["User-agent: *", "Disallow: /"])
            if doc is not None:
                self._robots_trouble[origin] = f"HTTP {doc.status}"
        elif doc.status >= 400:
            rules.parse([])  # RFC 9309: a missing robots.txt (any 4xx) allows everything
        else:
            rules.parse(doc.body.decode("utf-8", errors="replace").splitlines())
            delay = rules.crawl_delay(self.policy.user_agent)
            if delay:
                self.throttle.set_host_delay(url.host, min(float(delay), self.policy.max_crawl_delay))
        self._robots[origin] = rules
        return rules


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
