"""The web pages: removals in place, diff, search, sources, escaping and security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from copydesk.config import Settings
from copydesk.records import Article
from copydesk.store import articles as article_store
from copydesk.store.db import Database
from copydesk.store.search import ArticleFilter, find_articles, fts_query
from copydesk.web import render
from copydesk.web.app import CONTENT_SECURITY_POLICY, create_app
from tests.browser.seed import SPAM, make_article, seed_facts, seed_large_story, seed_store, seed_story


@pytest.fixture
def seeded(settings: Settings) -> list[Article]:
    return seed_store(settings.db)


@pytest.fixture
def client(settings: Settings, seeded: list[Article]) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_app_is_built_by_the_factory_not_at_import() -> None:
    import copydesk.web.app as module

    assert not any(type(v).__name__ == "FastAPI" for v in vars(module).values())


def test_every_page_sends_the_security_headers(client: TestClient, seeded: list[Article]) -> None:
    for url in [
        "/stories",
        "/search?q=ferry",
        f"/articles/{seeded[0].id}",
        "/sources",
        "/nope",
        "/api/sources",
    ]:
        response = client.get(url)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_article_page_shows_every_removal_in_place(client: TestClient, seeded: list[Article]) -> None:
    html = client.get(f"/articles/{seeded[0].id}").text
    assert '<del class="removal removal-spam" title="spam: injected link text inside a word' in html
    # The spam run sits inside the word it split, with the repaired word next to it.
    assert re.search(rf"fa<del class=\"removal removal-spam\"[^>]*>{SPAM}</del><ins class=\"repair\"", html)
    assert (
        '<del class="removal removal-chrome" title="chrome: site navigation line">Home | News | Sport' in html
    )
    assert 'class="removal removal-duplicate-headline"' in html
    assert 'spam injected</dt><dd><span class="pill pill-spam">yes' in html
    assert 'href="https://islandpost.example/fares" rel="noopener noreferrer"' in html


def test_non_http_urls_are_shown_but_never_linked(client: TestClient, seeded: list[Article]) -> None:
    html = client.get(f"/articles/{seeded[2].id}").text
    assert 'href="javascript' not in html
    assert "javascript:alert(&#39;XSS-url&#39;)" in html


def test_side_by_side_diff_marks_changed_words(client: TestClient, seeded: list[Article]) -> None:
    html = client.get(f"/articles/{seeded[0].id}?diff={seeded[1].source_id}").text
    assert '<table class="sbs">' in html
    assert "<del>voted </del>" in html and "<ins>agreed </ins>" in html
    assert "<ins>Residents will be consulted on timetables in May.</ins>" in html
    assert client.get(f"/articles/{seeded[0].id}?diff=missing-id").status_code == 404


def test_search_finds_by_words_and_filters_by_site_and_date(client: TestClient) -> None:
    html = client.get("/search", params={"q": "ferry fares"}).text
    assert "2 articles match" in html and "<mark>ferry</mark>" in html
    html = client.get("/search", params={"q": "ferry", "site": "northwire.example"}).text
    assert "1 article match" in html
    html = client.get("/search", params={"date_from": "2025-03-01", "date_to": "2025-03-31"}).text
    assert "2 articles" in html and "Brindle" not in html
    partial = client.get("/search", params={"q": "festival"}, headers={"HX-Request": "true"}).text
    assert partial.startswith('<p class="count">1 article') and "<html" not in partial
    assert client.get("/search", params={"date_from": "March"}).status_code == 422


def test_sources_page_counts_articles_and_spam(client: TestClient) -> None:
    html = client.get("/sources").text
    row = re.search(
        r"islandpost\.example</a></td>\s*<td class=\"num\">(\d+)</td>\s*<td class=\"num\">(\d+)", html
    )
    assert row and row.groups() == ("1", "1")


def test_stories_page_says_when_no_stories_exist(client: TestClient) -> None:
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200 and "No stories have been built yet" in response.text


def test_unknown_article_is_a_404_page(client: TestClient) -> None:
    response = client.get("/articles/nothing-here")
    assert response.status_code == 404 and "Not found" in response.text


def test_titles_and_text_are_escaped(settings: Settings) -> None:
    hostile = "<script>alert('XSS')</script><img src=x onerror=alert(1)>"
    article = make_article(
        "hostile",
        f"Body {hostile}",
        title=hostile,
        site=f"<b>{hostile}</b>",
        url='https://x.example/"onmouseover=',
        published=None,
    )
    with Database.open(settings.db) as db:
        article_store.put_articles(db, [article])
    with TestClient(create_app(settings)) as client:
        for url in [
            f"/articles/{article.id}",
            "/search?q=alert",
            "/search",
            "/sources",
            f"/articles/{article.id}?diff=hostile",
        ]:
            html = client.get(url).text
            assert "<script>alert" not in html and "<img src=x" not in html, url
            assert "&lt;script&gt;" in html, url
        assert 'href="https://x.example/' not in client.get(f"/articles/{article.id}").text


def test_fts_index_follows_inserts_updates_and_deletes(settings: Settings, seeded: list[Article]) -> None:
    with Database.open(settings.db) as db:
        assert find_articles(db, ArticleFilter(query="harvest")).total == 1
        changed = seeded[2]
        changed.text = "A rewritten body about lighthouse keepers."
        article_store.update_articles(db, [changed])
        assert find_articles(db, ArticleFilter(query="harvest")).total == 0
        assert find_articles(db, ArticleFilter(query="lighthouse")).total == 1
        with db.atomic() as conn:
            conn.execute("DELETE FROM articles WHERE id = ?", (changed.id,))
        assert find_articles(db, ArticleFilter(query="lighthouse")).total == 0
        rows = db.query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'ferry'")
        assert rows[0][0] == 2


def test_search_text_is_never_fts_syntax() -> None:
    assert fts_query('title:x OR "') == '"title" "x" "OR"'
    assert fts_query("infla* NEAR(") == '"infla"* "NEAR"'
    assert fts_query("!!! ???") is None


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ('https://example.org/"onmouseover=alert(1)', False),
        ("https://exa mple.org", False),
        ("ftp://example.org", False),
        (None, False),
    ],
)
def test_only_plain_http_urls_are_linked(url: str | None, linked: bool) -> None:
    assert (render.safe_href(url) is not None) is linked


def test_misplaced_removals_are_listed_not_guessed() -> None:
    article = make_article("x", "abc def ghi", title=None, site=None, url=None, published=None)
    from copydesk.records import Removal

    article.removals = [Removal("spam", "def", "ok", 4), Removal("chrome", "zzz", "wrong position", 0)]
    marked = render.mark_removals(article)
    assert [s.text for s in marked.segments] == ["abc ", "def", " ghi"]
    assert [r.text for r in marked.unplaced] == ["zzz"]


def test_timeline_places_marks_in_time_order() -> None:
    from datetime import UTC, datetime

    timeline = render.coverage_timeline(
        [
            ("a", "one.example", "original", datetime(2025, 1, 1, 8, tzinfo=UTC)),
            ("b", "two.example", "near-copy", datetime(2025, 1, 1, 20, tzinfo=UTC)),
            ("c", "two.example", "rewrite", None),
        ]
    )
    assert timeline is not None
    xs = {m.article_id: m.x for m in timeline.marks}
    assert set(xs) == {"a", "b"} and xs["a"] < xs["b"]
    assert len(timeline.lanes) == 2


def test_story_page_shows_families_facts_quotes_and_names(settings: Settings, seeded: list[Article]) -> None:
    story_id = seed_story(settings.db, seeded)
    with TestClient(create_app(settings)) as client:
        html = client.get(f"/stories/{story_id}").text
        assert "<h2>Facts</h2>" not in html  # no facts computed yet: the section is left out
        seed_facts(settings.db, seeded, story_id)
        html = client.get(f"/stories/{story_id}").text
    assert '<svg class="timeline"' in html and html.count('<circle class="mark') == 2
    assert "First reported by <b>islandpost.example</b> · 2025-03-04 09:30 UTC" in html
    assert "2025-03-04 09:30 – 2025-03-04 11:00 UTC" in html
    assert '<span class="pill pill-rel-original">original</span>' in html
    assert '<span class="pill pill-rel-rewrite">rewrite</span>' in html
    assert "credits Northern Wire" not in html  # member credits come from the articles, none here
    assert '<tbody class="group group-conflict">' in html and "<b>ten percent</b>" in html
    assert "1 figure given by one source only" in html
    assert "running on goodwill <ins>alone</ins>" in html
    assert "<b>Ada Brent</b>" in html and "Councillor Brent" in html
    assert f'diff={seeded[0].id}#diff">diff against the original' in html


def test_article_page_offers_the_story_members_for_the_diff(
    settings: Settings, seeded: list[Article]
) -> None:
    seed_story(settings.db, seeded)
    with TestClient(create_app(settings)) as client:
        html = client.get(f"/articles/{seeded[0].id}").text
    assert "Part of the story" in html
    assert f'<option value="{seeded[1].id}"' in html


def test_too_many_matches_come_newest_first(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from copydesk.store import search

    seed_store(settings.db)
    monkeypatch.setattr(search, "RANK_LIMIT", 1)
    with Database.open(settings.db) as db:
        page = find_articles(db, ArticleFilter(query="ferry"))
    assert page.total == 2 and not page.ranked
    assert page.rows[0]["source_id"] == "northwire-fares"  # stored last


def test_sources_page_counts_copies_and_rewrites_once_stories_exist(
    settings: Settings, seeded: list[Article]
) -> None:
    seed_story(settings.db, seeded)
    with TestClient(create_app(settings)) as client:
        html = client.get("/sources").text
    assert '<th class="num">Rewrites</th>' in html
    row = html[html.index("northwire.example</a>") :].split("</tr>")[0]
    cells = re.findall(r'<td class="num">(\d+)', row)
    assert cells == ["1", "0", "0", "0", "1", "0"]  # articles, spam, originals, copies, rewrites, independent
    assert "(no site found)" not in html


def test_diff_of_long_texts_stays_fast() -> None:
    import time

    words = [f"w{i}" for i in range(20000)]
    left = " ".join(words)
    right = " ".join(words[::-1])
    start = time.perf_counter()
    rows, _ = render.side_by_side(left + "\nshared line", right + "\nshared line")
    assert time.perf_counter() - start < 5
    assert rows[-1].tag == "equal"


def test_timeline_puts_every_time_zone_on_one_utc_axis() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    plus_two = timezone(timedelta(hours=2))
    timeline = render.coverage_timeline(
        [
            ("a", "one.example", "original", datetime(2025, 1, 1, 10, tzinfo=plus_two)),  # 08:00 UTC
            ("b", "two.example", "near-copy", datetime(2025, 1, 1, 8, 0)),  # naive: taken as UTC
            ("c", "two.example", "rewrite", datetime(2025, 1, 1, 12, tzinfo=UTC)),
        ]
    )
    assert timeline is not None
    xs = {m.article_id: m.x for m in timeline.marks}
    assert xs["a"] == xs["b"] < xs["c"]
    assert timeline.ticks[0][1] == "01-01 08:00" and timeline.ticks[-1][1] == "01-01 12:00"
    assert {m.label for m in timeline.marks if m.article_id == "a"} == {"one.example · 2025-01-01 08:00"}


def test_first_report_prefers_an_exact_time_over_a_bare_date_on_the_same_day() -> None:
    from datetime import UTC, datetime

    from copydesk.web.routes.stories import first_report

    bare = datetime(2025, 3, 4, tzinfo=UTC)  # a date with no time: any hour of that day
    timed = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    items = [("a", "datesonly.example", "copy", bare), ("b", "wire.example", "original", timed)]
    assert first_report(items) == {"sites": ["wire.example"], "when": timed, "date_only": False}
    # an earlier day still wins, date only or not
    earlier = datetime(2025, 3, 3, tzinfo=UTC)
    items.append(("c", "early.example", "independent", earlier))
    assert first_report(items) == {"sites": ["early.example"], "when": earlier, "date_only": True}
    assert first_report([("d", None, "independent", None)]) is None


def test_a_large_group_shows_each_value_once_with_its_sources_counted() -> None:
    """A wire story reprinted by hundreds of sources: one row per value (or wording), its first sources
    listed and the rest counted, not a row per source (a 2,000-source page was 10 MB)."""
    from copydesk.align.story import StoryFacts
    from copydesk.records import FactGroup, Figure, Quote
    from copydesk.web.app import templates_env
    from copydesk.web.facts_view import SOURCES_LISTED, facts_view

    sources = [f"a{k:03d}" for k in range(40)]
    figures = [
        Figure(
            f"{a}/f",
            a,
            "number",
            "300" if k < 35 else "400",
            f"{k} held 300 boats",
            0,
            300.0 if k < 35 else 400.0,
        )
        for k, a in enumerate(sources)
    ]
    figures += [Figure(f"{a}/g", a, "number", "9", "nine ferries ran", 1, 9.0) for a in sources[:3]]
    quotes = [Quote(f"{a}/q", a, "direct", "We will reopen", "s", 2, "Ada Brent") for a in sources[:30]]
    facts = StoryFacts(
        "s",
        figures=figures,
        quotes=quotes,
        groups=[
            FactGroup("s/g0", "s", "figure", "conflict", [f.id for f in figures[:40]], "boat"),
            FactGroup("s/g1", "s", "figure", "agree", [f.id for f in figures[40:]], "ferry"),
            FactGroup("s/q0", "s", "quote", "agree", [q.id for q in quotes], "Ada Brent"),
        ],
    )
    view = facts_view(facts, {a: f"{a}.example" for a in sources})
    boats, ferries = view.figures
    assert [(r.text, len(r.others), r.more) for r in boats.rows] == [
        ("300", SOURCES_LISTED - 1, 35 - SOURCES_LISTED),
        ("400", 4, 0),
    ]
    assert boats.sources == 40 and len(ferries.rows) == 3  # a small group: a row per source, as before
    [quote] = view.quotes
    assert len(quote.rows) == 1 and quote.sources == 30
    html = templates_env().get_template("_facts.html").render(facts=view)
    assert html.count("<tr>") == 1 + 2 + 1  # the head, a row per value, the agreeing group's one row
    assert "and 23 more" in html and "40 sources" not in html
    assert "30 sources" in html and "and 18 more" in html and html.count("a039.example") == 1


def test_timeline_folds_the_latest_sites_into_one_lane() -> None:
    """A wire story run by thousands of sites: the first sites to report get a lane each, the rest
    share the last one, one mark for the articles of a relation at one point of it."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 1, 1, tzinfo=UTC)
    items = [(f"a{k}", f"site{k}.example", "exact-copy", start + timedelta(minutes=k)) for k in range(3000)]
    items += [("late", "site0.example", "near-copy", start + timedelta(minutes=2999))]  # a shown site, late
    timeline = render.coverage_timeline(items, max_lanes=5)
    assert timeline is not None
    assert [site for _, site in timeline.lanes] == [f"site{k}.example" for k in range(4)] + [
        "2,996 other sites"
    ]
    pooled = [m for m in timeline.marks if m.y == timeline.lanes[-1][0]]
    assert len(pooled) < 1000 and {m.article_id for m in pooled} <= {f"a{k}" for k in range(4, 3000)}
    assert (
        sum(
            int(m.label.rpartition(" and ")[2].split()[0].replace(",", "")) + 1 if " and " in m.label else 1
            for m in pooled
        )
        == 2996
    )  # every pooled article counted once
    assert {m.article_id for m in timeline.marks if m.y != timeline.lanes[-1][0]} == {
        "a0",
        "a1",
        "a2",
        "a3",
        "late",
    }
    assert timeline.height == (24 + 5 * 28 + 16)


def test_a_story_of_many_sources_shows_the_first_families_and_members(
    settings: Settings, seeded: list[Article]
) -> None:
    """The story page lists the first 50 families and 20 members of each, with links to the rest, a
    page at a time (a wire story run by 10,000 sites made a page of 12 MB)."""
    story_id = seed_large_story(settings.db, seeded)
    with TestClient(create_app(settings)) as client:
        html = client.get(f"/stories/{story_id}").text
        assert html.count('<div class="family">') == 50 and "<b>61</b>copy families" in html
        assert html.count("<li>") - html.count('<li><a href="/stories/') >= 20 + 49
        assert f'/stories/{story_id}/families?family=wire">50 more members of this family</a>' in html
        assert f'/stories/{story_id}/families?offset=50">11 more copy families</a>' in html
        rest = client.get(f"/stories/{story_id}/families?offset=50").text
        assert (
            rest.count('<div class="family">') == 11 and "61 copy families" in rest and "51–61 shown" in rest
        )
        first = client.get(f"/stories/{story_id}/families?family=wire").text
        assert first.count("pill-rel-exact-copy") == 49 and "pill-rel-original" in first and "Next →" in first
        last = client.get(f"/stories/{story_id}/families?family=wire&offset=50").text
        assert last.count("pill-rel-exact-copy") == 20 and "← Previous" in last and "Next →" not in last
        assert "more members of this family" not in last
        assert client.get(f"/stories/{story_id}/families?family=nothing").status_code == 404
        past = client.get(f"/stories/{story_id}/families?family=wire&offset=500").text
        assert "none shown past 70" in past and '<div class="family">' not in past
        assert "none shown past 61" in client.get(f"/stories/{story_id}/families?offset=100").text
        assert client.get(f"/stories/{story_id}/families?family=").text.count('<div class="family">') == 50


def test_a_large_storys_page_leaves_its_facts_to_their_own_page(
    settings: Settings, seeded: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``FACTS_INLINE`` members the page carries a placeholder htmx fills from
    ``/stories/ID/facts`` (a 10,000-source story's page: 8.4 s -> 0.45 s, its facts after)."""
    from copydesk.web.routes import stories as story_routes

    story_id = seed_story(settings.db, seeded)
    seed_facts(settings.db, seeded, story_id)
    monkeypatch.setattr(story_routes, "FACTS_INLINE", 1)
    with TestClient(create_app(settings)) as client:
        html = client.get(f"/stories/{story_id}").text
        facts = client.get(f"/stories/{story_id}/facts").text
        assert client.get("/stories/no-such-story/facts").status_code == 404
    assert f'hx-get="/stories/{story_id}/facts"' in html and "<b>ten percent</b>" not in html
    assert '<div id="facts">' in facts and "<b>ten percent</b>" in facts
