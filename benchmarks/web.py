"""Web benchmark: page latency, API throughput and reads-while-ingesting on a large generated store.

    .venv/bin/python benchmarks/web.py                      # 100k articles (about 2-4 min to generate)
    .venv/bin/python benchmarks/web.py --articles 20000 --reuse

Steps: (1) generate N articles (our own synthetic words, never real news) straight into the store, and
stories over them when the stories tables exist; (2) serve the app with uvicorn on 127.0.0.1 in a
separate process; (3) time the story, article, search and API pages one request at a time (p50/p95);
(4) load the API with ``wrk`` (Debian package) when installed, else with a bounded asyncio httpx loop;
(5) run an ingest in another process while requesting pages, counting errors. Figures go to stdout and
benchmarks/out/web.json. Everything stays on loopback and is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from copydesk.records import Article, Removal, Signals, content_digest
from copydesk.store import articles as article_store
from copydesk.store.db import Database

OUT = Path(__file__).resolve().parent / "out"
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "tas",
    "vel",
    "dor",
    "an",
    "is",
    "ul",
    "per",
    "gan",
    "sol",
    "tri",
    "mun",
    "bel",
    "cor",
    "dane",
    "fro",
    "hal",
]
VERBS = [
    "said",
    "announced",
    "reported",
    "confirmed",
    "denied",
    "expected",
    "warned",
    "agreed",
    "planned",
    "approved",
]
NOUNS = [
    "council",
    "harbour",
    "ferry",
    "budget",
    "bridge",
    "school",
    "hospital",
    "market",
    "festival",
    "union",
    "port",
    "railway",
]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(rng.randint(6, 16))]
    words.insert(rng.randint(0, len(words)), rng.choice(NOUNS))
    words.insert(rng.randint(0, len(words)), rng.choice(VERBS))
    words.insert(rng.randint(0, len(words)), str(rng.randint(2, 9000)))
    return " ".join(words).capitalize() + "."


def _article(rng: random.Random, i: int, site: str, when: datetime, base: list[str] | None) -> Article:
    paragraphs = (
        list(base) if base else [_sentence(rng) + " " + _sentence(rng) for _ in range(rng.randint(4, 9))]
    )
    if base:  # a copy or rewrite: change a few words of some paragraphs
        for k in rng.sample(range(len(paragraphs)), k=min(2, len(paragraphs))):
            paragraphs[k] = paragraphs[k].replace(rng.choice(NOUNS), rng.choice(NOUNS))
    title = _sentence(rng)[:80]
    removals: list[Removal] = []
    raw = "\n".join(paragraphs)
    spam = rng.random() < 0.08
    if spam:
        cut = raw.index(" ", len(raw) // 2) + 1
        injected = "BUY-CHEAP-PILLS-NOW "
        raw = raw[:cut] + injected + raw[cut:]
        removals.append(Removal("spam", injected, "injected link text", cut))
    digest = content_digest(raw)
    source_id = f"gen-{i}"
    return Article(
        id=content_digest(source_id + "\x00" + digest),
        source_id=source_id,
        origin="benchmark",
        input_kind="text",
        content_hash=digest,
        raw_text=raw,
        text="\n".join(paragraphs),
        url=f"https://{site}/news/{i}",
        site=site,
        title=title,
        published=when,
        removals=removals,
        signals=Signals(extractor="text", spam_injected=spam),
    )


def generate(db_path: Path, count: int, seed: int = 7) -> dict[str, Any]:
    """N articles in stories of 1-30 members (copies share paragraphs), written in batches."""
    rng = random.Random(seed)
    sites = [f"{_word(rng)}{n}.example" for n in range(300)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    has_stories = False
    t0 = time.perf_counter()
    stories: list[tuple[str, list[tuple[str, str, str, datetime]]]] = []
    with Database.open(db_path) as db:
        has_stories = bool(db.query("SELECT 1 FROM sqlite_master WHERE name = 'story_members'"))
        batch: list[Article] = []
        i = 0
        while i < count:
            size = min(count - i, rng.choice([1, 1, 2, 3, 5, 8, 12, 20, 30]))
            when = start + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            base: list[str] | None = None
            members: list[tuple[str, str, str, datetime]] = []
            family = 0
            for k in range(size):
                site = rng.choice(sites)
                article = _article(rng, i, site, when + timedelta(minutes=17 * k), base)
                if k == 0 or rng.random() < 0.25:
                    family += 1
                    relation = "original" if k == 0 else "independent"
                else:
                    relation = rng.choice(["exact-copy", "near-copy", "rewrite", "translation-like"])
                base = base or article.text.split("\n")
                members.append((article.id, f"f{len(stories)}-{family}", relation, when))
                batch.append(article)
                i += 1
            stories.append((f"s{len(stories):06d}", members))
            if len(batch) >= 5000:
                article_store.put_articles(db, batch)
                batch.clear()
        article_store.put_articles(db, batch)
        if has_stories:
            _write_stories(db, stories)
    return {
        "articles": count,
        "stories": len(stories) if has_stories else 0,
        "generate_s": round(time.perf_counter() - t0, 1),
        "db_mb": round(db_path.stat().st_size / 1e6, 1),
    }


def _write_stories(db: Database, stories: list[tuple[str, list[tuple[str, str, str, datetime]]]]) -> None:
    stamp = datetime.now(UTC).isoformat()
    with db.atomic() as conn:
        conn.executemany(
            "INSERT INTO stories (id, title, first_seen, last_seen, size, independent_sources, sites, "
            "credited_wires, vector_sum, opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
            [
                (
                    sid,
                    f"Generated story {sid}",
                    members[0][3].isoformat(),
                    (members[0][3] + timedelta(minutes=17 * (len(members) - 1))).isoformat(),
                    len(members),
                    len({m[1] for m in members}),
                    len(members),
                    b"\x00" * 4,
                    stamp,
                    stamp,
                )
                for sid, members in stories
            ],
        )
        conn.executemany(
            "INSERT INTO story_members (article_id, story_id, copy_family, relation, evidence, similarity, "
            "joined_at) VALUES (?, ?, ?, ?, '', 0.5, ?)",
            [(aid, sid, fam, rel, stamp) for sid, members in stories for aid, fam, rel, _ in members],
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from copydesk.config import load_settings; from copydesk.web.app import create_app; "
        f"uvicorn.run(create_app(load_settings({{'db': {str(db_path)!r}}}, environ={{}})), "
        f"host='127.0.0.1', port={port}, log_level='error')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/exports", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def latency(base: str, paths: list[str]) -> dict[str, float]:
    """One request at a time; p50/p95/max in milliseconds (and any non-200 count)."""
    times: list[float] = []
    bad = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get(paths[0])  # warm the connection and caches
        for path in paths:
            t = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            bad += response.status_code != 200
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
        "errors": bad,
    }


def load_wrk(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("paths = {" + ",".join(json.dumps(p) for p in paths) + "}\ncounter = 0\n")
        script.write(
            "request = function()\n  counter = counter + 1\n"
            "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n"
        )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, base],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    non2xx = sum(int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line)
    socket_errors = sum(int(n) for line in out.splitlines() if "Socket errors" in line for n in _ints(line))
    return {"tool": "wrk", "requests_per_s": rps, "non_2xx": non2xx, "socket_errors": socket_errors}


def _ints(line: str) -> list[str]:
    return [part.strip(",") for part in line.split() if part.strip(",").isdigit()]


async def _load_httpx(base: str, paths: list[str], seconds: float, connections: int) -> dict[str, Any]:
    done = 0
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal done, errors
            k = offset
            while time.monotonic() < stop:
                response = await client.get(paths[k % len(paths)])
                done += 1
                errors += response.status_code != 200
                k += connections

        t = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - t
    return {"tool": "httpx", "requests_per_s": round(done / elapsed, 1), "non_2xx": errors}


def reads_while_ingesting(base: str, db_path: Path, pages: list[str], extra: int) -> dict[str, Any]:
    """Ingest ``extra`` JSONL rows with ``copydesk ingest`` in another process while requesting pages."""
    folder = Path(tempfile.mkdtemp())
    rng = random.Random(99)
    with (folder / "more.jsonl").open("w", encoding="utf-8") as fh:
        for n in range(extra):
            body = "\n\n".join(_sentence(rng) + " " + _sentence(rng) for _ in range(5))
            row = {"id": f"late-{n}", "title": _sentence(rng)[:60], "text": body}
            fh.write(json.dumps(row) + "\n")
    cli = Path(sys.executable).with_name("copydesk")
    writer = subprocess.Popen(
        [str(cli), "-q", "--db", str(db_path), "ingest", "--workers", "1", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    requests = errors = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        k = 0
        while writer.poll() is None:
            response = client.get(pages[k % len(pages)])
            requests += 1
            errors += response.status_code != 200
            k += 1
    shutil.rmtree(folder, ignore_errors=True)
    return {"ingested": extra, "ingest_rc": writer.returncode, "requests": requests, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=OUT / "web-bench.db")
    parser.add_argument("--reuse", action="store_true", help="keep an existing generated store")
    parser.add_argument("--seconds", type=int, default=10, help="length of the load test")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    # The machine's load average is recorded with the figures: on a shared machine it explains them.
    figures: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    if not (args.reuse and args.db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        figures["store"] = generate(args.db, args.articles)
        print("store", figures["store"], flush=True)
    with Database.open(args.db) as db:
        rng = random.Random(1)
        ids = [r[0] for r in db.query("SELECT id FROM articles ORDER BY random() LIMIT 2000")]
        has_stories = bool(db.query("SELECT 1 FROM sqlite_master WHERE name = 'stories'"))
        story_ids = (
            [r[0] for r in db.query("SELECT id FROM stories ORDER BY random() LIMIT 1000")]
            if has_stories
            else []
        )
        words = [r[0].split()[0].strip(".").lower() for r in db.query("SELECT title FROM articles LIMIT 300")]
    port = _free_port()
    server = serve(args.db, port)
    base = f"http://127.0.0.1:{port}"
    try:
        pages = {
            "article_page": [f"/articles/{i}" for i in ids[:300]],
            "search_page": [f"/search?q={w}" for w in words[:200]],
            "api_article": [f"/api/articles/{i}" for i in ids[300:600]],
            "stories_list": ["/stories"] * 50,
            "sources_page": ["/sources"] * 20,
        }
        if story_ids:
            pages["story_page"] = [f"/stories/{s}" for s in story_ids[:300]]
        figures["latency"] = {name: latency(base, paths) for name, paths in pages.items()}
        print("latency", json.dumps(figures["latency"], indent=1), flush=True)
        api_paths = [f"/api/articles/{i}" for i in rng.sample(ids, 1000)]
        if shutil.which("wrk"):
            figures["api_load"] = load_wrk(base, api_paths, args.seconds, args.connections)
        else:
            figures["api_load"] = asyncio.run(_load_httpx(base, api_paths, args.seconds, args.connections))
        figures["api_load"]["endpoint"] = "GET /api/articles/{id}"
        print("api load", figures["api_load"], flush=True)
        if story_ids:
            story_paths = [f"/api/stories/{s}" for s in story_ids]
            if shutil.which("wrk"):
                figures["story_api_load"] = load_wrk(base, story_paths, args.seconds, args.connections)
            else:
                figures["story_api_load"] = asyncio.run(
                    _load_httpx(base, story_paths, args.seconds, args.connections)
                )
            figures["story_api_load"]["endpoint"] = "GET /api/stories/{id}"
            print("story api load", figures["story_api_load"], flush=True)
        mixed = pages.get("story_page", [])[:50] + pages["article_page"][:50] + ["/api/articles?limit=5"]
        figures["reads_while_ingesting"] = reads_while_ingesting(base, args.db, mixed, extra=3000)
        print("reads while ingesting", figures["reads_while_ingesting"], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    figures["load_after"] = os.getloadavg()
    print("load average before/after", figures["load_before"], figures["load_after"])
    (OUT / "web.json").write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
