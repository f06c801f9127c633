"""Chrome lines: site furniture in the text (section labels, navigation, share and comment prompts,
comment forms in any language, related-article blocks and link titles, "Back to top").

Each line is scored by several weak features; a line goes when its score reaches ``THRESHOLD`` and
the removal's reason names every feature that fired. No feature alone (the reader-address vocabulary
least of all) removes a body sentence: sentence-shaped lines only go on evidence from their
neighbourhood (a run of link titles) or from the corpus (``copydesk.clean.recurring``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar, NamedTuple

from copydesk.clean.layout import Layout, layout_for
from copydesk.clean.lines import Line, first_word_of, live_lines, remove_lines
from copydesk.clean.words import (
    is_stopword,
    known_share,
)
from copydesk.pipeline import ArticleStage
from copydesk.records import Article, RemovalKind

THRESHOLD = 3

_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b", re.I)
# what any match of _COPYRIGHT contains once casefolded: a substring test lets most lines go unsearched
_COPYRIGHT_CUES = ("©", "(c", "copyright", "reserved")
_NAV_SEPARATORS = re.compile(r"^[\w’'&\- ]+(?:\s*[|·•»/]\s*[\w’'&\- ]+)+$")
_LINK_TITLE_START = re.compile(r"^[\"“‘']?[A-Z0-9]")
_DIGIT = re.compile(r"\d")
# A line ending in one of these goes on in the next line: not a title.
_CONTINUES = frozenset({"and", "or", "but", "nor"})


class Verdict(NamedTuple):
    """A line's chrome score and the features that fired (a named tuple: one is built per line)."""

    score: int
    reasons: tuple[str, ...]


_NOTHING = Verdict(0, ())


def _copyright(text: str) -> bool:
    folded = text.casefold()
    return any(cue in folded for cue in _COPYRIGHT_CUES) and bool(_COPYRIGHT.search(text))


def _headline_shaped(line: Line, words: list[str]) -> bool:
    if line.ends_sentence or line.text.rstrip().endswith(":"):
        return False
    return 4 <= len(words) <= 16 and bool(_LINK_TITLE_START.match(line.text))


def _nav_shaped(line: Line, words: list[str]) -> bool:
    if len(words) < 3 or line.ends_sentence:
        return False
    if any(is_stopword(w) for w in words):
        return bool(_NAV_SEPARATORS.match(line.text)) and len(words) >= 4
    return all(w[:1].isupper() for w in words) and not re.search(r"[,;:]", line.text)


def _foreign(line: Line, words: list[str], layout: Layout) -> str | None:
    facts = line.facts
    script = facts.script
    # Latin letters turn up under any body (handles, e-mail addresses, names); other scripts do not
    if script and layout.script and script != layout.script and script != "latin":
        return f"{script} script under a {layout.script} body"
    if len(words) < 2 or layout.language is None:
        return None
    lang, hits = facts.language, facts.language_hits
    if lang and lang != layout.language and hits >= 3:
        own = facts.languages.get(layout.language, 0)
        if own * 2 <= hits:
            return f"{lang} function words under a {layout.language} body"
    if layout.language == "en" and len(words) >= 5 and known_share(words) < 0.4:
        return "words that are not the body's language"
    return None


@lru_cache(maxsize=256)
def _site_speaking(site: str) -> re.Pattern[str]:
    """A line that opens with the site's own name ("The Courier will ..."), compiled once a site:
    with a row's site known, every line near the end of every article asks (built per line, the
    pattern cost a 600-word page ~8 us)."""
    return re.compile(rf"(?:the\s+)?{re.escape(site)}\b", re.I)


def score_line(line: Line, layout: Layout, site: str | None = None, positional: bool = True) -> Verdict:
    """The chrome evidence for one line outside the runs of link titles.

    ``positional=False`` keeps only evidence that needs no guess about where the body ends (script,
    language, copyright, the site talking): for HTML, whose extractor judged positions with the
    page's own markup, and for list items (tour dates, standings), which look like furniture by shape.
    """
    facts = line.facts
    words = line.words
    text = line.text
    edge = positional and layout.is_edge(line)
    sentence = line.ends_sentence and len(words) >= 4
    fired: list[tuple[int, str]] = []
    fire = fired.append  # (weight, reason) of each feature that fired

    if not facts.has_letters and (positional or not _DIGIT.search(text)):
        fire((3, "no words"))
    if edge and not sentence:
        fire((2, f"outside the body ({layout.zone(line)} of the article)"))
    if positional and len(words) <= 4 and not line.ends_sentence:
        fire((1, "short, no sentence punctuation"))
    if edge and words and text.upper() == text:
        fire((1, "all capitals"))
    if edge and len(words) <= 5 and text.rstrip().endswith(":"):
        fire((2, "a prompt ending in ':'"))
    foreign = _foreign(line, words, layout) if edge or not sentence else None
    if foreign:
        fire((3, foreign))
    if facts.address and not (sentence and len(words) > 12):
        fire((1, f"reader-address words ({', '.join(facts.address)})"))
    if facts.site_talk and len(words) <= 30:
        fire((3, "the site talking to its reader (you/our + site words)"))
    if (edge or layout.near_bottom(line)) and _copyright(text):
        fire((3, "copyright notice"))
    if (
        positional
        and site
        and len(site) > 3
        and line.index >= layout.last_anchor - 1
        and _site_speaking(site).match(text.strip())
    ):
        # "The Courier will have more on this story": a paper opens a sentence with its own name only
        # to talk about itself ("... told Reuters." on a wire's site is news and stays)
        fire((3, f"the site {site!r} speaking about itself at the end"))
    if positional and not line.ends_sentence and _nav_shaped(line, words) and (edge or len(words) >= 4):
        fire((2, "navigation shape (capitalised words, no sentence)"))
    if edge and _headline_shaped(line, words):
        fire((1, "headline-shaped line outside the body"))
    if not fired:
        return _NOTHING
    return Verdict(sum(weight for weight, _ in fired), tuple(reason for _, reason in fired))


def _link_title_candidate(line: Line, layout: Layout) -> bool:
    words = line.words
    if not 4 <= len(words) <= 16:  # first: most lines are paragraphs, and the rest copies the line
        return False
    if (line.index in layout.anchors and len(words) > 14) or line.text.rstrip().endswith((":", ",")):
        return False
    if words and words[-1].lower() in _CONTINUES:
        return False  # "... critical habitat, or": a sentence that goes on in the next line
    return bool(_LINK_TITLE_START.match(line.text))


def link_title_runs(layout: Layout) -> list[list[Line]]:
    """Runs of two or more short headline-like lines between body paragraphs.

    Related-article links pasted into a body come in groups: each line is short, starts like a
    headline, and at least one lacks sentence punctuation; a member that ends with a full stop counts
    only when the run sits tighter than the article's paragraphs (fewer blank lines between), or has
    a teaser's shape, unless it follows the run's one title without a full stop: a crosshead and the
    short sentence that opens its section ("Passed up for promotion" / "Felt had expected to ...")
    are the article's own.
    """
    runs: list[list[Line]] = []
    current: list[Line] = []
    lines = layout.lines
    for line in lines:
        if layout.zone(line) == "middle" and _link_title_candidate(line, layout):
            current.append(line)
            continue
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    if not runs:
        return []
    accepted: list[list[Line]] = []
    lengths = sorted(len(lines[i].words) for i in layout.anchors)
    median = lengths[len(lengths) // 2] if lengths else 0
    for run in runs:
        titles = [k for k, m in enumerate(run) if not m.ends_sentence]
        members = [
            m
            for k, m in enumerate(run)
            if not m.ends_sentence
            or _tight(m, layout)
            or (_teaser(m, median) and (len(titles) != 1 or k < titles[0]))
        ]
        if len(members) >= 2 and any(_headline_shaped(m, m.words) for m in members):
            accepted.append(members)
    return accepted


def _teaser(line: Line, median_words: int) -> bool:
    """A one-clause sentence much shorter than the body's paragraphs, no commas or quotes: the shape
    of a link title that kept its full stop."""
    return len(line.words) * 10 <= median_words * 6 and not re.search(r"[,;:\"“”]|''", line.text)


def _tight(line: Line, layout: Layout) -> bool:
    following = layout.lines[line.index + 1] if line.index + 1 < len(layout.lines) else None
    after = following.gap_before if following else layout.typical_gap
    return layout.typical_gap > 0 and min(line.gap_before, after) < layout.typical_gap


def chrome_lines(
    lines: Sequence[Line],
    protected: frozenset[int] = frozenset(),
    site: str | None = None,
    positional: bool = True,
    layout: Layout | None = None,
) -> list[tuple[Line, str]]:
    """The chrome lines of an article with the reason for each; ``protected`` line starts are kept
    (``layout``: the lines' layout where the caller has it)."""
    layout = layout_for(lines, layout)
    found: dict[int, tuple[Line, str]] = {}
    listed = list_items(lines)
    if positional:
        for run in link_title_runs(layout):
            if any(line.index in listed for line in run):
                continue
            for line in run:
                found[line.index] = (
                    line,
                    f"related-article link titles: a run of {len(run)} short headlines",
                )
    for line in lines:
        if line.index in found or line.start in protected:
            continue
        verdict = score_line(line, layout, site, positional and line.index not in listed)
        if verdict.score >= THRESHOLD:
            found[line.index] = (line, f"score {verdict.score}: " + "; ".join(verdict.reasons))
    return [found[i] for i in sorted(found) if found[i][0].start not in protected]


_LIST_ITEM = re.compile(r"^(?:\d+[a-z]{0,2}[).:]?\s|[-•*·–]\s|[A-Z][a-z]{2,8}\.?\s\d{1,2}\b|https?://)")
MIN_LIST = 4  # consecutive items that make a list (tour dates, a race calendar, a numbered top ten)


def list_items(lines: Sequence[Line]) -> frozenset[int]:
    """Lines in a run of at least ``MIN_LIST`` list items: content, whatever their shape says."""
    items: set[int] = set()
    run: list[int] = []
    for line in [*lines, None]:
        if line is not None and _LIST_ITEM.match(line.text.strip()):
            run.append(line.index)
            continue
        if line is not None and run and line.text.strip().startswith("http"):
            continue
        if len(run) >= MIN_LIST:
            items.update(run)
        run = []
    return frozenset(items)


def clean_chrome(article: Article, lines: Sequence[Line], layout: Layout | None = None) -> list[Line]:
    """Take the chrome lines out of the body; returns the live lines after."""
    protected = _title_line_starts(article, lines)
    kind: RemovalKind = "chrome"
    positional = article.input_kind == "text"  # HTML lines were judged by the extractor
    found = chrome_lines(lines, protected, article.site, positional, layout)
    article.signals.chrome_lines += len(found)
    return remove_lines(article, [(line, kind, reason) for line, reason in found], lines)


class ChromeLineStage(ArticleStage):
    """Removes the lines of site furniture from an article's text."""

    name: ClassVar[str] = "chrome-lines"

    def process(self, article: Article) -> Article:
        clean_chrome(article, live_lines(article))
        return article


def _title_line_starts(article: Article, lines: Sequence[Line]) -> frozenset[int]:
    """The headline line stays in the body: the chrome scorer must not take it for a link title."""
    if not article.title:
        return frozenset()
    wanted = " ".join(article.title.split()).casefold()
    first_word = wanted.split(" ", 1)[0]  # a line whose first word differs is not folded whole
    return frozenset(
        line.start
        for line in lines[:8]
        if first_word_of(line.text).casefold() == first_word
        and " ".join(line.text.split()).casefold() == wanted
    )
