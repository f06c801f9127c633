"""The Article Extraction Benchmark's own metric (4-token shingles, per-page normalised tp/fp/fn).

Tokens are ``\\w+`` matches; the extracted body and ``articleBody`` are compared as multisets of
4-token shingles; per page tp/fp/fn are normalised to sum to 1; precision and recall are averaged over
pages and F1 is the harmonic mean of those averages (as the benchmark's ``evaluate.py`` does).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
Match = tuple[float, float, float]


def shingles(text: str, n: int = 4) -> Counter[str]:
    tokens = _TOKEN.findall(text or "")
    grams = (" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def shingle_match(true: str, pred: str, n: int = 4) -> Match:
    """Normalised (tp, fp, fn) of one page."""
    want, got = shingles(true, n), shingles(pred, n)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    pages: int

    def line(self, label: str) -> str:
        return f"{label:<28} P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f} (n={self.pages})"


def score(matches: Iterable[Match]) -> Score:
    """P and R averaged over pages (pages with nothing to judge are left out, as upstream), then F1."""
    rows = list(matches)
    ps = [_precision(*m) for m in rows if m[0] + m[1] > 0]
    rs = [_recall(*m) for m in rows if m[0] + m[2] > 0]
    p = statistics.mean(ps) if ps else 0.0
    r = statistics.mean(rs) if rs else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return Score(p, r, f1, len(rows))
