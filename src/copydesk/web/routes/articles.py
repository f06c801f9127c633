"""Articles: the article page (removals in place, signals, diff) and the articles API, ingest included."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from copydesk import exports, service
from copydesk.errors import NotFoundError, UsageError
from copydesk.records import InputKind, RawPage, content_digest, distinct_names
from copydesk.web import render
from copydesk.web.routes._common import (
    FastJSON,
    Limit,
    Narrowing,
    Offset,
    article_filter,
    blank_to_none,
    page,
    settings_of,
)

ArticleKey = Annotated[str, "an article id, or a source_id naming one article"]


def pages() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/articles/{key:path}", response_class=HTMLResponse)
    def article_page(
        request: Request, key: str, diff: Annotated[str | None, Query(max_length=300)] = None
    ) -> HTMLResponse:
        settings = settings_of(request)
        article = service.get_article(settings, key)
        other = None
        rows: list[render.DiffRow] = []
        similarity = None
        other_id = blank_to_none(diff)
        if other_id:
            other = service.get_article(settings, other_id)
            rows, similarity = render.side_by_side(article.text, other.text)
        return page(
            request,
            "article.html",
            article=article,
            marked=render.mark_removals(article),
            signals=exports.article_row(article)["signals"],
            story=service.story_of_article(settings, article.id),
            other=other,
            diff_rows=rows,
            similarity=similarity,
        )

    return router


class IngestBody(BaseModel):
    """One page to ingest: its text or its HTML, with optional hints the container knows."""

    model_config = ConfigDict(extra="forbid")

    source_id: str | None = Field(
        None, max_length=500, description="Stable id; derived from content if absent"
    )
    url: str | None = Field(None, max_length=2048)
    title: str | None = Field(None, max_length=2000)
    published: str | None = Field(None, max_length=64, description="ISO 8601 date or datetime")
    site: str | None = Field(None, max_length=200, description="The publishing site's name")
    authors: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None, max_length=50, description="Bylines"
    )
    credits: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None, max_length=50, description="Credited sources, e.g. a wire the article has files from"
    )
    dateline: str | None = Field(None, max_length=200, description="The dateline's place")
    language: str | None = Field(
        None, pattern=r"^[A-Za-z]{2,3}$", description="ISO 639 code of the article's language"
    )
    text: str | None = Field(None, description="Plain article text (give this or html)")
    html: str | None = Field(None, description="The page's HTML (give this or text)")


def _check_token(request: Request, authorization: str | None) -> None:
    expected = settings_of(request).api_token
    if not expected:
        raise HTTPException(403, "ingest over the API is off: set api_token in the settings")
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "send the API token as 'Authorization: Bearer TOKEN'")
    given = authorization.removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "the API token is not valid")


def _raw_page(body: IngestBody, cap: int) -> RawPage:
    if (body.text is None) == (body.html is None):
        raise UsageError("give exactly one of 'text' or 'html'")
    content = body.text if body.text is not None else body.html
    assert content is not None
    if not content.strip():
        raise UsageError("the article body is empty")
    if len(content.encode("utf-8", "surrogatepass")) > cap:
        raise HTTPException(413, f"the body is larger than max_input_bytes ({cap})")
    if body.url is not None and render.safe_href(body.url) is None:
        raise UsageError("url must be an http(s) URL")
    kind: InputKind = "text" if body.text is not None else "html"
    source_id = blank_to_none(body.source_id) or f"api-{content_digest(content)[:12]}"
    return RawPage(
        source_id,
        "api",
        kind,
        content,
        url=body.url,
        title=body.title,
        published=body.published,
        site=blank_to_none(body.site),
        authors=distinct_names(body.authors or ()),
        credits=distinct_names(body.credits or ()),
        dateline=blank_to_none(body.dateline),
        language=body.language.lower() if body.language else None,
    )


def api() -> APIRouter:
    router = APIRouter(tags=["articles"])

    @router.get("/articles", summary="List articles, newest first, with optional filters")
    def list_articles(
        request: Request,
        narrowing: Annotated[Narrowing, Depends()],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> FastJSON:
        settings = settings_of(request)
        flt = article_filter(settings, narrowing, q=None, limit=limit, offset=offset)
        results = service.find_articles(settings, flt)
        rows = [{k: v for k, v in r.items() if k != "snippet"} for r in results.rows]
        for row in rows:
            row["spam_injected"] = bool(row["spam_injected"])
        return FastJSON({"total": results.total, "limit": limit, "offset": offset, "articles": rows})

    @router.get("/articles/{key:path}", summary="One article: clean text, removals, metadata and signals")
    def get_article(request: Request, key: str) -> FastJSON:
        article = service.get_article(settings_of(request), key)
        row = exports.article_row(article)
        row["raw_text"] = article.raw_text
        return FastJSON(row)

    @router.post(
        "/articles",
        status_code=201,
        summary="Ingest one article through the normal pipeline (needs 'Authorization: Bearer TOKEN')",
        responses={
            200: {"description": "Already stored (same source and content)"},
            401: {},
            403: {},
            413: {},
        },
    )
    def post_article(
        request: Request,
        body: IngestBody,
        authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        _check_token(request, authorization)
        settings = settings_of(request)
        raw = _raw_page(body, settings.max_input_bytes)
        report = service.ingest_pages(settings, [raw])
        if report.skipped:
            raise UsageError(f"the article was not stored: {report.skipped[0].reason}")
        created = report.stored > 0
        try:
            article = service.get_article(settings, raw.article_id)
        except NotFoundError as exc:  # stored then removed by a corpus stage
            raise UsageError("the article was not kept by the pipeline") from exc
        return JSONResponse(
            {"id": article.id, "source_id": article.source_id, "created": created, "title": article.title},
            status_code=201 if created else 200,
        )

    return router
