"""Sources: per site, how many articles, how often spam-injected, copied or rewritten."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from copydesk import service
from copydesk.web.routes._common import FastJSON, page, settings_of


def pages() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/sources", response_class=HTMLResponse)
    def sources_page(request: Request) -> HTMLResponse:
        stats = service.source_stats(settings_of(request))
        relations = sorted({name for row in stats for name in row["relations"]})
        return page(request, "sources.html", stats=stats, relations=relations)

    return router


def api() -> APIRouter:
    router = APIRouter(tags=["sources"])

    @router.get("/sources", summary="Per site: articles, spam-injected articles, articles per relation")
    def sources_api(request: Request) -> FastJSON:
        return FastJSON({"sources": service.source_stats(settings_of(request))})

    return router
