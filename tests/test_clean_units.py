"""Unit and store-level tests of the text-cleaning stages (texts written for copydesk)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copydesk.clean.dates import parse_date
from copydesk.clean.extract import PageExtractor
from copydesk.clean.lines import live_lines, rebuild_text
from copydesk.clean.recurring import RecurringChromeStage, clean_corpus_in_memory
from copydesk.clean.scoring import evaluate_clean
from copydesk.clean.stages import text_cleaning_stages
from copydesk.clean.textmeta import site_banner
from copydesk.records import Article, RawPage
from copydesk.store import articles as article_store
from copydesk.store.db import Database


def clean(text: str, source_id: str = "t") -> Article:
    article = PageExtractor().extract(RawPage(source_id, source_id, "text", text))
    for stage in text_cleaning_stages():
        article = stage(article)
    return article


BODY = (
    "The harbour authority in Calder Bay said on Monday that dredging of the main channel would start "
    "in August and last about six weeks.\n\n"
    "Ships longer than 200 metres will have to wait for high tide while the work goes on, it said.\n\n"
    "The project was approved by the port board in March after two years of surveys."
)


def test_every_removal_points_at_its_raw_text() -> None:
    article = clean(
        "Calder Post | News, Sport, Weather\n\nWORLD\n\nDredging of Calder channel to start in August\n\n"
        + BODY.replace("main channel", "main chan buy cheap viagra nel")
        + "\n\nShare this:\n\nBack to top button"
    )
    assert article.removals
    for removal in article.removals:
        assert article.raw_text[removal.position : removal.position + len(removal.text)] == removal.text
    assert "main channel" in article.text
    assert rebuild_text(article) == article.text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["Share this:", "Related", "Top Stories", "Back to top button"]), max_size=4))
def test_cleaning_never_touches_raw_text_and_keeps_the_body(chrome: list[str]) -> None:
    text = "\n\n".join([*chrome, BODY, *chrome])
    article = clean(text)
    assert article.raw_text.startswith(chrome[0] if chrome else BODY[:20])
    for paragraph in BODY.split("\n\n"):
        assert paragraph in article.text
    for line in chrome:
        assert line not in article.text.split("\n")


def test_a_cited_source_is_not_a_credit() -> None:
    article = clean(BODY + "\n\nThe figures were confirmed by officials, according to Northline Press.")
    assert article.credits == []


def test_credit_forms() -> None:
    for line, credit in [("— Northline Press", "Northline Press"), ("(NLP)", "NLP"), ("Source: NLP", "NLP")]:
        assert clean(BODY + "\n\n" + line).credits == [credit]


def test_dates_parse_with_library_help() -> None:
    assert parse_date("October,18,2023") is not None
    assert parse_date("Published: 3 May 2024") is not None
    assert parse_date("no year here") is None
    # the time of day goes before parsing, also as tokenised dumps space it; the day stays as written
    assert parse_date("Fri., May. 3, 2013 11: 45 AM PDT") == datetime(2013, 5, 3)
    assert parse_date("7: 15 a. m. Dec. 7, 2009") == datetime(2009, 12, 7)
    assert parse_date("12 / 19 / 2005 2: 48: 40 PM ET") == datetime(2005, 12, 19)
    assert parse_date("2024-03-01T23:30:00-07:00") == datetime(2024, 3, 1)


def test_site_banner_needs_a_tagline_or_masthead_word() -> None:
    lines = live_lines(clean("Quiet Town | Latest, Local\n\n" + BODY))
    assert lines  # the banner left the body
    assert site_banner(live_lines(Article("a", "a", "a", "text", "h", "A b | c d", "A b | c d"))[0]) is None


def _store_article(db: Database, text: str, source_id: str) -> Article:
    article = clean(text, source_id)
    article_store.put_articles(db, [article])
    return article


PITCH = "Get the Calder Post app today"


def _pitched_stories(months: list[str]) -> list[str]:
    """Different stories of one site, each with the site's app pitch between two paragraphs."""
    return [
        f"Story number {n} about the harbour\n\n{BODY.replace('August', month)}".replace(
            "\n\nShips", f"\n\n{PITCH}\n\nShips"
        ).replace("The harbour authority", f"Authority {n}")
        for n, month in enumerate(months)
    ]


def test_recurring_lines_go_across_the_store(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "c.db")
    try:
        texts = _pitched_stories(["August", "September", "October", "November"])
        ids = [_store_article(db, t, f"s{i}").id for i, t in enumerate(texts)]
        report = RecurringChromeStage().run(db, ids)
        assert report.changed == 4
        assert sorted(report.rewritten or []) == sorted(ids)  # what a stage started early checks against
        later = texts[0].replace("Authority 0", "Authority 9").replace("Story number 0", "Story number 9")
        newcomer = _store_article(db, later, "s9")
        second = RecurringChromeStage().run(db, [newcomer.id])
        assert second.changed == 1 and second.rewritten == [newcomer.id]
        assert second.notes == ["read 1 new articles; 1 articles re-cleaned"]  # the others stay unread
        assert RecurringChromeStage().run(db, []).notes == []
        for article in article_store.iter_articles(db):
            assert PITCH not in article.text
            assert any(r.kind == "chrome" and "recurs" in r.reason for r in article.removals)
    finally:
        db.close()


def test_the_recurring_pass_reads_only_the_texts_it_may_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the short lines noted at cleaning, a text is read only where one of its lines recurs."""
    read: list[str] = []
    iter_articles = article_store.iter_articles

    def counted(db: Database, **kwargs: object) -> object:
        found = list(iter_articles(db, **kwargs))  # type: ignore[arg-type]
        read.extend(a.id for a in found)
        return iter(found)

    monkeypatch.setattr(article_store, "iter_articles", counted)
    db = Database.open(tmp_path / "r.db")
    try:
        texts = _pitched_stories(["August", "September", "October", "November"])
        pitched = [_store_article(db, t, f"s{i}").id for i, t in enumerate(texts)]
        plain = _store_article(db, texts[0].replace(PITCH, ""), "plain").id
        assert RecurringChromeStage().run(db, [*pitched, plain]).changed == 4
        assert sorted(read) == sorted(pitched)  # the article without the pitch line was not read
    finally:
        db.close()


@pytest.mark.parametrize("noted", [True, False])
def test_line_prints_noted_at_cleaning_read_as_the_text_itself(tmp_path: Path, noted: bool) -> None:
    """The recurring stage reads the short lines the cleaning noted (or, without the note, the text)
    with the same outcome; a note goes once its article is read, and when the article is rewritten."""
    db = Database.open(tmp_path / "n.db")
    try:
        texts = _pitched_stories(["August", "September", "October", "November", "December"])
        ids = [_store_article(db, t, f"s{i}").id for i, t in enumerate(texts)]
        pending = "SELECT COUNT(*) FROM line_prints_pending"
        assert db.query(pending)[0][0] == len(ids)
        if not noted:
            with db.atomic() as conn:
                conn.execute("DELETE FROM line_prints_pending")
        assert RecurringChromeStage(batch=2).run(db, ids).changed == len(ids)
        assert db.query(pending)[0][0] == 0
        for article in article_store.iter_articles(db):
            assert PITCH not in article.text
        newcomer = _store_article(db, texts[0].replace("Authority 0", "Authority 9"), "s9")
        assert db.query(pending)[0][0] == 1
        article_store.update_articles(db, [newcomer])
        assert db.query(pending)[0][0] == 0
    finally:
        db.close()


def test_a_spam_run_proven_later_is_removed_from_older_articles_of_the_site(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "s.db")
    try:
        # the older article has a lone trade word in a sentence: nothing in it proves it is injected
        banner = "Calder Post | News, Sport, Weather\n\n"
        older = BODY.replace("for high tide", "for weed high tide")
        first = _store_article(db, banner + "Dredging to start in August\n\n" + older, "old")
        assert first.site == "Calder Post" and "weed" in first.text
        assert RecurringChromeStage().run(db, [first.id]).changed == 0
        # a newer article of the same site carries a commercial run with that word
        newer = BODY.replace("surveys", "sur buy weed online veys")
        second = _store_article(db, banner + "Port board approves dredging\n\n" + newer, "new")
        assert "weed" not in second.text
        assert RecurringChromeStage().run(db, [second.id]).changed == 1
        cleaned = article_store.get_article(db, first.id)
        assert "weed" not in cleaned.text
        assert "wait for high tide" in cleaned.text
    finally:
        db.close()


def test_copies_of_one_story_keep_their_shared_lines() -> None:
    text = "Harbour dredging plan\n\n" + BODY.replace("\n\nShips", "\n\nWhat happens next\n\nShips")
    articles = [clean(text, f"copy{i}") for i in range(4)]
    clean_corpus_in_memory(articles)
    assert all("What happens next" in a.text for a in articles)
    assert all(not any("recurs" in r.reason for r in a.removals) for a in articles)


def test_eval_clean_on_the_seeds(shared_dir: Path) -> None:
    seeds = shared_dir / "corpus" / "seeds"
    score = evaluate_clean(seeds, seeds / "labels.json")
    assert score.chrome_removed.share == 1.0
    assert score.body_kept.share == 1.0
    assert score.spam_removed.share == 1.0
    assert score.spam_repaired.share == 1.0
    assert score.fields["title"].share == 1.0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(min_size=0, max_size=80),
            st.sampled_from(["", "Share this:", "Pyon casino online gyang is here.", "© 2020 Test Post."]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_text_cleans_without_error_and_removals_stay_auditable(parts: list[str]) -> None:
    text = "\n".join(parts)
    if not text.strip():
        return
    try:
        article = clean(text)
    except Exception as exc:  # only "no text after normalisation" may stop a page
        assert "no text" in str(exc)
        return
    for removal in article.removals:
        assert article.raw_text[removal.position : removal.position + len(removal.text)] == removal.text
    if article.removals:
        assert rebuild_text(article) == article.text
    else:
        assert article.text == article.raw_text


def test_outlet_that_did_the_interviewing_is_credited_when_nothing_else_is() -> None:
    told = "Harbour pilots told the KBN that the channel had silted up faster than forecast.\n\n"
    article = clean("Channel silting worries pilots\n\n" + told + BODY)
    assert article.credits == ["KBN"]
    # a source merely cited, a country's officials, a bylined report, the site itself: no credit
    assert clean("Channel silting\n\nAccording to KBN, the channel has silted up.\n\n" + BODY).credits == []
    assert (
        clean("Channel silting\n\nThe mayor told US officials the channel had silted up.\n\n" + BODY).credits
        == []
    )
    assert clean("Channel silting\n\nBy Ana Lind\n\n" + told + BODY).credits == []
    own_site = PageExtractor().extract(RawPage("s", "s", "text", "Channel silting\n\n" + told + BODY))
    own_site.site = "KBN"
    for stage in text_cleaning_stages():
        own_site = stage(own_site)
    assert own_site.credits == []


def test_a_byline_naming_the_newsroom_is_the_author() -> None:
    for byline, author in [
        ("Staff and wire reports", "Staff and wire reports"),
        ("From staff reports", "Staff reports"),
    ]:
        article = clean(f"Channel dredging to start in August\n\n{byline}\n\n" + BODY)
        assert article.authors == [author]
        assert byline not in article.text
    # a role line with a person's name gives the name; a kicker with other words gives no author
    assert clean("Channel dredging\n\nReporter: Ana Lind\n\n" + BODY).authors == ["Ana Lind"]
    assert clean("Channel dredging\n\nHarbour desk briefing\n\n" + BODY).authors == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Her self-deprecating wit kept her popular with the players long after she retired.",
        "Four teams are still fighting for the automatic bid to the national tournament on Saturday.",
        # one short trade phrase and nothing else amiss: news says these too
        "The robbers took rings, necklaces and luxury watches worth about two million from the shop.",
        "The family had lost money in a Harbour City gambling casino that they bought in 1963.",
        "The nickname came from a 1972 porn film, the reporter later wrote.",
    ],
)
def test_plain_sentences_lose_no_words_as_spam(sentence: str) -> None:
    # "wit kept her" reads as "wit[her]" around "kept", "for the automatic bid" as "for[bid]": both
    # halves are words of the language, so nothing says a spam run was cut into a word here.
    article = clean(BODY + "\n\n" + sentence)
    assert [r for r in article.removals if r.kind == "spam"] == []
    assert sentence in article.text
