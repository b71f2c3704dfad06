"""Predicting a large corpus on several cores (core.models.parallel): the same predictions.

The training job hands batches to worker processes holding a scikit-learn-free copy of
the baseline (``LinearPredictor``). Its probabilities must be scikit-learn's, for two
categories and for more, a job predicted with workers must store what a job without
them stores, and workers must not outlive a job killed with kill -9.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest
from projects import open_copy
from sqlalchemy import select
from test_baseline import HELD_OUT, corpus

from core.models import parallel
from core.models.baseline import BaselineClassifier, BaselineConfig
from core.store.schema import Prediction
from core.training.job import train_model


@pytest.mark.parametrize(
    "per_class",
    [{"sport": 30, "politiek": 30}, {"sport": 30, "politiek": 30, "weer": 30}],
    ids=["two categories", "three categories"],
)
def test_the_portable_predictor_gives_scikit_learns_probabilities(
    per_class: dict[str, int],
) -> None:
    texts, labels = corpus(per_class)
    classifier = BaselineClassifier(BaselineConfig(seed=3))
    classifier.fit(texts, labels)
    unseen = [*HELD_OUT, "", "woorden die het model nooit zag"]

    portable = classifier.portable_predictor().predict_proba(unseen)

    np.testing.assert_allclose(portable, classifier.predict_proba(unseen), rtol=0, atol=1e-12)


def test_worker_count_follows_the_corpus_and_the_cores() -> None:
    assert parallel.worker_count(parallel.PARALLEL_FROM - 1, cpus=8) == 0
    assert parallel.worker_count(parallel.PARALLEL_FROM, cpus=1) == 0
    assert parallel.worker_count(parallel.PARALLEL_FROM, cpus=2) == 1
    assert parallel.worker_count(10**7, cpus=64) == parallel.MAX_WORKERS


def _stored(project_path: Path, tmp_path: Path, name: str) -> dict[int, tuple[int, float]]:
    """Train a baseline on a copy of the project; what it stored: document -> (category,
    uncertainty)."""
    (tmp_path / name).mkdir()
    project = open_copy(project_path, tmp_path / name)
    try:
        run_id = train_model(project, "baseline").run_id
        with project.read() as session:
            rows = session.execute(
                select(
                    Prediction.document_id, Prediction.category_id, Prediction.uncertainty
                ).where(Prediction.run_id == run_id)
            ).all()
    finally:
        project.close()
    return {document: (category, score) for document, category, score in rows}


@pytest.fixture
def alone(demo_copy: Path, tmp_path: Path) -> dict[int, tuple[int, float]]:
    """The demo project's predictions from a job predicting in its own process."""
    return _stored(demo_copy, tmp_path, "alone")


@pytest.fixture
def workers_for_any_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every corpus is "large", on 2 cores, in batches of 50: the demo's go to a worker too."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr("core.training.job.PREDICT_BATCH", 50)
    monkeypatch.setattr("os.cpu_count", lambda: 2)


def test_a_job_predicted_with_worker_processes_stores_the_same_predictions(
    demo_copy: Path,
    tmp_path: Path,
    alone: dict[int, tuple[int, float]],
    workers_for_any_corpus: None,
) -> None:
    assert_same(_stored(demo_copy, tmp_path, "workers"), alone)


def assert_same(
    stored: dict[int, tuple[int, float]], expected: dict[int, tuple[int, float]]
) -> None:
    """The same documents, each predicted as the same category with the same uncertainty."""
    assert stored.keys() == expected.keys()
    for document, (category, score) in expected.items():
        assert stored[document][0] == category
        assert stored[document][1] == pytest.approx(score, abs=1e-9)


class DyingPredictor:
    """A worker's predictor whose process dies at its first batch (imported by name in
    the worker: this module is on the path the worker gets)."""

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        os._exit(3)


def test_a_worker_that_dies_leaves_the_job_to_predict_everything_itself(
    demo_copy: Path,
    tmp_path: Path,
    alone: dict[int, tuple[int, float]],
    workers_for_any_corpus: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(BaselineClassifier, "portable_predictor", lambda self: DyingPredictor())

    assert_same(_stored(demo_copy, tmp_path, "dying"), alone)


_HOLDS_A_POOL = """
import sys, time
sys.path[:0] = {paths!r}
from test_baseline import corpus
from core.models.baseline import BaselineClassifier, BaselineConfig
from core.models.parallel import PredictorPool
texts, labels = corpus({{"sport": 20, "weer": 20}})
classifier = BaselineClassifier(BaselineConfig(seed=3))
classifier.fit(texts, labels)
with PredictorPool(classifier.portable_predictor(), 1) as pool:
    pool.submit(texts).result()  # the worker is up
    print("ready", flush=True)
    time.sleep(600)
"""


def test_workers_end_when_the_job_that_started_them_is_killed(tmp_path: Path) -> None:
    tests = Path(__file__).parent
    script = _HOLDS_A_POOL.format(paths=[str(tests.parent), str(tests)])
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        workers = [
            p
            for p in psutil.Process(child.pid).children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline())
        ]
        assert workers, "the pool started no worker process"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(30)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], "a worker outlived the killed job"
