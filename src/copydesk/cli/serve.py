"""``copydesk serve``: the web pages and the REST API over the store (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from copydesk.cli.state import state
from copydesk.extras import require


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        ctx: typer.Context,
        host: Annotated[
            str, typer.Option("--host", help="Address to listen on (loopback by default).")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    ) -> None:
        """Serve the stories, article and search pages and the REST API (/api/openapi.json)."""
        uvicorn = require("uvicorn", extra="web", feature="copydesk serve")
        require("fastapi", extra="web", feature="copydesk serve")
        from copydesk.web.app import create_app

        cli = state(ctx)
        settings = cli.settings()
        web_app = create_app(settings)
        cli.say(f"serving {settings.db} on http://{host}:{port}/ (Ctrl+C stops)")
        uvicorn.run(web_app, host=host, port=port, log_level="warning" if cli.verbosity < 1 else "info")
