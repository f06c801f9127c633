"""The REST API: every endpoint, the ingest token, bad parameters and JSON errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from copydesk.config import Settings
from copydesk.records import Article
from copydesk.web.app import create_app
from tests.browser.seed import seed_facts, seed_store, seed_story

TOKEN = "test-token-5c1d"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def seeded(settings: Settings) -> list[Article]:
    return seed_store(settings.db)


@pytest.fixture
def client(settings: Settings, seeded: list[Article]) -> Iterator[TestClient]:
    with TestClient(create_app(settings.replace(api_token=TOKEN))) as c:
        yield c


def _error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    return body["error"]  # type: ignore[no-any-return]


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in [
        "/api/articles",
        "/api/articles/{key}",
        "/api/search",
        "/api/sources",
        "/api/stories",
        "/api/exports/{what}.{fmt}",
        "/api/stories/{story_id}",
        "/api/figures",
        "/api/quotes",
        "/api/entities",
    ]:
        assert path in paths, path
    assert "post" in paths["/api/articles"]
    assert not any(p.startswith("/articles") for p in paths), "HTML pages stay out of the API schema"


def test_articles_list_and_filters(client: TestClient) -> None:
    body = client.get("/api/articles").json()
    assert body["total"] == 3 and len(body["articles"]) == 3
    assert body["articles"][0]["source_id"] == "brindle-market"  # newest stored first
    assert client.get("/api/articles", params={"site": "northwire.example"}).json()["total"] == 1
    assert client.get("/api/articles", params={"date_to": "2025-02-28"}).json()["total"] == 1
    assert client.get("/api/articles", params={"limit": 1, "offset": 1}).json()["articles"][0][
        "source_id"
    ] == ("northwire-fares")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}, {"date_from": "yesterday"}],
)
def test_bad_list_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/api/articles", params=params)
    assert response.status_code == 422
    assert _error(response)["status"] == 422


def test_one_article_with_removals(client: TestClient, seeded: list[Article]) -> None:
    body = client.get(f"/api/articles/{seeded[0].id}").json()
    assert body["source_id"] == "islandpost-fares"
    assert {r["kind"] for r in body["removed"]} == {"chrome", "spam", "duplicate-headline"}
    assert body["signals"]["spam_injected"] is True
    assert body["raw_text"].startswith("Home | News")
    assert client.get("/api/articles/islandpost-fares").json()["id"] == seeded[0].id


def test_unknown_article_is_404_json(client: TestClient) -> None:
    response = client.get("/api/articles/does-not-exist")
    assert response.status_code == 404
    assert "does-not-exist" in str(_error(response)["message"])


def test_unknown_api_path_is_404_json(client: TestClient) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404 and _error(response)["status"] == 404


def test_search(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "ferry second"}).json()
    assert body["total"] == 2
    assert all("\x02" not in hit["snippet"] for hit in body["results"])
    assert client.get("/api/search", params={"q": "ferry", "site": "islandpost.example"}).json()["total"] == 1
    assert client.get("/api/search", params={"q": ")("}).json()["total"] == 0
    assert client.get("/api/search").status_code == 422
    assert client.get("/api/search", params={"q": "x" * 501}).status_code == 422
    response = client.get(
        "/api/search", params={"q": "ferry", "date_from": "2025-04-01", "date_to": "2025-03-01"}
    )
    assert response.status_code == 422


def test_sources(client: TestClient) -> None:
    rows = {r["site"]: r for r in client.get("/api/sources").json()["sources"]}
    assert rows["islandpost.example"]["articles"] == 1 and rows["islandpost.example"]["spam_injected"] == 1
    assert rows["northwire.example"]["spam_injected"] == 0


def test_stories_empty_until_built(client: TestClient) -> None:
    assert client.get("/api/stories").json()["total"] == 0
    assert client.get("/api/stories", params={"order": "random"}).status_code == 422


def test_exports_in_three_formats(client: TestClient) -> None:
    assert client.get("/api/exports").json()["formats"] == ["jsonl", "csv", "parquet"]
    jsonl = client.get("/api/exports/articles.jsonl")
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert {r["source_id"] for r in rows} == {"islandpost-fares", "northwire-fares", "brindle-market"}
    table = list(csv.DictReader(io.StringIO(client.get("/api/exports/articles.csv").text)))
    assert len(table) == 3 and json.loads(table[0]["removed"]) is not None
    parquet = pq.read_table(io.BytesIO(client.get("/api/exports/articles.parquet").content))
    assert parquet.num_rows == 3 and "text" in parquet.column_names
    assert client.get("/api/exports/secrets.csv").status_code == 404
    assert client.get("/api/exports/articles.xlsx").status_code == 422


def test_ingest_needs_the_token(client: TestClient) -> None:
    body = {"text": "A short note about the lighthouse.\n\nIt is repainted every spring."}
    missing = client.post("/api/articles", json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/articles", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    basic = client.post("/api/articles", json=body, headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_ingest_is_off_without_a_configured_token(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/articles", json={"text": "x"}, headers=AUTH)
        assert response.status_code == 403 and "api_token" in str(_error(response)["message"])


def test_ingest_stores_through_the_pipeline_and_is_idempotent(client: TestClient) -> None:
    body = {
        "source_id": "lighthouse-1",
        "url": "https://coast.example/lighthouse",
        "title": "Lighthouse repainted",
        "published": "2025-05-01",
        "text": "The Gull Rock lighthouse was repainted this week.\n\nVolunteers spent four days on it.",
    }
    first = client.post("/api/articles", json=body, headers=AUTH)
    assert first.status_code == 201 and first.json()["created"] is True
    again = client.post("/api/articles", json=body, headers=AUTH)
    assert again.status_code == 200 and again.json()["created"] is False
    stored = client.get(f"/api/articles/{first.json()['id']}").json()
    assert stored["title"] == "Lighthouse repainted" and stored["published"].startswith("2025-05-01")
    assert client.get("/api/search", params={"q": "Gull Rock"}).json()["total"] == 1


def test_ingest_takes_a_body_with_half_an_emoji(client: TestClient) -> None:
    """A JSON escape of a lone surrogate (an emoji cut in half) in an HTML body is read as U+FFFD:
    the HTML parser had dropped everything after it. In a short field the request is refused with
    what is wrong, not a 500."""
    paragraphs = [
        "The evening ferry ran two hours late on Sunday after a fault in its steering gear.",
        "Passengers waited on the quay \\ud83d while engineers from the mainland looked at it.",
        "The operator said the morning crossings would run to the timetable from Monday on.",
    ]
    html = "<html><body><article><h1>Ferry late</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
    text = '"html": "' + html + '</article></body></html>"'
    headers = {**AUTH, "Content-Type": "application/json"}
    sent = client.post("/api/articles", content="{" + text + "}", headers=headers)
    assert sent.status_code == 201, sent.text
    stored = client.get(f"/api/articles/{sent.json()['id']}").json()
    assert "quay \ufffd while" in stored["text"] and "timetable from Monday" in stored["text"]
    refused = client.post(
        "/api/articles", content='{"title": "Ferry \\ud83d", ' + text + "}", headers=headers
    )
    assert refused.status_code == 422 and "body.title" in refused.text


def test_ingest_takes_the_site_bylines_and_credits_as_hints(client: TestClient) -> None:
    body = {
        "source_id": "lighthouse-2",
        "site": "Coast Weekly",
        "authors": ["Ana Ruiz", " ", "Ana Ruiz", "Li Wei"],
        "credits": ["Coast Wire"],
        "dateline": "GULL ROCK",
        "language": "EN",
        "text": "The Gull Rock lighthouse keeper retired this week.\n\nShe had served for thirty years.",
    }
    created = client.post("/api/articles", json=body, headers=AUTH)
    assert created.status_code == 201
    stored = client.get(f"/api/articles/{created.json()['id']}").json()
    assert (stored["site"], stored["authors"], stored["credits"]) == (
        "Coast Weekly",
        ["Ana Ruiz", "Li Wei"],
        ["Coast Wire"],
    )
    assert (stored["dateline"], stored["language"]) == ("GULL ROCK", "en")
    for wrong in ({"authors": ["A"] * 51}, {"language": "English"}):
        assert client.post("/api/articles", json={**body, **wrong}, headers=AUTH).status_code == 422


def test_ingest_html(client: TestClient) -> None:
    html = (
        "<html><head><title>Pier reopens</title></head><body><article><h1>Pier reopens</h1>"
        + "".join(
            f"<p>The old pier reopened on Saturday after repairs, paragraph {i} of the report.</p>"
            for i in range(6)
        )
        + "</article></body></html>"
    )
    response = client.post("/api/articles", json={"html": html}, headers=AUTH)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": "a", "html": "<p>a</p>"},
        {"text": "   "},
        {"text": "fine", "url": "javascript:alert(1)"},
        {"text": "fine", "unexpected": 1},
        {"text": 12},
    ],
)
def test_bad_ingest_bodies_are_422(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/api/articles", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert _error(response)["status"] == 422


def test_oversized_ingest_is_413(settings: Settings) -> None:
    small = settings.replace(api_token=TOKEN, max_input_bytes=100)
    with TestClient(create_app(small)) as client:
        response = client.post("/api/articles", json={"text": "x" * 200}, headers=AUTH)
        assert response.status_code == 413


def test_story_and_facts_endpoints(client: TestClient, settings: Settings, seeded: list[Article]) -> None:
    story_id = seed_story(settings.db, seeded)
    listing = client.get("/api/stories", params={"order": "largest"}).json()
    assert listing["total"] == 1 and listing["stories"][0]["articles"] == 2
    story = client.get(f"/api/stories/{story_id}").json()
    assert {m["relation"] for m in story["members"]} == {"original", "rewrite"}
    assert client.get("/api/figures", params={"story_id": story_id}).status_code == 404  # not computed yet
    seed_facts(settings.db, seeded, story_id)
    figures = client.get("/api/figures", params={"story_id": story_id}).json()["figures"]
    assert {(f["text"], f["status"]) for f in figures} >= {
        ("nine percent", "conflict"),
        ("ten percent", "conflict"),
    }
    assert figures[0]["source_id"] == "islandpost-fares"
    quotes = client.get("/api/quotes", params={"story_id": story_id}).json()["quotes"]
    assert {q["group_status"] for q in quotes} == {"drift"} and quotes[1]["drift"] == ["+alone"]
    entities = client.get("/api/entities", params={"story_id": story_id}).json()["entities"]
    assert entities[0]["surface_forms"] == ["Ada Brent", "Councillor Brent"]
    assert client.get("/api/figures").status_code == 422
    assert client.get("/api/stories/no-such-story").status_code == 404
    assert client.get("/api/quotes", params={"story_id": "no-such-story"}).status_code == 404
    topic = client.get("/api/articles", params={"topic": "topic-islands"}).json()
    assert topic["total"] == 2
    assert client.get("/api/articles", params={"topic": "no-topic"}).status_code == 404


def test_story_and_fact_exports_stream(client: TestClient, settings: Settings, seeded: list[Article]) -> None:
    story_id = seed_story(settings.db, seeded)
    seed_facts(settings.db, seeded, story_id)
    stories = [json.loads(line) for line in client.get("/api/exports/stories.jsonl").text.splitlines()]
    assert [s["id"] for s in stories] == [story_id]
    figures = pq.read_table(io.BytesIO(client.get("/api/exports/figures.parquet").content))
    assert figures.num_rows == 3
    quotes = list(csv.DictReader(io.StringIO(client.get("/api/exports/quotes.csv").text)))
    assert len(quotes) == 2


def test_streamed_exports_match_the_file_exports(tmp_path: Path) -> None:
    from copydesk import exports

    fields = ("id", "n", "tags")
    rows = [{"id": f"r{i}", "n": i, "tags": ["a", str(i)]} for i in range(4500)]
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"rows.{fmt}"
        exports.write_rows(rows, fields, fmt, out)
        assert b"".join(exports.stream_rows(rows, fields, fmt)) == out.read_bytes()
    chunks = list(exports.stream_rows(rows, fields, "parquet", batch=1000))
    assert len(chunks) >= 5  # one chunk per row group: the body streams
    table = pq.read_table(io.BytesIO(b"".join(chunks)))
    assert table.num_rows == 4500 and table.column("n").to_pylist()[-1] == 4499


def test_article_by_a_source_id_that_is_a_url(client: TestClient, settings: Settings) -> None:
    from copydesk.store import articles as article_store
    from copydesk.store.db import Database
    from tests.browser.seed import make_article

    url = "https://harbour.example/news/2025/03/quay?id=7"
    article = make_article(url, "Quay text.", title="Quay", site="harbour.example", url=url, published=None)
    with Database.open(settings.db) as db:
        article_store.put_articles(db, [article])
    key = quote(url, safe="")  # a client encodes the key; '/' inside it still works once decoded
    assert client.get(f"/api/articles/{key}").json()["id"] == article.id
    assert client.get(f"/articles/{key}").status_code == 200


def test_an_unexpected_error_is_a_plain_json_500(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from copydesk import service

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail <script>")

    monkeypatch.setattr(service, "source_stats", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/api/sources")
        assert response.status_code == 500
        assert _error(response)["message"] == "internal error: the server log has the details"
        page = client.get("/sources")
        assert page.status_code == 500 and "secret detail" not in page.text


def test_facts_endpoints_page_through_a_storys_rows(
    client: TestClient, settings: Settings, seeded: list[Article]
) -> None:
    """``limit`` and ``offset`` give a story's figures and quotes a page at a time (a wire story
    reprinted 10,000 times has 370,000 figures), in the order of the whole list, with the total."""
    story_id = seed_story(settings.db, seeded)
    seed_facts(settings.db, seeded, story_id)
    for kind in ("figures", "quotes"):
        whole = client.get(f"/api/{kind}", params={"story_id": story_id}).json()
        assert whole["total"] == len(whole[kind]) >= 2 and whole["limit"] is None
        pages = [
            client.get(f"/api/{kind}", params={"story_id": story_id, "limit": 1, "offset": k}).json()
            for k in range(whole["total"] + 1)
        ]
        assert [row for p in pages for row in p[kind]] == whole[kind]
        assert pages[-1][kind] == [] and all(p["total"] == whole["total"] for p in pages)
        assert client.get(f"/api/{kind}", params={"story_id": story_id, "limit": 0}).status_code == 422
