"""The demo corpus through ``copydesk run``, then its pages in Chromium: stories, a story, an article."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copydesk import service
from copydesk.config import Settings
from tests.browser.conftest import LiveServer, PageWatch, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.nlp]
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def test_demo_stories_in_the_browser(settings: Settings, watched_page: tuple[Any, PageWatch]) -> None:
    if not DEMO.is_dir():
        pytest.skip("examples/demo is not present")
    service.run([str(DEMO)], settings, executor="inprocess")
    page, watch = watched_page
    with LiveServer(settings) as server:
        page.goto(f"{server.url}/stories?order=largest", wait_until="networkidle")
        assert page.locator("table.listing tbody tr").count() >= 3
        screenshot(page, "demo-stories")
        page.locator("a.headline").first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".family").count() >= 1
        assert page.locator("svg.timeline circle").count() >= 2
        assert page.locator("table.facts-table").count() >= 1
        assert page.locator(".facts-table .pill").count() >= 1
        screenshot(page, "demo-story")
        page.locator(".family a[href^='/articles/']").first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator(".text").count() == 1
        screenshot(page, "demo-article")
        page.goto(f"{server.url}/sources", wait_until="networkidle")
        screenshot(page, "demo-sources")
    assert watch.problems() == []
