"""The stories stage's shortcuts change no result: fingerprints made at ingest, batched near-copy
checks, alignment bounds, estimate matrices and families worked out in forked processes."""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from copydesk import service
from copydesk.config import load_settings
from copydesk.fingerprint.lsh import LshIndex
from copydesk.fingerprint.minhash import MinHashConfig, MinHasher, estimated_jaccard
from copydesk.fingerprint.normalise import normalised_hash
from copydesk.records import StoryMember
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.chunk_prep import PreparedChunk, prepare_chunk, topic_groups_of
from copydesk.stories.families import FamilyJudge, estimate_matrix
from copydesk.stories.features import Lexicon
from copydesk.stories.provenance import FamilyPool, StoryJob, story_provenance
from copydesk.stories.sentence_align import (
    KeyBits,
    SentenceMemo,
    TokenMemo,
    align_keys,
    may_align,
    outline,
    sentence_keys,
)
from copydesk.stories.stage import StoryStage
from copydesk.stories.synthetic import GeneratedArticle, generate_corpus


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture(scope="module")
def corpus() -> list[GeneratedArticle]:
    return generate_corpus(12, seed=8, reports=(2, 3), copies=(1, 3))


def _jobs(corpus: list[GeneratedArticle]) -> list[StoryJob]:
    """One story per event, members as the store would hand them over."""
    hasher = MinHasher()
    by_event: dict[str, list[GeneratedArticle]] = defaultdict(list)
    for article in corpus:
        by_event[article.event].append(article)
    jobs: list[StoryJob] = []
    for event, articles in sorted(by_event.items()):
        signatures = hasher.signatures([a.text for a in articles])
        texts = [
            story_store.StoryText(
                a.source_id, a.source_id, a.source_id, a.title, a.published, list(a.credits), a.text, seq
            )
            for seq, a in enumerate(articles)
        ]
        prints = {
            a.source_id: (normalised_hash(a.text), sig) for a, sig in zip(articles, signatures, strict=True)
        }
        jobs.append((event, texts, prints))
    return jobs


def test_stories_sent_by_reference_are_read_by_the_workers_as_this_process_reads_them(
    tmp_path: Path, lexicon: Lexicon, corpus: list[GeneratedArticle]
) -> None:
    """Workers given the store read a story's members themselves (a store in memory cannot be
    read there: its stories are read here); either way the result is this process's."""
    from copydesk.stories.provenance import load_jobs

    with Database.open(_ingest(tmp_path, corpus)) as db:
        StoryStage().run(db, [])
        members = story_store.member_ids_of(
            db, sorted({r[0] for r in db.query("SELECT story_id FROM story_members")})
        )
        refs = sorted(members.items())
        key = MinHashConfig().key
        judge = FamilyJudge(lexicon.zipf, MinHashConfig())
        alone = [story_provenance(job, judge) for job in load_jobs(db, refs, key)]
        with FamilyPool(judge, workers=2, min_members=1, store=db, minhash_key=key) as pool:
            # as each chunk is done (this process's share first): the same results, in some order
            found = [result for part in pool.start_refs(refs)() for result in part]
            assert sorted(found, key=lambda r: r.story_id) == sorted(alone, key=lambda r: r.story_id)
            early = pool.submit_refs(refs[:3])
            assert early is not None and early.result() == alone[:3]
    memory = Database.memory()
    with FamilyPool(judge, workers=2, min_members=1, store=memory, minhash_key=key) as pool:
        assert list(pool.start_refs([("s-none", ["missing"])])()) == [[]]  # read here: nothing stored


def test_forked_family_workers_match_this_process(lexicon: Lexicon, corpus: list[GeneratedArticle]) -> None:
    jobs = _jobs(corpus)
    judge = FamilyJudge(lexicon.zipf, MinHashConfig())
    alone = [story_provenance(job, judge) for job in jobs]
    with FamilyPool(judge, workers=2, min_members=1) as pool:
        forked = pool.map(jobs)
    assert forked == alone
    relations = {m.relation for result in alone for m in result.members}
    assert {"original", "exact-copy", "near-copy"} <= relations  # the set exercises the copy calls


def test_with_more_stories_than_idle_workers_this_process_takes_the_last_one(
    lexicon: Lexicon, corpus: list[GeneratedArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three stories of one size on two workers kept a worker idle for the last third: the calling
    process, which only waited, works out the last chunk itself, and the results keep their order."""
    jobs = _jobs(corpus)[:3]
    judge = FamilyJudge(lexicon.zipf, MinHashConfig())
    alone = [story_provenance(job, judge) for job in jobs]
    here: list[str] = []
    with FamilyPool(judge, workers=2, min_members=1) as pool:
        worked = pool._here
        monkeypatch.setattr(pool, "_here", lambda chunk: here.extend(j[0] for j in chunk) or worked(chunk))
        assert pool.map(jobs) == alone
        assert here == [jobs[-1][0]]
        here.clear()
        assert pool.map(jobs[1:]) == alone[1:] and here == []  # as many chunks as workers: all theirs


def _chunk_ids_or_die(chunk: list[tuple[str, list[int]]]) -> list[str]:
    """A family worker's stand-in: the chunk's story ids, or the worker dies on story "b"."""
    import os

    if any(story == "b" for story, _ in chunk):
        os._exit(1)
    return [story for story, _ in chunk]


def test_chunks_come_as_they_are_done_and_a_dead_workers_are_worked_out_here(lexicon: Lexicon) -> None:
    """Not in order (``start_refs``): this process's share first, then the workers' as each is
    done; where a worker dies, every chunk not yet given is worked out here, once."""
    judge = FamilyJudge(lexicon.zipf, MinHashConfig())
    items = [(story, [1]) for story in "abcd"]
    here: list[list[str]] = []

    def work_here(chunk: list[tuple[str, list[int]]]) -> list[str]:
        here.append([story for story, _ in chunk])
        return here[-1]

    with FamilyPool(judge, workers=2, min_members=1) as pool:
        parts = list(pool._start(items, _chunk_ids_or_die, work_here, ordered=False)())  # type: ignore[arg-type]
        assert parts[0] == ["d"]  # this process's share (the last chunk), first
        assert sorted(story for part in parts for story in part) == list("abcd")  # each once
        assert ["b"] in here  # the dead worker's chunk, worked out here
        assert pool.workers == 1
    with FamilyPool(judge, workers=2, min_members=1) as pool:
        parts = list(pool._start(items[2:] + items[:1], _chunk_ids_or_die, work_here, ordered=False)())  # type: ignore[arg-type]
        assert sorted(story for part in parts for story in part) == ["a", "c", "d"]


def test_alignment_bound_never_rejects_an_alignment(lexicon: Lexicon, corpus: list[GeneratedArticle]) -> None:
    """``may_align`` is a necessary condition: whenever it says no, the full alignment falls short."""
    share, min_anchors = 0.75, 2
    bits, words = KeyBits(), KeyBits()
    keys = [sentence_keys(a.text, lexicon.zipf, bits, words) for a in corpus]
    outlines = [outline(k, min_anchors) for k in keys]
    accepted = 0
    for i in range(len(corpus)):
        for j in range(i + 1, len(corpus)):
            alignment = align_keys(outlines[i], outlines[j], bits, min_anchors)
            reaches = alignment.comparable >= 2 and alignment.share >= share
            accepted += reaches
            if reaches:
                assert may_align(outlines[i], outlines[j], min_anchors, share), (i, j)
    assert accepted > 0


def test_token_memo_gives_the_same_keys(lexicon: Lexicon, corpus: list[GeneratedArticle]) -> None:
    memo: TokenMemo = {}
    bits, words = KeyBits(), KeyBits()
    for article in corpus:
        assert sentence_keys(article.text, lexicon.zipf, bits, words, memo) == sentence_keys(
            article.text, lexicon.zipf, bits, words
        )


def test_sentence_memo_gives_the_same_keys(lexicon: Lexicon, corpus: list[GeneratedArticle]) -> None:
    """Keys read back from the sentence memo equal those worked out again (with the same KeyBits),
    and the members of a story do repeat sentences, so the memo is used."""
    memo: SentenceMemo = {}
    bits, words = KeyBits(), KeyBits()
    texts = [a.text for a in corpus]
    texts += [texts[0], texts[1] + "\n\nOne more line of 2031 by Vennick."]
    for text in texts:
        assert sentence_keys(text, lexicon.zipf, bits, words, sentence_memo=memo) == sentence_keys(
            text, lexicon.zipf, bits, words
        )
    assert len(memo) < sum(len(sentence_keys(t, lexicon.zipf, bits, words)) for t in texts)


def test_estimate_matrix_is_pairwise_estimated_jaccard(corpus: list[GeneratedArticle]) -> None:
    signatures = MinHasher().signatures([a.text for a in corpus[:40]] + [""])
    matrix = estimate_matrix(signatures)
    for i in range(len(signatures)):
        for j in range(len(signatures)):
            assert matrix[i, j] == estimated_jaccard(signatures[i], signatures[j])


def test_lsh_query_many_matches_query(corpus: list[GeneratedArticle]) -> None:
    config = MinHashConfig()
    signatures = MinHasher(config).signatures([a.text for a in corpus] + [""])
    index = LshIndex(config)
    half = len(signatures) // 2
    index.add(np.arange(half), signatures[:half])
    assert index.query_many(signatures) == [index.query(s) for s in signatures]
    assert index.query_many(signatures[:0]) == []


def _ingest(tmp_path: Path, corpus: list[GeneratedArticle], executor: str = "inprocess") -> Path:
    path = tmp_path / "news.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for a in corpus:
            row = {"id": a.source_id, "title": a.title, "text": a.text, "published": a.published.isoformat()}
            fh.write(json.dumps(row) + "\n")
    settings = load_settings({"db": tmp_path / "s.db", "workers": 1}, environ={})
    service.ingest([str(path)], settings, executor=executor)
    return settings.db


def _members(db: Database) -> list[StoryMember]:
    rows = db.query(
        "SELECT article_id, copy_family, relation, evidence FROM story_members ORDER BY article_id"
    )
    return [StoryMember(r[0], r[1], r[2], r[3]) for r in rows]


def test_stage_uses_prints_from_ingest_and_redoes_stale_ones(
    tmp_path: Path, corpus: list[GeneratedArticle]
) -> None:
    from copydesk.store import articles as article_store

    with Database.open(_ingest(tmp_path, corpus)) as db:
        # the ingest workers sign with the stage's MinHash configuration: the stage writes nothing again
        signed = db.query(
            "SELECT a.text, f.signature FROM story_features f JOIN articles a ON a.id = f.article_id "
            "WHERE f.minhash_key = ?",
            (MinHashConfig().key,),
        )
        assert len(signed) == len(corpus)
        hasher = MinHasher(MinHashConfig())
        for text, signature in signed:
            assert np.array_equal(np.frombuffer(signature, np.uint32), hasher.signature(text))
        assert db.query("SELECT COUNT(*) FROM story_features WHERE hash_current = 1")[0][0] == len(corpus)
        # A later cleaning pass changed one text (as the store rewrites texts): its vector must be
        # recomputed, not reused; and a row from before the store marked hashes current (migration
        # 0012) whose text changed is found by hashing it again.
        changed, older = (tuple(r) for r in db.query("SELECT id, text FROM articles ORDER BY seq LIMIT 2"))
        edited = changed[1] + " Extra words."
        article = article_store.get_article(db, changed[0])
        article.text = edited
        article_store.update_articles(db, [article])
        with db.atomic() as conn:
            conn.execute("UPDATE story_features SET hash_current = 0 WHERE article_id = ?", (older[0],))
            conn.execute("UPDATE articles SET text = ? WHERE id = ?", (older[1] + " More words.", older[0]))
        stale = fingerprint_store.get_features(db, [changed[0], older[0]])
        assert not stale[changed[0]].hash_current
        StoryStage().run(db, [])
        fresh = fingerprint_store.get_features(db, [changed[0], older[0]])
        assert fresh[changed[0]].norm_hash == normalised_hash(edited) != stale[changed[0]].norm_hash
        # signed again, out of a chunk whose other texts kept their ingest signatures
        assert np.array_equal(fresh[changed[0]].signature, hasher.signature(edited))
        assert np.array_equal(fresh[older[0]].signature, hasher.signature(older[1] + " More words."))
        assert (
            fresh[older[0]].norm_hash
            == normalised_hash(older[1] + " More words.")
            != stale[older[0]].norm_hash
        )
        assert db.query("SELECT COUNT(*) FROM story_features WHERE minhash_key = ''")[0][0] == 0
        assert db.query("SELECT COUNT(*) FROM story_features WHERE hash_current = 0")[0][0] == 0
        with_prints = _members(db)
    # The same corpus with every fingerprint made by the stage itself gives the same stories, except
    # for the changed article's text, which both runs see.
    other = tmp_path / "again"
    other.mkdir()
    with Database.open(_ingest(other, corpus)) as db:
        with db.atomic() as conn:
            conn.execute("DELETE FROM story_features")
            conn.execute("UPDATE articles SET text = ? WHERE id = ?", (edited, changed[0]))
            conn.execute("UPDATE articles SET text = ? WHERE id = ?", (older[1] + " More words.", older[0]))
        StoryStage().run(db, [])
        assert _members(db) == with_prints


def test_topic_groups_from_a_helper_process_place_articles_as_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Topic groups built for the whole chunk in a forked helper (then kept to the articles that
    joined no story) group events as well as groups built in place over those articles."""
    import copydesk.stories.stage as stage_module
    from copydesk.stories.chunk_prep import ChunkPreparer
    from copydesk.stories.synthetic import iter_corpus

    articles = list(iter_corpus(40, seed=3, spread_days=20))
    monkeypatch.setattr(stage_module, "MIN_TOPIC_HELPER_BATCH", 1)
    built: list[bool] = []
    chunks = ChunkPreparer.__iter__

    def counted(self: ChunkPreparer) -> Iterator[PreparedChunk]:
        for chunk in chunks(self):
            built.append(chunk.groups() is not None)
            yield chunk

    monkeypatch.setattr(ChunkPreparer, "__iter__", counted)
    scores = []
    for workers in (1, 2):
        target = tmp_path / f"w{workers}"
        target.mkdir()
        with Database.open(_ingest(target, articles)) as db:
            StoryStage(workers=workers, batch=100).run(db, [])
            rows = db.query(
                "SELECT a.source_id, m.story_id FROM story_members m JOIN articles a ON a.id = m.article_id"
            )
        story = {r[0]: r[1] for r in rows}
        scores.append(_bcubed_f1([a.event for a in articles], [story[a.source_id] for a in articles]))
    assert built.count(True) == 3 and built.count(False) == 3  # workers=2 used the helper, 1 did not
    assert scores[1] >= scores[0] - 0.02 and scores[1] > 0.8, scores


def test_near_copies_found_by_the_helper_are_the_ones_found_here(
    tmp_path: Path, corpus: list[GeneratedArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk preparer's helper finds each later chunk's near copies, among the stored articles
    and the run's earlier chunks, as the placing process finds them (asked here too, chunk by chunk,
    over the whole chunk), so the stories, families and relations are the one-process run's, over a
    store that an earlier run filled."""
    import copydesk.stories.stage as stage_module

    monkeypatch.setattr(stage_module, "MIN_TOPIC_HELPER_BATCH", 1)
    compared: list[dict[str, str]] = []
    copies_first = StoryStage._copies_first

    def checked(self: StoryStage, *args: Any) -> dict[str, tuple[str, float]]:
        db, _, chunk, copies, found_ahead = args
        articles, features = chunk.articles, chunk.features
        if found_ahead is not None:
            assert not chunk.texts_here, "a helper that finds the copies keeps the texts"
            signatures = np.stack([f.signature for f in features])
            stored = story_store.story_texts(db, [a.id for a in articles])
            texts = [stored[a.id].text for a in articles]
            here = copies.find(db, [a.id for a in articles], texts, signatures)
            assert {articles[i].id: aid for i, aid in here.items()} == found_ahead
            compared.append(found_ahead)
        return copies_first(self, *args)

    monkeypatch.setattr(StoryStage, "_copies_first", checked)
    ordered = sorted(corpus, key=lambda a: (a.published, a.source_id))
    runs = [ordered[: len(ordered) // 3], ordered[len(ordered) // 3 :]]  # copies of stored ones come later
    # trimmed copies, days later, of the second run's first articles: found in its first chunk
    last = max(a.published for a in corpus)
    runs[1] += [
        dataclasses.replace(
            a,
            source_id=a.source_id + "-trim",
            text=a.text.rsplit(". ", 1)[0] + ".",
            published=last + timedelta(days=2),
        )
        for a in runs[1][:3]
    ]
    results = []
    for workers in (1, 2):
        target = tmp_path / f"w{workers}"
        target.mkdir()
        settings = load_settings({"db": target / "s.db", "workers": 1}, environ={})
        for n, part in enumerate(runs):
            path = target / f"news{n}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for a in part:
                    row = {
                        "id": a.source_id,
                        "title": a.title,
                        "text": a.text,
                        "published": a.published.isoformat(),
                    }
                    fh.write(json.dumps(row) + "\n")
            service.ingest([str(path)], settings, executor="inprocess")
            with Database.open(settings.db) as db:
                StoryStage(workers=workers, batch=6).run(db, [])
        with Database.open(settings.db) as db:
            rows = db.query("SELECT article_id, story_id FROM story_members ORDER BY article_id")
            results.append((_members(db), [tuple(r) for r in rows]))
    assert len(compared) >= 5 and sum(len(found) for found in compared) >= 3  # the helper found copies
    assert results[0] == results[1]


def _bcubed_f1(gold: list[str], pred: list[str]) -> float:
    pairs = list(zip(gold, pred, strict=True))
    precision = sum(
        sum(1 for g2, p2 in pairs if p2 == p and g2 == g) / sum(1 for _, p2 in pairs if p2 == p)
        for g, p in pairs
    ) / len(pairs)
    recall = sum(
        sum(1 for g2, p2 in pairs if p2 == p and g2 == g) / sum(1 for g2, _ in pairs if g2 == g)
        for g, p in pairs
    ) / len(pairs)
    return 2 * precision * recall / (precision + recall)


def test_a_prepared_chunk_comes_back_from_the_helper_as_it_was_made(
    tmp_path: Path, corpus: list[GeneratedArticle]
) -> None:
    """The packed pickling (columns, arrays end to end) loses nothing, whatever the arrays' shapes."""
    with Database.open(_ingest(tmp_path, corpus[:30])) as db:
        ids = story_store.unplaced_article_ids(db)
        # another MinHash configuration than the ingest's: every article signed again, with prints
        stage = StoryStage(minhash=MinHashConfig(num_perm=64))
        chunk = prepare_chunk(db, ids, stage.fingerprint)
    chunk.topic_groups = topic_groups_of(chunk.features, StoryStage().config)
    assert len(chunk.features) == 30 and len(chunk.prints) == 30 and chunk.topic_groups
    assert all(chunk.reused) and not any(chunk.current)
    assert pickle.loads(pickle.dumps(chunk.articles)) == chunk.articles  # as family jobs send them
    odd = PreparedChunk(chunk.articles[:2], chunk.features[:2], [True, False], [True, False], {}, None)
    odd.features[1].vector = odd.features[1].vector[:7].astype(np.float64)  # not packable: kept as a list
    for made in (chunk, odd, PreparedChunk([], [], [], [], {}, None)):
        back = pickle.loads(pickle.dumps(made))
        assert back.articles == made.articles and back.reused == made.reused and back.current == made.current
        assert back.topic_groups == made.topic_groups and list(back.prints) == list(made.prints)
        assert all(np.array_equal(back.prints[k], made.prints[k]) for k in made.prints)
        for mine, theirs in zip(back.features, made.features, strict=True):
            assert (mine.article_id, mine.published, mine.norm_hash, mine.minhash_key) == (
                theirs.article_id,
                theirs.published,
                theirs.norm_hash,
                theirs.minhash_key,
            )
            assert (mine.names, mine.numbers) == (theirs.names, theirs.numbers)
            assert np.array_equal(mine.signature, theirs.signature)
            assert mine.vector.dtype == theirs.vector.dtype and np.array_equal(mine.vector, theirs.vector)


def test_chunk_topic_groups_are_kept_to_the_articles_assign_receives() -> None:
    from copydesk.stories.stage import _within

    assert _within([[0, 2, 5], [1], [3, 4]], [1, 2, 4, 5]) == [[1, 3], [0], [2]]


def test_stage_called_from_a_server_thread_does_not_fork(
    lexicon: Lexicon, corpus: list[GeneratedArticle]
) -> None:
    import threading

    from copydesk.run.forking import may_fork

    jobs = _jobs(corpus)
    judge = FamilyJudge(lexicon.zipf, MinHashConfig())
    seen: dict[str, object] = {}

    def handler() -> None:
        seen["may_fork"] = may_fork()
        with FamilyPool(judge, workers=2, min_members=1) as pool:
            seen["results"] = pool.map(jobs)
            seen["forked"] = pool._pool is not None

    thread = threading.Thread(target=handler)
    thread.start()
    thread.join()
    assert may_fork() and seen["may_fork"] is False and seen["forked"] is False
    assert seen["results"] == [story_provenance(job, judge) for job in jobs]


def _die(*_: object) -> None:
    """Stands in for a helper process killed mid-task (out of memory, say)."""
    import os

    os._exit(1)


def test_a_family_worker_that_dies_leaves_the_work_to_this_process(
    lexicon: Lexicon, corpus: list[GeneratedArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    import copydesk.stories.provenance as provenance

    jobs = _jobs(corpus)
    judge = FamilyJudge(lexicon.zipf, MinHashConfig())
    alone = [story_provenance(job, judge) for job in jobs]
    monkeypatch.setattr(provenance, "_provenance_chunk", _die)
    with FamilyPool(judge, workers=2, min_members=1) as pool:
        assert pool.map(jobs) == alone
        assert pool.workers == 1  # and it forks no more


@pytest.mark.parametrize("dies_in", ["_prepare_in_helper", "_groups_in_helper", "_find_in_helper"])
def test_a_chunk_preparer_that_dies_leaves_the_chunks_to_this_process(
    tmp_path: Path, corpus: list[GeneratedArticle], monkeypatch: pytest.MonkeyPatch, dies_in: str
) -> None:
    """Dead while signing a chunk or while grouping it (its fingerprints already sent): the groups
    are built by ``assign`` and the rest of the chunks here, to the same stories."""
    import copydesk.stories.chunk_prep as chunk_prep
    import copydesk.stories.stage as stage_module

    monkeypatch.setattr(stage_module, "MIN_TOPIC_HELPER_BATCH", 1)
    here = _placed(tmp_path / "here", corpus, workers=1)
    monkeypatch.setattr(chunk_prep, dies_in, _die)
    assert _placed(tmp_path / "helped", corpus, workers=2) == here


def _placed(target: Path, corpus: list[GeneratedArticle], workers: int) -> list[StoryMember]:
    """The story members of ``corpus`` placed in chunks of 20 by a stage of ``workers``."""
    target.mkdir()
    with Database.open(_ingest(target, corpus)) as db:
        StoryStage(workers=workers, batch=20).run(db, [])
        return _members(db)


@pytest.mark.parametrize("lost", [False, True])
def test_chunks_left_in_files_by_the_helper_place_as_chunks_made_here(
    tmp_path: Path, corpus: list[GeneratedArticle], monkeypatch: pytest.MonkeyPatch, lost: bool
) -> None:
    """The helper leaves each chunk in a file of a folder the stage removes when done; a chunk whose
    file cannot be read back (``lost``) is made here, with the rest, to the same stories."""
    import copydesk.stories.stage as stage_module
    from copydesk.run.handoff import Handoff, HandoffLost

    monkeypatch.setattr(stage_module, "MIN_TOPIC_HELPER_BATCH", 1)
    taken: list[str] = []
    take = Handoff.take

    def counted(self: Handoff) -> Any:
        taken.append(self.path)
        if lost and len(taken) == 2:
            raise HandoffLost("cut short")
        return take(self)

    monkeypatch.setattr(Handoff, "take", counted)
    here = _placed(tmp_path / "here", corpus, workers=1)
    assert _placed(tmp_path / "helped", corpus, workers=2) == here
    chunks = -(-len(corpus) // 20)  # the first is made here, the rest by the helper
    assert len(taken) == (2 if lost else chunks - 1), taken
    assert not any(Path(path).parent.exists() for path in taken)  # the folder went with the stage


def _provenance_rows(db: Database) -> list[tuple[object, ...]]:
    rows = db.query("SELECT id, title, independent_sources, sites, credited_wires FROM stories ORDER BY id")
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(("dies", "part_size"), [(False, 2000), (True, 2000), (False, 3)])
def test_families_worked_out_early_are_the_ones_worked_out_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies: bool, part_size: int
) -> None:
    """Stories the run seems done with get their families in a worker while articles are still placed;
    a story that gains members (or absorbs another) afterwards is worked out again, so the result is
    the one-process run's; a worker that dies leaves its stories to the end. The end goes part by
    part (a part sent ahead while the last is written) to the same result."""
    import copydesk.stories.family_refresh as family_refresh
    import copydesk.stories.provenance as provenance
    from copydesk.stories.synthetic import iter_corpus

    monkeypatch.setattr(family_refresh.FamilyRefresh, "part_size", part_size)

    articles = list(iter_corpus(60, seed=4, spread_days=30))
    reused = [0, 0]  # early results used, per run
    early_results = family_refresh.FamilyRefresh._early_results

    def counted(self: family_refresh.FamilyRefresh, early: dict[str, object]) -> object:
        found = early_results(self, early)
        reused[run[0]] += len(found)
        return found

    monkeypatch.setattr(family_refresh.FamilyRefresh, "_early_results", counted)
    results = []
    run = [0]
    for workers in (1, 2):
        run[0] = workers - 1
        target = tmp_path / f"w{workers}"
        target.mkdir()
        if workers == 2 and dies:
            monkeypatch.setattr(provenance, "_provenance_chunk", _die)
        with Database.open(_ingest(target, articles)) as db:
            StoryStage(workers=workers, batch=40).run(db, [])
            results.append((_members(db), _provenance_rows(db)))
    assert results[0] == results[1]
    assert reused[0] == 0  # one process: nothing is worked out early
    assert (reused[1] == 0) if dies else (reused[1] > 0)


def _fails(*_: object) -> None:
    """Stands in for a worker task that raises (a fault in the task, not a dead process)."""
    raise RuntimeError("the judging failed")


@pytest.mark.parametrize("fault", [None, _die, _fails])
def test_first_members_judged_while_placing_give_the_families_judged_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Callable[..., None] | None
) -> None:
    """Stories that reach the compared size while a run still places articles have their first
    members' pairs judged by a worker meanwhile (``FamilyRefresh.start_heads``); the families come
    out as a one-process run's, and a worker that dies, or a judgement that fails, leaves those
    pairs to be judged at the end."""
    import copydesk.stories.families as families
    import copydesk.stories.family_refresh as family_refresh
    import copydesk.stories.provenance as provenance
    import copydesk.stories.stage as stage
    from copydesk.stories.synthetic import iter_corpus

    for module in (families, family_refresh, provenance, stage):  # small stories reach it too
        monkeypatch.setattr(module, "COMPARED_MEMBERS", 3)
    articles = list(iter_corpus(60, seed=4, spread_days=30))
    used: list[int] = []
    heads_done = family_refresh.FamilyRefresh._heads_done

    def counted(self: family_refresh.FamilyRefresh, story_ids: Sequence[str]) -> provenance.Heads:
        found = heads_done(self, story_ids)
        used.append(len(found))
        return found

    monkeypatch.setattr(family_refresh.FamilyRefresh, "_heads_done", counted)
    results = []
    for workers in (1, 2):
        target = tmp_path / f"w{workers}"
        target.mkdir()
        if workers == 2 and fault is not None:
            monkeypatch.setattr(provenance, "_heads_of_refs", fault)
        used.clear()
        with Database.open(_ingest(target, articles)) as db:
            StoryStage(workers=workers, batch=20).run(db, [])
            results.append((_members(db), _provenance_rows(db)))
    assert results[0] == results[1]
    assert (sum(used) == 0) if fault is not None else (sum(used) > 0)


def test_early_families_are_used_only_where_the_members_are_unchanged(
    tmp_path: Path, lexicon: Lexicon, corpus: list[GeneratedArticle]
) -> None:
    from copydesk.stories.family_refresh import FamilyRefresh, refresh_stories

    config = MinHashConfig()
    with Database.open(_ingest(tmp_path, corpus)) as db:
        StoryStage().run(db, [])
        stories = [r[0] for r in db.query("SELECT id FROM stories WHERE merged_into IS NULL ORDER BY id")]
        with FamilyRefresh(db, lexicon, config, workers=2) as refresh:
            refresh.settle(stories)
            # An article moves to another story after both stories' families were worked out.
            moved, story = db.query("SELECT article_id, story_id FROM story_members ORDER BY article_id")[0]
            story_store.put_members(db, [(moved, next(s for s in stories if s != story), 0.5)])
            refresh.finish(stories)
        early = (_members(db), _provenance_rows(db))
        refresh_stories(db, stories, lexicon, config)
        assert (_members(db), _provenance_rows(db)) == early


def test_near_copy_candidates_rank_the_same_with_signatures_kept_or_read_back(
    tmp_path: Path, corpus: list[GeneratedArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidates ranked with the signatures kept in memory (the last rows, in a ring) or read back
    from the store come out the same, best estimate first."""
    import copydesk.stories.near_copies as near_copies

    config = MinHashConfig()
    with Database.open(_ingest(tmp_path, corpus)) as db:
        StoryStage().run(db, [])
        ids = sorted(r[0] for r in db.query("SELECT id FROM articles"))
        stored = fingerprint_store.hashes_and_signatures(db, ids, config.key)
        signatures = np.stack([stored[a][1] for a in ids])
        shortlists = []
        for kept in (100_000, 7):
            monkeypatch.setattr(near_copies, "RECENT_SIGNATURES", kept)
            finder = near_copies.NearCopyFinder(config, 0.5, LshIndex(config), [], expected=len(ids))
            for lo in range(0, len(ids), 10):
                finder.add(ids[lo : lo + 10], signatures[lo : lo + 10])
            shortlists.append(finder.shortlist(db, signatures))
    assert shortlists[0] == shortlists[1]
    assert sum(len(found) > 1 for found in shortlists[0].values()) > 5
    for i, found in shortlists[0].items():  # the article itself first (estimate 1), then the rest
        assert found[0] == ids[i] or estimated_jaccard(signatures[i], stored[found[0]][1]) == 1.0
        estimates = [estimated_jaccard(signatures[i], stored[a][1]) for a in found]
        assert estimates == sorted(estimates, reverse=True)


def test_the_stored_index_leaves_out_the_runs_own_articles(
    tmp_path: Path, corpus: list[GeneratedArticle]
) -> None:
    """A run's own articles are indexed as it places them, even those an interrupted run signed
    already: the index of stored articles leaves them out, rows numbered without gaps."""
    from copydesk.stories.near_copies import load_lsh_and_owners

    config = MinHashConfig()
    with Database.open(_ingest(tmp_path, corpus)) as db:
        # signed at ingest, but waiting to be placed: indexed by the run that places them
        assert load_lsh_and_owners(db, config)[1] == []
        StoryStage().run(db, [])
        _, every = load_lsh_and_owners(db, config)
        left_out = frozenset(every[::3])
        index, owners = load_lsh_and_owners(db, config, left_out)
        stored = fingerprint_store.hashes_and_signatures(db, owners, config.key)
    assert owners == [a for a in every if a not in left_out] and len(every) == len(corpus)
    signatures = np.stack([stored[a][1] for a in owners])
    queries, rows = index.query_pairs(signatures)
    assert set(zip(queries.tolist(), rows.tolist(), strict=True)) >= {(k, k) for k in range(len(owners))}


def test_a_stage_of_another_minhash_configuration_signs_the_ingest_rows_again(
    tmp_path: Path, corpus: list[GeneratedArticle]
) -> None:
    """Signatures made at ingest are kept only by a stage of the same MinHash configuration: another
    signs every text again (keeping the vectors) and stores its own signatures."""
    config = MinHashConfig(num_perm=64)
    with Database.open(_ingest(tmp_path, corpus[:40])) as db:
        before = fingerprint_store.get_features(db, story_store.unplaced_article_ids(db))
        StoryStage(minhash=config).run(db, [])
        after = fingerprint_store.get_features(db, list(before))
        texts = story_store.story_texts(db, list(before))
    hasher = MinHasher(config)
    for article_id, row in after.items():
        assert row.minhash_key == config.key and row.hash_current
        assert np.array_equal(row.signature, hasher.signature(texts[article_id].text))
        assert np.array_equal(row.vector, before[article_id].vector)
