"""Corpus-level cleaning: lines that recur across many articles, and spam runs that recur on a site.

A short line printed under articles about different stories ("Most read", a site's newsletter
pitch) is furniture even when nothing in one article gives it away. Copies of one story share their
lines too, so a line counts only over articles whose bodies differ (distinct first paragraphs).
Spam runs proven in one article of a site are then looked for in the site's other articles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from copydesk.clean.layout import Layout, layout_for
from copydesk.clean.lines import Line, live_lines, remove_lines
from copydesk.clean.spam import apply_spam, commercial, find_spam
from copydesk.clean.spam_tokens import token_words
from copydesk.clean.spamwords import TOPIC
from copydesk.clean.words import core
from copydesk.pipeline import CorpusStage, CorpusStageReport
from copydesk.records import Article, LinePrints, Removal, RemovalKind
from copydesk.run.collection import batch_collection
from copydesk.store import articles as article_store
from copydesk.store import recurrence
from copydesk.store.db import Database

MIN_BODIES = 3  # a line must recur under at least this many different article bodies
MAX_WORDS = 12  # longer lines are sentences of a story, not furniture


@dataclass(frozen=True, slots=True)
class RecurringOptions:
    min_bodies: int = MIN_BODIES
    max_words: int = MAX_WORDS


def _key(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def _body_signature(lines: Sequence[Line], layout: Layout | None = None) -> str:
    layout = layout_for(lines, layout)
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
        and (not ln.ends_sentence or ln.facts.site_talk)
    ]


def line_prints(
    article: Article,
    lines: Sequence[Line],
    options: RecurringOptions = RecurringOptions(),
    layout: Layout | None = None,
) -> LinePrints:
    """The body signature and the keys of the candidate lines of an article whose live lines are
    ``lines`` (what ``RecurringChromeStage`` reads of each article; ``layout``: the lines' layout
    where the caller has it)."""
    return LinePrints(
        _body_signature(lines, layout),
        tuple(sorted({_key(ln.text) for ln in _candidates(article, lines, options)})),
    )


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


def _proven_runs(articles: Sequence[_Marked]) -> dict[str | None, frozenset[str]]:
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
    articles: Sequence[Article], options: RecurringOptions = RecurringOptions()
) -> list[Article]:
    """Apply the corpus-level passes to articles held in memory; returns the ones that changed."""
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
    for article in articles:
        learned = proven.get(None, frozenset()) | proven.get(article.site, frozenset())
        if _remove_learned_runs(article, learned):
            changed[article.id] = article
    return list(changed.values())


def _remove_learned_runs(article: Article, learned: frozenset[str], lines: list[Line] | None = None) -> bool:
    """Cut runs proven elsewhere out of the article; whether any was found (``lines``: its live
    lines, when the caller has them).

    A run is only looked for where its first word occurs: find_spam finds nothing else there that
    the article's own cleaning did not already find.
    """
    if not learned:
        return False
    # a token's word is its lower-cased core, a piece of the lower-cased text: a first word that is
    # no substring of it is in no token (a cheap screen before reading every token)
    lowered = article.text.lower()
    starts = [word for word in _first_words(learned) if word in lowered]
    if not starts or token_words(article.text).isdisjoint(starts):
        return False
    lines = live_lines(article) if lines is None else lines
    spans = [s for s in find_spam(lines, learned) if s.run]
    if spans:
        apply_spam(article, spans, lines)
    return bool(spans)


class _Marked(Protocol):
    """What the spam-run bookkeeping reads of an article: its site and what cleaning removed."""

    @property
    def site(self) -> str | None: ...
    @property
    def removals(self) -> list[Removal]: ...


@dataclass(frozen=True, slots=True)
class _Marks:
    """A new article as the pass first reads it: no text (read only where it may change)."""

    id: str
    site: str | None
    removals: list[Removal]


def _read(db: Database, ids: Sequence[str]) -> dict[str, Article]:
    return {a.id: a for a in article_store.iter_articles(db, ids=ids)} if ids else {}


def _first_words(runs: frozenset[str]) -> frozenset[str]:
    return frozenset(run.split(" ", 1)[0] for run in runs)


def _runs_of(article: _Marked) -> set[tuple[str, str]]:
    """The ``(site, run)`` pairs an article's own spam removals prove ('' for corpus-wide runs)."""
    runs: set[tuple[str, str]] = set()
    for site, phrases in _proven_runs([article]).items():
        runs.update((site or "", phrase) for phrase in phrases)
    return runs


def _learned_for(article: _Marked, runs: dict[str, frozenset[str]]) -> frozenset[str]:
    return runs.get("", frozenset()) | runs.get(article.site or "", frozenset())


class RecurringChromeStage(CorpusStage):
    """Removes lines that recur across the store's articles and spam runs that recur on a site.

    Each article is read once, in batches: its short lines and its proven spam runs go to the store
    (``copydesk.store.recurrence``), and an older article is read again only when a line it prints
    has just become recurring or a run first proven now may sit in it (its first word is in the
    article, by the full-text index). So a run costs what its new articles cost, not the store's size.
    """

    name: ClassVar[str] = "recurring-chrome"

    def __init__(self, options: RecurringOptions = RecurringOptions(), batch: int = 2000) -> None:
        self.options = options
        self.batch = batch

    def run(self, db: Database, new_ids: Sequence[str]) -> CorpusStageReport:
        report = CorpusStageReport(self.name)
        rewritten: list[str] = []
        read = last = 0
        with batch_collection():
            while unread := recurrence.unread_articles(db, self.batch, last):
                last = unread[-1][0]
                removals = article_store.removals_of(db, [article_id for _, article_id, _ in unread])
                batch = [_Marks(article_id, site, removals[article_id]) for _, article_id, site in unread]
                rewritten.extend(self._read_batch(db, batch))
                read += len(batch)
        report.changed, report.rewritten = len(rewritten), rewritten
        if read:
            report.notes.append(f"read {read} new articles; {report.changed} articles re-cleaned")
        return report

    def _read_batch(self, db: Database, batch: list[_Marks]) -> list[str]:
        """One batch of new articles: their texts are read only where a line must be measured (no
        prints noted at cleaning), may be taken out (it recurs now) or a proven run may sit. Returns
        the ids of the articles rewritten (of the batch or older)."""
        options = self.options
        prints: list[tuple[str, str, str]] = []
        read: dict[str, tuple[list[Line], list[Line]]] = {}  # batch articles' lines and candidates
        noted = recurrence.pending_prints(db, [a.id for a in batch])  # the rest's, from ingest
        texts = _read(db, [a.id for a in batch if a.id not in noted])
        for marks in batch:
            found = noted.get(marks.id)
            if found is None:
                article = texts[marks.id]
                lines = live_lines(article)
                candidates = _candidates(article, lines, options)
                read[article.id] = (lines, candidates)
                found = LinePrints(_body_signature(lines), tuple({_key(line.text) for line in candidates}))
                noted[article.id] = found
            keys = set(found.keys)
            keys.update(_key(r.text) for r in marks.removals if r.kind == "chrome" and "recurs" in r.reason)
            prints.extend((key, found.body, marks.id) for key in keys)
        printed = sorted({key for key, _, _ in prints})
        before = recurrence.body_counts(db, printed)
        with db.atomic() as conn:  # prints first: the counts below must include this batch
            recurrence.record_read(conn, prints, [])
        after = recurrence.body_counts(db, printed)
        recurring = {key: count for key, count in after.items() if count >= options.min_bodies}
        crossed = [key for key in recurring if before.get(key, 0) < options.min_bodies]
        in_batch = {a.id for a in batch}
        older_ids = sorted(recurrence.articles_printing(db, crossed) - in_batch) if crossed else []
        # the batch's articles whose short lines recur (the rest are left as they are), then older ones
        hit = [a.id for a in batch if a.id in read or not recurring.keys().isdisjoint(noted[a.id].keys)]
        texts.update(_read(db, [i for i in hit if i not in texts]))
        working: dict[str, Article] = {i: texts[i] for i in hit}
        working.update(_read(db, older_ids))
        changed: dict[str, Article] = {}
        chrome: RemovalKind = "chrome"
        for article in working.values():
            if article.id in read:
                lines, candidates = read[article.id]
            else:
                lines = live_lines(article)
                candidates = _candidates(article, lines, options)
                if article.id in in_batch:
                    read[article.id] = (lines, candidates)
            hits = [
                (line, chrome, f"recurs under {recurring[_key(line.text)]} different articles of the corpus")
                for line in candidates
                if _key(line.text) in recurring
            ]
            if hits:
                remove_lines(article, hits, lines)
                article.signals.chrome_lines += len(hits)
                changed[article.id] = article
        with db.atomic() as conn:
            added = recurrence.add_proven_runs(conn, {run for a in batch for run in _runs_of(a)})
        runs = recurrence.proven_runs(db, {a.site for a in batch if a.site})
        # older articles: only runs first proven now, and only where the run's first word occurs
        fresh_for: dict[str, set[str]] = {}
        for site, run in added:
            for article_id in recurrence.articles_with_word(db, run.split(" ", 1)[0], site or None):
                if article_id not in in_batch:
                    fresh_for.setdefault(article_id, set()).add(run)
        # the batch's articles with runs to look for, then the older ones
        learning = {a.id: learned for a in batch if (learned := _learned_for(a, runs))}
        texts.update(_read(db, [i for i in learning if i not in texts]))
        missing = sorted(set(fresh_for) - set(working))
        working.update(_read(db, missing))
        tasks = [(texts[i], learned) for i, learned in learning.items()]
        tasks += [(a, frozenset(fresh_for.get(a.id, ()))) for a in working.values() if a.id not in in_batch]
        for article, learned in tasks:
            # the lines read above still stand where no recurring line was taken out
            known = read[article.id][0] if article.id in read and article.id not in changed else None
            if _remove_learned_runs(article, learned, known):
                changed[article.id] = article
        with db.atomic() as conn:
            article_store.update_articles(db, changed.values())
            recurrence.record_read(conn, [], [a.id for a in batch])
        return list(changed)
