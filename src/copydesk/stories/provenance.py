"""Provenance per story: copy families, independent report counts, credited wires, the story's title.

Sources are counted two ways: every article, and *independent* reports, where a copy family (an
original and its copies, rewrites and translations) counts once however many sites ran it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from copydesk.records import StoryMember
from copydesk.run.collection import settle_worker
from copydesk.run.forking import may_fork
from copydesk.store import fingerprints as fingerprint_store
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.families import (
    COMPARED_MEMBERS,
    FamilyHeads,
    FamilyJudge,
    MemberText,
    copy_families,
    family_heads,
)
from copydesk.stories.features import sentences


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
# Stories' first members judged already (``family_heads``), by story id.
Heads = dict[str, FamilyHeads]
_Done = TypeVar("_Done")


def load_jobs(db: Database, refs: Sequence[StoryRef], minhash_key: str) -> list[StoryJob]:
    """Each story's members in arrival order, with their normalised hashes and signatures (stories
    none of whose members are stored are left out)."""
    every = [a for _, member_ids in refs for a in member_ids]
    texts = story_store.story_texts(db, every)
    prints = fingerprint_store.hashes_and_signatures(db, every, minhash_key)
    jobs: list[StoryJob] = []
    for story_id, member_ids in refs:
        articles = sorted((texts[a] for a in member_ids if a in texts), key=lambda a: a.seq)
        if articles:
            jobs.append((story_id, articles, {a.id: prints[a.id] for a in articles if a.id in prints}))
    return jobs


def member_texts(job: StoryJob) -> list[MemberText]:
    """A story's signed members as the family analysis reads them, in arrival order."""
    _, articles, prints = job
    return [
        MemberText(a.id, a.text, a.title, a.published, list(a.credits), *prints[a.id], site=a.site)
        for a in articles
        if a.id in prints
    ]


def story_provenance(job: StoryJob, judge: FamilyJudge, heads: FamilyHeads | None = None) -> Provenance:
    """Families and provenance of one story, from its members alone (no store access; ``heads``:
    its first members' pairs judged already, used where they are still its first members)."""
    story_id, articles, _ = job
    members = copy_families(member_texts(job), judge, heads=heads)
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


def _worker_judge() -> FamilyJudge:
    judge = _FamilyWorker.judge
    if judge is None:  # pragma: no cover - the pool initializer always runs first
        raise RuntimeError("family worker started without a judge")
    return judge


def provenances(jobs: list[StoryJob], judge: FamilyJudge, heads: Heads | None = None) -> list[Provenance]:
    """Each job's provenance (``heads``: judged first members, by story)."""
    return [story_provenance(job, judge, (heads or {}).get(job[0])) for job in jobs]


def _provenance_chunk(jobs: list[StoryJob], heads: Heads | None = None) -> list[Provenance]:
    return provenances(jobs, _worker_judge(), heads)


def _worker_jobs(refs: list[StoryRef]) -> list[StoryJob]:
    store = _FamilyWorker.store
    if store is None:  # pragma: no cover - refs go only to workers given the store
        raise RuntimeError("family worker started without a store")
    return load_jobs(store, refs, _FamilyWorker.minhash_key)


def _provenance_of_refs(refs: list[StoryRef], heads: Heads | None = None) -> list[Provenance]:
    """Stories sent by reference: their members read here, from this worker's own connection (it
    cost the sending process as much to read and pickle them as the worker to unpickle them)."""
    return _provenance_chunk(_worker_jobs(refs), heads)


def _heads_of_refs(refs: list[StoryRef]) -> Heads:
    """Each story's first members' pairs judged (``family_heads``), its first members sent by
    reference."""
    judge, out = _worker_judge(), {}
    for job in _worker_jobs(refs):
        out[job[0]] = family_heads(member_texts(job)[:COMPARED_MEMBERS], judge)
        judge.forget()
    return out


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
        self._submitted: list[Future[Any]] = []  # by ``submit``: maybe still running

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

    def submit_refs(
        self, refs: list[StoryRef], heads: Heads | None = None
    ) -> Future[list[Provenance]] | None:
        """``submit`` for stories by reference (``heads``: judged first members, by story)."""
        if not self.by_reference():
            return self._submit(partial(_provenance_chunk, heads=heads), self._load(refs))
        return self._submit(partial(_provenance_of_refs, heads=heads), refs)

    def submit_heads(self, refs: list[StoryRef]) -> Future[Heads] | None:
        """The stories' first members' pairs judged by one worker (stories by reference, their first
        members only; None: no worker, or none that reads the store)."""
        return self._submit(_heads_of_refs, refs) if self.by_reference() else None

    def _submit(self, work: Callable[[Any], _Done], items: list[Any]) -> Future[_Done] | None:
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

    def by_reference(self) -> bool:
        """Whether workers read the stories they are sent from the store themselves."""
        return self.store is not None and self.store.path is not None

    def _load(self, refs: list[StoryRef]) -> list[StoryJob]:
        if self.store is None:  # pragma: no cover - refs are only used with a store
            raise RuntimeError("stories by reference need the store")
        return load_jobs(self.store, refs, self.minhash_key)

    def _here(self, jobs: list[StoryJob], heads: Heads | None = None) -> list[Provenance]:
        return provenances(jobs, self.judge, heads)

    def map(self, jobs: list[StoryJob]) -> list[Provenance]:
        """Each job's provenance, in the jobs' order."""
        return self.start(jobs)()

    def start(self, jobs: list[StoryJob]) -> Callable[[], list[Provenance]]:
        """Hand the jobs to the workers now; the call returned gives their provenance in the jobs'
        order (worked out here, when called, where there are no workers or too little to do)."""
        parts = self._start(jobs, _provenance_chunk, self._here)
        return lambda: [result for part in parts() for result in part]

    def start_refs(
        self, refs: list[StoryRef], heads: Heads | None = None
    ) -> Callable[[], Iterator[list[Provenance]]]:
        """``start`` for stories by reference (read here where the workers cannot read them; with
        ``heads``, judged first members by story); the call returned gives their provenance a
        chunk at a time, as each is done: this process's share first, then the workers' as they
        finish (the caller writes one while the workers finish the next; in the chunks' order, the
        share this process had worked out first waited for the slowest worker, and every write came
        after it: ~25 ms of 5,000 600-word articles' end with both workers idle)."""
        here = partial(self._here, heads=heads)
        if not self.by_reference():
            return self._start(self._load(refs), partial(_provenance_chunk, heads=heads), here, ordered=False)
        by_reference = partial(_provenance_of_refs, heads=heads)
        return self._start(refs, by_reference, lambda chunk: here(self._load(chunk)), ordered=False)

    def _start(
        self,
        items: list[Any],
        work: Callable[[Any], list[Provenance]],
        here: Callable[[list[Any]], list[Provenance]],
        *,
        ordered: bool = True,
    ) -> Callable[[], Iterator[list[Provenance]]]:
        """``items`` (jobs or references: a story and its members) in chunks to the workers, or
        worked out ``here`` when called; a chunk whose worker died is worked out here too. The
        chunks come in the items' order, or (not ``ordered``) as each is done."""
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
            if not ordered and mine is not None:
                yield mine
                mine = None
            done: set[int] = set()
            try:
                if len(running) != len(chunks):
                    raise BrokenProcessPool("a family worker died")
                if ordered:
                    for k in range(len(chunks)):
                        yield running[k].result()
                        done.add(k)
                else:
                    at = {future: k for k, future in enumerate(running)}
                    for future in as_completed(running):
                        yield future.result()
                        done.add(at[future])
            except BrokenProcessPool:  # a worker died (out of memory, killed): the rest here
                self.close()
                self.workers = 1
                yield from (here(chunk) for k, chunk in enumerate(chunks) if k not in done)
            if mine is not None:
                yield mine

        return parts
