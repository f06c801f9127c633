"""What every route module needs: the settings of this app, template rendering, query parsing."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment

from copydesk import service
from copydesk.config import Settings
from copydesk.errors import UsageError
from copydesk.store.search import ArticleFilter

NAV = (("/stories", "Stories"), ("/search", "Search"), ("/sources", "Sources"))


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.templates
    html = env.get_template(template).render(request=request, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


class FastJSON(JSONResponse):
    """JSON written in one ``json.dumps`` call: the API returns plain dicts, so FastAPI's re-encoding
    (``jsonable_encoder`` plus response validation) is skipped; dates become ISO strings."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=_iso, separators=(",", ":")).encode("utf-8")


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def parse_day(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD query value; empty means no filter, anything else is a usage error (422)."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise UsageError(f"{name} must be a date as YYYY-MM-DD, not {value[:40]!r}") from exc


def blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip")]
Text = Annotated[str | None, Query(max_length=500)]
Day = Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD")]


class Narrowing:
    """The filters every article listing takes (site, date range, topic), declared once for the
    pages and the API as a FastAPI dependency."""

    def __init__(
        self, site: Text = None, date_from: Day = None, date_to: Day = None, topic: Text = None
    ) -> None:
        self.site = site
        self.date_from = date_from
        self.date_to = date_to
        self.topic = topic


def article_filter(
    settings: Settings, narrowing: Narrowing, *, q: str | None, limit: int, offset: int
) -> ArticleFilter:
    """The search/list filter from query values (shared by the pages and the API)."""
    start = parse_day(narrowing.date_from, "date_from")
    end = parse_day(narrowing.date_to, "date_to")
    if start and end and start > end:
        raise UsageError("date_from is after date_to")
    chosen_topic = blank_to_none(narrowing.topic)
    ids = tuple(service.topic_article_ids(settings, chosen_topic)) if chosen_topic else None
    return ArticleFilter(
        query=(q or "").strip()[:500],
        site=blank_to_none(narrowing.site),
        date_from=start,
        date_to=end,
        article_ids=ids,
        limit=limit,
        offset=offset,
    )
