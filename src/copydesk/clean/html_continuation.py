"""Article continuation: recover body paragraphs trafilatura left in sibling containers of one template.

Some sites cut an article into chunks of identical markup with advertising slots between them;
trafilatura then keeps the first chunk and drops the rest, so the article ends early. The evidence is
structural and generic: the paragraphs trafilatura kept share a container template (the tag and class
of their nearest ancestors), and paragraphs in that same template that it did *not* keep hold more text
than it kept. Only then are they put back, in page order. Smaller gaps are left alone: there trafilatura
usually dropped a paragraph for a reason (a teaser, a sign-up box).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from copydesk.clean.html_lines import ExtractedLine

Template = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ContinuationRules:
    # How many ancestors make a paragraph's container template.
    template_depth: int = 3
    # Paragraphs shorter than this (characters) are neither evidence nor recovered.
    min_chars: int = 30
    # The kept paragraphs must include this many of one template, and it must be the most common one.
    min_kept: int = 3
    # Recover only when the dropped paragraphs of that template hold at least this share of the
    # extracted text (1.0: more was dropped than kept). On AEB the two pages above 1.2 were truncated
    # articles and every page below 0.6 was a deliberate drop; nothing lay in between.
    min_dropped_share: float = 1.0
    min_dropped: int = 3


@dataclass(frozen=True, slots=True)
class PageParagraph:
    text: str
    template: Template


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _template(element: Any, depth: int) -> Template:
    parts: list[tuple[str, str]] = []
    node = element.getparent()
    while node is not None and len(parts) < depth:
        parts.append((str(node.tag), str(node.get("class") or "")))
        node = node.getparent()
    return tuple(parts)


def page_paragraphs(tree: Any, rules: ContinuationRules) -> list[PageParagraph]:
    """The page's ``<p>`` paragraphs in order, with their container templates (read before extraction)."""
    found = []
    for element in tree.iter("p"):
        text = _collapse(element.text_content())
        if len(text) >= rules.min_chars:
            found.append(PageParagraph(text, _template(element, rules.template_depth)))
    return found


def _locator(plain: list[str]) -> Callable[[str], int | None]:
    """Finds the line where a paragraph's text starts; a paragraph may span lines (``<br>``)."""
    joined = " ".join(plain)
    starts = list(accumulate((len(line) + 1 for line in plain[:-1]), initial=0))

    def line_of(text: str) -> int | None:
        offset = joined.find(text)
        return None if offset < 0 else bisect_right(starts, offset) - 1

    return line_of


def continue_article(
    lines: list[ExtractedLine], paragraphs: list[PageParagraph], rules: ContinuationRules
) -> tuple[list[ExtractedLine], int]:
    """The lines with dropped same-template paragraphs put back in page order, and how many were."""
    plain = [_collapse(line.text) for line in lines]
    line_of = _locator(plain)
    placed = [(p, line_of(p.text)) for p in paragraphs]
    kept = [p for p, where in placed if where is not None]
    if len(kept) < rules.min_kept:
        return lines, 0
    template, count = Counter(p.template for p in kept).most_common(1)[0]
    if count < rules.min_kept:
        return lines, 0
    dropped = [p for p, where in placed if where is None and p.template == template]
    kept_chars = sum(len(p.text) for p in kept if p.template == template)
    if (
        len(dropped) < rules.min_dropped
        or sum(len(p.text) for p in dropped) < rules.min_dropped_share * kept_chars
    ):
        return lines, 0
    after: dict[int, list[str]] = {}
    last = -1
    for paragraph, where in placed:
        if paragraph.template != template:
            continue
        if where is not None:
            last = max(last, where)
        else:
            after.setdefault(last, []).append(paragraph.text)
    result = [ExtractedLine(text, 0.0) for text in after.get(-1, [])]
    for index, line in enumerate(lines):
        result.append(line)
        result.extend(ExtractedLine(text, 0.0) for text in after.get(index, []))
    return result, len(dropped)
