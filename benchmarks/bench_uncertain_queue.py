"""'Most uncertain first' with each query strategy, at 1,000,000 predicted documents.

    .venv/bin/python benchmarks/bench_uncertain_queue.py             # 1,000,000 documents
    .venv/bin/python benchmarks/bench_uncertain_queue.py --docs 100000

Uses a copy of the project benchmarks/bench_browser.py builds (built if missing) and adds a
finished run whose predictions cover every document: five categories, probabilities from
a fixed-seed Dirichlet, written as the training job writes them. Then, for each strategy,
times the queue's first request (the default, margin, reads every candidate's stored
uncertainty; the others read every candidate's probabilities; each ranks them once per run) and
a later request (served from that ranking), as the labelling session makes them, and
the longest another thread (the window's, in the app) waited for Python's lock meanwhile:
a thread that wakes every 5 ms records the longest gap between its wake-ups.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_browser import DATA, build  # noqa: E402

from core.labelling.queues import QueueRequest, make_queue  # noqa: E402
from core.store.predictions import prediction_rows, write_predictions  # noqa: E402
from core.store.project import Project  # noqa: E402
from core.store.schema import Category, ModelRun  # noqa: E402
from core.training.active_learning import strategy_choices, uncertainty  # noqa: E402

CATEGORIES = ("politiek", "economie", "overig", "sport", "cultuur")
BATCH = 50_000


def add_run(project: Project, documents: int) -> None:
    """A finished run predicting every document, as the training job stores it."""
    with project.write() as session:
        for name in CATEGORIES[3:]:
            session.add(Category(name=name))
        session.flush()
        run = ModelRun(kind="baseline", status="finished")
        session.add(run)
        session.flush()
        run_id = run.id
        classes = [str(i) for i in range(1, len(CATEGORIES) + 1)]
    rng = np.random.default_rng(20261202)
    for first in range(1, documents + 1, BATCH):
        ids = list(range(first, min(first + BATCH, documents + 1)))
        proba = rng.dirichlet(np.full(len(classes), 0.5), size=len(ids))
        best = proba.argmax(axis=1)
        rows = prediction_rows(run_id, ids, classes, proba, best, uncertainty(proba, "margin"))
        with project.write() as session:
            write_predictions(session, rows)


def longest_stall(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Seconds ``call`` took, the longest gap (ms) between a 5 ms ticker's wake-ups
    meanwhile, and what it returned."""
    done = threading.Event()
    gaps = [0.0]

    def tick() -> None:
        last = time.perf_counter()
        while not done.wait(0.005):
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    done.set()
    ticker.join()
    return seconds, max(gaps) * 1000, result


def _file_mb(project: Project) -> float:
    """The project file's size in MB, its write-ahead log merged in first."""
    with project.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return project.path.stat().st_size / 1e6


def measure(source: Path, target: Path, documents: int, runs: int) -> None:
    """Copy ``source`` to ``target``, add a run predicting every document, time the queues."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    with Project.open(target) as project:
        before = _file_mb(project)
        started = time.perf_counter()
        add_run(project, documents)
        seconds = time.perf_counter() - started
        grown = _file_mb(project) - before
        print(f"{documents:,} predictions written in {seconds:.1f} s; the file grew {grown:.0f} MB")
        print(f"medians of {runs} runs")
        print(f"{'strategy':<18} {'first request s':>16} {'longest stall ms':>17} {'later ms':>9}")
        for name, _ in strategy_choices():
            firsts, stalls, laters = [], [], []
            for _ in range(runs):
                queue = make_queue("uncertain", strategy=name)
                served: frozenset[int] = frozenset()
                seconds, stall, ids = longest_stall(
                    lambda q=queue, s=served: q.next_ids(project, QueueRequest("anna", s, 20))
                )
                firsts.append(seconds)
                stalls.append(stall)
                served = served | set(ids)
                started = time.perf_counter()
                queue.next_ids(project, QueueRequest("anna", served, 20))
                laters.append((time.perf_counter() - started) * 1000)
            print(
                f"{name:<18} {statistics.median(firsts):>16.2f} "
                f"{statistics.median(stalls):>17.0f} {statistics.median(laters):>9.1f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source = DATA / f"browse_{args.docs}.labelloop"
    if not source.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        build(source, args.docs)
    with tempfile.TemporaryDirectory(prefix="labelloop-queue-") as folder:
        measure(source, Path(folder) / "bench.labelloop", args.docs, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
