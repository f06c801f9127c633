"""MinHash signatures per second on one core: copydesk's kernel vs rensa vs datasketch.

All three get the same generated 600-word documents and the same job: text in, 128-slot signature
of 5-word shingles out (rensa and datasketch take shingle strings, so building them is part of their
time, as it is in any real use). Accuracy is checked beside speed: the mean absolute error of the
estimated Jaccard against the exact shingle Jaccard over pairs of edited copies.

    .venv/bin/python benchmarks/minhash.py [--docs 2000] [--batch 256]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable

import numpy as np

from copydesk.fingerprint.lsh import shingle_set
from copydesk.fingerprint.minhash import MinHashConfig, MinHasher, estimated_jaccard

K = 5
PERM = 128


def make_docs(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        for _ in range(20000)
    ]
    return [" ".join(rng.choice(vocab) for _ in range(600)) for _ in range(n)]


def edited_pairs(docs: list[str], seed: int = 1) -> list[tuple[str, str, float]]:
    rng = random.Random(seed)
    out = []
    for text in docs[:100]:
        words = text.split()
        rate = rng.choice((0.01, 0.03, 0.08, 0.15))
        edited = " ".join("zz" + w if rng.random() < rate else w for w in words)
        a, b = shingle_set(text, K), shingle_set(edited, K)
        out.append((text, edited, len(a & b) / len(a | b)))
    return out


def shingles(text: str) -> list[str]:
    words = text.lower().split()
    return [" ".join(words[i : i + K]) for i in range(len(words) - K + 1)]


def copydesk_runner(batch: int) -> Callable[[list[str]], list[np.ndarray]]:
    hasher = MinHasher(MinHashConfig(num_perm=PERM, shingle=K))

    def run(docs: list[str]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in range(0, len(docs), batch):
            out.extend(hasher.signatures(docs[start : start + batch]))
        return out

    return run


def rensa_runner(kind: str) -> Callable[[list[str]], list[np.ndarray]]:
    import rensa

    cls = getattr(rensa, kind)

    def run(docs: list[str]) -> list[np.ndarray]:
        out = []
        for text in docs:
            sketch = cls(num_perm=PERM, seed=42)
            sketch.update(shingles(text))
            out.append(np.asarray(sketch.digest(), dtype=np.uint64))
        return out

    return run


def datasketch_runner() -> Callable[[list[str]], list[np.ndarray]]:
    from datasketch import MinHash

    def run(docs: list[str]) -> list[np.ndarray]:
        out = []
        for text in docs:
            sketch = MinHash(num_perm=PERM, seed=42)
            sketch.update_batch([s.encode("utf-8") for s in shingles(text)])
            out.append(sketch.digest())
        return out

    return run


def accuracy(run: Callable[[list[str]], list[np.ndarray]], pairs: list[tuple[str, str, float]]) -> float:
    errors = []
    for a, b, true in pairs:
        sa, sb = run([a, b])
        est = estimated_jaccard(sa, sb) if sa.dtype == np.uint32 else float(np.mean(sa == sb))
        errors.append(abs(est - true))
    return float(np.mean(errors))


def lsh_recall(docs: list[str], seed: int = 3) -> None:
    """Share of edited copies that LSH banding (32 x 4) brings up as candidates, by true Jaccard."""
    from copydesk.fingerprint.lsh import LshIndex

    rng = random.Random(seed)
    hasher = MinHasher(MinHashConfig(num_perm=PERM, shingle=K))
    originals = docs[:400]
    copies, truths = [], []
    for text in originals:
        words = text.split()
        rate = rng.uniform(0.0, 0.12)
        edited = " ".join("zz" + w if rng.random() < rate else w for w in words)
        a, b = shingle_set(text, K), shingle_set(edited, K)
        copies.append(edited)
        truths.append(len(a & b) / len(a | b))
    index = LshIndex(hasher.config)
    index.add(np.arange(len(originals)), hasher.signatures(originals))
    found = [i in index.query(sig) for i, sig in enumerate(hasher.signatures(copies))]
    for lo, hi in ((0.3, 0.5), (0.5, 0.6), (0.6, 0.8), (0.8, 1.01)):
        hits = [f for f, t in zip(found, truths, strict=True) if lo <= t < hi]
        if hits:
            span = f"[{lo:.1f}, {min(hi, 1.0):.1f})"
            print(f"LSH recall for true Jaccard in {span}: {np.mean(hits):.3f} ({len(hits)} pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, for a per-core figure
    docs = make_docs(args.docs)
    pairs = edited_pairs(docs)
    runners = {
        f"copydesk (batch {args.batch})": copydesk_runner(args.batch),
        "rensa RMinHash": rensa_runner("RMinHash"),
        "rensa CMinHash": rensa_runner("CMinHash"),
        "datasketch": datasketch_runner(),
    }
    rates: dict[str, float] = {}
    print(f"{args.docs} documents of 600 words, {PERM} slots, {K}-word shingles, one core")
    print(f"{'kernel':32s} {'signatures/s':>13s} {'mean |J err|':>13s}")
    for name, run in runners.items():
        sample = docs if "datasketch" not in name else docs[: max(200, args.docs // 10)]
        run(sample[:50])
        start = time.perf_counter()
        run(sample)
        rates[name] = len(sample) / (time.perf_counter() - start)
        print(f"{name:32s} {rates[name]:13.0f} {accuracy(run, pairs):13.3f}")
    mine = next(v for k, v in rates.items() if k.startswith("copydesk"))
    best_rensa = max(v for k, v in rates.items() if k.startswith("rensa"))
    print(f"copydesk / fastest rensa: {mine / best_rensa:.2f}x")
    lsh_recall(docs)


if __name__ == "__main__":
    main()
