"""Full-text search (FTS5): the search page and ``GET /api/search``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from copydesk import service
from copydesk.web.routes._common import (
    FastJSON,
    Limit,
    Narrowing,
    Offset,
    Text,
    article_filter,
    page,
    settings_of,
)


def pages() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/search", response_class=HTMLResponse)
    @router.get("/articles", response_class=HTMLResponse)
    def search_page(
        request: Request,
        narrowing: Annotated[Narrowing, Depends()],
        q: Text = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> HTMLResponse:
        settings = settings_of(request)
        flt = article_filter(settings, narrowing, q=q, limit=limit, offset=offset)
        results = service.find_articles(settings, flt)
        if request.headers.get("hx-request") == "true":  # live search swaps the results only
            return page(request, "_results.html", flt=flt, results=results)
        return page(
            request,
            "search.html",
            flt=flt,
            results=results,
            sites=service.list_sites(settings),
            topics=service.list_topics(settings),
            topic=narrowing.topic or "",
        )

    return router


def api() -> APIRouter:
    router = APIRouter(tags=["search"])

    @router.get("/search", summary="Full-text search over article titles and text")
    def search_api(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=500, description="Words to find (all must match)")],
        narrowing: Annotated[Narrowing, Depends()],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> FastJSON:
        settings = settings_of(request)
        flt = article_filter(settings, narrowing, q=q, limit=limit, offset=offset)
        results = service.find_articles(settings, flt)
        return FastJSON(
            {
                "total": results.total,
                "limit": limit,
                "offset": offset,
                "results": [_hit(r) for r in results.rows],
            }
        )

    return router


def _hit(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "source_id", "site", "title", "url", "published", "chars", "removals")}
    out["spam_injected"] = bool(row.get("spam_injected"))
    if row.get("snippet") is not None:
        out["snippet"] = row["snippet"].replace("\x02", "").replace("\x03", "")
    return out
