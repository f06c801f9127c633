"""Corruption benchmark for text cleaning: inject spam and chrome into clean articles, clean, score.

    .venv/bin/python benchmarks/clean_corruption.py [--ecb ../shared/eval/ecbplus/train.jsonl] [--seed N]

Reports: spam injections removed, split words repaired exactly (the original text around every
injection is back, character for character; injections whose whole line left the body as metadata
or chrome are counted apart, as there is nothing to repair), chrome lines removed, and clean tokens
wrongly removed: over all tokens of the clean article, without the metadata lines and repeated
headline that cleaning moved into fields, and over prose tokens only (lines that end like a
sentence, four words or more: the article's sentences rather than ECB's timestamps and kickers).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corruption.generate import SEED, Case, build_cases

from copydesk.clean.extract import PageExtractor
from copydesk.clean.normalise import normalise_text
from copydesk.clean.recurring import clean_corpus_in_memory
from copydesk.clean.stages import text_cleaning_stages
from copydesk.records import Article, RawPage

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ECB = REPO.parent / "shared" / "eval" / "ecbplus" / "train.jsonl"


def _squash(text: str) -> str:
    return " ".join(text.split())


def _is_prose(line: str) -> bool:
    """A sentence of the article (ends like one, four words or more): not a timestamp or kicker."""
    return len(line.split()) >= 4 and bool(re.search(r"[.!?'\"”’)]\s*$", line))


def clean_cases(cases: list[Case], *, corrupted: bool = True) -> list[Article]:
    extractor = PageExtractor()
    stages = text_cleaning_stages()
    articles = []
    for case in cases:
        body = case.corrupted if corrupted else case.clean
        article = extractor.extract(RawPage(case.doc_id, case.doc_id, "text", body))
        for stage in stages:
            article = stage(article)
        articles.append(article)
    clean_corpus_in_memory(articles)
    return articles


def collateral(baseline: list[Article], articles: list[Article]) -> dict[str, object]:
    """Tokens that cleaning keeps in the clean article but takes from its corrupted copy: the damage
    done while taking the injections out (what the cleaner does to the article's own lines anyway,
    such as ECB's timestamps, is the same in both and is shown apart with examples)."""
    kept = lost = 0
    for clean, cleaned in zip(baseline, articles, strict=True):
        want = Counter(clean.text.split())
        kept += sum(want.values())
        lost += sum((want - Counter(cleaned.text.split())).values())
    own_lines = [r.text for a in baseline for r in a.removals if r.kind == "chrome"]
    # ECB+ has no injected spam: every spam removal from the clean articles takes real words out
    false_spam = [(a.source_id, r) for a in baseline for r in a.removals if r.kind == "spam"]
    return {
        "clean_tokens_kept_without_injections": kept,
        "of_those_removed_with_injections": round(lost / kept, 5) if kept else None,
        "articles_own_lines_removed_as_chrome": len(own_lines),
        "examples_of_own_lines_removed": own_lines[:: max(1, len(own_lines) // 12)][:12],
        "spam_removed_from_clean_articles": len(false_spam),
        "clean_articles_with_spam_removed": len({source for source, _ in false_spam}),
        "spam_removed_from_clean_articles_examples": [
            f"{source}: {r.text.strip()!r} ({r.reason})" for source, r in false_spam[:12]
        ],
    }


def score(cases: list[Case], articles: list[Article]) -> dict[str, object]:
    injected = removed = repaired = inside = inside_repaired = with_line = 0
    tokens_total = tokens_missing = tokens_missing_meta = prose_total = prose_missing = 0
    chrome_total = chrome_removed = 0
    misses: list[str] = []
    for case, article in zip(cases, articles, strict=True):
        clean = normalise_text(case.clean)[0]
        cleaned = _squash(article.text)
        phrases = Counter(i.phrase for i in case.injections)
        for phrase, n in phrases.items():
            pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
            left = max(0, len(pattern.findall(cleaned)) - len(pattern.findall(_squash(clean))))
            injected += n
            removed += n - min(n, left)
        line_removals = [r.text for r in article.removals if r.kind != "spam"]
        for injection in case.injections:
            if any(injection.phrase in text for text in line_removals):
                with_line += 1  # its whole line left the body as metadata or chrome: nothing to repair
                continue
            window = _squash(case.clean[max(0, injection.offset - 20) : injection.offset + 20])
            ok = window in cleaned
            repaired += ok
            if injection.inside_word:
                inside += 1
                inside_repaired += ok
            if not ok and len(misses) < 30:
                misses.append(f"{case.doc_id}: {injection.phrase!r} in {injection.word or '(between words)'}")
        want = Counter(clean.split())
        got = Counter(article.text.split())
        missing = want - got
        tokens_total += sum(want.values())
        tokens_missing += sum(missing.values())
        # metadata lines move into fields and a second printing of the headline stays as the title
        moved = Counter(
            t for r in article.removals if r.kind in ("meta", "duplicate-headline") for t in r.text.split()
        )
        tokens_missing_meta += sum((missing - moved).values())
        prose = Counter(t for line in clean.split("\n") if _is_prose(line) for t in line.split())
        prose_total += sum(prose.values())
        prose_missing += sum(((prose - got) - moved).values())
        body_lines = Counter(_squash(line) for line in clean.split("\n") if line.strip())
        lines = Counter(_squash(line) for line in article.text.split("\n") if line.strip())
        for line in case.chrome:
            chrome_total += 1
            chrome_removed += lines[_squash(line)] <= body_lines[_squash(line)]
    return {
        "articles": len(cases),
        "injections": injected,
        "injections_removed": round(removed / injected, 4),
        "split_words_repaired_exactly": round(inside_repaired / inside, 4) if inside else None,
        "all_injections_repaired_exactly": round(repaired / (injected - with_line), 4),
        "injections_in_lines_removed_whole": with_line,
        "chrome_lines_removed": round(chrome_removed / chrome_total, 4),
        "clean_tokens": tokens_total,
        "clean_tokens_wrongly_removed": round(tokens_missing / tokens_total, 5),
        "clean_tokens_wrongly_removed_excluding_meta_and_headline": round(
            tokens_missing_meta / tokens_total, 5
        ),
        "prose_tokens": prose_total,
        "prose_tokens_wrongly_removed": round(prose_missing / prose_total, 5),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ecb", type=Path, default=DEFAULT_ECB)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not args.ecb.is_file():
        sys.exit(f"{args.ecb} not found: pass --ecb with the ECB+ train.jsonl")
    cases = build_cases(args.ecb, args.seed, args.limit)
    started = time.perf_counter()
    articles = clean_cases(cases)
    elapsed = time.perf_counter() - started
    result = score(cases, articles)
    result["seconds"] = round(elapsed, 2)
    result["collateral"] = collateral(clean_cases(cases, corrupted=False), articles)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
