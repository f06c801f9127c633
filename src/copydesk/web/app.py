"""The web app: ``create_app(settings)`` builds it (nothing at import time).

Pages and the REST API are thin adapters over ``copydesk.service``; every request reads through its own
read-only connection, so pages keep working while another process ingests (WAL).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from copydesk import service
from copydesk.config import Settings
from copydesk.errors import CopydeskError, NotFoundError, StoreError, UsageError
from copydesk.web import render
from copydesk.web.routes import articles, exports, facts, search, sources, stories
from copydesk.web.routes._common import NAV

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


class SecurityHeaders:
    """Adds the security headers to every response (plain ASGI: no per-request task overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in SECURITY_HEADERS if h[0] not in names
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _web_dir() -> Path:
    return Path(str(resources.files("copydesk.web")))


# Bidirectional overrides let a hostile title display reversed or spoofed; they are dropped on output.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _finalize(value: Any) -> Any:
    """Template output values lose bidi controls; Markup (a macro's already-finalised output) is kept."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _BIDI_CONTROLS.sub("", value)
    return value


def templates_env() -> Environment:
    """Jinja2 with autoescape on for every template: article text is hostile input."""
    env = Environment(
        finalize=_finalize,
        loader=FileSystemLoader(str(_web_dir() / "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["nav"] = NAV
    env.globals["path"] = ""
    env.globals["safe_href"] = render.safe_href
    env.globals["removal_title"] = render.removal_title
    env.globals["hit_segments"] = render.hit_segments
    env.filters["day"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    env.filters["stamp"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    return env


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _error(request: Request, status: int, message: str, detail: Any = None) -> Response:
    if _is_api(request):
        body: dict[str, Any] = {"error": {"status": status, "message": message}}
        if detail is not None:
            body["error"]["detail"] = detail
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)
    env: Environment = request.app.state.templates
    html = env.get_template("error.html").render(
        request=request, path=request.url.path, status=status, message=message
    )
    return HTMLResponse(html, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(UsageError)
    async def usage(request: Request, exc: UsageError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(StoreError)
    async def store(request: Request, exc: StoreError) -> Response:
        return _error(request, 503, f"the store cannot be read: {exc}")

    @app.exception_handler(CopydeskError)
    async def other(request: Request, exc: CopydeskError) -> Response:
        return _error(request, 500, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return _error(request, 422, f"bad request parameters: {summary}", problems)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug: the client gets a plain message (no traceback, no article text); the server log has the rest.
        return _error(request, 500, "internal error: the server log has the details")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app over the store named in ``settings`` (migrated here, then read-only per request)."""
    service.prepare_store(settings)
    app = FastAPI(
        title="copydesk",
        summary="The copy desk for news feeds: clean articles, stories, copy families and corroboration.",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI needs a CDN and inline script, both against the CSP
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = templates_env()
    _install_error_handlers(app)
    for module in (stories, articles, search, sources, exports, facts):
        app.include_router(module.pages())
        app.include_router(module.api(), prefix="/api")
    app.mount("/static", StaticFiles(directory=str(_web_dir() / "static")), name="static")
    app.add_middleware(SecurityHeaders)
    return app
