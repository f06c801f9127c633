"""Facts of a story over the API: figures, quotes and names (entities), as the facts stage stored them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from copydesk import service
from copydesk.web import facts_view
from copydesk.web.routes._common import FastJSON, Offset, settings_of

StoryId = Annotated[str, Query(min_length=1, max_length=200, description="The story whose facts to list")]


def pages() -> APIRouter:
    return APIRouter(include_in_schema=False)


FactLimit = Annotated[int | None, Query(ge=1, le=100_000, description="Rows per page (all where left out)")]


def api() -> APIRouter:
    router = APIRouter(tags=["facts"])

    @router.get("/figures", summary="A story's figures and dates, each with its group and its status")
    def figures_api(
        request: Request, story_id: StoryId, limit: FactLimit = None, offset: Offset = 0
    ) -> FastJSON:
        found, total, rows = service.get_fact_rows(settings_of(request), story_id, "figure", limit, offset)
        return FastJSON(
            {"story_id": found, "total": total, "offset": offset, "limit": limit, "figures": rows}
        )

    @router.get("/quotes", summary="A story's quotes, each with its group, status and wording drift")
    def quotes_api(
        request: Request, story_id: StoryId, limit: FactLimit = None, offset: Offset = 0
    ) -> FastJSON:
        found, total, rows = service.get_fact_rows(settings_of(request), story_id, "quote", limit, offset)
        return FastJSON({"story_id": found, "total": total, "offset": offset, "limit": limit, "quotes": rows})

    @router.get("/entities", summary="A story's names (people, organisations, places) with their variants")
    def entities_api(request: Request, story_id: StoryId) -> FastJSON:
        facts = service.get_facts(settings_of(request), story_id)
        return FastJSON({"story_id": facts.story_id, "entities": facts_view.entity_rows(facts)})

    return router
