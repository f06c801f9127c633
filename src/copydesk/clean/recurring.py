"""Corpus-level cleaning: lines that recur across many articles, and spam runs that recur on a site.

A short line printed under articles about different stories ("Most read", a site's newsletter
pitch) is furniture even when nothing in one article gives it away. Copies of one story share their
lines too, so a line counts only over articles whose bodies differ (distinct first paragraphs).
Spam runs proven in one article of a site are then looked for in the site's other articles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar

from copydesk.clean.layout import layout_of
from copydesk.clean.lines import Line, live_lines, remove_lines
from copydesk.clean.spam import apply_spam, commercial, find_spam, token_words
from copydesk.clean.spamwords import TOPIC
from copydesk.clean.words import core, site_talk
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.records import Article, RemovalKind
from copydesk.store import articles as article_store
from copydesk.store.db import Database

MIN_BODIES = 3  # a line must recur under at least this many different article bodies
MAX_WORDS = 12  # longer lines are sentences of a story, not furniture


@dataclass(frozen=True, slots=True)
class RecurringOptions:
    min_bodies: int = MIN_BODIES
    max_words: int = MAX_WORDS


def _key(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def _body_signature(lines: Sequence[Line]) -> str:
    layout = layout_of(lines)
    anchors = sorted(layout.anchors)
    return _key(lines[anchors[0]].text)[:200] if anchors else ""


def _candidates(article: Article, lines: Sequence[Line], options: RecurringOptions) -> list[Line]:
    """Short lines other than the headline; a sentence only when it talks about the site (a quote
    that many reports repeat, "I had fun.", is news, not furniture)."""
    title = _key(article.title or "")
    return [
        ln
        for ln in lines
        if len(ln.words) <= options.max_words
        and _key(ln.text) != title
        and (not ln.ends_sentence or site_talk(ln.words))
    ]


def recurring_lines(
    articles: Sequence[Article], options: RecurringOptions = RecurringOptions()
) -> dict[str, list[tuple[Line, str]]]:
    """For each article id, its lines that recur under ``min_bodies`` different bodies."""
    bodies: dict[str, set[str]] = defaultdict(set)
    per_article: dict[str, tuple[list[Line], str]] = {}
    for article in articles:
        lines = live_lines(article)
        signature = _body_signature(lines)
        per_article[article.id] = (_candidates(article, lines, options), signature)
        # count what the articles printed, including lines an earlier run already took out as
        # recurring, so a line keeps its count when new articles arrive
        recurring_before = {r.text for r in article.removals if r.kind == "chrome" and "recurs" in r.reason}
        for line in per_article[article.id][0]:
            bodies[_key(line.text)].add(signature)
        for text in recurring_before:
            bodies[_key(text)].add(signature)
    found: dict[str, list[tuple[Line, str]]] = {}
    for article_id, (candidates, _) in per_article.items():
        hits = []
        for line in candidates:
            count = len(bodies[_key(line.text)])
            if count >= options.min_bodies:
                hits.append((line, f"recurs under {count} different articles of the corpus"))
        if hits:
            found[article_id] = hits
    return found


def _proven_runs(articles: Sequence[Article]) -> dict[str | None, frozenset[str]]:
    """Spam runs already removed, by site (None: runs of two or more words, usable corpus-wide)."""
    runs: dict[str | None, set[str]] = defaultdict(set)
    for article in articles:
        for removal in article.removals:
            if removal.kind != "spam":
                continue
            words = [core(t).lower() for t in removal.text.split() if core(t)]
            if not words:
                continue
            phrase = " ".join(words)
            if not commercial(words):
                continue  # runs proven only by being alien to their article do not travel
            if article.site:
                runs[article.site].add(phrase)
                runs[article.site].update(w for w in words if w in TOPIC)
            if len(words) >= 2:
                runs[None].add(phrase)
    return {site: frozenset(phrases) for site, phrases in runs.items()}


def clean_corpus_in_memory(
    articles: Sequence[Article],
    options: RecurringOptions = RecurringOptions(),
    new_ids: Collection[str] | None = None,
) -> list[Article]:
    """Apply the corpus-level passes to articles held in memory; returns the ones that changed.

    With ``new_ids`` (the articles this run added), the others were already searched for every run
    proven before, so they are searched only for runs first proven now.
    """
    changed: dict[str, Article] = {}
    chrome: RemovalKind = "chrome"
    found = recurring_lines(articles, options)
    for article in articles:
        hits = found.get(article.id)
        if hits:
            remove_lines(article, [(line, chrome, reason) for line, reason in hits])
            article.signals.chrome_lines += len(hits)
            changed[article.id] = article
    proven = _proven_runs(articles)
    known: dict[str | None, frozenset[str]] = {}
    if new_ids is not None:
        fresh = set(new_ids)
        known = _proven_runs([a for a in articles if a.id not in fresh])
    for article in articles:
        learned = proven.get(None, frozenset()) | proven.get(article.site, frozenset())
        if new_ids is not None and article.id not in fresh:
            learned -= known.get(None, frozenset()) | known.get(article.site, frozenset())
        # a run is only looked for where its first word occurs (find_spam finds nothing else that
        # the article's own cleaning did not already find)
        if not learned or _first_words(learned).isdisjoint(token_words(article.text)):
            continue
        lines = live_lines(article)
        spans = [s for s in find_spam(lines, learned) if s.run]
        if spans:
            apply_spam(article, spans, lines)
            changed[article.id] = article
    return list(changed.values())


def _first_words(runs: frozenset[str]) -> frozenset[str]:
    return frozenset(run.split(" ", 1)[0] for run in runs)


class RecurringChromeStage(CorpusStage):
    """Removes lines that recur across the store's articles and spam runs that recur on a site."""

    name: ClassVar[str] = "recurring-chrome"

    def __init__(self, options: RecurringOptions = RecurringOptions()) -> None:
        self.options = options

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        report = CorpusStageReport(self.name)
        if not new_ids:
            return report
        articles = list(article_store.iter_articles(db))
        changed = clean_corpus_in_memory(articles, self.options, new_ids)
        report.changed = article_store.update_articles(db, changed)
        report.notes.append(f"looked at {len(articles)} articles; {report.changed} re-cleaned")
        return report
