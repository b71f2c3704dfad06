"""Scoring benchmark: train the baseline and predict every document of a 1,000,000-document
project, predictions written to SQLite in batches (the training job as the window runs it).

    .venv/bin/python benchmarks/bench_scoring.py            # 1,000,000 documents
    .venv/bin/python benchmarks/bench_scoring.py --docs 100000

Uses a copy of the project benchmarks/bench_browser.py builds (built if missing; 3,000
labelled documents in three categories, 300 of them in the evaluation set). Runs the
job in a child process, samples the memory of that process and its prediction workers,
and prints the time of each stage from the job's own progress reports; then runs the plain script a
user would write (benchmarks/reference_scoring.py) on another copy in a child process and
prints both side by side with the ratio. Targets: at least twice as fast as the plain
script, peak RSS ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

DATA = ROOT / "benchmarks" / "data"
# The project's modules are imported where they are used: the training job's prediction
# workers are started with 'spawn', which imports this script in each of them, and they
# should load what they load in the app, not the whole training job.


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the plain script (reference_scoring.py)"
    )
    args = parser.parse_args()
    source = DATA / f"browse_{args.docs}.labelloop"
    if not source.exists():
        from bench_browser import build

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
    """Train on a copy of ``source`` at ``target`` (removed with its folder afterwards), in
    a child process: its memory, with its prediction workers', is the job's alone."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    command = [sys.executable, __file__, "--child", str(target)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    with TotalMemory(child.pid) as memory:
        out, _ = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"The training child failed with exit status {child.returncode}.")
    job = json.loads(out.strip().splitlines()[-1])
    print(f"documents: {docs:,}; training labels: {job['train_size']:,}")
    print(f"gather labels and fit (tuning included): {job['fitted_s']:.1f} s")
    print(
        f"evaluate, predict and write {docs:,} predictions: "
        f"{job['saving_s'] - job['fitted_s']:.1f} s (target <= 60 s for 1,000,000)"
    )
    print(
        f"whole training job: {job['total_s']:.1f} s ({wall:.1f} s with the child's start); "
        f"peak RSS of the job's process {job['peak_rss_mb']:.0f} MB; with its worker "
        f"processes (sampled every 50 ms) {memory.peak_mb:.0f} MB ("
        + " + ".join(f"{size:.0f}" for size in memory.at_peak)
        + ")"
    )
    return {"total_s": job["total_s"], "peak_rss_mb": max(job["peak_rss_mb"], memory.peak_mb)}


def child(target: Path) -> None:
    """The training job on ``target``, as the window runs it; its figures as JSON."""
    from core.store.project import Project
    from core.training.job import train_model

    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(report: Any) -> None:
        stage = report.message.split(" ")[0] if report.message else ""
        marks.setdefault(stage, time.perf_counter() - started)

    with Project.open(target) as project:
        result = train_model(project, "baseline", progress=progress)
    total = time.perf_counter() - started
    figures = {
        "total_s": total,
        "fitted_s": marks.get("Measuring", total),  # the stage after fitting
        "saving_s": marks.get("Saving", total),
        "train_size": result.metrics["train_size"],
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(figures))


class TotalMemory:
    """While the block runs, the peak of the resident memory of process ``pid`` plus its
    child processes' (the training job's prediction workers), sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self.at_peak: list[float] = []  # this process's and each child's, at the peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        root = psutil.Process(self.pid)
        while not self._stop.wait(0.05):
            sizes = []
            processes: list[psutil.Process] = []
            with contextlib.suppress(psutil.Error):  # the job has just ended
                processes = [root, *root.children(recursive=True)]
            for process in processes:
                with contextlib.suppress(psutil.Error):  # a worker that has just ended
                    sizes.append(process.memory_info().rss / 1e6)
            if sum(sizes) > self.peak_mb:
                self.peak_mb, self.at_peak = sum(sizes), sizes

    def __enter__(self) -> TotalMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def peak_rss_mb() -> float:
    """This process's own peak resident memory (``VmHWM``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]))
    else:
        sys.exit(main())
