"""Facts of a story over the API: figures, quotes and names (entities), as the facts stage stored them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from copydesk import service
from copydesk.web import facts_view
from copydesk.web.routes._common import FastJSON, settings_of

StoryId = Annotated[str, Query(min_length=1, max_length=200, description="The story whose facts to list")]


def pages() -> APIRouter:
    return APIRouter(include_in_schema=False)


def _source_ids(request: Request, article_ids: set[str]) -> dict[str, str]:
    return {a.id: a.source_id for a in service.get_articles(settings_of(request), sorted(article_ids))}


def api() -> APIRouter:
    router = APIRouter(tags=["facts"])

    @router.get("/figures", summary="A story's figures and dates, each with its group and its status")
    def figures_api(request: Request, story_id: StoryId) -> FastJSON:
        facts = service.get_facts(settings_of(request), story_id)
        ids = _source_ids(request, {f.article_id for f in facts.figures})
        return FastJSON({"story_id": facts.story_id, "figures": facts_view.figure_rows(facts, ids)})

    @router.get("/quotes", summary="A story's quotes, each with its group, status and wording drift")
    def quotes_api(request: Request, story_id: StoryId) -> FastJSON:
        facts = service.get_facts(settings_of(request), story_id)
        ids = _source_ids(request, {q.article_id for q in facts.quotes})
        return FastJSON({"story_id": facts.story_id, "quotes": facts_view.quote_rows(facts, ids)})

    @router.get("/entities", summary="A story's names (people, organisations, places) with their variants")
    def entities_api(request: Request, story_id: StoryId) -> FastJSON:
        facts = service.get_facts(settings_of(request), story_id)
        return FastJSON({"story_id": facts.story_id, "entities": facts_view.entity_rows(facts)})

    return router
