"""Figure and quote grouping held to the pair-by-pair reference, and kept linear on very large stories.

The grouping works on nodes (alike figures or quotes of different sources joined first) and scores pairs
as arrays; on stories small enough for the reference it must give the same groups, statuses, related
groups and drift, and on a story of thousands of sources it must finish (the reference took minutes on a
few hundred).
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from copydesk.align import figures as figure_grouping
from copydesk.align.figures import group_figures, same_value, sentence_stems
from copydesk.align.quotes import group_quotes
from copydesk.align.story import StoryArticle, align_story
from copydesk.facts.extract import ArticleFacts
from copydesk.facts.text import content_stems, split_sentences
from copydesk.records import Article, FactGroup, Figure, Quote
from tests.support import reference_groups

WORDS = ["harbour", "council", "ferry", "bridge", "storm", "budget", "school", "grain", "rail", "port"]
NOUNS = [None, "home", "container", "vessel"]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, rng.randint(0, 5))) + "."


@st.composite
def figure_sets(draw: st.DrawFn, copies: bool) -> list[Figure]:
    """Figures of a few sources, with values, nouns, hedges and sentences drawn from small sets so that
    they collide often; with ``copies``, some sources copy another's figures whole."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    sources = draw(st.integers(1, 6))
    out: list[Figure] = []
    for s in range(sources):
        if copies and out and rng.random() < 0.3:  # a copy: the first source's figures under another name
            first = [f for f in out if f.article_id == "a0"]
            out += [dataclasses.replace(f, id=f"a{s}/{k}", article_id=f"a{s}") for k, f in enumerate(first)]
            continue
        for k in range(rng.randint(0, 6)):
            date = rng.random() < 0.25
            value = rng.choice([3.0, 12.0, 400.0, 404.0, 1000.0, None])
            out.append(
                Figure(
                    id=f"a{s}/{k}",
                    article_id=f"a{s}",
                    kind="date" if date else "number",
                    text="x",
                    sentence=sentence(rng),
                    position=k,
                    value=None if date else value,
                    qualifier=rng.choice([None, None, "more than"]),
                    unit=rng.choice([None, None, "km", "magnitude"]),
                    counted=None if date else rng.choice(NOUNS),
                    when=rng.choice(["2024-03-06", "2024-03", None]) if date else None,
                    scope=rng.choice([None, None, None, "per day"]),
                )
            )
    return out


def same_groups(
    got: tuple[list[FactGroup], dict[str, str]], want: tuple[list[FactGroup], dict[str, str]]
) -> None:
    def plain(group: FactGroup) -> dict[str, object]:
        return {**dataclasses.asdict(group), "related": sorted(group.related)}  # in no particular order

    assert [plain(g) for g in got[0]] == [plain(g) for g in want[0]]
    assert got[1] == want[1]


def alike_figures_across_sources(figures: list[Figure]) -> bool:
    """Whether two sources have figures alike in all the links read (joined first, as one)."""
    seen: dict[tuple[object, ...], str] = {}
    for f in figures:
        stems = sentence_stems(f.sentence)
        if stems and same_value(f, f):
            key = (f.kind, f.value, f.unit, f.counted, f.qualifier, f.scope, f.when, stems)
            if seen.setdefault(key, f.article_id) != f.article_id:
                return True
    return False


SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


@SETTINGS
@given(figure_sets(copies=False))
def test_figure_groups_are_the_references(figures: list[Figure]) -> None:
    """The same groups as the pair-by-pair reference wherever no two sources have alike figures (where
    they do, the two may break ties between equally good links differently)."""
    assume(not alike_figures_across_sources(figures))
    same_groups(group_figures("s", figures), reference_groups.group_figures("s", figures))


@SETTINGS
@given(figure_sets(copies=True))
def test_a_copied_figure_joins_its_original(figures: list[Figure]) -> None:
    _, mapping = group_figures("s", figures)
    by_id = {f.id: f for f in figures}
    for f in figures:
        original = by_id.get(f"a0/{f.id.split('/')[1]}")
        if f.article_id == "a0" or original != dataclasses.replace(
            f, id=f"a0/{f.id.split('/')[1]}", article_id="a0"
        ):
            continue  # not a copy
        if sentence_stems(f.sentence) and same_value(f, f):
            assert mapping[f.id] == mapping[original.id]


@st.composite
def quote_sets(draw: st.DrawFn, copies: bool) -> list[Quote]:
    rng = random.Random(draw(st.integers(0, 2**32)))
    out: list[Quote] = []
    for s in range(draw(st.integers(1, 6))):
        if copies and out and rng.random() < 0.3:
            first = [q for q in out if q.article_id == "a0"]
            out += [dataclasses.replace(q, id=f"a{s}/{k}", article_id=f"a{s}") for k, q in enumerate(first)]
            continue
        for k in range(rng.randint(0, 5)):
            text = sentence(rng).rstrip(".")
            out.append(
                Quote(
                    id=f"a{s}/{k}",
                    article_id=f"a{s}",
                    kind=rng.choice(["direct", "direct", "indirect"]),
                    text=text,
                    sentence=rng.choice([text, "one sentence", "another sentence"]),
                    position=k,
                    speaker=rng.choice([None, "Ada Voss", "Jon Hale"]),
                )
            )
    return out


def alike_bundles_across_sources(quotes: list[Quote]) -> bool:
    bundles: dict[tuple[str, str, str | None], list[str]] = {}
    for q in quotes:
        if q.kind == "direct":
            bundles.setdefault((q.article_id, q.sentence, q.speaker), []).append(q.text)
    seen: dict[tuple[object, ...], str] = {}
    for (article, _, speaker), texts in bundles.items():
        stems = content_stems(" ".join(texts))
        if seen.setdefault((frozenset(stems), speaker, len(stems)), article) != article:
            return True
    return False


@SETTINGS
@given(quote_sets(copies=False))
def test_quote_groups_are_the_references(quotes: list[Quote]) -> None:
    """As for figures: the reference's groups wherever no two sources have alike quote bundles."""
    assume(not alike_bundles_across_sources(quotes))
    same_groups(
        group_quotes("s", quotes, lambda n: n), reference_groups.group_quotes("s", quotes, lambda n: n)
    )


@SETTINGS
@given(quote_sets(copies=True))
def test_a_copied_quote_joins_its_original(quotes: list[Quote]) -> None:
    """Where a source copies another whole, each of its quotes that can match at all is grouped with the
    original's (the reference missed it where the copy also had a longer quote with the same words from
    the same speaker: the best match, a tie, went to whichever came first)."""
    _, mapping = group_quotes("s", quotes, lambda n: n)
    by_id = {q.id: q for q in quotes}
    for q in quotes:
        original = by_id.get(f"a0/{q.id.split('/')[1]}")
        copied = dataclasses.replace(q, id=f"a0/{q.id.split('/')[1]}", article_id="a0")
        if q.article_id == "a0" or original != copied or q.kind != "direct":
            continue  # not a copied direct quote
        bundle = [o for o in quotes if o.article_id == q.article_id and o.sentence == q.sentence]
        if len(bundle) == 1 and (q.speaker or len(content_stems(q.text)) >= 3) and content_stems(q.text):
            assert mapping[q.id] == mapping[original.id]


def test_a_crowded_value_keeps_each_figure_with_its_nearest_sentences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past ``BUCKET_ALL`` nodes sharing a value, only near sentences are scored: close ones still agree,
    and a different number in the same sentence is still a conflict."""
    monkeypatch.setattr(figure_grouping, "BUCKET_ALL", 4)
    monkeypatch.setattr(figure_grouping, "BUCKET_NEIGHBOURS", 2)
    rng = random.Random(5)
    figures = [
        Figure(f"n{k}/0", f"n{k}", "number", "x", sentence(rng), 0, value=1000.0, counted="container")
        for k in range(12)
    ]
    figures += [
        Figure(
            "a/0",
            "a",
            "number",
            "x",
            "Floods destroyed homes in the valley town.",
            0,
            value=420.0,
            counted="home",
        ),
        Figure(
            "b/0",
            "b",
            "number",
            "x",
            "Floods destroyed homes in the valley town.",
            0,
            value=240.0,
            counted="home",
        ),
        Figure(
            "c/0",
            "c",
            "number",
            "x",
            "Floods destroyed homes in the valley town, officials said.",
            0,
            value=420.0,
            counted="home",
        ),
    ]
    groups, mapping = group_figures("s", figures)
    home = next(g for g in groups if g.id == mapping["a/0"])
    assert mapping["b/0"] == mapping["c/0"] == home.id and home.status == "conflict"
    assert all(len({m.split("/")[0] for m in g.members}) == len(g.members) for g in groups)


def wire_story(sources: int) -> tuple[list[StoryArticle], dict[str, ArticleFacts]]:
    """A wire story reprinted ``sources`` times: copies, copies with a local paragraph, and rewrites."""
    rng = random.Random(7)
    base = [
        "Port officials said more than 1,000 containers were held at the harbour on 6 March 2024.",
        '"We expect the backlog to clear within a week," said Ada Voss, who runs the port.',
        "About 40 vessels waited offshore, and 12 ferries were cancelled.",
        "The council will meet on Friday to discuss 3 new berths.",
    ]
    members: list[StoryArticle] = []
    facts: dict[str, ArticleFacts] = {}
    for k in range(sources):
        lines = list(base)
        relation = "exact-copy" if k % 3 == 0 else "near-copy"
        if k % 3 == 1:
            lines.append(f"Local traders in town {k} reported {rng.randint(2, 900)} lost orders.")
        if k % 3 == 2:
            lines = [line.replace("held", "stuck").replace("waited", "idled") for line in lines]
            relation = "rewrite"
        text = " ".join(lines)
        article = Article(
            id=f"w{k}",
            source_id=f"w{k}",
            origin="test",
            input_kind="text",
            content_hash="original" if k % 3 == 0 else f"h{k}",
            raw_text=text,
            text=text,
            title="Port backlog",
        )
        members.append(StoryArticle(article, relation, "f0"))
        facts[article.id] = wire_facts(article, rng)
    return members, facts


def wire_facts(article: Article, rng: random.Random) -> ArticleFacts:
    sentences = split_sentences(article.text)
    figures = [
        Figure(f"{article.id}/f{k}", article.id, "number", str(v), s.text, k, value=float(v), counted=noun)
        for k, (s, v, noun) in enumerate(
            zip(
                sentences,
                [1000, 40, 3, rng.randint(2, 900)],
                ["container", "vessel", "berth", "order"],
                strict=False,
            )
        )
    ]
    quotes = [
        Quote(
            f"{article.id}/q0",
            article.id,
            "direct",
            "We expect the backlog to clear within a week",
            sentences[1].text,
            1,
            speaker="Ada Voss",
        )
    ]
    return ArticleFacts(article.id, sentences, [], figures, quotes)


@SETTINGS
@given(quote_sets(copies=True))
def test_quote_links_made_a_few_cells_at_a_time_are_the_same(quotes: list[Quote]) -> None:
    """The mutual-match test of a key against its sources' columns, made a row at a time (as a key of
    millions of cells is), links the same bundles."""
    import copydesk.align.quotes as quote_grouping

    whole = group_quotes("s", quotes, lambda n: n)
    old = quote_grouping._CELLS_AT_ONCE
    try:
        quote_grouping._CELLS_AT_ONCE = 1
        assert group_quotes("s", quotes, lambda n: n) == whole
    finally:
        quote_grouping._CELLS_AT_ONCE = old


@pytest.mark.timeout(120)
def test_a_story_of_thousands_of_sources_is_aligned() -> None:
    """3,000 reprints (the reference took over five minutes on 1,500): every copy's figures agree with
    the original's, the quote is one group across all sources, and rewrites are aligned."""
    members, facts = wire_story(3000)
    story = align_story("s", members, facts)
    containers = story.group(story.figure_groups["w0/f0"])
    assert containers.status == "agree" and len(containers.members) == 3000
    quote = story.group(story.quote_groups["w0/q0"])
    assert len(quote.members) == 3000
    assert len(story.rewrites) == 2000 and all(r.similarity > 0.5 for r in story.rewrites)


def test_the_rewrite_shortlist_leaves_out_the_stems_all_share_past_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past ``SHORTLIST_WORK`` the stems most of the story shares are left out of the whole-article
    overlaps, the costliest first and no more than needed; below it, nothing changes. Every rewrite
    is still aligned with a sibling."""
    from copydesk.align import story as story_alignment
    from copydesk.align.sentences import SentenceIncidence

    members, facts = wire_story(60)
    articles = SentenceIncidence(
        [frozenset({"port", "ada", f"own{k}"}) for k in range(50)] + [frozenset({"port"})]
    )
    todo = list(range(0, 51, 2))
    assert story_alignment._within_work(articles, todo) is articles
    work = lambda rows: int(  # noqa: E731 - the bound's own measure
        (
            np.bincount(rows.indices, minlength=rows.shape[1])
            * np.bincount(rows[todo].indices, minlength=rows.shape[1])
        ).sum()
    )
    monkeypatch.setattr(story_alignment, "SHORTLIST_WORK", work(articles.rows) - 1)
    trimmed = story_alignment._within_work(articles, todo)
    assert trimmed.rows.shape[1] == articles.rows.shape[1] - 1  # "port", in all 51, alone left out
    assert work(trimmed.rows) <= story_alignment.SHORTLIST_WORK
    monkeypatch.setattr(story_alignment, "SHORTLIST_WORK", 0)
    assert work(story_alignment._within_work(articles, todo).rows) == 0  # what costs nothing stays
    story = align_story("s", members, facts)
    rewrites = {r.article_id: r for r in story.rewrites}
    assert len(rewrites) == 40 and all(r.similarity > 0.5 for r in rewrites.values())
