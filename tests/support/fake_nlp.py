"""A stand-in for the spaCy pipeline: tags the names it is given, so fact tests run without a model."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class FakeEnt:
    start_char: int
    end_char: int
    label_: str


@dataclass(frozen=True)
class FakeDoc:
    ents: tuple[FakeEnt, ...]


class FakeNLP:
    """Tags every occurrence of the given names (longest first) with their spaCy label."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.calls = 0
        self.texts = 0
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self.pattern = re.compile(rf"\b(?:{alternatives})\b") if names else None

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[FakeDoc]:
        self.calls += 1
        for text in texts:
            self.texts += 1
            found = self.pattern.finditer(text) if self.pattern else iter(())
            yield FakeDoc(tuple(FakeEnt(m.start(), m.end(), self.names[m.group()]) for m in found))
