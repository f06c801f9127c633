"""Stories: the stories list (home), the story page, and the stories / facts API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from copydesk import service
from copydesk.config import Settings
from copydesk.errors import NotFoundError
from copydesk.records import bare_date
from copydesk.store.search import ArticleFilter
from copydesk.stories.story_rows import FAMILIES_SHOWN, MEMBERS_SHOWN, cut_family, member_families
from copydesk.web import facts_view, render
from copydesk.web.routes._common import FastJSON, Limit, Offset, page, settings_of

Order = Annotated[str, Query(pattern=r"^(newest|largest)$", description="newest or largest first")]


def pages() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/stories", status_code=303)

    @router.get("/stories", response_class=HTMLResponse)
    def stories_page(
        request: Request, order: Order = "newest", limit: Limit = 50, offset: Offset = 0
    ) -> HTMLResponse:
        settings = settings_of(request)
        total, stories = service.list_stories(settings, order=order, limit=limit, offset=offset)
        return page(
            request,
            "stories.html",
            stories=stories,
            total=total,
            order=order,
            limit=limit,
            offset=offset,
            articles=0 if stories else service.find_articles(settings, _newest()).total,
        )

    @router.get("/stories/{story_id}", response_class=HTMLResponse)
    def story_page(request: Request, story_id: str) -> HTMLResponse:
        settings = settings_of(request)
        story = service.get_story(settings, story_id)
        families = member_families(story["members"])
        shown = [cut_family(f, 0, MEMBERS_SHOWN) for f in families[:FAMILIES_SHOWN]]
        items = [(m["article_id"], m["site"], m["relation"], _when(m["published"])) for m in story["members"]]
        later = len(story["members"]) > FACTS_INLINE  # the facts loaded after the page
        return page(
            request,
            "story.html",
            story=story,
            articles=_shown_articles(settings, shown),
            families=shown,
            family_count=len(families),
            families_left_out=len(families) - len(shown),
            timeline=render.coverage_timeline(items),
            first_report=first_report(items),
            span=(_when(story["first_seen"]), _when(story["last_seen"])),
            facts=None if later else _facts(settings, story["id"], _sites(story)),
            facts_later=later,
        )

    @router.get("/stories/{story_id}/facts", response_class=HTMLResponse)
    def story_facts_page(request: Request, story_id: str) -> HTMLResponse:
        """A story's facts on a page of their own (a large story's page loads them from here)."""
        settings = settings_of(request)
        story = service.get_story(settings, story_id)
        return page(
            request, "story_facts.html", story=story, facts=_facts(settings, story["id"], _sites(story))
        )

    @router.get("/stories/{story_id}/families", response_class=HTMLResponse)
    def families_page(
        request: Request,
        story_id: str,
        family: Annotated[str | None, Query(max_length=200, description="One family's members")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> HTMLResponse:
        """A story's copy families a page at a time (each with its first members), or one family's
        members a page at a time: the story page shows the first of both."""
        settings = settings_of(request)
        story = service.get_story(settings, story_id)
        families = member_families(story["members"])
        if not family:  # left out or empty: every family
            total = len(families)
            shown = [cut_family(f, 0, MEMBERS_SHOWN) for f in families[offset : offset + limit]]
        else:
            found = next((f for f in families if f["id"] == family), None)
            if found is None:
                raise NotFoundError(f"story {story_id} has no copy family {family}")
            total = found["size"]
            shown = [{**cut_family(found, offset, limit), "left_out": 0}]  # the pager leads on
        return page(
            request,
            "families.html",
            story=story,
            family=family,
            families=shown,
            articles=_shown_articles(settings, shown),
            total=total,
            limit=limit,
            offset=offset,
        )

    return router


def _facts(settings: Settings, story_id: str, sites: dict[str, str]) -> facts_view.FactsView | None:
    """The story's facts, or ``None`` when the facts stage has not computed them (the section is left out)."""
    try:
        facts = service.get_facts(settings, story_id)
    except NotFoundError:
        return None
    return facts_view.facts_view(facts, sites)


def first_report(items: list[tuple[str, str | None, str, datetime | None]]) -> dict[str, Any] | None:
    """Who reported the story first: the site(s) of the earliest dated member, and when.

    A bare date (midnight, no time given) may be any hour of its day, so on the earliest day a member
    with an exact time comes first, as the family original is chosen; ``date_only`` says the first
    report is known to the day only."""
    dated = [(when, site or "unknown site") for _, site, _, when in items if when is not None]
    if not dated:
        return None
    first_day = min(when.date() for when, _ in dated)
    on_day = [(when, site) for when, site in dated if when.date() == first_day]
    timed = [(when, site) for when, site in on_day if not bare_date(when)]
    pool = timed or on_day
    earliest = min(when for when, _ in pool)
    sites = sorted({site for when, site in pool if when == earliest})
    return {"sites": sites, "when": earliest, "date_only": not timed}


# Members past which a story page loads its facts after the page (a 10,000-source story's facts
# take seconds to read; the rest of its page, a fraction of one).
FACTS_INLINE = 500


def _sites(story: dict[str, Any]) -> dict[str, str]:
    """Each member's site, as the facts table shows it."""
    return {m["article_id"]: m["site"] or "unknown site" for m in story["members"]}


def _shown_articles(settings: Settings, families: list[dict[str, Any]]) -> dict[str, Any]:
    """The stored articles of the members shown (their credits), not of the whole story."""
    ids = [m["article_id"] for f in families for m in f["members"]]
    return {a.id: a for a in service.get_articles(settings, ids)}


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _newest() -> ArticleFilter:
    return ArticleFilter(limit=1)


def api() -> APIRouter:
    router = APIRouter(tags=["stories"])

    @router.get(
        "/stories", summary="Stories, newest or largest first, with article and independent-source counts"
    )
    def stories_api(
        request: Request, order: Order = "newest", limit: Limit = 50, offset: Offset = 0
    ) -> FastJSON:
        total, stories = service.list_stories(settings_of(request), order=order, limit=limit, offset=offset)
        return FastJSON({"total": total, "limit": limit, "offset": offset, "stories": stories})

    @router.get(
        "/stories/{story_id}", summary="One story: members by copy family, relations, related stories"
    )
    def story_api(request: Request, story_id: str) -> FastJSON:
        return FastJSON(service.get_story(settings_of(request), story_id))

    return router
