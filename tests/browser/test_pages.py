"""The pages in a real browser: removals highlighted, live search, stories list; screenshots kept."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from copydesk.config import Settings
from tests.browser.conftest import LiveServer, PageWatch, screenshot
from tests.browser.seed import SPAM, seed_facts, seed_store, seed_story

pytestmark = pytest.mark.browser


def test_article_page_highlights_removals(settings: Settings, watched_page: tuple[Any, PageWatch]) -> None:
    articles = seed_store(settings.db)
    page, watch = watched_page
    with LiveServer(settings) as server:
        page.goto(f"{server.url}/articles/{articles[0].id}", wait_until="networkidle")
        spam = page.locator(".text del.removal-spam")
        assert spam.count() == 1 and spam.inner_text() == SPAM
        # Highlighted: the removal has its own background colour, unlike the text around it.
        colour = spam.evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
        assert page.locator(".text del.removal-chrome").count() == 2
        assert page.locator(".text ins.repair").inner_text().endswith("fares")
        screenshot(page, "article-removals")
        page.evaluate("() => { window.samePage = true; }")
        page.locator("input[name=diff]").fill(articles[1].source_id)
        page.locator("#diff button").click()  # htmx swaps the diff section in; no page load
        expect(page.locator("table.sbs")).to_have_count(1, timeout=5000)
        assert page.locator("table.sbs ins").count() > 0
        assert f"diff={articles[1].source_id}" in page.url
        assert page.evaluate("() => window.samePage") is True
        screenshot(page, "article-diff")
    assert watch.problems() == []


def test_search_updates_as_you_type(settings: Settings, watched_page: tuple[Any, PageWatch]) -> None:
    seed_store(settings.db)
    page, watch = watched_page
    with LiveServer(settings) as server:
        page.goto(f"{server.url}/search", wait_until="networkidle")
        assert "3 articles" in page.locator(".count").inner_text()
        page.locator("#q").fill("festival")
        expect(page.locator(".count")).to_contain_text("1 article match", timeout=5000)
        assert page.locator(".results mark").first.inner_text().lower() == "festival"
        assert "q=festival" in page.url  # htmx pushed the URL, so the result can be shared
        screenshot(page, "search")
        page.goto(f"{server.url}/stories", wait_until="networkidle")
        assert page.locator("h1").inner_text() == "Stories"
        screenshot(page, "stories")
    assert watch.problems() == []


def test_story_page_shows_families_and_timeline(
    settings: Settings, watched_page: tuple[Any, PageWatch]
) -> None:
    articles = seed_store(settings.db)
    story_id = seed_story(settings.db, articles)
    page, watch = watched_page
    with LiveServer(settings) as server:
        page.goto(f"{server.url}/stories", wait_until="networkidle")
        page.locator("a.headline").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(f"/stories/{story_id}")
        assert page.locator("svg.timeline circle").count() == 2
        assert page.locator(".family li").count() == 2
        assert page.locator(".family .pill-rel-original").count() == 1
        screenshot(page, "story")
        page.locator(".family a", has_text="diff against the original").first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator("table.sbs").count() == 1
    assert watch.problems() == []


def test_a_large_storys_facts_load_after_its_page(
    settings: Settings, watched_page: tuple[Any, PageWatch], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``FACTS_INLINE`` members the story page comes without its facts and htmx fetches them
    from the story's facts page once it has loaded, into the same place."""
    from copydesk.web.routes import stories as story_routes

    monkeypatch.setattr(story_routes, "FACTS_INLINE", 1)
    articles = seed_store(settings.db)
    story_id = seed_story(settings.db, articles)
    seed_facts(settings.db, articles, story_id)
    page, watch = watched_page
    with LiveServer(settings) as server:
        page.goto(f"{server.url}/stories/{story_id}", wait_until="networkidle")
        page.locator("tbody.group-conflict").first.wait_for(timeout=10_000)
        assert page.locator("#facts").count() == 1 and "read after the page" not in page.content()
        assert page.locator(".facts-table b", has_text="ten percent").count() >= 1
        assert page.locator(".family li").count() == 2
    assert watch.problems() == []
