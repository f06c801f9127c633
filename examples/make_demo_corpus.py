#!/usr/bin/env python3
# ruff: noqa: E501  (HTML templates below are long f-string lines)
"""Build the binary/markup parts of the copydesk demo corpus from plain source text.

Sources (hand-written, invented news; see examples/README.md):

* ``examples/demo_src/articles/*.txt`` -- one article per file: a ``key: value``
  header block, a ``---`` line, then the body (paragraphs separated by blank
  lines; a paragraph starting with ``## `` is a subheading).  Header keys:
  ``id``, ``output``, ``story``, ``site``, ``url``, ``title``, ``published``,
  ``author``, ``section``, optional ``crawled`` (WARC date), ``credit_line``
  (printed after the body), ``body_from`` (id of another article whose body is
  reused verbatim: an exact copy), ``related`` (sidebar links, ``|``-separated)
  and repeatable ``inline_related`` (``N | title``: a "Read more" link inside
  the article after body block N).
* ``examples/demo_src/sites.json`` -- site names, navigation, footers, cookie
  banners and comment sections used by the page templates.

Outputs (written deterministically: fixed dates, gzip mtime 0, stable ids):

* ``output: html``          -> ``examples/demo/html/<id>.html``
* ``output: html.gz``       -> ``examples/demo/html/<id>.html.gz``
* ``output: warc:<name>``   -> a response record in ``examples/demo/warc/<name>.warc.gz``
* ``output: jsonl:<name>``  -> a line with ``text`` in ``examples/demo/jsonl/<name>.jsonl``
* ``output: jsonl-html:<name>`` -> a line with ``html`` in ``examples/demo/jsonl/<name>.jsonl``
* ``output: parquet:<name>`` -> a row in ``examples/demo/parquet/<name>.parquet``

The ``examples/demo/txt/*.txt`` crawler dumps are hand-written sources
themselves and are not touched by this script.

Usage: ``python examples/make_demo_corpus.py`` (needs only the standard
library plus ``pyarrow`` for the Parquet file).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import io
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "demo_src"
OUT = HERE / "demo"

# Namespace for deterministic WARC record ids.
_NS = uuid.UUID("5f0c4a2e-2b7d-4c55-9a57-6d656d6f6472")


@dataclass
class Article:
    id: str
    output: str
    story: str
    site: str
    url: str
    title: str
    published: str
    author: str = ""
    section: str = ""
    crawled: str = ""
    credit_line: str = ""
    body_from: str = ""
    related: list[str] = field(default_factory=list)
    inline_related: dict[int, str] = field(default_factory=dict)
    blocks: list[str] = field(default_factory=list)  # paragraphs; "## " = subheading
    path: Path | None = None


def parse_article(path: Path) -> Article:
    raw = path.read_text(encoding="utf-8")
    head, sep, body = raw.partition("\n---\n")
    if not sep:
        raise SystemExit(f"{path}: missing '---' separator")
    fields: dict[str, object] = {"related": [], "inline_related": {}}
    for line in head.splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition(": ")
        key = key.strip()
        if key == "related":
            fields["related"] = [v.strip() for v in value.split("|") if v.strip()]
        elif key == "inline_related":
            n, _, title = value.partition("|")
            fields["inline_related"][int(n.strip())] = title.strip()  # type: ignore[index]
        else:
            fields[key] = value.strip()
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]
    art = Article(**fields, blocks=blocks, path=path)  # type: ignore[arg-type]
    return art


def load_articles() -> list[Article]:
    arts = [parse_article(p) for p in sorted((SRC / "articles").glob("*.txt"))]
    by_id = {a.id: a for a in arts}
    if len(by_id) != len(arts):
        raise SystemExit("duplicate article ids in demo_src/articles")
    for a in arts:
        if a.body_from:
            src = by_id[a.body_from]
            if a.blocks:
                raise SystemExit(f"{a.id}: has both body_from and a body")
            a.blocks = list(src.blocks)
    return arts


def plain_text(a: Article) -> str:
    """Body as plain text (subheadings become their own line), plus credit."""
    parts = [b[3:] if b.startswith("## ") else b for b in a.blocks]
    if a.credit_line:
        parts.append(a.credit_line)
    return "\n\n".join(parts)


# --------------------------------------------------------------------------
# HTML templates

E = lambda s: html.escape(s, quote=False)  # noqa: E731
A = lambda s: html.escape(s, quote=True)  # noqa: E731

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def human_date(iso: str) -> str:
    y, m, d = iso[:10].split("-")
    return f"{int(d)} {MONTHS[int(m) - 1]} {y}"


def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def body_html(a: Article, site: dict, indent: str = "        ") -> str:
    base = f"https://{site['domain']}"
    out = []
    for i, b in enumerate(a.blocks, start=1):
        if b.startswith("## "):
            out.append(f"{indent}<h2>{E(b[3:])}</h2>")
        else:
            out.append(f"{indent}<p>{E(b)}</p>")
        if i in a.inline_related:
            t = a.inline_related[i]
            out.append(
                f'{indent}<aside class="inline-related"><strong>Read more:</strong> '
                f'<a href="{base}/{slug(t)}">{E(t)}</a></aside>'
            )
    if a.credit_line:
        out.append(f'{indent}<p class="credit">{E(a.credit_line)}</p>')
    return "\n".join(out)


def head_html(a: Article, site: dict, extra_css: str = "") -> str:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": a.published,
        "author": {"@type": "Person", "name": a.author} if a.author else None,
        "publisher": {"@type": "Organization", "name": site["name"]},
        "mainEntityOfPage": a.url,
    }
    ld = {k: v for k, v in ld.items() if v is not None}
    desc = next((b for b in a.blocks if not b.startswith("## ")), "")[:157]
    return f"""<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{E(a.title)} | {E(site["name"])}</title>
  <link rel="canonical" href="{A(a.url)}">
  <meta name="description" content="{A(desc)}">
  <meta name="author" content="{A(a.author)}">
  <meta property="og:type" content="article">
  <meta property="og:site_name" content="{A(site["name"])}">
  <meta property="og:title" content="{A(a.title)}">
  <meta property="og:url" content="{A(a.url)}">
  <meta property="article:published_time" content="{A(a.published)}">
  <meta property="article:author" content="{A(a.author)}">
  <meta property="article:section" content="{A(a.section)}">
  <link rel="stylesheet" href="https://{site["domain"]}/assets/site.css{extra_css}">
  <script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
  <script async src="https://{site["domain"]}/assets/analytics.js"></script>
</head>"""


def nav_html(site: dict) -> str:
    base = f"https://{site['domain']}"
    items = "\n".join(f'        <li><a href="{base}/{slug(n)}/">{E(n)}</a></li>' for n in site["nav"])
    return f"""    <nav class="main-nav" aria-label="Main">
      <ul>
{items}
      </ul>
    </nav>"""


def related_items(a: Article, site: dict) -> str:
    base = f"https://{site['domain']}"
    return "\n".join(f'        <li><a href="{base}/{slug(t)}/">{E(t)}</a></li>' for t in a.related)


COMMENT_FORMS = {
    "en": (
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "Comment *",
        "Name *",
        "Email *",
        "Post Comment",
    ),
    "de": (
        "Schreibe einen Kommentar",
        "Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert",
        "Kommentar *",
        "Name *",
        "E-Mail *",
        "Kommentar abschicken",
    ),
    "ru": (
        "Добавить комментарий",
        "Ваш адрес email не будет опубликован. Обязательные поля помечены *",
        "Комментарий *",
        "Имя *",
        "Email *",
        "Отправить комментарий",
    ),
}


def render_wordpress(a: Article, site: dict) -> str:
    base = f"https://{site['domain']}"
    h, note, c, n, e, btn = COMMENT_FORMS[site.get("comment_lang", "en")]
    return f"""<!DOCTYPE html>
<html lang="en-US">
{head_html(a, site, "?ver=6.4.3")}
<body class="post-template-default single single-post single-format-standard">
  <div id="cookie-notice" class="cookie-notice-container" role="dialog">
    <span id="cn-notice-text">{E(site["cookie"])}</span>
    <a href="#" id="cn-accept-cookie" class="cn-button">Ok</a>
  </div>
  <header id="masthead" class="site-header">
    <div class="site-branding">
      <p class="site-title"><a href="{base}/" rel="home">{E(site["name"])}</a></p>
      <p class="site-description">{E(site["tagline"])}</p>
    </div>
{nav_html(site)}
    <form role="search" class="search-form" action="{base}/"><input type="search" name="s" placeholder="Search &hellip;"></form>
  </header>
  <div id="content" class="site-content">
    <main id="primary" class="site-main">
      <article id="post-{int(hashlib.md5(a.url.encode()).hexdigest()[:5], 16)}" class="post type-post status-publish">
        <header class="entry-header">
          <span class="cat-links"><a href="{base}/category/{slug(a.section)}/">{E(a.section)}</a></span>
          <h1 class="entry-title">{E(a.title)}</h1>
          <div class="entry-meta">
            <span class="byline">By <a class="url fn n" href="{base}/author/{slug(a.author)}/">{E(a.author)}</a></span>
            <span class="posted-on"><time class="entry-date published" datetime="{A(a.published)}">{human_date(a.published)}</time></span>
          </div>
        </header>
        <div class="entry-content">
{body_html(a, site)}
        </div>
        <footer class="entry-footer">
          <div class="sharedaddy"><h3 class="sd-title">Share this:</h3>
            <ul><li><a href="#" class="share-facebook">Facebook</a></li><li><a href="#" class="share-x">X</a></li><li><a href="#" class="share-email">Email</a></li></ul>
          </div>
          <div class="jp-relatedposts"><h3 class="jp-relatedposts-headline">Related Posts</h3>
            <ul>
{related_items(a, site)}
            </ul>
          </div>
        </footer>
      </article>
      <div id="comments" class="comments-area">
        <div id="respond" class="comment-respond">
          <h3 id="reply-title" class="comment-reply-title">{E(h)}</h3>
          <form action="{base}/wp-comments-post.php" method="post" id="commentform" class="comment-form">
            <p class="comment-notes">{E(note)}</p>
            <p class="comment-form-comment"><label for="comment">{E(c)}</label><textarea id="comment" name="comment"></textarea></p>
            <p class="comment-form-author"><label for="author">{E(n)}</label><input id="author" name="author" type="text"></p>
            <p class="comment-form-email"><label for="email">{E(e)}</label><input id="email" name="email" type="email"></p>
            <p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="{A(btn)}"></p>
          </form>
        </div>
      </div>
    </main>
    <aside id="secondary" class="widget-area">
      <section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>
        <ul>
{related_items(a, site)}
        </ul>
      </section>
      <section class="widget widget_categories"><h2 class="widget-title">Categories</h2>
        <ul>{"".join(f'<li><a href="{base}/category/{slug(n)}/">{E(n)}</a></li>' for n in site["nav"][1:])}</ul>
      </section>
    </aside>
  </div>
  <footer id="colophon" class="site-footer">
    <div class="site-info">{E(site["footer"])}</div>
    <a href="#masthead" class="back-to-top">Back to top button</a>
  </footer>
</body>
</html>
"""


def render_modern(a: Article, site: dict) -> str:
    base = f"https://{site['domain']}"
    if site.get("comments_closed"):
        comments = f'      <section class="comments" id="comments"><p class="comments-closed">{E(site["comments_closed"])}</p></section>'
    else:
        cs = site.get("comments", [])
        lis = "\n".join(
            f'          <li class="comment"><span class="comment-author">{E(u)}</span>'
            f'<p class="comment-body">{E(t)}</p><a class="reply" href="#">Reply</a></li>'
            for u, t in cs
        )
        comments = f"""      <section class="comments" id="comments">
        <h2>Comments ({len(cs)})</h2>
        <p class="comments-policy">Comments are moderated. Please read our community guidelines before posting.</p>
        <ol class="comment-list">
{lis}
        </ol>
        <form class="comment-form"><textarea placeholder="Join the discussion&hellip;"></textarea><button>Post comment</button></form>
      </section>"""
    return f"""<!DOCTYPE html>
<html lang="en">
{head_html(a, site)}
<body class="article-page">
  <div class="consent-banner" id="consent" role="dialog" aria-label="Cookie consent">
    <p>{E(site["cookie"])}</p>
    <button class="consent-accept">Accept all</button><button class="consent-settings">Settings</button>
  </div>
  <header class="masthead">
    <a class="logo" href="{base}/">{E(site["name"])}</a>
    <span class="strapline">{E(site["tagline"])}</span>
    <a class="subscribe" href="{base}/subscribe">Subscribe</a> <a class="signin" href="{base}/login">Sign in</a>
{nav_html(site)}
    <div class="ticker"><span class="ticker-label">Breaking</span> <a href="{base}/live">Live updates</a></div>
  </header>
  <div class="page">
    <main>
      <article class="story">
        <header>
          <a class="section-label" href="{base}/{slug(a.section)}/">{E(a.section)}</a>
          <h1 class="headline">{E(a.title)}</h1>
          <p class="byline">By <a rel="author" href="{base}/profile/{slug(a.author)}">{E(a.author)}</a></p>
          <time class="dateline" datetime="{A(a.published)}">{human_date(a.published)}</time>
          <div class="share-tools"><a href="#">Share</a> <a href="#">Save</a> <a href="#">Gift this article</a></div>
        </header>
        <div class="story-body">
{body_html(a, site)}
        </div>
        <div class="newsletter-promo"><h3>Get the morning briefing</h3><p>The day's top stories in your inbox before 7 a.m.</p><input type="email" placeholder="Your email"><button>Sign up</button></div>
        <div class="tags">Topics: <a href="{base}/topic/{slug(a.section)}">{E(a.section)}</a></div>
      </article>
{comments}
    </main>
    <aside class="sidebar">
      <section class="more-on-this"><h2>More on this story</h2>
        <ul>
{related_items(a, site)}
        </ul>
      </section>
      <section class="most-read"><h2>Most read</h2>
        <ol><li><a href="{base}/lifestyle/best-bakeries">Ten bakeries worth the queue</a></li><li><a href="{base}/sport/cup-final-report">Cup final: late goal settles it</a></li></ol>
      </section>
      <div class="ad-slot" data-slot="sidebar-mpu">Advertisement</div>
    </aside>
  </div>
  <footer class="site-footer">
    <ul class="footer-links"><li><a href="{base}/about">About us</a></li><li><a href="{base}/contact">Contact</a></li><li><a href="{base}/privacy">Privacy policy</a></li><li><a href="{base}/cookies">Cookie settings</a></li></ul>
    <p class="copyright">{E(site["footer"])}</p>
  </footer>
</body>
</html>
"""


def render_wire(a: Article, site: dict) -> str:
    base = f"https://{site['domain']}"
    trending = "\n".join(
        f'          <li><a href="{base}/{slug(t)}">{E(t)}</a></li>' for t in site["trending"]
    )
    rel = ""
    if a.related:
        rel = f"""        <section class="related-coverage"><h2>Related Coverage</h2>
          <ul>
{related_items(a, site)}
          </ul>
        </section>"""
    return f"""<!DOCTYPE html>
<html lang="en">
{head_html(a, site)}
<body>
  <div id="cookie-banner" class="cookie-banner"><p>{E(site["cookie"])}</p><button id="cookie-accept">Accept</button></div>
  <header class="site-header">
    <a class="brand" href="{base}/">{E(site["name"])}</a> <span class="tagline">{E(site["tagline"])}</span>
{nav_html(site)}
  </header>
  <main class="content">
    <div class="article-wrap">
      <article class="article" data-section="{A(a.section)}">
        <h1 class="article-headline">{E(a.title)}</h1>
        <div class="article-meta">
          <span class="author">By {E(a.author)}</span>
          <time datetime="{A(a.published)}">{human_date(a.published)} {a.published[11:16]} GMT</time>
        </div>
        <div class="article-body">
{body_html(a, site)}
        </div>
        <p class="trust">Our Standards: The {E(site["name"])} Trust Principles.</p>
{rel}
      </article>
    </div>
    <aside class="rail">
      <section class="trending"><h2>Trending</h2>
        <ol>
{trending}
        </ol>
      </section>
    </aside>
  </main>
  <footer class="site-footer"><p>{E(site["footer"])}</p><a href="#top">Back to top</a></footer>
</body>
</html>
"""


RENDERERS = {"wordpress": render_wordpress, "modern": render_modern, "wire": render_wire}


def render_page(a: Article, sites: dict) -> str:
    site = sites[a.site]
    return RENDERERS[site["style"]](a, site)


# --------------------------------------------------------------------------
# WARC (written by hand: WARC/1.1, one gzip member per record)


def _b32sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _record(headers: list[tuple[str, str]], block: bytes) -> bytes:
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return _gzip(head.encode("utf-8") + block + b"\r\n\r\n")


def _rid(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NS, '|'.join(parts))}>"


def _http_date(iso: str) -> str:
    # iso like 2025-03-12T14:31:07Z -> RFC 7231 date
    import datetime as dt

    t = dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    mons = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{days[t.weekday()]}, {t.day:02d} {mons[t.month - 1]} {t.year} {t:%H:%M:%S} GMT"


def _ip(host: str) -> str:
    # documentation range (TEST-NET-2), stable per host
    return f"198.51.100.{int(hashlib.md5(host.encode()).hexdigest()[:2], 16) % 250 + 1}"


def _exchange(
    filename: str,
    info_id: str,
    uri: str,
    date: str,
    status: str,
    http_headers: list[tuple[str, str]],
    payload: bytes,
) -> bytes:
    host = re.sub(r"^https?://([^/]+).*$", r"\1", uri)
    path = re.sub(r"^https?://[^/]+", "", uri) or "/"
    req = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
        "User-Agent: copydesk-demo-crawler/0.1 (+https://copydesk.example/bot)\r\n"
        "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Encoding: identity\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    resp_head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in http_headers)
    resp_head += f"Content-Length: {len(payload)}\r\n\r\n"
    resp = resp_head.encode("latin-1") + payload
    resp_id = _rid(filename, "response", uri, date)
    out = _record(
        [
            ("WARC-Type", "request"),
            ("WARC-Record-ID", _rid(filename, "request", uri, date)),
            ("WARC-Date", date),
            ("WARC-Target-URI", uri),
            ("WARC-Warcinfo-ID", info_id),
            ("WARC-Concurrent-To", resp_id),
            ("WARC-Block-Digest", _b32sha1(req)),
            ("Content-Type", "application/http; msgtype=request"),
        ],
        req,
    )
    out += _record(
        [
            ("WARC-Type", "response"),
            ("WARC-Record-ID", resp_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", uri),
            ("WARC-IP-Address", _ip(host)),
            ("WARC-Warcinfo-ID", info_id),
            ("WARC-Payload-Digest", _b32sha1(payload)),
            ("WARC-Block-Digest", _b32sha1(resp)),
            ("Content-Type", "application/http; msgtype=response"),
        ],
        resp,
    )
    return out


# Non-article captures that a real crawl also contains (a reader must skip or
# at least not treat them as articles).
EXTRA_CAPTURES = {
    "crawl-2025-03": [
        (
            "https://www.kellendaily.example/robots.txt",
            "2025-03-12T14:31:05Z",
            "200 OK",
            [("Content-Type", "text/plain; charset=utf-8")],
            b"User-agent: *\nDisallow: /account/\nDisallow: /search\nSitemap: https://www.kellendaily.example/sitemap.xml\n",
        ),
    ],
    "crawl-2025-mixed": [
        (
            "http://meridianpress.example/world/2025/09/22/sarvania-earthquake-ostrel/",
            "2025-09-22T03:15:50Z",
            "301 Moved Permanently",
            [
                (
                    "Location",
                    "https://www.meridianpress.example/world/2025/09/22/sarvania-earthquake-ostrel/",
                ),
                ("Content-Type", "text/html; charset=utf-8"),
            ],
            b"<html><head><title>301 Moved Permanently</title></head><body><h1>Moved Permanently</h1></body></html>\n",
        ),
    ],
}


def build_warc(name: str, arts: list[Article], sites: dict) -> bytes:
    filename = f"{name}.warc.gz"
    dates = sorted([a.crawled for a in arts] + [c[1] for c in EXTRA_CAPTURES.get(name, [])])
    info_id = _rid(filename, "warcinfo")
    info = (
        f"software: copydesk make_demo_corpus.py\r\nformat: WARC File Format 1.1\r\n"
        f"conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
        f"isPartOf: copydesk-demo\r\ndescription: invented demo crawl ({name})\r\n"
        f"robots: obey\r\n"
    ).encode()
    data = _record(
        [
            ("WARC-Type", "warcinfo"),
            ("WARC-Record-ID", info_id),
            ("WARC-Date", dates[0]),
            ("WARC-Filename", filename),
            ("WARC-Block-Digest", _b32sha1(info)),
            ("Content-Type", "application/warc-fields"),
        ],
        info,
    )
    captures = [(c[1], c) for c in EXTRA_CAPTURES.get(name, [])]
    captures += [(a.crawled, a) for a in arts]
    for _, item in sorted(captures, key=lambda x: (x[0], str(x[1] if isinstance(x[1], tuple) else x[1].url))):
        if isinstance(item, tuple):
            uri, date, status, hh, payload = item
            hh = [("Date", _http_date(date)), ("Server", "nginx"), *hh]
            data += _exchange(filename, info_id, uri, date, status, hh, payload)
        else:
            a = item
            if not a.crawled:
                raise SystemExit(f"{a.id}: WARC output needs 'crawled'")
            page = render_page(a, sites).encode("utf-8")
            hh = [
                ("Date", _http_date(a.crawled)),
                ("Server", "nginx"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "max-age=300, public"),
                (
                    "Last-Modified",
                    _http_date(a.published[:19] + "Z")
                    if a.published.endswith(("Z", "+00:00"))
                    else _http_date(a.crawled),
                ),
                ("X-Cache", "HIT"),
            ]
            data += _exchange(filename, info_id, a.url, a.crawled, "200 OK", hh, page)
    return data


# --------------------------------------------------------------------------


def main() -> int:
    sites = json.loads((SRC / "sites.json").read_text(encoding="utf-8"))
    arts = load_articles()
    for sub in ("html", "warc", "jsonl", "parquet"):
        (OUT / sub).mkdir(parents=True, exist_ok=True)

    warcs: dict[str, list[Article]] = {}
    jsonl: dict[str, list[dict]] = {}
    parquet: dict[str, list[dict]] = {}
    written: list[Path] = []
    for a in arts:
        kind, _, name = a.output.partition(":")
        if kind == "html":
            p = OUT / "html" / f"{a.id}.html"
            p.write_text(render_page(a, sites), encoding="utf-8")
            written.append(p)
        elif kind == "html.gz":
            p = OUT / "html" / f"{a.id}.html.gz"
            p.write_bytes(_gzip(render_page(a, sites).encode("utf-8")))
            written.append(p)
        elif kind == "warc":
            warcs.setdefault(name, []).append(a)
        elif kind == "jsonl":
            jsonl.setdefault(name, []).append(
                {"id": a.id, "url": a.url, "title": a.title, "published": a.published, "text": plain_text(a)}
            )
        elif kind == "jsonl-html":
            jsonl.setdefault(name, []).append(
                {
                    "id": a.id,
                    "url": a.url,
                    "title": a.title,
                    "published": a.published,
                    "html": render_page(a, sites),
                }
            )
        elif kind == "parquet":
            parquet.setdefault(name, []).append(
                {"id": a.id, "url": a.url, "title": a.title, "published": a.published, "text": plain_text(a)}
            )
        else:
            raise SystemExit(f"{a.id}: unknown output {a.output!r}")

    for name, items in sorted(warcs.items()):
        p = OUT / "warc" / f"{name}.warc.gz"
        p.write_bytes(build_warc(name, items, sites))
        written.append(p)
    for name, rows in sorted(jsonl.items()):
        rows.sort(key=lambda r: (r["published"], r["id"]))
        p = OUT / "jsonl" / f"{name}.jsonl"
        p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        written.append(p)
    if parquet:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            print("pyarrow not installed: Parquet output skipped", file=sys.stderr)
            parquet = {}
        for name, rows in sorted(parquet.items()):
            rows.sort(key=lambda r: r["id"])
            schema = pa.schema([(c, pa.string()) for c in ("id", "url", "title", "published", "text")])
            table = pa.Table.from_pylist(rows, schema=schema)
            p = OUT / "parquet" / f"{name}.parquet"
            pq.write_table(table, p, compression="snappy", write_statistics=True)
            written.append(p)

    for p in written:
        print(f"wrote {p.relative_to(HERE.parent)} ({p.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
