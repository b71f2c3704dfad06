"""Predicting on every core: copies of a fitted baseline in worker processes.

The baseline's prediction is mostly Python-level tokenising (a regular expression per
text, a dict lookup per token), which holds Python's lock: threads cannot share it out.
For a large corpus the training job predicts some batches itself and hands the others to
worker processes, one fewer than the machine has cores, each holding a
:class:`LinearPredictor`: the fitted features and the logistic regression's coefficients,
sent once when it starts. It needs numpy and scipy only; scikit-learn, which imports
pandas and pyarrow with it (about 70 MB), is not loaded in the workers. On 2 cores this
took the training job on 1,000,000 documents from 24.4 s to about 19 s (BENCHMARKS.md).

Workers are started with ``spawn`` (never ``fork``: the window's threads and open
database connections must not be copied into a child), which costs each a second or two
of imports; below :data:`PARALLEL_FROM` texts that is not worth it. The predictor goes to
them pickled through a pipe, from this process's memory: nothing read from a project
file is unpickled. ``spawn`` runs the main script again in each worker, so a script that
trains without an ``if __name__ == "__main__":`` guard breaks its workers (as with any
multiprocessing program); the job then predicts the rest itself (``BrokenProcessPool``
in ``core.training.job``). The window and the ``labelloop`` commands are guarded.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    import numpy as np

    from core.models.tfidf import Vectorizer

#: Corpora smaller than this are predicted in the job's own process.
PARALLEL_FROM = 200_000
#: At most this many worker processes (each holds the classifier and its libraries).
MAX_WORKERS = 4


def worker_count(texts: int, cpus: int | None = None) -> int:
    """How many worker processes help predict ``texts`` texts: none for a small corpus or
    a single core, else one fewer than the cores (this process predicts too), at most
    :data:`MAX_WORKERS`."""
    cpus = os.cpu_count() if cpus is None else cpus
    if texts < PARALLEL_FROM or not cpus or cpus < 2:
        return 0
    return min(cpus - 1, MAX_WORKERS)


class LinearPredictor:
    """A fitted baseline's prediction without scikit-learn: TF-IDF features, then the
    logistic regression's probabilities as scikit-learn computes them (1.9): the logistic
    function of the decision value for two classes, softmax over the classes otherwise.
    A test holds it to scikit-learn's ``predict_proba``."""

    def __init__(self, vectorizer: Vectorizer, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.vectorizer = vectorizer
        self.coef = coef
        self.intercept = intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np
        from scipy.special import expit, softmax

        decision = self.vectorizer.transform(texts) @ self.coef.T + self.intercept
        decision = np.asarray(decision)
        if decision.shape[1] == 1:
            p = expit(decision[:, 0])
            return np.column_stack([1 - p, p])
        return softmax(decision, axis=1)


class PredictorPool:
    """Worker processes that each hold a copy of ``predictor`` and return its
    ``predict_proba`` of the texts they are given. A context manager: leaving it drops
    the batches not yet started and waits for those being predicted."""

    def __init__(self, predictor: LinearPredictor, workers: int) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_receive,
            initargs=(
                pickle.dumps(predictor, protocol=pickle.HIGHEST_PROTOCOL),
                os.getpid(),
                psutil.Process().create_time(),
            ),
        )

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        return self._executor.submit(_predict, list(texts))

    def __enter__(self) -> PredictorPool:
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


# -- in the worker process -----------------------------------------------------------------

_predictor: Any = None

#: How often a worker checks that the process that started it is still there.
PARENT_CHECK_S = 1.0


def _receive(blob: bytes, parent: int, parent_started: float) -> None:
    global _predictor
    _predictor = pickle.loads(blob)  # sent by the parent process, from its own memory
    threading.Thread(target=_watch, args=(parent, parent_started), daemon=True).start()


def _watch(parent: int, started: float) -> None:
    """End this worker when its parent is gone: a job killed with kill -9 (or a crash)
    cannot shut its pool down, and a worker waiting for batches would wait forever. The
    start time tells the parent from a new process that got its number."""
    while True:
        time.sleep(PARENT_CHECK_S)
        try:
            alive = psutil.Process(parent).create_time() == started
        except psutil.Error:
            alive = False
        if not alive:
            os._exit(0)


def _predict(texts: list[str]) -> np.ndarray:
    return _predictor.predict_proba(texts)
