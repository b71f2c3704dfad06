"""Metrics benchmark: how long the evaluation's bootstrap intervals take.

    .venv/bin/python benchmarks/bench_metrics.py
    .venv/bin/python benchmarks/bench_metrics.py --n 5000 --boot 2000 --runs 7

``core.evaluation.metrics.evaluate`` draws ``--boot`` bootstrap resamples of ``--n`` evaluation
documents (five categories, 80% of predictions right, a fixed seed) for precision, recall
and F1 per category with 95% intervals; the training job, the Evaluate page and the side by
side comparison all call it. Prints the median and slowest of ``--runs`` runs. The target
is well under a second for 1,000 documents and 2,000 resamples (it runs after every fit).
Nothing here is a unit test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation.metrics import evaluate

CLASSES = ["a", "b", "c", "d", "e"]


def noisy(n: int, accuracy: float, seed: int) -> tuple[list[str], list[str]]:
    """``n`` true labels and predictions that are right with probability ``accuracy``."""
    rng = np.random.default_rng(seed)
    true = rng.choice(CLASSES, size=n)
    wrong = rng.choice(CLASSES, size=n)
    pred = np.where(rng.random(n) < accuracy, true, wrong)
    return true.tolist(), pred.tolist()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="evaluation documents")
    parser.add_argument("--boot", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    true, pred = noisy(args.n, 0.8, seed=7)
    evaluate(true, pred, CLASSES, n_boot=10)  # warm-up: imports, first allocations
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        evaluate(true, pred, CLASSES, n_boot=args.boot)
        times.append(time.perf_counter() - start)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(
        f"evaluate() on {args.n:,} documents with {args.boot:,} bootstrap resamples: "
        f"median {statistics.median(times) * 1000:.0f} ms, "
        f"slowest {max(times) * 1000:.0f} ms ({args.runs} runs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
