"""Alignment within a story: name variants, figure groups and statuses, quote groups, rewrite swaps."""

from __future__ import annotations

import difflib
import random
from datetime import datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from copydesk.align.figures import counted_compatible, group_figures
from copydesk.align.quotes import group_quotes
from copydesk.align.sentences import SentenceIncidence, align_rewrite, drift, opcodes, word_substitutions
from copydesk.align.story import StoryArticle, align_story
from copydesk.facts.extract import FactExtractor
from copydesk.facts.names import Mention
from copydesk.facts.text import split_sentences
from copydesk.facts.variants import merge_entities, sounds_alike, spelling_similarity
from copydesk.records import Article, Figure, Quote
from tests.support.fake_nlp import FakeNLP


def fig(
    fid: str, article: str, sentence: str, value: float, counted: str | None = None, **kw: object
) -> Figure:
    return Figure(
        id=fid,
        article_id=article,
        kind="number",
        text=str(value),
        sentence=sentence,
        position=0,
        value=value,
        counted=counted,
        **kw,
    )  # type: ignore[arg-type]


def status_of(groups: list, mapping: dict[str, str], fid: str) -> str:  # type: ignore[type-arg]
    return next(g.status for g in groups if g.id == mapping[fid])


def test_same_figure_agrees_across_sources_and_a_different_counted_noun_conflicts() -> None:
    figures = [
        fig(
            "a/1",
            "a",
            "The ministry sent more than 1,000 containers of grain to the port.",
            1000,
            "container",
        ),
        fig(
            "b/1",
            "b",
            "More than a thousand containers of grain went to the port, the ministry said.",
            1000,
            "container",
        ),
        fig("a/2", "a", "Factories raised output this year to 4.5 million bricks.", 4_500_000, "brick"),
        fig("b/2", "b", "This year factory output was raised to 4.5 million tiles.", 4_500_000, "tile"),
        fig(
            "c/1", "c", "In May, 300 containers of grain reached the northern port by rail.", 300, "container"
        ),
        fig("c/2", "c", "Crews laid 12 kilometres of track.", 12, None, unit="km"),
    ]
    groups, mapping = group_figures("s", figures)
    assert mapping["a/1"] == mapping["b/1"] and status_of(groups, mapping, "a/1") == "agree"
    assert mapping["a/2"] == mapping["b/2"] and status_of(groups, mapping, "a/2") == "conflict"
    # Another scope (300 in May vs 1,000 overall): beside the group, not in it, not a conflict.
    assert mapping["c/1"] != mapping["a/1"] and status_of(groups, mapping, "c/1") == "single-source"
    group = next(g for g in groups if g.id == mapping["a/1"])
    assert mapping["c/1"] in group.related
    assert status_of(groups, mapping, "c/2") == "single-source"


def test_counted_nouns_for_the_same_things_agree_and_different_things_conflict() -> None:
    """People in general and a kind of people, a compound and its head: one count told two ways.
    Two kinds of people, or two different things, remain a conflict."""
    said = "Officials said {} would sleep in tents in the town park after the quake."
    figures = [
        fig("a/1", "a", said.format("about 600 people"), 600, "people"),
        fig("b/1", "b", said.format("around 600 residents"), 600, "resident"),
        fig("c/1", "c", "The magnitude 5.7 quake struck the valley town at night.", 5.7, "quake"),
        fig("d/1", "d", "The magnitude 5.7 earthquake struck the valley town at night.", 5.7, "earthquake"),
    ]
    groups, mapping = group_figures("s", figures)
    assert mapping["a/1"] == mapping["b/1"] and status_of(groups, mapping, "a/1") == "agree"
    assert mapping["c/1"] == mapping["d/1"] and status_of(groups, mapping, "c/1") == "agree"
    assert counted_compatible("airstrike", "strike") and counted_compatible("person", "child")
    assert counted_compatible("people", "police")
    assert not counted_compatible("resident", "child") and not counted_compatible("shell", "missile")
    for word, ending in [
        ("pirate", "rate"),
        ("household", "hold"),
        ("suitcase", "case"),
        ("airline", "line"),
    ]:
        assert not counted_compatible(word, ending)  # a mere ending is not a compound's head


def test_a_group_conflicts_when_any_two_of_its_counted_nouns_do() -> None:
    """The status compared every figure with the first only: a first without a counted noun hid a
    shells-and-missiles conflict behind it."""
    said = "The plant will make {} a year from 2026, the ministry said."
    figures = [
        fig("a/1", "a", said.format("2.5 million"), 2_500_000, None),
        fig("b/1", "b", said.format("2.5 million shells"), 2_500_000, "shell"),
        fig("c/1", "c", said.format("2.5 million missiles"), 2_500_000, "missile"),
    ]
    groups, mapping = group_figures("s", figures)
    assert mapping["a/1"] == mapping["b/1"] == mapping["c/1"]
    assert status_of(groups, mapping, "a/1") == "conflict"


def test_a_reading_without_a_unit_agrees_with_the_same_number_on_a_scale() -> None:
    figures = [
        fig("a/1", "a", "The network gave the quake a magnitude of 6.2 in its report.", 6.2, None),
        fig(
            "b/1",
            "b",
            "The network put the quake at magnitude 6.2 in its report.",
            6.2,
            None,
            unit="magnitude",
        ),
    ]
    groups, mapping = group_figures("s", figures)
    assert mapping["a/1"] == mapping["b/1"] and status_of(groups, mapping, "a/1") == "agree"
    # a count is not a reading: "6 people" is not "magnitude 6"
    said = "A magnitude 6 earthquake struck the valley and 6 people died."
    groups, mapping = group_figures(
        "s", [fig("a/1", "a", said, 6, None, unit="magnitude"), fig("b/1", "b", said, 6, "people")]
    )
    assert mapping["a/1"] != mapping["b/1"]


def test_a_different_number_in_the_same_sentence_is_a_conflict() -> None:
    figures = [
        fig("a/1", "a", "The storm destroyed 420 homes in the coastal village of Marrow.", 420, "home"),
        fig("b/1", "b", "The storm destroyed 240 homes in the coastal village of Marrow.", 240, "home"),
    ]
    groups, mapping = group_figures("s", figures)
    assert mapping["a/1"] == mapping["b/1"] and groups[0].status == "conflict"


def test_miles_and_km_agree_and_each_group_has_one_figure_per_source() -> None:
    figures = [
        fig("a/1", "a", "The camp lies 290 km from the border.", 290.0, unit="km"),
        fig("b/1", "b", "The camp lies 180 miles from the border.", 289.68, unit="km"),
        fig("b/2", "b", "A second camp lies 290 km south of the capital.", 290.0, unit="km"),
    ]
    groups, mapping = group_figures("s", figures)
    assert mapping["a/1"] == mapping["b/1"] != mapping["b/2"]
    assert status_of(groups, mapping, "a/1") == "agree"


def quote(qid: str, article: str, text: str, speaker: str, sentence: str | None = None) -> Quote:
    return Quote(
        id=qid,
        article_id=article,
        kind="direct",
        text=text,
        sentence=sentence or text,
        position=0,
        speaker=speaker,
    )


def test_quotes_of_one_speaker_saying_the_same_thing_are_grouped_with_their_drift() -> None:
    quotes = [
        quote("a/1", "a", "We fully back the harbour plan and its firm, clear goals.", "Ada Voss"),
        quote(
            "b/1",
            "b",
            "firm and clear goals",
            "Ada Voss",
            "Voss praised the “firm and clear goals” and “harbour plan”.",
        ),
        quote(
            "b/2",
            "b",
            "harbour plan",
            "Ada Voss",
            "Voss praised the “firm and clear goals” and “harbour plan”.",
        ),
        quote("a/2", "a", "total backing", "Ada Voss", "Voss offered “total backing”."),
        quote("b/3", "b", "total backing and trust", "Ada Voss"),
        quote("c/1", "c", "total backing", "Jon Hale"),
    ]
    groups, mapping = group_quotes("s", quotes, lambda name: name)
    # The rewrite quoted two fragments of one sentence: both join the full quote's group.
    assert mapping["a/1"] == mapping["b/1"] == mapping["b/2"]
    assert mapping["a/2"] == mapping["b/3"] != mapping["a/1"]
    assert mapping["c/1"] != mapping["a/2"]  # another speaker, too few words to be the same quote
    group = next(g for g in groups if g.id == mapping["a/2"])
    assert group.status == "drift" and group.drift == ["+and trust"]
    assert drift("number one priority", "first priority") == "-number one +first"


def test_rewrite_aligned_with_word_substitutions() -> None:
    original = ["The minister praised the strong support of the allies.", "Talks will resume in May."]
    rewrite = ["The minister lauded the robust support of the allies.", "Negotiations will restart in May."]
    aligned = align_rewrite("r", rewrite, "o", original)
    assert [(p.index, p.sibling_index) for p in aligned.pairs] == [(0, 0)]
    assert word_substitutions(original[0], rewrite[0]) == (("praised", "lauded"), ("strong", "robust"))
    assert ("praised", "lauded", 1) in aligned.substitutions


def mention(name: str, label: str, article: str, left: tuple[str, ...] = (), sentence: int = 0) -> Mention:
    return Mention(name, name, label, sentence, 0, None, left)  # type: ignore[arg-type]


def test_name_variants_merge_by_spelling_sound_role_acronym_and_short_form() -> None:
    mentions = {
        "a": [
            mention("Boryspil", "place", "a"),
            mention("Rason", "place", "a", ("port", "of")),
            mention("Tessaly Institute for Maritime Studies", "org", "a"),
            mention("Elena Varga", "person", "a"),
            mention("Dunava", "place", "a", ("river", "at")),
        ],
        "b": [
            mention("Borispil", "place", "b"),
            mention("Nason", "place", "b", ("port", "of")),
            mention("TIMS", "org", "b"),
            mention("Varga", "org", "b"),
            mention("Dubava", "place", "b", ("hotel", "in")),
        ],
        "c": [mention("Nasson", "place", "c", ("port", "of"), 1)],
    }
    entities, key_to_id = merge_entities("s", mentions)
    by_name = {e.canonical: set(e.surface_forms) for e in entities}
    assert key_to_id["boryspil"] == key_to_id["borispil"]
    assert key_to_id["rason"] == key_to_id["nason"] == key_to_id["nasson"]
    assert key_to_id["tims"] == key_to_id["tessaly institute for maritime studies"]
    assert by_name["Elena Varga"] == {"Elena Varga", "Varga"}
    assert key_to_id["dunava"] != key_to_id["dubava"]  # alike on paper, different sound and role
    assert spelling_similarity("Dunai", "Dubai") >= 0.8 and not sounds_alike("Dunai", "Dubai")


def test_a_variant_the_ner_missed_is_found_by_its_role() -> None:
    sentences = {
        "a": split_sentences("Ships left the port of Rason at dawn."),
        "b": split_sentences("Ships left the port of nason at dawn."),
    }
    mentions = {
        "a": [Mention("Rason", "Rason", "place", 0, 22, None, ("port", "of"), ("at", "dawn"))],
        "b": [],
    }
    entities, _ = merge_entities("s", mentions, sentences)
    assert [set(e.surface_forms) for e in entities] == [{"Rason", "nason"}]


def test_a_place_the_datelines_give_is_a_place_whatever_the_tagger_said() -> None:
    """The small model called the provincial capital of the demo's quake stories a person in most of
    its mentions; the datelines ("KELLEN, Sarvania —") say what it is."""
    mentions = {
        "a": [mention("Kellen", "person", "a"), mention("Ada Voss", "person", "a")],
        "b": [mention("Kellen", "person", "b"), mention("Kellen", "place", "b")],
    }
    labels = {e.canonical: e.label for e in merge_entities("s", mentions, places={"kellen", "sarvania"})[0]}
    assert labels == {"Kellen": "place", "Ada Voss": "person"}
    assert {e.canonical: e.label for e in merge_entities("s", mentions)[0]}["Kellen"] == "person"


def test_align_story_end_to_end_with_a_stand_in_ner() -> None:
    nlp = FakeNLP(
        {"Ada Voss": "PERSON", "Voss": "PERSON", "Marrow": "GPE", "Korvale": "GPE", "Corvale": "GPE"}
    )
    texts = {
        "a": "Mayor Ada Voss said on Tuesday that 420 homes in Marrow were destroyed. “We will rebuild every "
        "street,” Voss said. Aid arrived from Korvale.",
        "b": "Mayor Ada Voss said on Tuesday that 240 homes in Marrow were destroyed. “We shall rebuild each "
        "street,” Voss said. Aid came from Corvale.",
    }
    articles = [
        Article(
            id=k,
            source_id=k,
            origin=k,
            input_kind="text",
            content_hash=k,
            raw_text=t,
            text=t,
            published=datetime(2025, 3, 12),
        )
        for k, t in texts.items()
    ]
    extracted = FactExtractor(nlp=nlp).extract(articles)
    story = align_story("s1", [StoryArticle(a) for a in articles], {f.article_id: f for f in extracted})
    statuses = {g.about: g.status for g in story.groups if g.kind == "figure"}
    assert statuses["home"] == "conflict" and statuses["2025-03-11"] == "agree"
    [quote_group] = [g for g in story.groups if g.kind == "quote" and len(g.members) > 1]
    assert quote_group.status == "drift" and quote_group.about == "Ada Voss"
    assert {q.speaker for q in story.quotes} == {"Ada Voss"}
    places = [set(e.surface_forms) for e in story.entities if e.label == "place"]
    assert {"Korvale", "Corvale"} in places
    swaps = {(o, n) for o, n, _ in story.rewrites[0].substitutions}
    assert {("will", "shall"), ("shall", "will")} & swaps and {("every", "each"), ("each", "every")} & swaps


@given(
    st.lists(st.sampled_from("abcdef"), max_size=30),
    st.lists(st.sampled_from("abcdef"), max_size=30),
)
def test_opcodes_are_difflibs(a: list[str], b: list[str]) -> None:
    """The word diffs of rewrites and quote drift walk the compiled matching blocks as difflib does."""
    assert opcodes(a, b) == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def test_a_small_incidence_gives_the_dice_a_large_one_gives() -> None:
    """A small story's sentences are also kept dense; the similarities must be the sparse ones."""
    rng = random.Random(3)
    stems = [frozenset(rng.sample([f"w{k}" for k in range(40)], rng.randint(0, 9))) for _ in range(60)]
    small = SentenceIncidence(stems)
    large = SentenceIncidence.from_rows(small.rows)
    large._dense = None  # as past DENSE_CELLS
    rows, columns = slice(5, 17), np.array([0, 3, 3, 40, 59])
    assert small._dense is not None
    assert np.array_equal(small.dice(rows, columns), large.dice(rows, columns))
