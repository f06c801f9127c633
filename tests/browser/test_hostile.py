"""The hostile corpus, ingested through the normal pipeline, runs no script in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copydesk import service
from copydesk.config import Settings
from copydesk.store.search import ArticleFilter
from tests.browser.conftest import LiveServer, PageWatch, screenshot
from tests.browser.seed import seed_facts, seed_store, seed_story

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"

# What the page itself is allowed to contain: our one script, our own SVG timeline.
DOM_AUDIT = """() => {
  const scripts = [...document.querySelectorAll('script')].map(s => s.getAttribute('src'));
  const handlers = [...document.querySelectorAll('*')].flatMap(el =>
      [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name));
  const risky = (el, n) => /^\\s*(javascript|data|vbscript):/i.test(el.getAttribute(n) || '');
  const jsLinks = [...document.querySelectorAll('[href],[src],[action],[data]')]
      .filter(el => ['href', 'src', 'action', 'data'].some(n => risky(el, n)))
      .map(el => el.outerHTML.slice(0, 80));
  const foreign = [...document.querySelectorAll('iframe,object,embed,img,math,foreignObject,style')]
      .map(el => el.tagName);
  const svgs = [...document.querySelectorAll('svg')].filter(s => !s.classList.contains('timeline')).length;
  const xss = window.__xss === undefined ? null : String(window.__xss);
  return {scripts, handlers, jsLinks, foreign, svgs, xss};
}"""


def _audit(page: Any, watch: PageWatch, url: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status < 500, url
    if response.status == 404:  # the page itself: the browser logs its status as a console error
        watch.console = [c for c in watch.console if "status of 404" not in c]
    page.mouse.move(200, 300)  # fire any onmouseover that should not exist
    found = page.evaluate(DOM_AUDIT)
    assert found["scripts"] == ["/static/htmx.min.js"], (url, found["scripts"])
    assert found["handlers"] == [], (url, found["handlers"])
    assert found["jsLinks"] == [], (url, found["jsLinks"])
    assert found["foreign"] == [], (url, found["foreign"])
    assert found["svgs"] == 0, url
    assert found["xss"] is None, url
    assert watch.problems() == [], (url, watch.problems())


def test_hostile_corpus_runs_no_script(settings: Settings, watched_page: tuple[Any, PageWatch]) -> None:
    # Ingest runs the article pipeline (extraction, cleaning); the story over the hostile articles is
    # written as the stories stage stores one, so its page shows hostile titles, sites and URLs too.
    report = service.ingest([str(HOSTILE)], settings, executor="inprocess")
    assert report.stored >= 6, report.skipped
    seeded = seed_store(settings.db)
    hostile = [a for a in service.get_articles(settings, report.stored_ids)]
    story_id = seed_story(
        settings.db, seeded, story_id="hostile", title=hostile[0].title or "", members=hostile
    )
    seed_facts(
        settings.db, hostile, story_id, extra="<script>alert('XSS-fact')</script><img src=x onerror=alert(1)>"
    )
    page, watch = watched_page
    with LiveServer(settings) as server:
        ids = [row["id"] for row in service.find_articles(settings, _all()).rows]
        urls = ["/stories", "/search", "/sources", "/search?q=script+alert", "/search?q=XSS"]
        urls += [f"/articles/{i}" for i in ids]
        urls += [f"/articles/{ids[0]}?diff={other}" for other in ids[1:4]]
        urls += ["/search?q=%3Cscript%3E&site=%3Cb%3E", "/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E"]
        _, stories = service.list_stories(settings, limit=100)
        urls += [f"/stories/{s['id']}" for s in stories] + ["/stories?order=largest"]
        for url in urls:
            _audit(page, watch, server.url + url)
        page.goto(f"{server.url}/articles/{ids[0]}", wait_until="networkidle")
        screenshot(page, "hostile-article")
        page.goto(f"{server.url}/search?q=alert", wait_until="networkidle")
        screenshot(page, "hostile-search")
        if stories:
            page.goto(f"{server.url}/stories/{stories[0]['id']}", wait_until="networkidle")
            screenshot(page, "hostile-story")


def _all() -> ArticleFilter:
    return ArticleFilter(limit=500)


def test_hostile_corpus_through_every_stage(settings: Settings, watched_page: tuple[Any, PageWatch]) -> None:
    # The whole `copydesk run` (cleaning, stories, facts) over hostile pages, then the pages it produced.
    report = service.run([str(HOSTILE)], settings, executor="inprocess")
    assert report.stored >= 6, report.skipped
    _, stories = service.list_stories(settings, limit=100)
    assert stories, "the stories stage should group the hostile articles"
    page, watch = watched_page
    with LiveServer(settings) as server:
        urls = ["/stories", "/sources", "/search?q=harbour"]
        urls += [f"/stories/{s['id']}" for s in stories]
        urls += [f"/articles/{i}" for i in report.stored_ids]
        for url in urls:
            _audit(page, watch, server.url + url)
