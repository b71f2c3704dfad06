"""Active-learning simulation on a fully labelled file (ASReview's "simulation mode").

Every document already has a label; the simulation hides them and replays labelling:

1. Per seed, a held-out **test set** is drawn once, stratified by label (``test_size``
   documents, or that fraction when it is below 1). It is never selectable: candidates are
   only the other documents, and :func:`core.training.active_learning.select` gets the test ids as
   ``exclude`` as a second guard.
2. The simulation starts from ``initial`` random labels, the same documents for every
   strategy within a seed (redrawn, at most 100 times, until two categories have two
   labels each: the least a classifier trains on).
3. Each round fits a **fresh** classifier on the labels so far, records its macro-F1 on the
   test set, predicts the remaining candidates and lets the strategy pick the next ``step``
   documents, until ``max_labels`` labels.

What to run is a :class:`~core.simulation.plan.SimulationPlan`. The result holds learning
curves (strategy, seed, labels, macro-F1) and, per strategy, the mean ± sd macro-F1 at each
step and the number of labels needed to reach random sampling's final macro-F1 (the mean
over seeds of random's F1 at ``max_labels``): the mean over the seeds that reach it, and
how many do (:func:`core.simulation.curves.summarise_curves`).

Model settings: the baseline's full grid search (16 candidates, 5-fold CV) in every round
is the faithful replay of what the app does, but the simulation fits hundreds of models.
``tuning="fixed"`` (the plan's default) uses one fixed, small configuration instead
(:data:`FIXED_BASELINE`: word 1–2 grams, C=1, balanced class weights; the baseline still
runs its 2-fold CV on that one candidate, which only reports). ``tuning="grid"`` uses the
model's default configuration with its grid search. Other models always use their
default configuration. The result says which was used.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import LabelLoopError
from core.evaluation.metrics import evaluate
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.models.base import ClassifierConfig, config_for, make_classifier
from core.simulation.curves import (
    CurvePoint,
    StrategySummary,
    describe_reach,
    summarise_curves,
    table,
)
from core.simulation.plan import DEFAULT_STRATEGY, SimulationPlan, Tuning
from core.training.active_learning import STRATEGIES, make_strategy, select
from core.wording import plural, verb

#: The baseline's settings for ``tuning="fixed"``: one candidate, no grid search.
FIXED_BASELINE: dict[str, Any] = {
    "c_values": (1.0,),
    "class_weights": ("balanced",),
    "ngram_ranges": ((1, 2),),
    "max_folds": 2,
    "n_jobs": 1,
}

_INITIAL_ATTEMPTS = 100


class SimulationError(LabelLoopError):
    """The simulation cannot run with these data or settings."""


@dataclass
class SimulationResult:
    strategies: list[str]
    seeds: list[int]
    curves: list[CurvePoint]
    summary: dict[str, StrategySummary]
    #: Random sampling's mean final macro-F1 (None when random was not simulated).
    target_f1: float | None
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def curve(self, strategy: str, seed: int) -> list[tuple[int, float]]:
        """``(labels, macro_f1)`` pairs of one strategy and seed, in order."""
        return [
            (p.labels, p.macro_f1) for p in self.curves if p.strategy == strategy and p.seed == seed
        ]

    def write_csv(self, path: str | Path) -> Path:
        """The learning curves as CSV: ``strategy,seed,labels,macro_f1``."""
        path = Path(path)
        try:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["strategy", "seed", "labels", "macro_f1"])
                for p in self.curves:
                    writer.writerow([p.strategy, p.seed, p.labels, f"{p.macro_f1:.6f}"])
        except OSError as error:
            raise SimulationError(f"Cannot write {path}: {error.strerror or error}.") from None
        return path

    def as_dict(self) -> dict[str, Any]:
        return {
            "strategies": self.strategies,
            "seeds": self.seeds,
            "target_f1": self.target_f1,
            "settings": self.settings,
            "summary": {name: asdict(s) for name, s in self.summary.items()},
            "curves": [asdict(p) for p in self.curves],
            "notes": self.notes,
            "seconds": self.seconds,
        }

    def describe(self) -> str:
        """A plain-text table: final macro-F1 and labels to reach random's final F1."""
        s = self.settings
        target = f"{self.target_f1:.3f}" if self.target_f1 is not None else "n/a"
        lines = [
            f"Simulated {plural(len(self.strategies), 'strategy', 'strategies')} × "
            f"{plural(len(self.seeds), 'seed')} on "
            f"{plural(s['n_documents'], 'document')}; test set {s['test_size']:,} (stratified, "
            f"never selectable); {s['initial']} random labels, then {s['step']} per round, "
            f"up to {s['max_labels']:,}.",
            f"Model: {s['model']} ({s['model_settings']}).",
            f"Target: random sampling's final macro-F1 = {target}.",
            "",
        ]
        header = ("strategy", f"macro-F1 @ {s['max_labels']:,}", "labels to reach target")
        n_seeds = len(self.seeds)
        rows = [
            (
                name,
                f"{summary.final_mean_f1:.3f} ± {summary.final_sd_f1:.3f}",
                describe_reach(summary, self.target_f1, n_seeds, "n/a (simulate random too)"),
            )
            for name, summary in self.summary.items()  # in the order of self.strategies
        ]
        notes = [f"Note: {n}" for n in self.notes]
        return "\n".join([*lines, *table(header, rows), *notes])


# -- reading a file ----------------------------------------------------------------------


def read_labelled_file(
    path: str | Path, text_col: str, label_col: str, **reader_options: Any
) -> tuple[list[str], list[str], int]:
    """Texts and labels from any file :func:`open_reader` reads; rows without a label or
    text are skipped (their number is returned third)."""
    from core.ingest.readers import as_text, open_reader

    reader = open_reader(path, **reader_options)
    missing = [c for c in (text_col, label_col) if c not in reader.columns]
    if missing:
        columns = ", ".join(repr(c) for c in reader.columns)
        which = " and ".join(repr(c) for c in missing)
        raise SimulationError(f"{path}: no column {which}. Columns: {columns}.")
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for chunk in reader.chunks(20_000, [text_col, label_col]):
        for text, label in zip(chunk.data[text_col], chunk.data[label_col], strict=True):
            text, label = as_text(text), as_text(label).strip()
            if not label or not text.strip():
                skipped += 1
                continue
            texts.append(text)
            labels.append(label)
    return texts, labels, skipped


# -- the simulation ----------------------------------------------------------------------


def model_config(model: str, seed: int, tuning: Tuning) -> tuple[ClassifierConfig, str]:
    """The configuration of one round's classifier, and a description of it."""
    if tuning not in ("fixed", "grid"):
        raise SimulationError(f"Unknown tuning '{tuning}'; use 'fixed' or 'grid'.")
    if model == "baseline" and tuning == "fixed":
        return config_for(model, seed=seed, **FIXED_BASELINE), (
            "fixed configuration, no grid search: word 1-2 grams, C=1, balanced class weights"
        )
    if model == "baseline":
        return config_for(model, seed=seed), "grid search by cross-validation in every round"
    return config_for(model, seed=seed), "default configuration"


def _test_count(test_size: float | None, n: int) -> int:
    if test_size is None:
        count = min(5000, n // 4)
    elif 0 < test_size < 1:
        count = round(test_size * n)
    elif test_size >= 1 and float(test_size).is_integer():
        count = int(test_size)
    else:
        raise SimulationError(
            f"test_size must be a count of documents or a fraction below 1, got {test_size}."
        )
    if count < 1 or count >= n:
        raise SimulationError(
            f"A test set of {plural(count, 'document')} does not fit "
            f"{plural(n, 'document')}; "
            "choose a smaller test size."
        )
    return count


def _stratified_test(y: np.ndarray, n_classes: int, count: int, seed: int) -> np.ndarray:
    """``count`` document indices, each category in proportion (largest remainders)."""
    rng = np.random.default_rng([seed, 1])
    sizes = np.bincount(y, minlength=n_classes)
    exact = sizes * count / len(y)
    take = np.floor(exact).astype(np.int64)
    remainder = count - int(take.sum())
    if remainder:
        order = np.lexsort((rng.random(n_classes), -(exact - take)))
        take[order[:remainder]] += 1
    chosen = [
        rng.permutation(np.flatnonzero(y == c))[: take[c]] for c in range(n_classes) if take[c]
    ]
    return np.sort(np.concatenate(chosen))


def _initial_set(pool: np.ndarray, y: np.ndarray, initial: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 2])
    for _ in range(_INITIAL_ATTEMPTS):
        chosen = rng.choice(pool, size=initial, replace=False)
        counts = np.bincount(y[chosen])
        if (counts >= 2).sum() >= 2:
            return chosen
    raise SimulationError(
        f"{initial} random labels never gave two categories with two labels each; "
        "raise the number of initial labels."
    )


def simulate(
    texts: Sequence[str],
    labels: Sequence[str],
    plan: SimulationPlan | None = None,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> SimulationResult:
    """Replay active learning on fully labelled data as ``plan`` says (default: the
    :class:`SimulationPlan` defaults); see the module docstring. A plan that cannot run on
    these data is a :class:`SimulationError`."""
    started = time.perf_counter()
    plan = plan or SimulationPlan()
    initial, step, max_labels, model = plan.initial, plan.step, plan.max_labels, plan.model
    if len(texts) != len(labels):
        raise SimulationError(f"{len(texts)} texts but {len(labels)} labels.")
    strategies = list(dict.fromkeys(plan.strategies))
    if not strategies:
        raise SimulationError("Name at least one strategy.")
    for name in strategies:
        if name not in STRATEGIES:
            known = ", ".join(sorted(STRATEGIES))
            raise SimulationError(f"Unknown query strategy '{name}'. Known strategies: {known}.")
    seed_list = plan.seed_list()
    if not seed_list:
        raise SimulationError("Give at least one seed.")
    if initial < 4 or step < 1:
        raise SimulationError("initial must be at least 4 and step at least 1.")
    if max_labels < initial:
        raise SimulationError(f"max_labels ({max_labels}) is below initial ({initial}).")

    n = len(texts)
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise SimulationError("The labels have fewer than two categories; nothing to learn.")
    index = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((index[v] for v in labels), dtype=np.int64, count=n)
    n_test = _test_count(plan.test_size, n)
    notes: list[str] = []
    if max_labels > n - n_test:
        notes.append(
            f"Only {plural(n - n_test, 'document')} {verb(n - n_test)} outside the test set; "
            f"max_labels lowered from {max_labels:,}."
        )
        max_labels = n - n_test
        if max_labels < initial:
            raise SimulationError("Too few documents outside the test set for the initial labels.")
    points = [*range(initial, max_labels, step), max_labels]
    model_settings = model_config(model, seed_list[0], plan.tuning)[1]
    reporter = ProgressReporter(progress, should_cancel)
    total = len(seed_list) * len(strategies) * len(points)
    text_array = np.asarray(texts, dtype=object)
    curves: list[CurvePoint] = []
    done = 0

    for seed in seed_list:
        test = _stratified_test(y, len(classes), n_test, seed)
        in_test = np.zeros(n, dtype=bool)
        in_test[test] = True
        test_ids = frozenset(test.tolist())
        test_texts = text_array[test].tolist()
        test_truth = [classes[i] for i in y[test]]
        start = _initial_set(np.flatnonzero(~in_test), y, initial, seed)
        config = model_config(model, seed, plan.tuning)[0]
        for name in strategies:
            strategy = make_strategy(name, seed=seed) if name == "random" else None
            if name not in ("random", "class-balanced"):
                strategy = make_strategy(name)
            labelled = np.zeros(n, dtype=bool)
            labelled[start] = True
            for point in points:
                reporter.report(
                    done,
                    total,
                    f"{name}, seed {seed}: {plural(point, 'label')} ({done:,}/{total:,})",
                )
                train = np.flatnonzero(labelled)
                train_y = y[train]
                counts = np.bincount(train_y, minlength=len(classes))
                # A category with a single label cannot be learnt yet; leave it out this round.
                train = train[counts[train_y] >= 2]
                classifier = make_classifier(model, config)
                classifier.fit(
                    text_array[train].tolist(),
                    [classes[i] for i in y[train]],
                    should_cancel=should_cancel,
                )
                candidates = np.flatnonzero(~labelled & ~in_test)
                want_pool = point < max_labels and name != "random"
                predict = test_texts + (text_array[candidates].tolist() if want_pool else [])
                proba = classifier.predict_proba(predict, should_cancel=should_cancel)
                known = classifier.classes_
                predicted = [known[i] for i in np.argmax(proba[: len(test)], axis=1)]
                f1 = evaluate(test_truth, predicted, classes, n_boot=0).macro_f1["value"]
                curves.append(CurvePoint(name, seed, point, float(f1)))
                done += 1
                if point == max_labels:
                    break
                k = min(step, max_labels - point)
                if name == "random":
                    pool_proba = np.zeros((len(candidates), 1))
                else:
                    pool_proba = proba[len(test) :]
                if name == "class-balanced":
                    label_count = Counter(classes[i] for i in y[labelled])
                    strategy = make_strategy(name, label_counts=[label_count[c] for c in known])
                chosen = select(strategy, pool_proba, candidates, k, exclude=test_ids)
                if test_ids.intersection(chosen):  # select() guards this too
                    raise AssertionError("The simulation selected a test document.")
                labelled[chosen] = True
    reporter.report(total, total, "Simulation finished")

    summarised = summarise_curves(curves)
    result = SimulationResult(
        strategies=strategies,
        seeds=seed_list,
        curves=curves,
        summary=summarised.summary,
        target_f1=summarised.target_f1,
        settings={
            "n_documents": n,
            "classes": classes,
            "test_size": n_test,
            "initial": initial,
            "step": step,
            "max_labels": max_labels,
            "model": model,
            "tuning": plan.tuning if model == "baseline" else "default",
            "model_settings": model_settings,
        },
        notes=notes,
    )
    result.seconds = time.perf_counter() - started
    return result


def simulate_file(
    path: str | Path,
    text_col: str,
    label_col: str,
    plan: SimulationPlan | None = None,
    *,
    reader_options: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> SimulationResult:
    """:func:`simulate` on a labelled file; the result notes how many rows had no text or
    label and were skipped."""
    reporter = ProgressReporter(progress, should_cancel)
    reporter.report(0, 0, f"Reading {Path(path).name}")
    texts, labels, skipped = read_labelled_file(path, text_col, label_col, **(reader_options or {}))
    reporter.check_cancel()
    result = simulate(texts, labels, plan, progress=progress, should_cancel=should_cancel)
    if skipped:
        result.notes.append(f"Skipped {plural(skipped, 'row')} without a text or a label.")
    return result


__all__ = [
    "DEFAULT_STRATEGY",
    "FIXED_BASELINE",
    "CurvePoint",
    "SimulationError",
    "SimulationPlan",
    "SimulationResult",
    "StrategySummary",
    "read_labelled_file",
    "simulate",
    "simulate_file",
]
