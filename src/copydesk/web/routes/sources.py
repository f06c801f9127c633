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
        has_stories = any(row["relations"] for row in stats)
        rows = [{**row, **_relation_counts(row["relations"])} for row in stats]
        return page(request, "sources.html", stats=rows, has_stories=has_stories)

    return router


COPY_RELATIONS = ("exact-copy", "near-copy")
REWRITE_RELATIONS = ("rewrite", "translation-like")


def _relation_counts(relations: dict[str, int]) -> dict[str, int]:
    """Page columns: originals, copies (exact or near), rewrites (with translation-like), independent."""
    return {
        "originals": relations.get("original", 0),
        "copies": sum(relations.get(r, 0) for r in COPY_RELATIONS),
        "rewrites": sum(relations.get(r, 0) for r in REWRITE_RELATIONS),
        "independent": relations.get("independent", 0),
    }


def api() -> APIRouter:
    router = APIRouter(tags=["sources"])

    @router.get("/sources", summary="Per site: articles, spam-injected articles, articles per relation")
    def sources_api(request: Request) -> FastJSON:
        return FastJSON({"sources": service.source_stats(settings_of(request))})

    return router
