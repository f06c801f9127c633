"""Build the corruption set: clean articles with injected spam runs and site chrome, plus the truth.

The clean articles are read at measurement time (ECB+ train split from ../shared, never copied into
the repository). Spam runs come from ``phrases.txt`` and chrome lines from ``chrome.txt``, both
written for copydesk. Everything random goes through one ``random.Random(seed)``, so a seed gives
the same set on every machine.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240618
SITES = [
    "Valley Courier",
    "Metro Dispatch",
    "Harbour Gazette",
    "North Star Daily",
    "Riverside Ledger",
    "Summit Herald",
    "Coastline Times",
    "Plains Observer",
]


@dataclass(slots=True)
class Injection:
    """One spam run put into the body: where (in the clean text), what, and what the text must become."""

    offset: int  # character offset in the clean text where the run went in
    phrase: str
    inside_word: bool
    word: str  # the word it split ("" when put between words)


@dataclass(slots=True)
class Case:
    doc_id: str
    site: str
    clean: str  # headline + body, as a clean article
    corrupted: str
    injections: list[Injection] = field(default_factory=list)
    chrome: list[str] = field(default_factory=list)


def _groups(path: Path, marker: str) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    current = "all"
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if marker == "[" and line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        if line.startswith("#"):
            if marker == "#" and not line.startswith("# Spam") and len(line.split()) == 2:
                current = line[2:]
            continue
        groups.setdefault(current, []).append(line)
    return groups


def load_phrases() -> list[str]:
    return [p for group in _groups(HERE / "phrases.txt", "#").values() for p in group]


def load_chrome() -> dict[str, list[str]]:
    return _groups(HERE / "chrome.txt", "[")


_WORD = re.compile(r"[A-Za-z]{4,}")


def _inject(
    text: str, start: int, rng: random.Random, phrases: list[str], count: int
) -> tuple[str, list[Injection]]:
    """Put ``count`` runs into ``text[start:]``, at least 60 characters apart, half of them inside words."""
    spots: list[tuple[int, bool, str]] = []
    words = [m for m in _WORD.finditer(text, start)]
    spaces = [m.start() for m in re.finditer(r"(?<=[A-Za-z,]) (?=[A-Za-z])", text[start:])]
    spaces = [s + start for s in spaces]
    for _ in range(count * 6):
        if len(spots) >= count:
            break
        if rng.random() < 0.5 and words:
            m = rng.choice(words)
            cut = m.start() + rng.randint(1, len(m.group()) - 1)
            candidate = (cut, True, m.group())
        elif spaces:
            candidate = (rng.choice(spaces), False, "")
        else:
            continue
        if all(abs(candidate[0] - s[0]) > 60 for s in spots):
            spots.append(candidate)
    out = text
    injections: list[Injection] = []
    for offset, inside, word in sorted(spots, reverse=True):
        phrase = rng.choice(phrases)
        insert = f" {phrase} " if inside else f" {phrase}"
        out = out[:offset] + insert + out[offset:]
        injections.append(Injection(offset, phrase, inside, word))
    return out, sorted(injections, key=lambda i: i.offset)


def build_cases(ecb_path: Path, seed: int = SEED, limit: int | None = None) -> list[Case]:
    rng = random.Random(seed)
    phrases = load_phrases()
    chrome = load_chrome()
    cases: list[Case] = []
    with ecb_path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    for row in rows[:limit]:
        title = " ".join(str(row.get("title") or "").split())
        body = str(row["text"]).strip()
        if not body or not title:
            continue
        clean = f"{title}\n\n{body}"
        site = rng.choice(SITES)
        corrupted, injections = _inject(clean, len(title) + 2, rng, phrases, rng.randint(1, 4))
        head = [
            rng.choice(chrome["banner"]).format(site=site),
            rng.choice(chrome["section"]),
        ]
        if rng.random() < 0.4:
            head.append(rng.choice(chrome["nav"]))
        tail = rng.sample(chrome["tail"], rng.randint(2, 5))
        if rng.random() < 0.5:
            tail = ["Related Articles", *rng.sample(chrome["links"], 2), *tail]
        tail = [line.format(site=site) for line in tail]
        duplicate = [title] if rng.random() < 0.3 else []
        lines = corrupted.split("\n\n", 1)
        text = "\n\n".join([*head, lines[0], *duplicate, lines[1], *tail])
        cases.append(Case(str(row["doc_id"]), site, clean, text, injections, head + duplicate + tail))
    return cases
