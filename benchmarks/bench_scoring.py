"""Scoring benchmark: train the baseline and predict every document of a 1,000,000-document
project, predictions written to SQLite in batches (the training job as the window runs it).

    .venv/bin/python benchmarks/bench_scoring.py            # 1,000,000 documents
    .venv/bin/python benchmarks/bench_scoring.py --docs 100000

Uses a copy of the project benchmarks/bench_browser.py builds (built if missing; 3,000
labelled documents in three categories, 300 of them in the evaluation set). Prints the
time of each stage from the job's own progress reports. Target: scoring 1,000,000
documents ≤ 60 s.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_browser import DATA, build  # noqa: E402

from core.jobs import Progress  # noqa: E402
from core.store.project import Project  # noqa: E402
from core.training.job import train_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    args = parser.parse_args()
    source = DATA / f"browse_{args.docs}.labelloop"
    if not source.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        build(source, args.docs)
    with tempfile.TemporaryDirectory(prefix="labelloop-scoring-") as folder:
        return run(source, Path(folder) / "bench.labelloop", args.docs)


def run(source: Path, target: Path, docs: int) -> int:
    """Train on a copy of ``source`` at ``target`` (removed with its folder afterwards)."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)

    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(report: Progress) -> None:
        stage = report.message.split(" ")[0] if report.message else ""
        marks.setdefault(stage, time.perf_counter() - started)

    with Project.open(target) as project:
        result = train_model(project, "baseline", progress=progress)
    total = time.perf_counter() - started
    fitted = marks.get("Measuring", total)  # the stage after fitting
    saving = marks.get("Saving", total)
    print(f"documents: {docs:,}; training labels: {result.metrics['train_size']:,}")
    print(f"gather labels and fit (tuning included): {fitted:.1f} s")
    print(
        f"evaluate, predict and write {docs:,} predictions: {saving - fitted:.1f} s "
        f"(target <= 60 s for 1,000,000)"
    )
    print(f"whole training job: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
