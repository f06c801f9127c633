"""The text-cleaning steps in the order they run after extraction, and the stage that runs them.

Metadata first (it needs the head and tail of the text as written), then spam (a run injected into
a sentence must not make the sentence look like furniture), then site chrome (judged on lines as
they read once metadata and spam are out).

The steps share one reading of the article's lines: each takes the live lines and returns them as
they are after its removals, so no step splits and measures the text again (that reading cost more
than the judging itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import ClassVar, Protocol

from copydesk.clean.chrome import clean_chrome
from copydesk.clean.layout import Layout, layout_for
from copydesk.clean.lines import Line, live_lines
from copydesk.clean.recurring import line_prints
from copydesk.clean.spam import clean_spam
from copydesk.clean.textmeta import clean_metadata
from copydesk.clean.words import known_words
from copydesk.pipeline import ArticleStage, RunStep
from copydesk.records import Article, LinePrints


class CleaningStep(Protocol):
    """A step: the article and its live lines (with their layout, which a step that reads it may
    take as given) in, the live lines after its removals out."""

    def __call__(
        self, article: Article, lines: Sequence[Line], layout: Layout | None = None, /
    ) -> list[Line]: ...


CLEANING_STEPS: tuple[tuple[str, CleaningStep], ...] = (
    ("text-metadata", clean_metadata),
    ("spam-repair", clean_spam),
    ("chrome-lines", clean_chrome),
)


class TextCleaningStage(ArticleStage):
    """Metadata lines, injected spam and site chrome out of the body, in that order."""

    name: ClassVar[str] = "text-cleaning"

    def __init__(self, steps: Sequence[tuple[str, CleaningStep]] = CLEANING_STEPS) -> None:
        self.steps = tuple(steps)

    def warm_up(self) -> None:
        """The spam steps' word table (built on first use otherwise: 40 ms in every worker)."""
        known_words()

    def process(self, article: Article) -> Article:
        lines = live_lines(article)
        layout = None
        for _, step in self.steps:
            # one layout while no step removes a line (working it out was a tenth of a step's time)
            layout = layout_for(lines, layout)
            lines = step(article, lines, layout)
        article.line_prints = _line_prints(article, lines, layout)
        return article

    def process_batch(self, articles: Sequence[Article], run: RunStep) -> list[Article | None]:
        """``process`` step by step over the batch (every article's lines, then every article's
        metadata, and so on: each step's tables stay warm across the batch, 4% less time an
        article), each step of an article within its page's time limit."""
        working: list[tuple[Article, list[Line], Layout | None] | None] = []
        for k, article in enumerate(articles):
            lines = run(k, partial(self.guarded, article, partial(live_lines, article)))
            working.append(None if lines is None else (article, lines, None))
        for _, step in self.steps:
            for k, item in enumerate(working):
                if item is not None:
                    article, lines, known = item
                    layout = layout_for(lines, known)
                    after = run(k, partial(self.guarded, article, partial(step, article, lines, layout)))
                    working[k] = None if after is None else (article, after, layout)
        done: list[Article | None] = []
        for k, item in enumerate(working):
            if item is None:
                done.append(None)
                continue
            article, lines, known = item
            prints = run(k, partial(self.guarded, article, partial(_line_prints, article, lines, known)))
            if prints is not None:
                article.line_prints = prints
            done.append(None if prints is None else article)
        return done


def _line_prints(article: Article, lines: Sequence[Line], layout: Layout | None) -> LinePrints:
    """What the corpus-level recurring pass will read of the article, taken from the lines already
    split and measured here (that pass would otherwise do it again, in one process)."""
    return line_prints(article, lines, layout=layout_for(lines, layout))


def text_cleaning_stages() -> list[ArticleStage]:
    return [TextCleaningStage()]
