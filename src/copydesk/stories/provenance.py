"""Provenance per story: copy families, independent report counts, credited wires, the story's title.

Sources are counted two ways: every article, and *independent* reports, where a copy family (an
original and its copies, rewrites and translations) counts once however many sites ran it.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from copydesk.fingerprint.minhash import MinHashConfig
from copydesk.records import StoryMember
from copydesk.run.collection import settle_worker
from copydesk.run.forking import may_fork
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.families import COMPARED_MEMBERS, FamilyJudge, MemberText, copy_families
from copydesk.stories.features import Lexicon, sentences


class Titled(Protocol):
    """What a story title is chosen from (an ``Article`` or a ``story_store.StoryText``)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def text(self) -> str: ...


def story_title(articles: Sequence[Titled], members: Sequence[StoryMember]) -> str:
    """The title of the family original with the most members, else of the earliest article."""
    by_id = {a.id: a for a in articles}
    sizes: dict[str, int] = {}
    for m in members:
        sizes[m.copy_family] = sizes.get(m.copy_family, 0) + 1
    heads = [m for m in members if m.relation in ("original", "independent")]
    heads.sort(key=lambda m: -sizes[m.copy_family])
    for m in heads:
        article = by_id.get(m.article_id)
        if article is not None and article.title:
            return article.title
    for article in articles:
        if article.title:
            return article.title
    first = sentences(articles[0].text)[:1] if articles else []
    return first[0][:120] if first else ""


def refresh_stories(
    db: Database, story_ids: Sequence[str], lexicon: Lexicon, minhash: MinHashConfig, *, workers: int = 1
) -> None:
    """Recompute families, relations and provenance of the given stories from their members.

    Members are read a couple of thousand stories at a time, stories are worked on by up to ``workers``
    processes (``FamilyPool``), and everything is written in one transaction."""
    with FamilyRefresh(db, lexicon, minhash, workers) as refresh:
        refresh.finish(story_ids)


class FamilyRefresh:
    """The families of the stories a run touched, some worked out while the run still places articles.

    ``settle`` hands stories the run is probably done with to one worker process while this one goes
    on placing (the stories stage's placement keeps one core busy and leaves the other idle);
    ``finish`` works out the rest and writes every story. A story's families depend on its members
    alone, so an early result is used only where the story's members are still the same, and is
    then exactly what ``finish`` would have computed; otherwise it is worked out again."""

    part_size = 2000  # stories whose members are read and sent at once by ``finish``

    def __init__(self, db: Database, lexicon: Lexicon, minhash: MinHashConfig, workers: int = 1) -> None:
        self.db = db
        self.minhash = minhash
        self._pool = FamilyPool(
            FamilyJudge(lexicon.zipf, minhash), workers, store=db, minhash_key=minhash.key
        )
        self._early: dict[str, tuple[frozenset[str], Future[list[Provenance]]]] = {}
        self._waiting: list[list[StoryRef]] = []
        self._running: list[Future[list[Provenance]]] = []

    def __enter__(self) -> FamilyRefresh:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.close()

    def settle(self, story_ids: Sequence[str]) -> None:
        """Start on these stories' families in a worker (nothing happens where no worker may fork)."""
        if not story_ids or not self._pool.may_submit():
            return
        members = story_store.member_ids_of(self.db, story_ids)
        refs = [(s, members[s]) for s in story_ids if members.get(s)]
        if refs:
            self._waiting.append(refs)
        self._feed()

    def _feed(self) -> None:
        """One early batch at a time: a second would compete with the placement for the other core."""
        self._running = [f for f in self._running if not f.done()]
        while self._waiting and not self._running:
            refs = self._waiting.pop(0)
            future = self._pool.submit_refs(refs)
            if future is None:
                self._waiting.clear()
                return
            self._running.append(future)
            for story_id, member_ids in refs:
                self._early[story_id] = (frozenset(member_ids), future)

    def finish(self, story_ids: Sequence[str]) -> None:
        """Work out (or take the early result for) each story's families and write them all.

        Stories go to the workers a couple of thousand at a time, one part ahead of the part whose
        results this process waits for and writes, so the workers have work while it writes (and
        while it waits for the early batch still running: waiting first left a core idle)."""
        self._waiting.clear()
        size = self.part_size
        parts = [story_ids[start : start + size] for start in range(0, len(story_ids), size)]
        with self.db.atomic():
            launched = deque(self._launch(part) for part in parts[:2])
            for k in range(len(parts)):
                members, early, pending = launched.popleft()
                if k + 2 < len(parts):
                    launched.append(self._launch(parts[k + 2]))
                # the first results asked for before the early ones are waited for: this process
                # works out its share first, while the workers go on (``FamilyPool._start``)
                worked = pending()
                first = list(itertools.islice(worked, 1))
                done = self._early_results(early)
                lost = [s for s in early if s not in done and members.get(s)]
                self._write(list(done.values()))
                for found in itertools.chain(first, worked):
                    self._write(found)  # each as it comes: written while the workers go on
                if lost:
                    for found in self._pool.start_refs([(s, members[s]) for s in lost])():
                        self._write(found)

    def _write(self, results: list[Provenance]) -> None:
        story_store.put_families(self.db, [m for result in results for m in result.members])
        story_store.put_provenance(self.db, results)

    def _launch(
        self, part: Sequence[str]
    ) -> tuple[
        dict[str, list[str]], dict[str, Future[list[Provenance]]], Callable[[], Iterator[list[Provenance]]]
    ]:
        """A part's members, its usable early results, and its other stories handed to the workers."""
        members = story_store.member_ids_of(self.db, part)
        early = self._usable_early(part, members)
        todo = [(s, members[s]) for s in part if s not in early and members.get(s)]
        return members, early, self._pool.start_refs(todo)

    def _usable_early(
        self, part: Sequence[str], members: dict[str, list[str]]
    ) -> dict[str, Future[list[Provenance]]]:
        """The early batches of these stories whose members are still the ones they were worked out on."""
        out: dict[str, Future[list[Provenance]]] = {}
        for story_id in part:
            early = self._early.pop(story_id, None)
            if early is not None and early[0] == frozenset(members.get(story_id, ())):
                out[story_id] = early[1]
        return out

    def _early_results(self, early: dict[str, Future[list[Provenance]]]) -> dict[str, Provenance]:
        """The stories' early results (waited for); a story whose worker died is left out."""
        out: dict[str, Provenance] = {}
        for story_id, future in early.items():
            try:
                found = [r for r in future.result() if r.story_id == story_id]
            except BrokenProcessPool:
                continue  # the worker died: worked out again here
            out.update((r.story_id, r) for r in found)
        return out


@dataclass(frozen=True, slots=True)
class Provenance:
    """One story's copy families (every member's relation) and source counts."""

    story_id: str
    members: list[StoryMember]
    title: str
    independent: int
    sites: int
    wires: list[str]


# A story to work on: its id, its members in arrival order, and their (normalised hash, signature).
StoryJob = tuple[str, list[story_store.StoryText], dict[str, tuple[str, np.ndarray]]]
# A story to work on as a worker reads it itself: its id and its members' ids.
StoryRef = tuple[str, list[str]]


def load_jobs(db: Database, refs: Sequence[StoryRef], minhash_key: str) -> list[StoryJob]:
    """Each story's members in arrival order, with their normalised hashes and signatures (stories
    none of whose members are stored are left out)."""
    every = [a for _, member_ids in refs for a in member_ids]
    texts = story_store.story_texts(db, every)
    prints = story_store.hashes_and_signatures(db, every, minhash_key)
    jobs: list[StoryJob] = []
    for story_id, member_ids in refs:
        articles = sorted((texts[a] for a in member_ids if a in texts), key=lambda a: a.seq)
        if articles:
            jobs.append((story_id, articles, {a.id: prints[a.id] for a in articles if a.id in prints}))
    return jobs


def story_provenance(job: StoryJob, judge: FamilyJudge) -> Provenance:
    """Families and provenance of one story, from its members alone (no store access)."""
    story_id, articles, prints = job
    texts = [
        MemberText(a.id, a.text, a.title, a.published, list(a.credits), *prints[a.id], site=a.site)
        for a in articles
        if a.id in prints
    ]
    members = copy_families(texts, judge)
    judge.forget()
    return Provenance(
        story_id,
        members,
        story_title(articles, members),
        len({m.copy_family for m in members}),
        len({a.site or a.source_id for a in articles}),
        sorted({c for a in articles for c in a.credits}),
    )


class _FamilyWorker:
    """What a forked worker process received at start (each process has its own copy): the judge,
    and where it reads the stories it is sent by reference."""

    judge: FamilyJudge | None = None
    store: Database | None = None
    minhash_key: str = ""


def _start_family_worker(judge: FamilyJudge, store: Path | None, minhash_key: str) -> None:
    _FamilyWorker.judge = judge
    _FamilyWorker.store = None if store is None else Database.open(store, readonly=True)
    _FamilyWorker.minhash_key = minhash_key
    settle_worker()


def _provenance_chunk(jobs: list[StoryJob]) -> list[Provenance]:
    judge = _FamilyWorker.judge
    if judge is None:  # pragma: no cover - the pool initializer always runs first
        raise RuntimeError("family worker started without a judge")
    return [story_provenance(job, judge) for job in jobs]


def _provenance_of_refs(refs: list[StoryRef]) -> list[Provenance]:
    """Stories sent by reference: their members read here, from this worker's own connection (it
    cost the sending process as much to read and pickle them as the worker to unpickle them)."""
    store = _FamilyWorker.store
    if store is None:  # pragma: no cover - refs go only to workers given the store
        raise RuntimeError("family worker started without a store")
    return _provenance_chunk(load_jobs(store, refs, _FamilyWorker.minhash_key))


class FamilyPool:
    """Works out stories' families in this process, or in ``workers`` forked processes when there is
    enough to do (a few hundred members: a fork costs milliseconds, families ~0.5 ms a member).

    Stories come as jobs (their members' texts) or, given the ``store``, by reference (``StoryRef``):
    a worker then reads the members itself, from its own read-only connection (a store in memory
    is read here). Forks only where ``may_fork`` (``copydesk.run.forking``) says so; elsewhere the
    work stays in this process."""

    def __init__(
        self,
        judge: FamilyJudge,
        workers: int,
        min_members: int = 500,
        *,
        store: Database | None = None,
        minhash_key: str = "",
    ) -> None:
        self.judge = judge
        self.workers = workers
        self.min_members = min_members
        self.store = store
        self.minhash_key = minhash_key
        self._pool: ProcessPoolExecutor | None = None
        self._submitted: list[Future[list[Provenance]]] = []  # by ``submit``: maybe still running

    def __enter__(self) -> FamilyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def may_submit(self) -> bool:
        """Whether ``submit`` would hand work to another process."""
        return self.workers > 1 and may_fork()

    def submit(self, jobs: list[StoryJob]) -> Future[list[Provenance]] | None:
        """The jobs' provenance worked out by one worker while the caller goes on (None: no worker)."""
        return self._submit(_provenance_chunk, jobs)

    def submit_refs(self, refs: list[StoryRef]) -> Future[list[Provenance]] | None:
        """``submit`` for stories by reference."""
        if not self._by_reference():
            return self.submit(self._load(refs)) if self.may_submit() else None
        return self._submit(_provenance_of_refs, refs)

    def _submit(
        self, work: Callable[[Any], list[Provenance]], items: list[Any]
    ) -> Future[list[Provenance]] | None:
        if not self.may_submit():
            return None
        try:
            future = self._forked().submit(work, items)
        except BrokenProcessPool:  # a worker died: the caller works these out later, here
            self.close()
            self.workers = 1
            return None
        self._submitted = [f for f in self._submitted if not f.done()] + [future]
        return future

    def _forked(self) -> ProcessPoolExecutor:
        if self._pool is None:
            path = self.store.path if self.store is not None else None
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_family_worker,
                initargs=(self.judge, path, self.minhash_key),
            )
        return self._pool

    def _by_reference(self) -> bool:
        return self.store is not None and self.store.path is not None

    def _load(self, refs: list[StoryRef]) -> list[StoryJob]:
        if self.store is None:  # pragma: no cover - refs are only used with a store
            raise RuntimeError("stories by reference need the store")
        return load_jobs(self.store, refs, self.minhash_key)

    def _here(self, jobs: list[StoryJob]) -> list[Provenance]:
        return [story_provenance(job, self.judge) for job in jobs]

    def map(self, jobs: list[StoryJob]) -> list[Provenance]:
        """Each job's provenance, in the jobs' order."""
        return self.start(jobs)()

    def start(self, jobs: list[StoryJob]) -> Callable[[], list[Provenance]]:
        """Hand the jobs to the workers now; the call returned gives their provenance in the jobs'
        order (worked out here, when called, where there are no workers or too little to do)."""
        parts = self._start(jobs, _provenance_chunk, self._here)
        return lambda: [result for part in parts() for result in part]

    def start_refs(self, refs: list[StoryRef]) -> Callable[[], Iterator[list[Provenance]]]:
        """``start`` for stories by reference (read here where the workers cannot read them); the
        call returned gives their provenance a worker's chunk at a time, in order, each as soon as
        it is done (the caller writes one while the workers finish the next)."""
        if not self._by_reference():
            return self._start(self._load(refs), _provenance_chunk, self._here)
        return self._start(refs, _provenance_of_refs, lambda chunk: self._here(self._load(chunk)))

    def _start(
        self,
        items: list[Any],
        work: Callable[[Any], list[Provenance]],
        here: Callable[[list[Any]], list[Provenance]],
    ) -> Callable[[], Iterator[list[Provenance]]]:
        """``items`` (jobs or references: a story and its members) in chunks to the workers, or
        worked out ``here`` when called; a chunk whose worker died is worked out here too."""
        members = sum(len(item[1]) for item in items)
        if self.workers <= 1 or members < self.min_members or not may_fork():
            return lambda: iter([here(items)])
        pool = self._forked()
        # Chunks of about equal work (pairs grow with the square of a story's size), in story order.
        cost = [min(len(item[1]), COMPARED_MEMBERS) ** 2 + len(item[1]) for item in items]
        target = sum(cost) / (4 * self.workers)
        chunks: list[list[Any]] = [[]]
        load = 0.0
        for item, weight in zip(items, cost, strict=True):
            if chunks[-1] and load + weight > target:
                chunks.append([])
                load = 0.0
            chunks[-1].append(item)
            load += weight
        # More chunks than idle workers: this process, idle while it waits, works out the last one
        # itself (three stories of one size on two workers kept one worker idle for the last third).
        busy = sum(1 for f in self._submitted if not f.done())
        own = chunks.pop() if len(chunks) + busy > self.workers else None
        try:
            running = [pool.submit(work, chunk) for chunk in chunks]
        except BrokenProcessPool:
            running = []

        def parts() -> Iterator[list[Provenance]]:
            mine = here(own) if own is not None else None
            for k in range(len(chunks)):
                try:
                    if len(running) != len(chunks):
                        raise BrokenProcessPool("a family worker died")
                    found = running[k].result()
                except BrokenProcessPool:  # a worker died (out of memory, killed): the rest here
                    self.close()
                    self.workers = 1
                    yield from (here(rest) for rest in chunks[k:])
                    break
                yield found
            if mine is not None:
                yield mine

        return parts


STORY_FIELDS = (
    "id",
    "title",
    "topic_id",
    "article_ids",
    "first_seen",
    "last_seen",
    "articles",
    "independent_sources",
    "sites",
    "credited_wires",
    "members",
)


def story_rows(db: Database) -> Iterator[dict[str, Any]]:
    """The stories export contract (docs/exports.md): one row per live story."""
    for story_id in story_store.iter_story_ids(db):
        yield story_row(db, story_id)


def story_row(db: Database, story_id: str) -> dict[str, Any]:
    story = story_store.get_story(db, story_id)
    info = {
        r["id"]: dict(r)
        for r in db.query(
            "SELECT a.id, a.source_id, a.site, a.title, a.published FROM articles a "
            "JOIN story_members m ON m.article_id = a.id WHERE m.story_id = ?",
            (story.id,),
        )
    }
    sites = db.query("SELECT sites FROM stories WHERE id = ?", (story.id,))[0][0]
    return {
        "id": story.id,
        "title": story.title,
        "topic_id": story.topic_id,
        "article_ids": [info[m.article_id]["source_id"] for m in story.members],
        "first_seen": story.first_seen.isoformat() if story.first_seen else None,
        "last_seen": story.last_seen.isoformat() if story.last_seen else None,
        "articles": len(story.members),
        "independent_sources": story.independent_sources,
        "sites": sites,
        "credited_wires": story.credited_wires,
        "members": [
            {
                "article_id": m.article_id,
                "source_id": info[m.article_id]["source_id"],
                "site": info[m.article_id]["site"],
                "title": info[m.article_id]["title"],
                "published": info[m.article_id]["published"],
                "copy_family": m.copy_family,
                "relation": m.relation,
                "evidence": m.evidence,
            }
            for m in story.members
        ],
    }
