"""Line-level evidence on trafilatura's output: which extracted lines are page furniture, and why.

trafilatura keeps what sits in the article container; news sites put more there than the article:
related-article link titles ("Related: ...", "DON'T MISS" lists), the headline printed again, and
contact or copyright lines at the foot. Each judgement here uses evidence that generalises (how
much of a line is link text, the line's shape, the page's own title), never a site's name or URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

_WORD = re.compile(r"\w+")
_LINK_LIST = "list of links or tags on one line"
_LIST_SEPARATOR = re.compile(r"\s*[,|•·]\s*")
_URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$")
# Sentence or quotation endings: a line that ends like this reads as prose, not as a label.
_PROSE_END = (".", "!", "?", '"', "”", "’", "'", ")", ":", "»", "…", "。", "！", "？", "」")
# Contact and rights lines: an e-mail address, a social handle, a bare link, a copyright sign.
_CONTACT = re.compile(r"\S+@\S+\.\w+|(?<!\w)@\w{2,}|https?://|www\.\w|©|\bcopyright\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LineRules:
    """Thresholds of the line judgements; defaults tuned on half of AEB and checked on the other half."""

    # A line whose visible characters are at least this share link text is a link title...
    link_share: float = 0.7
    # ...when it has this many words (shorter: a name or source link; longer: a linked sentence).
    link_title_words: tuple[int, int] = (3, 25)
    # A line of at least this many short link items split by commas, pipes or bullets is a tag list.
    link_list_items: int = 3
    # A label directly above link titles ("DON'T MISS", "Related Articles") has at most this many words.
    label_words: int = 4
    # Lines at the top compared with the page title; a duplicate headline sits in the first few.
    headline_lines: int = 4
    headline_similarity: float = 90.0
    # Contact and rights lines are only removed from the last few lines, and only when not long prose.
    contact_tail_lines: int = 3
    contact_max_words: int = 40


@dataclass(frozen=True, slots=True)
class ExtractedLine:
    """One line of extracted text with the share of its characters that were link text."""

    text: str
    link_share: float


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What the page's HTML says about links: link texts, and short labels that head link blocks."""

    anchors: frozenset[str] = frozenset()
    block_labels: frozenset[str] = frozenset()


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _link_share(element: Any) -> float:
    text = _squash(element.text_content())
    if not text:
        return 0.0
    linked = sum(len(_squash(a.text_content())) for a in element.iter("a"))
    return linked / len(text)


def _heads_link_block(element: Any, rules: LineRules) -> bool:
    """A short element followed by a list of links, or by two elements that are mostly a link."""
    elements = (sib for sib in element.itersiblings() if isinstance(sib.tag, str))  # skip comments
    following = [sib for sib, _ in zip(elements, range(2), strict=False)]
    if not following:
        return False
    if following[0].tag in ("ul", "ol") and _link_share(following[0]) >= rules.link_share:
        return True
    return len(following) == 2 and all(_link_share(sib) >= rules.link_share for sib in following)


def parse_page(body: str) -> Any:
    """The page parsed as trafilatura parses it (its repairs and checks), but without libxml2's nesting
    limit: past 255 nested elements (the unclosed tags of a careless template pile up) the parser
    silently drops the rest of the page, and a page full of text gave "no article text found".
    ``huge_tree`` lifts the limit to 2,048 levels. ``None`` where the page is not HTML at all."""
    from lxml.html import HTMLParser, fromstring
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    parser = HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )
    beginning = body[:50].lower()
    text = repair_faulty_html(body, beginning)

    def from_bytes() -> Any:
        try:
            return fromstring(text.encode("utf8", "surrogatepass"), parser=parser)
        except Exception:  # lxml raises many types on hostile markup; as trafilatura, no tree
            return None

    try:
        tree = fromstring(text, parser=parser)
    except ValueError:  # a string that declares an encoding
        tree = from_bytes()
    else:
        if tree is None or len(tree) < 1:
            tree = from_bytes()
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def read_page_links(html: str | Any, rules: LineRules) -> PageLinks:
    """Link texts (two words or more) and link-block labels of a page, whitespace collapsed.

    ``html`` is the page or its parsed tree (left unchanged). Read from the HTML rather than from
    trafilatura's ``include_links`` output, which loses text beside links on some markup.
    """
    tree = parse_page(html) if isinstance(html, str) else html
    if tree is None:
        return PageLinks()
    anchors = set()
    for anchor in tree.iter("a"):
        text = _collapse(anchor.text_content())
        if len(_WORD.findall(text)) >= 2:
            anchors.add(text)
    labels = set()
    for element in tree.iter("p", "h2", "h3", "h4", "h5", "h6", "strong", "span"):
        if len(element) > 2:
            continue
        text = _collapse(element.text_content())
        if 0 < _words(text) <= rules.label_words and _heads_link_block(element, rules):
            labels.add(text)
    return PageLinks(frozenset(anchors), frozenset(labels))


def _visible(text: str, start: int = 0, end: int | None = None) -> int:
    """Non-space characters of a whitespace-collapsed text (single spaces only) in [start, end)."""
    stop = len(text) if end is None else end
    return stop - start - text.count(" ", start, stop)


def with_link_shares(text: str, anchors: frozenset[str], max_words: int = 40) -> list[ExtractedLine]:
    """Lines of extracted text, each with the share of its visible characters that is link text."""
    lines = []
    for raw in text.split("\n"):
        plain = " ".join(raw.split())
        share = 0.0
        if plain and anchors and len(_WORD.findall(plain)) <= max_words:
            spans = sorted((at, at + len(a)) for a in anchors if (at := plain.find(a)) >= 0)
            linked, reach = 0, 0
            for start, end in spans:  # merge overlapping link spans, count each character once
                start = max(start, reach)
                if end > start:
                    linked += _visible(plain, start, end)
                    reach = end
            visible = _visible(plain)
            share = linked / visible if visible else 0.0
        lines.append(ExtractedLine(raw, share))
    return lines


def _squash(text: str) -> str:
    return "".join(text.split())


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _is_link_list(line: ExtractedLine, rules: LineRules) -> bool:
    """Tags or a run of links on one line: mostly link text, split into short items by separators."""
    items = [item for item in _LIST_SEPARATOR.split(line.text) if item.strip()]
    return (
        line.link_share >= rules.link_share
        and len(items) >= rules.link_list_items
        and all(_words(item) <= rules.link_title_words[1] // 4 for item in items)
    )


def _is_link_title(line: ExtractedLine, rules: LineRules) -> bool:
    text = line.text.strip()
    low, high = rules.link_title_words
    first = next((ch for ch in text if ch.isalnum()), "")
    return (
        line.link_share >= rules.link_share
        and low <= _words(text) <= high
        # a title starts like one; a lower-case start is a sentence fragment split at a link
        and (first.isupper() or first.isdigit())
        # a title does not end a sentence; a line that does is prose that happens to be linked
        and not text.endswith((".", "!", "?"))
        # a bare address as link text is a reference the author printed, not a teaser
        and not _URL_ONLY.match(text)
    )


def _is_headline(text: str, title: str | None, rules: LineRules) -> bool:
    if not title:
        return False
    line, head = text.strip().casefold(), title.strip().casefold()
    if not line or not head:
        return False
    return (
        fuzz.ratio(line, head) >= rules.headline_similarity
        or (len(line) >= 0.5 * len(head) and line in head)
        or (len(head) >= 0.6 * len(line) and head in line)
    )


def judge_lines(
    lines: list[ExtractedLine],
    title: str | None,
    rules: LineRules,
    block_labels: frozenset[str] = frozenset(),
) -> list[str | None]:
    """For each line, why it is page furniture (a reason) or ``None`` when it belongs to the article.

    ``block_labels`` are the page's labels over link blocks (``read_page_links``): such a label is
    furniture even when trafilatura already dropped the links under it.
    """
    reasons: list[str | None] = [None] * len(lines)
    for i, line in enumerate(lines):
        if _collapse(line.text) in block_labels:
            reasons[i] = "label of a related-links block in the page"
    for i, line in enumerate(lines):
        if _is_link_title(line, rules):
            reasons[i] = "link title (related-article teaser)"
        elif _is_link_list(line, rules):
            reasons[i] = _LINK_LIST
    for i in range(len(lines) - 1):
        text = lines[i].text.strip()
        if (
            reasons[i] is None
            # a label heads a block: two teasers follow it, or a list of links on one line
            and reasons[i + 1] is not None
            and ((i + 2 < len(lines) and reasons[i + 2] is not None) or reasons[i + 1] == _LINK_LIST)
            and 0 < _words(text) <= rules.label_words
            and not text.endswith(_PROSE_END[:5])
        ):
            reasons[i] = "label above related-article links"
    body = [i for i, line in enumerate(lines) if line.text.strip() and reasons[i] is None]
    for i in body[: rules.headline_lines]:
        if _is_headline(lines[i].text, title, rules):
            reasons[i] = "headline printed again in the body"
            continue
        break
    body = [i for i in body if reasons[i] is None]
    for i in reversed(body[-rules.contact_tail_lines :]):
        text = lines[i].text.strip()
        if _CONTACT.search(text) and _words(text) <= rules.contact_max_words:
            reasons[i] = "contact or rights line at the foot"
            continue
        break
    return reasons
