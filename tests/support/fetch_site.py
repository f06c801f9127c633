"""A tiny news site served on 127.0.0.1 for the fetcher's tests, with invented stories and listings."""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

STORIES: dict[str, tuple[str, str]] = {
    "ferry": (
        "Night ferry to Kessa Island returns after winter pause",
        "The night ferry between Port Alder and Kessa Island resumed sailings on Monday after a "
        "four-month winter pause, carrying 212 passengers on its first crossing.\n\n"
        "The operator said two refitted engines cut the crossing time to ninety minutes. Island "
        "shopkeepers had campaigned for an earlier restart, saying the pause cost them most of the "
        "spring trade.\n\n"
        "A second evening sailing will be added from the first week of May if bookings hold.",
    ),
    "library": (
        "Alder county library opens late on weekdays",
        "The Alder county library will stay open until nine in the evening on weekdays from next "
        "month, the council's culture committee decided on Tuesday.\n\n"
        "The longer hours are paid for by closing the small reading room on Elm Row, which drew fewer "
        "than thirty visitors a week last year. Staff numbers will not change.\n\n"
        "Committee chair Ilse Varro said students had asked for evening study space for years.",
    ),
    "orchard": (
        "Frost damage smaller than feared in Brenn valley orchards",
        "Growers in the Brenn valley said on Wednesday that last week's late frost damaged about one "
        "tenth of the apple blossom, far less than the half they had feared.\n\n"
        "Smoke pots and wind machines ran through two nights to keep the air moving over the trees. "
        "The growers' association expects a normal harvest for early varieties.\n\n"
        "Pear growers on the higher slopes reported heavier losses and asked for emergency help.",
    ),
    "tram": (
        "Tram line six to run every five minutes at rush hour",
        "Trams on line six will run every five minutes during the morning and evening rush from "
        "September, the city transport board said on Thursday.\n\n"
        "Four new low-floor trams delivered this spring make the denser timetable possible. Riders had "
        "complained of crowded cars between the station and the university.\n\n"
        "The board said fares would not rise this year despite the extra service.",
    ),
}


def story_html(key: str) -> str:
    title, body = STORIES[key]
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    links = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(6))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><ul>{links}</ul></nav><main><article><h1>{title}</h1>{paragraphs}</article></main>"
        "<footer><p>The Alder Ledger. All rights reserved.</p></footer></body></html>"
    )


def rss_feed(base: str, keys: list[str]) -> str:
    items = "".join(
        f"<item><title>{escape(STORIES[k][0])}</title><link>{base}/news/{k}</link>"
        f"<pubDate>Mon, 14 Apr 2025 08:0{i}:00 GMT</pubDate></item>"
        for i, k in enumerate(keys)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>The Alder Ledger</title>'
        f"<link>{base}/</link><description>Local news</description>{items}</channel></rss>"
    )


def atom_feed(keys: list[str]) -> str:
    """Atom with relative links, which must resolve against the feed's own URL."""
    entries = "".join(
        f'<entry><title>{escape(STORIES[k][0])}</title><link rel="alternate" href="/news/{k}"/>'
        f"<id>tag:ledger,2025:{k}</id><updated>2025-04-15T09:00:00Z</updated></entry>"
        for k in keys
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>The Alder Ledger</title><id>tag:ledger,2025</id><updated>2025-04-15T09:00:00Z</updated>"
        f"{entries}</feed>"
    )


def sitemap(locs: list[str]) -> str:
    urls = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


def sitemap_index(locs: list[str]) -> str:
    maps = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
    )


@dataclass(slots=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    send_length: bool = True


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    host: str
    user_agent: str
    at: float


class NewsSite:
    """Routes path -> replies (a list is served in turn, its last reply repeating); logs every hit."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.hits.append(
                        Hit(
                            self.path,
                            self.headers.get("Host", ""),
                            self.headers.get("User-Agent", ""),
                            time.monotonic(),
                        )
                    )
                    replies = site.routes.get(self.path)
                    reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else Reply(404)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.send_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> NewsSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.base + path

    def add(
        self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", **kw: object
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = [Reply(body=data, content_type=content_type, **kw)]  # type: ignore[arg-type]

    def add_replies(self, path: str, replies: list[Reply]) -> None:
        self.routes[path] = list(replies)

    def add_stories(self, *keys: str) -> None:
        for key in keys:
            self.add(f"/news/{key}", story_html(key))

    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))
