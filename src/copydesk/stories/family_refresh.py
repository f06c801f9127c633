"""The families of the stories a run touched: worked out at its end, some while it still places
articles (``FamilyRefresh``), by the family workers of ``provenance.FamilyPool``."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from copydesk.fingerprint.minhash import MinHashConfig
from copydesk.store import stories as story_store
from copydesk.store.db import Database
from copydesk.stories.families import COMPARED_MEMBERS, FamilyJudge
from copydesk.stories.features import Lexicon
from copydesk.stories.provenance import FamilyPool, Heads, Provenance, StoryRef


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
        self._running: list[Future[Any]] = []
        # stories whose first members a worker judges (or has judged) ahead, and those still to send
        self._heads: dict[str, Future[Heads]] = {}
        self._heads_waiting: list[str] = []

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

    def start_heads(self, story_ids: Sequence[str]) -> None:
        """Have a worker judge the pairs of these stories' first members (``family_heads``; stories
        with ``COMPARED_MEMBERS`` members or more, once a run) while the run still places articles:
        those members rarely change once a story has that many, and their pairs are most of the
        work of its families, which otherwise all waited for the run's end. ``finish`` takes a
        judgement where its members are still the story's first ones."""
        if not self._pool.may_submit() or not self._pool.by_reference():
            return
        self._heads_waiting += [s for s in story_ids if s not in self._heads and s not in self._heads_waiting]
        self._feed()

    def _feed(self) -> None:
        """One early batch or first-members judgement at a time (early batches first): a second would
        compete with the placement for the other core."""
        self._running = [f for f in self._running if not f.done()]
        while self._waiting and not self._running:
            refs = self._waiting.pop(0)
            future = self._pool.submit_refs(refs, self._heads_done([s for s, _ in refs]))
            if future is None:
                self._waiting.clear()
                return
            self._running.append(future)
            for story_id, member_ids in refs:
                self._early[story_id] = (frozenset(member_ids), future)
        if self._heads_waiting and not self._running:
            first = story_store.first_member_ids(self.db, self._heads_waiting, COMPARED_MEMBERS)
            refs = [(s, first[s]) for s in self._heads_waiting if s in first]
            self._heads_waiting = []
            found = self._pool.submit_heads(refs) if refs else None
            if found is not None:
                self._running.append(found)
                self._heads.update((s, found) for s, _ in refs)

    def _heads_done(self, story_ids: Sequence[str]) -> Heads:
        """The judged first members of these stories, waited for where a worker still judges them. A
        judgement is only a head start: a story whose judging failed (its worker died, say) has
        none, and its pairs are judged again with the rest of its families (where a real fault
        shows again)."""
        out: Heads = {}
        for story_id in story_ids:
            future = self._heads.get(story_id)
            if future is None:
                continue
            try:
                found = future.result().get(story_id)
            except Exception:  # a head start only (see above)
                continue
            if found is not None:
                out[story_id] = found
        return out

    def finish(self, story_ids: Sequence[str]) -> None:
        """Work out (or take the early result for) each story's families and write them all.

        Stories go to the workers a couple of thousand at a time, one part ahead of the part whose
        results this process waits for and writes, so the workers have work while it writes (and
        while it waits for the early batch still running: waiting first left a core idle)."""
        self._waiting.clear()
        self._heads_waiting.clear()
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
        return members, early, self._pool.start_refs(todo, self._heads_done([s for s, _ in todo]))

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
