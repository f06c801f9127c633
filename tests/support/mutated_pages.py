"""The demo corpus's pages, mutated, through the workers' pipeline: the C kernels fed what crawls
give (cut and repeated passages, stray characters of every width, control and zero-width characters,
lone surrogates, shouting, chrome lines, empty bodies) along the paths the pipeline calls them by.

    python tests/support/mutated_pages.py [--pages N] [--seed S]

Run by ``tests/test_kernels_sanitized.py`` with the kernels built with the sanitizers; it prints
what the pages became and exits 0 when every page gave an article or a reported skip.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"

# one of each kind of character a crawl gives: ASCII, Latin-1, wider BMP scripts, astral, combining,
# spaces and separators, control, zero-width, byte-order mark, lone surrogates, replacement
ODD_CHARACTERS = (
    "\u00e9\u00df\u00a0\u2019\u201c\u201d\u2014\u2026\u200b\u200d\ufeff\u0130\u0131\u03a3\u0436\u4e2d"
    "\u0627\u05d0\u0e01\U0001f600\U00010400\ud800\udfff\x00\x0b\x0c\x1c\x85\u2028\u2029\ufffd\u0301"
    "\u0308\u1e9e\uff21\u2160\u00bd\u0660\u0966"
)
PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,;:'\"!?-()[]\n\t\r/\\@#$%&*_+=<>|~`"
ALPHABET = PLAIN + ODD_CHARACTERS
CHROME = (
    "Related Articles",
    "Back to top",
    "With files from the wires",
    "Read more:",
    "Advertisement",
    "Leave a comment",
    "Share this",
    "Copyright 2026",
)


def _noise(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(count))


def mutate(text: str, rng: random.Random) -> str:
    """``text`` after one to twelve random edits."""
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(text) + 1)
        edit = rng.randrange(8)
        if edit == 0:
            text = text[:at] + _noise(rng, rng.randint(1, 20)) + text[at:]
        elif edit == 1:
            text = text[:at] + text[at + rng.randint(1, 200) :]
        elif edit == 2:
            end = at + rng.randint(1, 400)
            text = text[:at] + text[at:end] * rng.randint(2, 5) + text[end:]
        elif edit == 3:
            text = text.upper() if rng.random() < 0.5 else text.lower()
        elif edit == 4:
            text = text[:at] + "\n" * rng.randint(1, 5) + text[at:]
        elif edit == 5:
            text = text[:at] + " " + rng.choice(CHROME) + "\n" + text[at:]
        elif edit == 6:
            text = text.replace(" ", rng.choice(["  ", "\u00a0", "\t", " \u200b"]), rng.randint(1, 50))
        else:  # a run of letters with no word in it, as injected spam leaves
            text = text[:at] + "".join(rng.choice("abxyz") for _ in range(rng.randint(1, 40))) + text[at:]
    return text


def mutated_pages(count: int, seed: int) -> list[object]:
    """``count`` pages made from the demo corpus's by ``mutate`` (some replaced by noise or emptied)."""
    from copydesk.ingest.job import file_sources
    from copydesk.records import RawPage

    sources, _, _ = file_sources([str(DEMO)], 50_000_000)
    originals = [page for source in sources for page in source.read() if isinstance(page, RawPage)]
    rng = random.Random(seed)
    pages = []
    for k in range(count):
        page = rng.choice(originals)
        roll = rng.random()
        if roll < 0.1:
            body = _noise(rng, rng.randint(0, 3000))
        else:
            body = "" if roll < 0.15 else mutate(page.body, rng)
        title = mutate(page.title or "", rng) if rng.random() < 0.3 else page.title
        pages.append(replace(page, source_id=f"{page.source_id}-m{k}", body=body, title=title))
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from copydesk import service
    from copydesk.config import load_settings
    from copydesk.records import Article, SkippedInput

    settings = load_settings({"db": ":memory:", "workers": 1}, environ={})
    pipeline = service.build_pipeline(settings)
    pipeline.warm_up()
    pages = mutated_pages(args.pages, args.seed)
    outcomes = [o for k in range(0, len(pages), 16) for o in pipeline.process_many(pages[k : k + 16])]
    kinds = Counter(type(o).__name__ for o in outcomes)
    print(f"{len(pages)} mutated pages: {dict(kinds)}")
    answered = all(isinstance(o, Article | SkippedInput) for o in outcomes)
    return 0 if len(outcomes) == len(pages) and answered else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
