"""Copy families on a generated, labelled set: precision and recall per relation have floors.

The set (copydesk.stories.synthetic) holds two independent reports per event, worded differently,
each with 1-3 derived copies labelled exact-copy, near-copy, rewrite (synonym spinning) or
translation-like. An original with no detected copies counts as a miss for ``original``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from copydesk.fingerprint.minhash import MinHashConfig, MinHasher
from copydesk.fingerprint.normalise import normalised_hash
from copydesk.stories.families import FamilyJudge, MemberText, copy_families
from copydesk.stories.features import Lexicon
from copydesk.stories.sentence_align import KeyBits, align, align_keys, grammar_kept, outline, sentence_keys
from copydesk.stories.synthetic import generate_corpus, spin, translate_like

RELATIONS = ("original", "exact-copy", "near-copy", "rewrite", "translation-like")
# Measured with precision_recall(judge, 150, seed=21): original 0.98/0.97, exact-copy 1.00/0.99,
# near-copy 0.97/0.99, rewrite 0.92/0.95, translation-like 0.97/0.95 (precision/recall; before figures
# grouped with spaces were read whole and sandwiched sentences aligned: original 0.95/0.92, near-copy
# 0.90/0.99, rewrite 0.89/0.88, translation-like 0.96/0.66). The floors leave a margin for the
# smaller set the test runs (seed 4: 0.98/0.97, 0.97/0.97, 0.98/0.98, 0.94/1.00, 0.98/0.94);
# `pytest -s` prints what it measured.
FLOORS = {
    "original": (0.9, 0.9),
    "exact-copy": (0.9, 0.9),
    "near-copy": (0.9, 0.9),
    "rewrite": (0.85, 0.9),
    "translation-like": (0.9, 0.85),
}


@pytest.fixture(scope="module")
def judge() -> FamilyJudge:
    return FamilyJudge(Lexicon.load().zipf, MinHashConfig())


def precision_recall(judge: FamilyJudge, events: int, seed: int) -> dict[str, tuple[float, float]]:
    corpus = generate_corpus(events, seed=seed, reports=(2, 2), copies=(1, 3))
    hasher = MinHasher(judge.minhash)
    by_event = defaultdict(list)
    for article in corpus:
        by_event[article.event].append(article)
    confusion: Counter[tuple[str, str]] = Counter()
    for articles in by_event.values():
        signatures = hasher.signatures([a.text for a in articles])
        members = [
            MemberText(a.source_id, a.text, a.title, a.published, a.credits, normalised_hash(a.text), sig)
            for a, sig in zip(articles, signatures, strict=True)
        ]
        called = {m.article_id: m.relation for m in copy_families(members, judge)}
        for a in articles:
            confusion[(a.relation, called[a.source_id])] += 1
    out = {}
    for rel in RELATIONS:
        hit = confusion[(rel, rel)]
        predicted = sum(n for (_, p), n in confusion.items() if p == rel)
        actual = sum(n for (g, _), n in confusion.items() if g == rel)
        out[rel] = (hit / max(1, predicted), hit / max(1, actual))
    return out


def test_relations_precision_recall_floors(judge: FamilyJudge) -> None:
    measured = precision_recall(judge, 60, seed=4)
    for rel, (precision, recall) in measured.items():
        print(f"{rel:17s} precision {precision:.3f} recall {recall:.3f}")
        floor_p, floor_r = FLOORS[rel]
        assert precision >= floor_p and recall >= floor_r, (rel, precision, recall)


def test_alignment_tells_spinning_from_translation() -> None:
    import random

    zipf = Lexicon.load().zipf
    text = (
        "A magnitude 6.2 earthquake struck Tarvel on Monday, killing at least 41 people, officials said.\n\n"
        "Rescue teams led by Omar Lindqvist searched collapsed buildings through the night in Brosk.\n\n"
        "Lindqvist said 230 people had been taken to hospital and 1,400 homes were damaged.\n\n"
        "It was the strongest tremor to hit Tarvel since 1987, according to the seismic agency."
    )
    rng = random.Random(1)
    spun, translated = align(text, spin(text, rng), zipf), align(text, translate_like(text, rng), zipf)
    assert spun.share == 1.0 and translated.share == 1.0
    assert spun.wording > translated.wording
    assert "lindqvist" in spun.anchors or "tarvel" in spun.anchors


def test_original_is_earliest_then_credited(judge: FamilyJudge) -> None:
    from datetime import datetime

    hasher = MinHasher()
    text = "The council of Arnhold approved 12 new bus lines on Tuesday after a vote of 31 to 4. " * 3
    sig = hasher.signature(text)
    early = MemberText("early", text, "t", datetime(2025, 1, 1), [], normalised_hash(text), sig)
    late_wire = MemberText("late", text, "t", datetime(2025, 1, 2), ["AFP"], normalised_hash(text), sig)
    calls = {m.article_id: m for m in copy_families([late_wire, early], judge)}
    assert calls["early"].relation == "original" and calls["late"].relation == "exact-copy"
    assert "earliest date" in calls["early"].evidence
    same_day = MemberText("wire", text, "t", datetime(2025, 1, 1), ["AFP"], normalised_hash(text), sig)
    calls = {m.article_id: m for m in copy_families([early, same_day], judge)}
    assert calls["wire"].relation == "original"


def test_figures_grouped_by_spaces_match_figures_grouped_by_commas() -> None:

    zipf, bits, words = Lexicon.load().zipf, KeyBits(), KeyBits()
    comma = sentence_keys("The Vennick plant will hire 3,623 staff and open in 2029.", zipf, bits, words)
    space = sentence_keys("The Vennick plant will hire 3 623 staff and open in 2029.", zipf, bits, words)
    assert comma[0][0] == space[0][0] and "3623" in bits.words(comma[0][0])
    # A year next to a count stays two figures: only groups of exactly three digits join.
    apart = sentence_keys("In 2025 120 homes of Vennick were damaged.", zipf, bits, words)
    assert {"2025", "120"} <= set(bits.words(apart[0][0]))


def test_credited_rewrite_of_the_wire_is_a_credited_wire_story(judge: FamilyJudge) -> None:
    import random
    from datetime import datetime

    text = (
        "A magnitude 5.8 earthquake struck Pellvar on Sunday, killing 12 people, officials said.\n\n"
        "Rescue teams led by Marta Quellin searched collapsed houses in Brannock through the night.\n\n"
        "Quellin said 140 people had been taken to hospital and 900 homes were damaged in Pellvar.\n\n"
        "It was the strongest tremor to hit Osterhold since 1994, the Kessel seismic agency said."
    )
    rewritten = translate_like(text, random.Random(3))
    hasher = MinHasher(judge.minhash)

    def member(key: str, body: str, day: int, credits: list[str]) -> MemberText:
        return MemberText(
            key, body, "t", datetime(2025, 4, day), credits, normalised_hash(body), hasher.signature(body)
        )

    wire = member("wire", text, 1, ["Kestrel Press"])
    credited = member("credited", rewritten, 2, ["Kestrel Press"])
    uncredited = member("uncredited", rewritten + " ", 2, [])
    calls = {m.article_id: m for m in copy_families([wire, credited], judge)}
    assert calls["credited"].relation == "credited-wire"
    assert calls["credited"].copy_family == calls["wire"].copy_family
    calls = {m.article_id: m for m in copy_families([wire, uncredited], judge)}
    assert calls["uncredited"].relation == "translation-like"


def test_spinning_keeps_the_grammar_words_a_translation_reorders() -> None:
    import random

    zipf = Lexicon.load().zipf
    text = (
        "The council of Marrowfield approved a budget of 48 million for the new tram line on Tuesday.\n\n"
        "Mayor Ilse Varnholt said the first trams would run on the route to Kestby in 2027.\n\n"
        "Opponents in the council had asked for a vote of the residents of Kestby before any work began.\n\n"
        "The line will have 14 stops and is expected to carry 30,000 passengers a day, Varnholt said."
    )
    rng = random.Random(5)
    kept = {}
    for name, copy in (("spun", spin(text, rng)), ("translated", translate_like(text, rng))):
        bits, words = KeyBits(), KeyBits()
        keys_a, keys_b = sentence_keys(text, zipf, bits, words), sentence_keys(copy, zipf, bits, words)
        alignment = align_keys(outline(keys_a, 2), outline(keys_b, 2), bits)
        assert alignment.share >= 0.75 and len(alignment.pairs) >= 3, name
        kept[name] = grammar_kept(keys_a, keys_b, alignment.pairs)
    assert kept["spun"] >= 0.7 > 0.5 > kept["translated"], kept


def test_the_wire_itself_is_the_original_of_its_copies(judge: FamilyJudge) -> None:
    from datetime import datetime

    hasher = MinHasher()
    text = "The port of Haldersund reopened on Monday after 3 days of storms closed 14 berths. " * 3
    sig = hasher.signature(text)
    day = datetime(2025, 6, 2)
    digest = normalised_hash(text)
    copy = MemberText("copy", text, "t", day, ["Norrvik Wire"], digest, sig, site="Coast Daily")
    wire = MemberText("wire", text, "t", day, [], digest, sig, site="Norrvik Wire")
    calls = {m.article_id: m for m in copy_families([copy, wire], judge)}
    assert calls["wire"].relation == "original" and calls["copy"].relation == "exact-copy"
    assert "published by Norrvik Wire" in calls["wire"].evidence


def test_copies_beyond_the_compared_members_still_join_their_family(judge: FamilyJudge) -> None:
    """A wire story run by hundreds of sites: members past the pairwise limit are checked for copies
    of the compared ones, so they join the wire's family instead of counting as independent reports."""
    import random
    from datetime import datetime, timedelta

    from copydesk.stories.synthetic import retypeset, trim

    hasher = MinHasher(judge.minhash)
    start = datetime(2025, 5, 1, 6)

    def member(key: str, body: str, hours: int) -> MemberText:
        when = start + timedelta(hours=hours)
        return MemberText(key, body, "t", when, [], normalised_hash(body), hasher.signature(body))

    wire = "\n\n".join(
        f"Paragraph {k}: the Osterhold ferry union said {k * 17 + 3} crossings were cancelled at Brannock "
        f"harbour after talks on pay broke down, and warned that {k + 2} more days of strikes would follow."
        for k in range(8)
    )
    places = ("Pellvar", "Kessel", "Arnhold", "Norrvik", "Quellin", "Tavor")
    own = [
        member(
            f"own{k}",
            f"In {place}, commuters queued for buses as the {k + 1}st day of the ferry strike "
            f"left {40 * (k + 2)} people stranded; the council in {place} asked both sides to return "
            f"to talks. Shops near the pier in {place} closed early, owners said.",
            k + 1,
        )
        for k, place in enumerate(places)
    ]
    rng = random.Random(5)
    copies = [member(f"copy{k}", retypeset(wire) if k % 2 else trim(wire, rng), k + 3) for k in range(30)]
    members = [member("wire", wire, 0), *own[:3], *copies, *own[3:]]
    calls = {m.article_id: m for m in copy_families(members, judge, compared=8)}
    family = calls["wire"].copy_family
    assert calls["wire"].relation == "original"
    assert all(calls[f"copy{k}"].copy_family == family for k in range(30))
    assert {calls[f"copy{k}"].relation for k in range(30)} <= {"exact-copy", "near-copy"}
    assert len({m.copy_family for m in calls.values()}) == 1 + len(places)  # the wire's family, own reports
    assert "not aligned" in calls["own5"].evidence and calls["own5"].relation == "independent"
    assert calls["own0"].evidence == "no copy in this story"


def test_the_pair_screen_drops_exactly_the_pairs_call_finds_nothing_in(judge: FamilyJudge) -> None:
    """The compiled screen of a story's pairs says 0 only where ``call`` returns None, and where no
    copy check is due, 1 exactly where it finds a relation (the screen aligns the pairs that
    ``may_align`` lets through): generated stories of copies, rewrites, translations and independent
    reports of one event and of others, with the stories of two events pooled so most pairs fail."""
    from copydesk.stories.families import _length_ratio, estimate_matrix
    from copydesk.stories.sentence_align import may_align

    corpus = generate_corpus(30, seed=11, reports=(2, 3), copies=(1, 3))
    hasher = MinHasher(judge.minhash)
    by_event = defaultdict(list)
    for article in corpus:
        by_event[article.event].append(article)
    events = list(by_event.values())
    stories = [events[k] + events[k + 1] for k in range(0, len(events) - 1, 2)]
    dropped = kept = aligned_away = 0
    cfg = judge.config
    for articles in stories:
        signatures = hasher.signatures([a.text for a in articles])
        members = [
            MemberText(a.source_id, a.text, a.title, a.published, a.credits, normalised_hash(a.text), sig)
            for a, sig in zip(articles, signatures, strict=True)
        ]
        judge.forget()
        estimates = estimate_matrix(signatures)
        screen = judge.pair_screen(members, estimates)
        if screen is None:
            pytest.skip("copydesk._overlap was not built")
        n = len(members)
        for i in range(n):
            for j in range(i + 1, n):
                a, b = members[i], members[j]
                found = judge.call(a, b, passages=False, estimate=float(estimates[i, j]))
                if not screen[i * n + j]:
                    assert found is None, (i, j, found)
                    dropped += 1
                    outlines = judge._outline_of(a), judge._outline_of(b)
                    aligned_away += may_align(*outlines, cfg.min_anchors, cfg.aligned_share)
                elif found is not None:
                    kept += 1
                copy_due = (
                    a.norm_hash == b.norm_hash
                    or estimates[i, j] >= cfg.candidate_estimate
                    or _length_ratio(a.text, b.text) < 0.7
                )
                if not copy_due:
                    assert bool(screen[i * n + j]) == (found is not None), (i, j, found)
    # both sides of the screen were exercised, and its alignment step as well as its bound
    assert dropped > 100 and kept > 50 and aligned_away > 10


def test_compiled_estimate_matrix_is_numpys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row against every row, compiled, gives numpy's masked estimates to the bit, slots empty
    on both sides, on one side and whole empty signatures included."""
    import numpy as np

    from copydesk.stories import families

    rng = np.random.default_rng(5)
    cases = []
    for _ in range(300):
        width = int(rng.integers(1, 10))
        values = np.asarray([0, 1, 2, 0xFFFFFFFF], dtype=np.uint32)
        a = rng.choice(values, size=(int(rng.integers(1, 6)), width))
        b = rng.choice(values, size=(int(rng.integers(1, 6)), width))
        cases.append((a, b, families.estimate_matrix(a, b), families.estimate_matrix(a)))
    from copydesk.fingerprint import minhash

    monkeypatch.setattr(minhash, "_pair_estimates", None)  # numpy's path from here
    for a, b, compiled_ab, compiled_aa in cases:
        assert np.array_equal(compiled_ab, families.estimate_matrix(a, b))
        assert np.array_equal(compiled_aa, families.estimate_matrix(a))


def test_families_from_first_members_judged_ahead_are_the_ones_judged_at_once(judge: FamilyJudge) -> None:
    """A story's first members judged ahead (``family_heads``, as a worker judges them while later
    members are still placed) give every member the relation and evidence judging the story at once
    gives; judged on other first members (the story's first ones changed since), they are not used."""
    from copydesk.stories.families import family_heads

    corpus = generate_corpus(12, seed=8, reports=(2, 3), copies=(1, 3))
    hasher = MinHasher(judge.minhash)
    signatures = hasher.signatures([a.text for a in corpus])
    members = [
        MemberText(a.source_id, a.text, a.title, a.published, a.credits, normalised_hash(a.text), sig)
        for a, sig in zip(corpus, signatures, strict=True)
    ]
    for compared in (6, 20, len(members)):
        at_once = copy_families(members, judge, compared=compared)
        judge.forget()
        ahead = family_heads(members[:compared], judge)
        judge.forget()
        assert copy_families(members, judge, compared=compared, heads=ahead) == at_once
        judge.forget()
        other = family_heads(members[1 : compared + 1], judge)
        judge.forget()
        assert copy_families(members, judge, compared=compared, heads=other) == at_once
        judge.forget()
    assert len({m.relation for m in at_once}) >= 4  # copies, rewrites and translations among them


def test_later_members_candidate_checks_skipped_only_where_call_finds_nothing(
    judge: FamilyJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The later members' candidate checks that the screen skips are exactly calls that return None:
    every member's relation and evidence come out as when every candidate is called (copies, trims
    shorter than 0.7 of their original and independent reports past the compared members)."""
    import random

    import numpy as np

    from copydesk.stories import families
    from copydesk.stories.synthetic import trim

    corpus = generate_corpus(10, seed=13, reports=(2, 3), copies=(1, 3))
    hasher = MinHasher(judge.minhash)
    texts = [a.text for a in corpus]
    texts += [trim(t, random.Random(k))[: len(t) // 2] for k, t in enumerate(texts[:8])]
    texts += texts[:4]  # exact copies past the compared members
    members = [
        MemberText(f"m{k}", text, "t", corpus[k % len(corpus)].published, [], normalised_hash(text), sig)
        for k, (text, sig) in enumerate(zip(texts, hasher.signatures(texts), strict=True))
    ]
    made: list[np.ndarray] = []
    screen = families._copy_checks_due

    def recorded(*args: object) -> np.ndarray:
        made.append(screen(*args))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(families, "_copy_checks_due", recorded)
    screened = copy_families(members, judge, compared=6)
    judge.forget()
    # some candidate checks made, some skipped (each later member has COPY_CANDIDATES candidates)
    assert made and 0 < made[0].sum() < made[0].shape[0] * families.COPY_CANDIDATES
    monkeypatch.setattr(
        families, "_copy_checks_due", lambda members, full, *_: np.ones((len(members) - full, full), bool)
    )
    assert copy_families(members, judge, compared=6) == screened
    judge.forget()
    assert {m.relation for m in screened} >= {"exact-copy", "independent"}


def test_a_judge_keeps_few_shingle_sets_and_calls_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shingle sets a judge keeps are bounded (a story of 10,000 reprints held 1 GB of them):
    a story's families come out the same with two kept as with all."""
    import copydesk.stories.families as families

    corpus = generate_corpus(40, seed=8, reports=(2, 2), copies=(1, 3))
    hasher = MinHasher()
    members = [
        MemberText(a.source_id, a.text, a.title, a.published, a.credits, normalised_hash(a.text), sig)
        for a, sig in zip(corpus, hasher.signatures([a.text for a in corpus]), strict=True)
    ]
    lexicon = Lexicon.load()
    every = copy_families(members, FamilyJudge(lexicon.zipf, MinHashConfig()))
    monkeypatch.setattr(families, "SHINGLE_SETS_KEPT", 2)
    judge = FamilyJudge(lexicon.zipf, MinHashConfig())
    assert copy_families(members, judge) == every
    assert len(judge._shingles) == 2
    assert sum(m.relation in ("exact-copy", "near-copy") for m in every) > 10
