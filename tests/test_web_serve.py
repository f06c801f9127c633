"""``copydesk serve`` starts uvicorn on the given loopback port and serves the app over the store."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from copydesk.config import Settings
from tests.browser.seed import seed_store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_on_loopback(settings: Settings, tmp_path: Path) -> None:
    seed_store(settings.db)
    port = _free_port()
    cli = Path(sys.executable).with_name("copydesk")
    server = subprocess.Popen(
        [str(cli), "--db", str(settings.db), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline and response is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/articles", timeout=2)
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200
        assert response.json()["total"] == 3
        page = httpx.get(f"http://127.0.0.1:{port}/search?q=ferry", timeout=5)
        assert page.status_code == 200 and "content-security-policy" in page.headers
    finally:
        server.terminate()
        server.wait(timeout=10)
