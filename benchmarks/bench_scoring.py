"""Scoring benchmark: train the baseline and predict every document of a 1,000,000-document
project, predictions written to SQLite in batches (the training job as the window runs it).

    .venv/bin/python benchmarks/bench_scoring.py            # 1,000,000 documents
    .venv/bin/python benchmarks/bench_scoring.py --docs 100000

Uses a copy of the project benchmarks/bench_browser.py builds (built if missing; 3,000
labelled documents in three categories, 300 of them in the evaluation set). Prints the
time of each stage from the job's own progress reports, then runs the plain script a
user would write (benchmarks/reference_scoring.py) on another copy in a child process and
prints both side by side with the ratio. Targets: at least twice as fast as the plain
script, peak RSS ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
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
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the plain script (reference_scoring.py)"
    )
    args = parser.parse_args()
    source = DATA / f"browse_{args.docs}.labelloop"
    if not source.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        build(source, args.docs)
    with tempfile.TemporaryDirectory(prefix="labelloop-scoring-") as folder:
        labelloop = run(source, Path(folder) / "bench.labelloop", args.docs)
    if args.no_reference:
        return 0
    with tempfile.TemporaryDirectory(prefix="labelloop-scoring-") as folder:
        target = Path(folder) / "reference.labelloop"
        with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
            original.backup(copy)
        child = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "reference_scoring.py"), str(target)],
            capture_output=True,
            text=True,
            check=True,
        )
    reference = json.loads(child.stdout.strip().splitlines()[-1])
    print("Reference (benchmarks/reference_scoring.py: GridSearchCV, chunks, executemany)")
    print(
        f"  fit {reference['fit_s']:.1f} s, predict and write {reference['predict_write_s']:.1f} s,"
        f" whole {reference['total_s']:.1f} s; peak RSS {reference['peak_rss_mb']:.0f} MB; "
        f"CV macro-F1 {reference['cv_macro_f1']:.3f}"
    )
    ratio = reference["total_s"] / labelloop["total_s"]
    print(
        f"LabelLoop is {ratio:.2f}x as fast as the reference (target >= 2x); peak RSS "
        f"{labelloop['peak_rss_mb']:.0f} MB against {reference['peak_rss_mb']:.0f} MB "
        "(target <= 400 MB)"
    )
    return 0


def run(source: Path, target: Path, docs: int) -> dict[str, float]:
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
    print(f"whole training job: {total:.1f} s; peak RSS of this process {peak_rss_mb():.0f} MB")
    return {"total_s": total, "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
