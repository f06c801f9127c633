"""Page extraction: raw page -> article with ``raw_text``, built on trafilatura for HTML.

HTML goes through trafilatura in precision mode (with its readability/justext fallbacks); when that
finds almost nothing, the default mode is tried too. The extracted lines are then judged with the
evidence of ``html_lines`` (link-title teasers, the headline printed again, contact lines at the foot)
and those lines are removed *as recorded removals*: ``raw_text`` keeps them, ``text`` does not.
Text dumps pass through (normalised); the cleaning stages after this one remove chrome and spam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from copydesk.clean.html_continuation import ContinuationRules, continue_article, page_paragraphs
from copydesk.clean.html_lines import (
    ExtractedLine,
    LineRules,
    PageLinks,
    judge_lines,
    parse_page,
    read_page_links,
    with_link_shares,
)
from copydesk.clean.normalise import normalise_text
from copydesk.errors import ExtractionError
from copydesk.records import Article, RawPage, Removal, RemovalKind, Signals


def parse_iso_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime given by a container (JSONL field, meta tag), else ``None``."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ExtractionOptions:
    """How HTML is extracted. The defaults are the ones measured on AEB (see benchmarks/aeb.py)."""

    include_tables: bool = True
    include_comments: bool = False
    # Precision mode scored higher than default and recall mode on AEB (both halves).
    favor_precision: bool = True
    favor_recall: bool = False
    no_fallback: bool = False
    # Below this many characters the precision result is likely a notice, not the article: the
    # default mode is tried as well and the longer text is kept.
    retry_below_chars: int = 500
    # Judge the extracted lines (link titles, repeated headline, contact lines); off = trafilatura as is.
    judge_lines: bool = True
    line_rules: LineRules = field(default_factory=LineRules)
    # Put back body paragraphs trafilatura dropped from sibling chunks of the article's own template.
    continue_articles: bool = True
    continuation: ContinuationRules = field(default_factory=ContinuationRules)


def _failed(page: RawPage, step: str, exc: Exception) -> ExtractionError:
    """A library or code failure on one page, as the error that skips the page with its reason."""
    return ExtractionError(page.origin, f"{step} failed: {type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class HtmlExtraction:
    """What trafilatura found on one page: its lines (with link shares) and metadata fields."""

    lines: list[ExtractedLine]
    fields: dict[str, Any]
    mode: str
    links: PageLinks


def _trafilatura(page: RawPage, options: ExtractionOptions, *, precision: bool, tree: Any = None) -> Any:
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            page.body if tree is None else tree,
            url=page.url,
            with_metadata=True,
            include_comments=options.include_comments,
            include_tables=options.include_tables,
            favor_precision=precision,
            favor_recall=options.favor_recall and not precision,
            no_fallback=options.no_fallback,
        )
    except Exception as exc:  # trafilatura and lxml raise many types on hostile markup
        raise ExtractionError(page.origin, f"extraction failed: {type(exc).__name__}: {exc}") from exc


def _lines(doc: Any, anchors: frozenset[str]) -> list[ExtractedLine]:
    return with_link_shares(str(getattr(doc, "text", None) or ""), anchors)


def _visible_chars(lines: list[ExtractedLine]) -> int:
    return sum(len(line.text.strip()) for line in lines)


def extract_html(page: RawPage, options: ExtractionOptions) -> HtmlExtraction:
    """Run trafilatura (precision mode, then default mode when that found too little)."""
    # One parse serves the link reading and the first trafilatura pass (which may change the tree,
    # so the retry below parses the page again).
    try:
        tree = parse_page(page.body)
        if tree is None:
            raise ExtractionError(page.origin, "the page could not be parsed as HTML")
        links = read_page_links(tree, options.line_rules) if options.judge_lines else PageLinks()
        paragraphs = page_paragraphs(tree, options.continuation) if options.continue_articles else []
    except ExtractionError:
        raise
    except Exception as exc:  # lxml raises many types on hostile markup
        raise _failed(page, "reading the page", exc) from exc
    doc = _trafilatura(page, options, precision=options.favor_precision, tree=tree)
    lines = _lines(doc, links.anchors)
    mode = "precision" if options.favor_precision else "default"
    if options.favor_precision and _visible_chars(lines) < options.retry_below_chars:
        retry = _trafilatura(page, options, precision=False, tree=parse_page(page.body))
        retry_lines = _lines(retry, links.anchors)
        if _visible_chars(retry_lines) > _visible_chars(lines):
            doc, lines, mode = retry, retry_lines, "default"
    if doc is None or not _visible_chars(lines):
        raise ExtractionError(page.origin, "no article text found in the page")
    if paragraphs:
        try:
            lines, recovered = continue_article(lines, paragraphs, options.continuation)
        except Exception as exc:  # never end a run over one page
            raise _failed(page, "continuation", exc) from exc
        mode += "+continued" if recovered else ""
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    fields = {
        "title": doc.title,
        "authors": authors,
        "site": doc.sitename or doc.hostname,
        "published": parse_iso_date(doc.date),
        "language": doc.language,
        "url": doc.url,
    }
    return HtmlExtraction(lines, fields, mode, links)


def _normalise_lines(texts: list[str]) -> tuple[list[str], bool]:
    """Normalise many lines in one ftfy pass (per-line calls cost more than trafilatura's own work)."""
    joined, repaired = normalise_text("\n".join(texts))
    fixed = joined.split("\n")
    if len(fixed) != len(texts):  # ftfy turned a line separator inside a line into a break
        pairs = [normalise_text(text) for text in texts]
        return [text for text, _ in pairs], any(changed for _, changed in pairs)
    return [line.strip() for line in fixed], repaired


def _assemble(lines: list[ExtractedLine], reasons: list[str | None]) -> tuple[str, str, list[Removal], bool]:
    """raw_text (every line), text (kept lines) and a removal per judged line, all normalised."""
    present = [(line, reason) for line, reason in zip(lines, reasons, strict=True) if line.text.strip()]
    texts, repaired = _normalise_lines([line.text for line, _ in present])
    raw_parts: list[str] = []
    kept: list[str] = []
    removals: list[Removal] = []
    offset = 0
    for text, (_, reason) in zip(texts, present, strict=True):
        if not text:
            continue
        if reason is None:
            kept.append(text)
        else:
            kind: RemovalKind = "duplicate-headline" if reason.startswith("headline") else "chrome"
            removals.append(Removal(kind, text, f"extraction: {reason}", offset))
        raw_parts.append(text)
        offset += len(text) + 1
    return "\n".join(raw_parts), "\n".join(kept), removals, repaired


@dataclass(frozen=True, slots=True)
class PageExtractor:
    """RawPage -> Article. HTML goes through trafilatura; text passes through; both are normalised."""

    options: ExtractionOptions = field(default_factory=ExtractionOptions)

    def warm_up(self) -> None:
        """Import trafilatura (0.15 s to a second) before an HTML page's time limit starts; the
        pipeline calls it for a batch that holds HTML, so a run of text pages never imports it."""
        import trafilatura  # noqa: F401

    def extract(self, page: RawPage) -> Article:
        fields: dict[str, Any] = {}
        removals: list[Removal] = []
        if page.kind == "html":
            found = extract_html(page, self.options)
            fields = found.fields
            title = page.title or fields.get("title")
            try:
                reasons: list[str | None] = (
                    judge_lines(found.lines, title, self.options.line_rules, found.links.block_labels)
                    if self.options.judge_lines
                    else [None] * len(found.lines)
                )
                raw_text, text, removals, repaired = _assemble(found.lines, reasons)
            except Exception as exc:  # a page must be skipped with a reason, never end the run
                raise _failed(page, "line judgement", exc) from exc
            extractor = f"trafilatura-{found.mode}"
        else:
            raw_text, repaired = normalise_text(page.body)
            text = raw_text
            extractor = "text"
        if not text:
            raise ExtractionError(page.origin, "no text left after normalisation")
        content_hash = page.content_hash
        return Article(
            id=page.article_id_with(content_hash),
            source_id=page.source_id,
            origin=page.origin,
            input_kind=page.kind,
            content_hash=content_hash,
            raw_text=raw_text,
            text=text,
            url=page.url or fields.get("url"),
            site=page.site or fields.get("site"),
            title=page.title or fields.get("title"),
            published=parse_iso_date(page.published) or fields.get("published"),
            authors=list(page.authors) or fields.get("authors", []),
            credits=list(page.credits),
            language=page.language or fields.get("language"),
            dateline=page.dateline,
            removals=removals,
            signals=Signals(extractor=extractor, encoding_repaired=repaired, chrome_lines=len(removals)),
        )
