"""Two finished runs side by side on the same evaluation documents (baseline against BERT).

:func:`compare_runs` reads both runs' stored predictions for the documents of the current
evaluation set, keeps the documents both predicted, and measures each run on exactly
those: per-category precision, recall and F1 with bootstrap intervals, macro-F1, a paired
bootstrap interval for the difference in macro-F1, and McNemar's test on the documents one
run gets right and the other wrong. No model is loaded, so it is a quick read.

:func:`recommend` turns that into one plain sentence: which run to use and at what cost
(training time and device). The rule: a difference that the evaluation sample cannot tell
apart from chance is no reason to pay for the slower model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from core.errors import LabelLoopError
from core.evaluation.metrics import Evaluation, McNemarResult, evaluate, macro_f1, mcnemar
from core.evaluation.reports import model_name
from core.store.project import Project
from core.store.schema import ModelRun, Prediction
from core.training.data import training_data
from core.wording import plural

#: Below this p-value (McNemar) or with a difference interval excluding 0, a run is "better".
SIGNIFICANCE = 0.05
_CHUNK = 30_000


@dataclass(frozen=True)
class RunSummary:
    """What the comparison shows about one run besides its metrics."""

    run_id: int
    kind: str
    title: str  # "Baseline (TF-IDF + LR)" or "BERT (GroNLP/bert-base-dutch-cased)"
    seconds: float | None  # the whole training job, prediction of all documents included
    device: str  # "cpu", "cuda", "mps"
    device_name: str | None  # "NVIDIA H100 80GB HBM3" where recorded


@dataclass(frozen=True)
class RunComparison:
    first: RunSummary
    second: RunSummary
    n: int  # evaluation documents both runs predicted
    first_eval: Evaluation
    second_eval: Evaluation
    #: Second minus first macro-F1, with a paired 95% bootstrap interval.
    macro_f1_difference: dict[str, float | None]
    mcnemar: McNemarResult
    category_names: dict[str, str]

    @property
    def recommendation(self) -> str:
        return recommend(self)


def run_summary(run: ModelRun) -> RunSummary:
    """Title, time and device of a finished run, from its record."""
    parameters = run.parameters or {}
    metrics = run.metrics or {}
    device = str(parameters.get("device", "cpu")).split(":")[0]
    if run.kind == "transformer":
        title = f"BERT ({parameters.get('model_name', 'transformer')})"
    elif run.kind == "baseline":
        title = "Baseline (TF-IDF + logistic regression)"
    else:
        title = run.kind
    seconds = metrics.get("seconds")
    return RunSummary(
        run_id=run.id,
        kind=run.kind,
        title=title,
        seconds=float(seconds) if seconds is not None else None,
        device=device,
        device_name=parameters.get("device_name"),
    )


def latest_pair(project: Project) -> tuple[int, int] | None:
    """The latest finished baseline run and the latest finished run of another kind
    (BERT), as ``(baseline_id, other_id)``; None when either is missing."""
    with project.read() as session:
        runs = session.execute(
            select(ModelRun.id, ModelRun.kind)
            .where(ModelRun.status == "finished")
            .order_by(ModelRun.id.desc())
        ).all()
    baseline = next((r.id for r in runs if r.kind == "baseline"), None)
    other = next((r.id for r in runs if r.kind != "baseline"), None)
    if baseline is None or other is None:
        return None
    return baseline, other


def compare_runs(
    project: Project, first_id: int, second_id: int, *, seed: int = 0
) -> RunComparison:
    """Both runs measured on the evaluation documents both predicted; see the module doc."""
    if first_id == second_id:
        raise LabelLoopError("Choose two different runs to compare.")
    with project.read() as session:
        runs = {}
        for run_id in (first_id, second_id):
            run = session.get(ModelRun, run_id)
            if run is None or run.status != "finished":
                raise LabelLoopError(f"Run #{run_id} is not a finished model run.")
            session.expunge(run)
            runs[run_id] = run
    data = training_data(project)
    truth = dict(zip(data.evaluation.document_ids, data.evaluation.labels, strict=True))
    if not truth:
        raise LabelLoopError(
            "No evaluation documents are labelled yet: draw an evaluation sample and label "
            "it to compare models."
        )
    first = _predictions(project, first_id, truth)
    second = _predictions(project, second_id, truth)
    shared = sorted(set(first) & set(second))
    if not shared:
        raise LabelLoopError(
            f"Runs #{first_id} and #{second_id} have no predictions for the same evaluation "
            "documents; train both again to compare them."
        )
    y_true = [truth[d] for d in shared]
    pred_a = [first[d] for d in shared]
    pred_b = [second[d] for d in shared]
    classes = sorted(set(y_true) | set(pred_a) | set(pred_b), key=_class_order)
    names = data.category_names
    eval_a = evaluate(y_true, pred_a, classes, seed=seed, names=names)
    eval_b = evaluate(y_true, pred_b, classes, seed=seed, names=names)
    difference = paired_macro_f1_difference(y_true, pred_a, pred_b, classes, seed=seed)
    return RunComparison(
        first=run_summary(runs[first_id]),
        second=run_summary(runs[second_id]),
        n=len(shared),
        first_eval=eval_a,
        second_eval=eval_b,
        macro_f1_difference=difference,
        mcnemar=mcnemar(y_true, pred_a, pred_b),
        category_names=data.category_names,
    )


def paired_macro_f1_difference(
    y_true: list[str],
    pred_a: list[str],
    pred_b: list[str],
    classes: list[str],
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, float | None]:
    """B's macro-F1 minus A's, with a 95% percentile interval from resampling the documents
    (the same resample for both runs, so their shared difficulty cancels out)."""
    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    true = np.array([index[c] for c in y_true])
    a = np.array([index[c] for c in pred_a])
    b = np.array([index[c] for c in pred_b])
    n = len(true)
    rng = np.random.default_rng([seed, 7])
    weights = rng.multinomial(n, np.full(n, 1 / n), size=n_boot).astype(np.float64)

    def scores(pred: np.ndarray) -> tuple[float, np.ndarray]:
        cells = np.zeros((n, k * k))
        cells[np.arange(n), true * k + pred] = 1
        observed = cells.sum(axis=0).reshape(k, k)
        boot = (weights @ cells).reshape(n_boot, k, k)
        return float(macro_f1(observed)), macro_f1(boot)

    value_a, boot_a = scores(a)
    value_b, boot_b = scores(b)
    delta = boot_b - boot_a
    delta = delta[np.isfinite(delta)]
    low, high = np.quantile(delta, [0.025, 0.975]) if len(delta) else (np.nan, np.nan)
    return {
        "value": float(value_b - value_a),
        "low": float(low) if np.isfinite(low) else None,
        "high": float(high) if np.isfinite(high) else None,
    }


def _predictions(project: Project, run_id: int, truth: dict[int, str]) -> dict[int, str]:
    ids = sorted(truth)
    found: dict[int, str] = {}
    with project.read() as session:
        for first in range(0, len(ids), _CHUNK):
            part = ids[first : first + _CHUNK]
            rows = session.execute(
                select(Prediction.document_id, Prediction.category_id).where(
                    Prediction.run_id == run_id, Prediction.document_id.in_(part)
                )
            ).all()
            found.update((d, str(c)) for d, c in rows)
    return found


def _class_order(cls: str) -> tuple[int, str]:
    return (int(cls), cls) if cls.isdigit() else (1 << 62, cls)


# -- the sentence ------------------------------------------------------------------------


def describe_cost(summary: RunSummary) -> str:
    """``"4 min 10 s on an NVIDIA H100"`` / ``"3 s on the CPU"``."""
    if summary.seconds is None:
        return _where(summary)
    return f"{format_duration(summary.seconds)} {_where(summary)}"


def _where(summary: RunSummary) -> str:
    return {
        "cuda": f"on {summary.device_name or 'the GPU'}",
        "mps": "on the Apple GPU",
        "cpu": "on the CPU",
    }.get(summary.device, f"on {summary.device}")


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def better(comparison: RunComparison) -> tuple[bool, bool]:
    """Whether the first, and whether the second run is better beyond chance: its
    macro-F1 difference interval excludes zero, or McNemar's test rejects at 5%."""
    f1_a = comparison.first_eval.macro_f1["value"] or 0.0
    f1_b = comparison.second_eval.macro_f1["value"] or 0.0
    low, high = comparison.macro_f1_difference["low"], comparison.macro_f1_difference["high"]
    p = comparison.mcnemar["p_value"]
    b_better = (low is not None and low > 0) or (p < SIGNIFICANCE and f1_b > f1_a)
    a_better = (high is not None and high < 0) or (p < SIGNIFICANCE and f1_a > f1_b)
    return a_better, b_better


def recommend(comparison: RunComparison) -> str:
    """One plain sentence: which run to use, and at what cost.

    A run is called better only when its macro-F1 difference interval excludes zero or
    McNemar's test rejects equal accuracy at 5%; otherwise the cheaper run (shorter
    training) is recommended, since the evaluation sample cannot tell them apart.
    """
    a, b = comparison.first, comparison.second
    f1_a = comparison.first_eval.macro_f1["value"] or 0.0
    f1_b = comparison.second_eval.macro_f1["value"] or 0.0
    diff = comparison.macro_f1_difference
    p = comparison.mcnemar["p_value"]
    low, high = diff["low"], diff["high"]
    interval = (
        f" (difference {diff['value']:+.2f}, 95% interval {low:+.2f} to {high:+.2f}; "
        f"McNemar p = {p:.2g})"
        if low is not None and high is not None
        else f" (McNemar p = {p:.2g})"
    )
    a_better, b_better = better(comparison)
    name_a, name_b = _short(a), _short(b)
    if b_better and not a_better:
        return (
            f"Use {name_b}: macro-F1 {f1_b:.2f} against {f1_a:.2f} for {name_a}"
            f"{interval}, at the cost of {describe_cost(b)} against {describe_cost(a)}."
        )
    if a_better and not b_better:
        return (
            f"Use {name_a}: macro-F1 {f1_a:.2f} against {f1_b:.2f} for {name_b}"
            f"{interval}, and it took {describe_cost(a)} against {describe_cost(b)}."
        )
    cheap, dear = (a, b) if (a.seconds or 0) <= (b.seconds or 0) else (b, a)
    return (
        f"Use {_short(cheap)}: on these {plural(comparison.n, 'evaluation document')} "
        f"{model_name(a.kind, article=True)} (run #{a.run_id}, macro-F1 {f1_a:.2f}) and "
        f"{model_name(b.kind, article=True)} (run #{b.run_id}, {f1_b:.2f}) cannot be told "
        f"apart{interval}, and {model_name(cheap.kind, article=True)} took "
        f"{_costs(cheap, dear)}."
    )


def _costs(cheap: RunSummary, dear: RunSummary) -> str:
    """``"2.0 s against 31 s, both on the CPU"``, or each with its device when they differ."""
    same_place = _where(cheap) == _where(dear)
    if same_place and cheap.seconds is not None and dear.seconds is not None:
        return (
            f"{format_duration(cheap.seconds)} against {format_duration(dear.seconds)}, "
            f"both {_where(cheap)}"
        )
    return f"{describe_cost(cheap)} against {describe_cost(dear)}"


def _short(summary: RunSummary) -> str:
    return f"{model_name(summary.kind, article=True)} (run #{summary.run_id})"


def comparison_as_dict(comparison: RunComparison) -> dict[str, Any]:
    """JSON-ready form for ``labelloop train --json`` and reports."""

    def side(summary: RunSummary, evaluation: Evaluation) -> dict[str, Any]:
        return {
            "run_id": summary.run_id,
            "kind": summary.kind,
            "title": summary.title,
            "seconds": summary.seconds,
            "device": summary.device,
            "device_name": summary.device_name,
            "evaluation": evaluation.as_dict(),
        }

    return {
        "n": comparison.n,
        "first": side(comparison.first, comparison.first_eval),
        "second": side(comparison.second, comparison.second_eval),
        "macro_f1_difference": comparison.macro_f1_difference,
        "mcnemar": dict(comparison.mcnemar),
        "recommendation": comparison.recommendation,
        "category_names": comparison.category_names,
    }
