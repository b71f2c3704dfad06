"""The baseline's tuning: a raced, stratified k-fold grid search scored by macro-F1.

Candidates are combinations of a feature setting, ``C`` and ``class_weight``. Every fit is a
multinomial logistic regression (``saga``, L2 penalty) on a fold's TF-IDF matrix, a row and
column selection of counts made once (:mod:`core.models.tfidf`). A naive ``GridSearchCV``
fits every candidate on every fold with ``lbfgs``, whose BLAS threads oversubscribe small
machines. Here:

1. ``saga`` with a tolerance that loosens as the training set grows (see
   :meth:`Solver.tolerance`) converges in a few epochs on l2-normalised TF-IDF rows. Warm
   starts along the C path were measured and dropped: with ``saga`` they saved at most 8%
   (its gradient memory starts afresh each fit); with ``lbfgs`` the C path only moved with
   a tolerance so tight that each fit took 5–10 times longer than ``saga``'s.
2. Racing (successive halving over folds, ``BaselineConfig.racing``): all candidates run on
   two folds, the best half on a third, the best quarter on the rest.
3. The fits run on ``n_jobs`` threads (``saga`` releases the GIL) with BLAS limited to one
   thread by threadpoolctl, so threads never oversubscribe the cores.

Each fit is scored with :func:`core.evaluation.metrics.macro_f1`, the Evaluate page's
macro-F1.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from core.evaluation.metrics import confusion, macro_f1
from core.jobs import ProgressReporter
from core.models.base import TooFewLabelsError
from core.models.tfidf import FeatureSetting, NgramCounts, document_frequency, smooth_idf, tfidf


@dataclass(frozen=True)
class Candidate:
    """One point of the grid."""

    setting: FeatureSetting
    class_weight: str | None
    c: float

    def parameters(self) -> dict[str, Any]:
        return {
            "analyzer": self.setting.analyzer,
            "ngram_range": list(self.setting.ngram_range),
            "class_weight": self.class_weight,
            "C": self.c,
        }

    def describe(self) -> str:
        weight = "balanced classes" if self.class_weight == "balanced" else "unweighted"
        return f"{self.setting.describe()}, C={self.c:g}, {weight}"


@dataclass(frozen=True)
class Solver:
    """How every logistic regression is fitted: ``saga``, L2 penalty."""

    max_iter: int
    seed: int
    tol: float | None = None  # None: from the number of training texts

    def tolerance(self, n_train: int) -> float:
        """saga's tolerance: the configured one, else looser as the training set grows.

        saga stops when an epoch changes the coefficients by less than ``tol`` (relative).
        With many texts one epoch is many updates, so a loose tolerance already lands near
        the optimum: on 24,000 tweets tol=0.1 gave CV macro-F1 within 0.005 of tol=0.001 in
        a sixth of the time, while on 300 it was 0.03 off. Hence n/300,000 within
        [0.001, 0.1].
        """
        if self.tol is not None:
            return self.tol
        return min(0.1, max(0.001, n_train / 300_000))

    def model(self, c: float, class_weight: str | None, n_train: int) -> LogisticRegression:
        """An unfitted model for ``n_train`` training texts."""
        return LogisticRegression(
            C=c,
            class_weight=class_weight,
            solver="saga",
            tol=self.tolerance(n_train),
            max_iter=self.max_iter,
            random_state=self.seed,
        )


@dataclass
class _Folds:
    """What every CV fit needs: the counts, the folds and their document frequencies."""

    matrices: dict[FeatureSetting, NgramCounts]
    folds: list[tuple[np.ndarray, np.ndarray]]
    fold_df: dict[int, list[np.ndarray]]  # by id() of the NgramCounts, per fold
    y: np.ndarray
    n_classes: int
    min_df: int


@dataclass
class Tuned:
    """What the search found: the best candidate and every candidate's scores."""

    best: Candidate
    scores: dict[Candidate, np.ndarray]  # macro-F1 per fold; NaN where not run
    means: dict[Candidate, float]
    min_df: int  # the configured one, or 1 where that left a fold without features
    notes: list[str] = field(default_factory=list)

    def cv_scores(self) -> dict[str, Any]:
        """The best candidate's cross-validated macro-F1 and every candidate's, for the
        fit report."""
        best = self.scores[self.best]
        return {
            "metric": "macro_f1",
            "cv_folds": len(best),
            "cv_macro_f1_mean": float(np.mean(best)),
            "cv_macro_f1_std": float(np.std(best)),
            "cv_macro_f1_per_fold": [float(s) for s in best],
            "cv_candidates": [
                {
                    **c.parameters(),
                    "cv_folds_evaluated": int(np.sum(~np.isnan(scores))),
                    "cv_macro_f1_mean": self.means[c],
                    "cv_macro_f1_std": float(np.nanstd(scores)),
                }
                for c, scores in self.scores.items()
            ],
        }


@dataclass(frozen=True)
class GridSearch:
    """A stratified ``k``-fold grid search over ``candidates``, raced (see :meth:`rounds`)."""

    candidates: tuple[Candidate, ...]
    k: int
    seed: int
    min_df: int
    solver: Solver
    racing: bool = True
    n_jobs: int | None = None  # threads for the fits; None: one per core

    def rounds(self) -> list[tuple[list[int], int]]:
        """Which folds each round runs, and on how many of the best candidates so far.

        Racing (successive halving over folds): every candidate runs on folds 1–2, the
        best half on fold 3, the best quarter on the rest. The best candidate's score is
        always over all k folds. On 1,000–30,000 tweets (six samples) it chose the same
        candidate as the full grid with 48 fits instead of 80.
        """
        k, n = self.k, len(self.candidates)
        if not self.racing or k < 4 or n < 4:
            return [(list(range(k)), n)]
        return [([0, 1], n), ([2], math.ceil(n / 2)), (list(range(3, k)), math.ceil(n / 4))]

    @property
    def n_fits(self) -> int:
        return sum(len(folds) * kept for folds, kept in self.rounds())

    def racing_note(self) -> str | None:
        """A sentence for the fit report when racing dropped candidates."""
        if len(self.rounds()) == 1:
            return None
        return (
            f"Tuning compared {len(self.candidates)} settings by {self.k}-fold cross-validation, "
            "dropping the weaker ones early (the best half after 2 folds, the best "
            "quarter after 3)."
        )

    def run(
        self,
        matrices: dict[FeatureSetting, NgramCounts],
        y: np.ndarray,
        n_classes: int,
        reporter: ProgressReporter,
        done: float,
        total: float,
    ) -> Tuned:
        """Cross-validate every candidate on the counts; reports one unit per fit."""
        notes: list[str] = []
        folds = list(
            StratifiedKFold(n_splits=self.k, shuffle=True, random_state=self.seed).split(
                np.zeros(len(y)), y
            )
        )
        distinct = {id(c): c for c in matrices.values()}  # word settings share one
        fold_df = {
            key: [document_frequency(c.matrix[train]) for train, _ in folds]
            for key, c in distinct.items()
        }
        settings = list(dict.fromkeys(c.setting for c in self.candidates))

        def features_left(minimum: int) -> bool:
            return all(
                np.any(df[matrices[s].columns(s)] >= minimum)
                for s in settings
                for df in fold_df[id(matrices[s])]
            )

        if not features_left(1):
            raise TooFewLabelsError(
                "The labelled texts contain no words the model can use; "
                "label some documents with more text first."
            )
        min_df = self.min_df
        if not features_left(min_df):
            notes.append(f"min_df={min_df} left a fold without features; used min_df=1.")
            min_df = 1
        problem = _Folds(matrices, folds, fold_df, y, n_classes, min_df)
        scores = self._cross_validate(problem, reporter, done, total)
        evaluated = [c for c in self.candidates if not np.isnan(scores[c]).any()]
        means = {c: float(np.nanmean(scores[c])) for c in self.candidates}
        best = max(evaluated, key=lambda c: means[c])  # the first of equals: smaller C
        return Tuned(best, scores, means, min_df, notes)

    def _cross_validate(
        self, problem: _Folds, reporter: ProgressReporter, done: float, total: float
    ) -> dict[Candidate, np.ndarray]:
        """Macro-F1 of the candidates on the folds, round by round (NaN: not run).

        A task is one (fold, setting): it builds that fold's TF-IDF matrices once and fits
        every candidate of the setting on them. Tasks run on worker threads; this thread
        reports each finished fit and checks for cancellation at least every 0.1 s, and a
        cancel stops the workers before their next fit.
        """
        n_folds = len(problem.folds)
        scores = {c: np.full(n_folds, np.nan) for c in self.candidates}
        results: queue.Queue[tuple[Candidate, int, float] | BaseException] = queue.Queue()
        stop = threading.Event()
        n_fits = self.n_fits
        received = 0

        def run(fold: int, setting: FeatureSetting, alive: list[Candidate]) -> None:
            if stop.is_set():
                return
            try:
                for candidate, score in self._fold_scores(problem, fold, setting, alive, stop):
                    results.put((candidate, fold, score))
            except BaseException as error:  # handed to the calling thread
                results.put(error)

        n_jobs = max(1, self.n_jobs or _cpu_count())
        with (
            threadpool_limits(1),
            warnings.catch_warnings(),
            ThreadPoolExecutor(n_jobs, thread_name_prefix="baseline-cv") as pool,
        ):
            warnings.simplefilter("ignore", ConvergenceWarning)
            futures = []
            try:
                alive = list(self.candidates)
                for folds, kept in self.rounds():
                    if kept < len(alive):
                        # The best so far on the same folds; ties keep the earlier order.
                        alive = sorted(alive, key=lambda c: -np.nanmean(scores[c]))[:kept]
                    settings = list(dict.fromkeys(c.setting for c in alive))
                    # Largest settings first, so the last tasks to finish are short ones.
                    tasks = sorted(
                        ((f, s) for f in folds for s in settings),
                        key=lambda t: -problem.matrices[t[1]].columns(t[1]).size,
                    )
                    futures = [
                        pool.submit(run, f, s, [c for c in alive if c.setting == s])
                        for f, s in tasks
                    ]
                    expected = received + len(folds) * len(alive)
                    while received < expected:
                        try:
                            item = results.get(timeout=0.1)
                        except queue.Empty:
                            reporter.check_cancel()
                            continue
                        if isinstance(item, BaseException):
                            raise item
                        candidate, fold, score = item
                        scores[candidate][fold] = score
                        received += 1
                        reporter.report(
                            done + received,
                            total,
                            f"Cross-validating ({received} of {n_fits} fits): "
                            f"{candidate.describe()}, fold {fold + 1}",
                        )
            finally:  # on cancel or error: drop queued tasks, stop running ones early
                stop.set()
                for future in futures:
                    future.cancel()
        return scores

    def _fold_scores(
        self,
        problem: _Folds,
        fold: int,
        setting: FeatureSetting,
        candidates: list[Candidate],
        stop: threading.Event,
    ) -> Iterator[tuple[Candidate, float]]:
        """Fit each candidate on the fold's training rows; macro-F1 on its test rows."""
        train, test = problem.folds[fold]
        counts = problem.matrices[setting]
        df = problem.fold_df[id(counts)][fold]
        columns = counts.columns(setting)
        kept = columns[df[columns] >= problem.min_df]
        idf = smooth_idf(df[kept], len(train))
        x_train = tfidf(counts.matrix[train][:, kept], idf)
        x_test = tfidf(counts.matrix[test][:, kept], idf)
        truth = problem.y[test]
        for candidate in candidates:
            if stop.is_set():
                return
            model = self.solver.model(candidate.c, candidate.class_weight, len(train))
            model.fit(x_train, problem.y[train])
            predicted = model.predict(x_test)
            yield candidate, float(macro_f1(confusion(truth, predicted, problem.n_classes)))


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
