"""Stories: the stories list (home), the story page, and the stories / facts API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from copydesk import service
from copydesk.web.routes._common import page, settings_of
from copydesk.web.routes.search import Limit, Offset

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
            articles=service.find_articles(settings, _newest()).total,
        )

    return router


def _newest() -> Any:
    from copydesk.store.search import ArticleFilter

    return ArticleFilter(limit=1)


def api() -> APIRouter:
    router = APIRouter(tags=["stories"])

    @router.get(
        "/stories", summary="Stories, newest or largest first, with article and independent-source counts"
    )
    def stories_api(
        request: Request, order: Order = "newest", limit: Limit = 50, offset: Offset = 0
    ) -> dict[str, Any]:
        total, stories = service.list_stories(settings_of(request), order=order, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "stories": stories}

    return router
