"""Query-strategy benchmark: score and select over 1,000,000 predictions.

Run from the repository root::

    .venv/bin/python benchmarks/bench_strategies.py                 # 1,000,000 × 5
    .venv/bin/python benchmarks/bench_strategies.py --docs 100000 --classes 3 --float32

What it does: draws ``--docs`` rows of class probabilities from a flat Dirichlet
(fixed seed), then for every registered strategy (aliases once) measures, ``--runs``
times each, ``strategy.scores(proba)`` alone and ``select(strategy, proba, ids, k)``
(which scores too, then picks the top ``k``), and prints the median in milliseconds.
``class-balanced`` gets unequal label counts. ``uncertainty()`` is timed for each kind
as well, since the training job stores it for every prediction.

The target is ≤ 1 s per strategy for 1,000,000 predictions (a row-by-row Python loop
took 5 s for 33,000). Nothing here is a unit test; the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.training.active_learning import make_strategy, select, strategy_choices, uncertainty  # noqa: E402

SEED = 20261127


def median_ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--k", type=int, default=20, help="documents to select")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--float32", action="store_true", help="probabilities as float32")
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    proba = rng.dirichlet(np.ones(args.classes), size=args.docs)
    if args.float32:
        proba = proba.astype(np.float32)
    ids = np.arange(1, args.docs + 1, dtype=np.int64)
    label_counts = [5 * (c + 1) for c in range(args.classes)]

    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {args.docs:,} × {args.classes} {proba.dtype} probabilities, "
        f"k = {args.k}, median of {args.runs} runs"
    )
    print(f"{'strategy':<20} {'scores ms':>10} {'select ms':>10}")
    for name, _title in strategy_choices():
        config = {"label_counts": label_counts} if name == "class-balanced" else {}
        if name == "random":
            config = {"seed": SEED}
        strategy = make_strategy(name, **config)
        scores = median_ms(lambda s=strategy: s.scores(proba), args.runs)
        chosen = median_ms(lambda s=strategy: select(s, proba, ids, args.k), args.runs)
        print(f"{name:<20} {scores:10.1f} {chosen:10.1f}")
    print(f"{'uncertainty()':<20} {'ms':>10}")
    for kind in ("entropy", "least-confidence", "margin"):
        ms = median_ms(lambda kind=kind: uncertainty(proba, kind), args.runs)
        print(f"{kind:<20} {ms:10.1f}")


if __name__ == "__main__":
    main()
