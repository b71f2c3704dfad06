"""Honest evaluation: metrics with bootstrap intervals, corrected prevalence, paired tests.

Everything here is measured on the *evaluation sample*: a random sample of documents the
user labelled for evaluation only. Every number comes with a percentile bootstrap interval
that resamples those documents with replacement, because with a few hundred evaluation
documents the uncertainty is often as large as the differences people want to read.

Undefined values are never silently 0. A metric whose denominator is zero (the precision
of a category the model never predicted, the recall of a category with no evaluation
documents) is ``None``, with a sentence in :attr:`Evaluation.warnings`. F1 is computed as
``2·TP / (2·TP + FP + FN)`` (what scikit-learn does): it is 0, not undefined, for a
category that occurs but is never predicted, and undefined only for a category that is
neither present nor predicted. Bootstrap resamples follow the same rule: a resample in
which a metric is undefined is left out of that metric's interval (scikit-learn's
``zero_division=0`` would instead count it as 0 and drag the interval of a rarely
predicted category towards 0); macro-F1 averages the categories whose F1 is defined, in
each resample as in the point estimate. :func:`macro_f1` is LabelLoop's one macro-F1: the
side-by-side comparison, the baseline's cross-validation and the transformer's early
stopping score with it too.

Resampling documents is done without materialising the resamples: every metric depends on
the documents only through the confusion matrix, and drawing ``n`` documents with
replacement gives confusion-matrix counts that are exactly multinomial(``n``, cell counts
/ ``n``). So each resample is one multinomial draw of ``k²`` cells, whatever ``n`` is.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import numpy as np
from scipy import optimize, stats

from core.errors import LabelLoopError
from core.wording import plural, verb

#: A category with fewer evaluation documents than this gets a warning.
MIN_CLASS_EVAL_DOCUMENTS = 10
#: An evaluation sample smaller than this gets a warning.
MIN_EVAL_DOCUMENTS = 50
#: Note a metric that is undefined in more than this share of the bootstrap resamples.
UNDEFINED_RESAMPLE_SHARE = 0.05
#: Below this many unlabelled documents no share is estimated (:func:`prevalence_note`).
#: The interval of a share covers the uncertainty of the correction (the evaluation sample
#: is resampled) but takes the corpus predictions as a full count. On a handful of
#: documents that count is itself mostly chance, namely which few documents the model
#: happens to get wrong: for a model wrong on a share e of documents, the predicted share
#: moves by about √(e(1−e)/n), 7 percentage points at n = 30 for e = 0.2, as much as a
#: typical interval is wide and left out of it; and one document alone is 3 points.
#: Below 30 the number would look more certain than it is (1 document: "100% (100–100)"),
#: and labelling the remaining documents is quicker and exact.
MIN_PREVALENCE_DOCUMENTS = 30
#: Below this many discordant pairs, McNemar's test uses the exact binomial distribution.
MCNEMAR_EXACT_BELOW = 25

BOOTSTRAP_METHOD = "percentile bootstrap, resampling evaluation documents with replacement"


class MetricsError(LabelLoopError):
    """Metrics cannot be computed (for instance: no evaluation documents yet)."""


class Metric(TypedDict):
    """A point estimate and its bootstrap interval; ``None`` where undefined."""

    value: float | None
    low: float | None
    high: float | None


class ClassMetrics(TypedDict):
    name: str  # the category's name as the user knows it (the key is its id)
    precision: Metric
    recall: Metric
    f1: Metric
    support: int


class PrevalenceEstimate(TypedDict):
    """A category's share of the unlabelled corpus; the interval is the adjusted one's."""

    name: str
    classify_and_count: float
    adjusted: float
    low: float | None
    high: float | None
    note: str | None


class McNemarResult(TypedDict):
    b: int
    c: int
    statistic: float
    p_value: float
    method: str


@dataclass
class Evaluation:
    """A classifier's metrics on the evaluation sample, stored as JSON via :meth:`as_dict`.

    ``confusion[i][j]`` counts evaluation documents of ``classes[i]`` predicted as
    ``classes[j]`` (rows true, columns predicted). ``category_names`` gives each class's
    name as the user knows it (classes are category ids); the warnings use the names.
    """

    n: int
    classes: list[str]
    per_class: dict[str, ClassMetrics]
    macro_f1: Metric
    weighted_f1: Metric
    accuracy: Metric
    confusion: list[list[int]]
    warnings: list[str] = field(default_factory=list)
    confidence: float = 0.95
    n_boot: int = 2000
    seed: int = 0
    method: str = BOOTSTRAP_METHOD
    category_names: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts, lists, ints, floats, strings and None: ready for ``json.dumps``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        """The inverse of :meth:`as_dict` (for a ``model_runs.metrics`` value read back)."""
        return cls(**data)


# -- evaluate ---------------------------------------------------------------------------


def evaluate(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    classes: Sequence[str],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    names: Mapping[str, str] | None = None,
) -> Evaluation:
    """Per-class precision, recall and F1, macro-F1, weighted F1 and accuracy, with intervals.

    ``y_true`` are the evaluation sample's labels and ``y_pred`` the model's predictions for
    the same documents; ``classes`` fixes the order of the categories (and of the confusion
    matrix); ``names`` maps a class to the name messages use (default: the class).
    Intervals are ``confidence`` percentile bootstrap intervals over ``n_boot`` resamples
    of the evaluation documents (``n_boot=0``: no intervals); the same ``seed`` gives the
    same intervals. Raises :class:`MetricsError` when there is nothing to evaluate.
    """
    classes = list(classes)
    true, pred = _paired_codes(y_true, y_pred, classes)
    n = len(true)
    _check_boot(n_boot, confidence)
    named = _names(classes, names)

    cm = confusion(true, pred, len(classes))
    point = _scores(cm)
    precision, recall, f1 = point["precision"], point["recall"], point["f1"]
    support = cm.sum(axis=1)

    boot = _bootstrap_scores(cm, n_boot, seed)
    quantiles = ((1 - confidence) / 2, (1 + confidence) / 2)

    def metric(value: float, key: str, column: int | None = None) -> Metric:
        samples = None
        if boot is not None:
            samples = boot[key] if column is None else boot[key][:, column]
        return _metric(value, samples, quantiles)

    per_class: dict[str, ClassMetrics] = {}
    for i, name in enumerate(classes):
        per_class[name] = {
            "name": named[name],
            "precision": metric(precision[i], "precision", i),
            "recall": metric(recall[i], "recall", i),
            "f1": metric(f1[i], "f1", i),
            "support": int(support[i]),
        }

    return Evaluation(
        n=n,
        classes=classes,
        per_class=per_class,
        macro_f1=metric(point["macro_f1"], "macro_f1"),
        weighted_f1=metric(point["weighted_f1"], "weighted_f1"),
        accuracy=metric(point["accuracy"], "accuracy"),
        confusion=cm.tolist(),
        warnings=_evaluation_warnings(n, classes, named, cm, boot, precision, recall),
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
        category_names=named,
    )


def _names(classes: list[str], names: Mapping[str, str] | None) -> dict[str, str]:
    """Each class's name for messages: from ``names``, else the class itself."""
    return {c: (names or {}).get(c, c) for c in classes}


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """The confusion matrix of class codes ``0 … n_classes − 1``: ``cm[i, j]`` counts the
    documents of class ``i`` predicted as ``j``."""
    cells = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return cells.reshape(n_classes, n_classes)


def macro_f1(cm: np.ndarray) -> np.ndarray:
    """Macro-F1 of confusion matrices of shape ``(..., k, k)`` (rows true), as the Evaluate
    page reports it: the mean F1 of the categories whose F1 is defined (present or
    predicted); NaN where none is. A single ``(k, k)`` matrix gives a 0-d array."""
    return _mean_of_defined(_f1(np.asarray(cm, dtype=float)))


def _f1(cm: np.ndarray) -> np.ndarray:
    """Per-category ``2·TP / (2·TP + FP + FN)``; NaN for a category neither present nor
    predicted."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    denominator = cm.sum(axis=-2) + cm.sum(axis=-1)  # (TP + FP) + (TP + FN)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, np.nan)


def _mean_of_defined(f1: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nansum(f1, axis=-1) / (~np.isnan(f1)).sum(axis=-1)  # NaN if none defined


def _scores(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric from confusion matrices of shape ``(..., k, k)``; NaN where undefined."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    predicted = cm.sum(axis=-2)  # column sums: TP + FP
    support = cm.sum(axis=-1)  # row sums: TP + FN
    n = support.sum(axis=-1)
    f1 = _f1(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        weighted_f1 = np.nansum(f1 * support, axis=-1) / n  # F1 is defined wherever support > 0
        accuracy = tp.sum(axis=-1) / n
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "macro_f1": _mean_of_defined(f1),
        "weighted_f1": weighted_f1,
        "accuracy": accuracy,
    }


def _bootstrap_scores(cm: np.ndarray, n_boot: int, seed: int) -> dict[str, np.ndarray] | None:
    """The metrics of ``n_boot`` document resamples, each row one resample."""
    resampled = _resample_confusion(cm, n_boot, seed)
    return None if resampled is None else _scores(resampled)


def _resample_confusion(cm: np.ndarray, n_boot: int, seed: int) -> np.ndarray | None:
    """Confusion matrices of ``n_boot`` resamples (with replacement) of the documents.

    Drawing ``n`` documents with replacement puts each in a cell with probability
    ``cell count / n``, so the resampled counts are multinomial: one draw per resample.
    """
    if n_boot == 0:
        return None
    counts = np.asarray(cm, dtype=np.int64)
    n = int(counts.sum())
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts.ravel() / n, size=n_boot)
    return draws.reshape(n_boot, *counts.shape)


def _metric(value: float, samples: np.ndarray | None, quantiles: tuple[float, float]) -> Metric:
    if value is None or math.isnan(value):
        return {"value": None, "low": None, "high": None}
    low = high = None
    if samples is not None:
        defined = samples[~np.isnan(samples)]
        if defined.size:
            low, high = (float(q) for q in np.quantile(defined, quantiles))
    return {"value": float(value), "low": low, "high": high}


def _evaluation_warnings(
    n: int,
    classes: list[str],
    names: Mapping[str, str],
    cm: np.ndarray,
    boot: dict[str, np.ndarray] | None,
    precision: np.ndarray,
    recall: np.ndarray,
) -> list[str]:
    """Plain-language sentences about what the evaluation sample cannot tell, naming each
    category by ``names``."""
    notes: list[str] = []
    if n < MIN_EVAL_DOCUMENTS:
        notes.append(
            f"The evaluation sample has only {plural(n, 'document')}: every number here is very "
            f"uncertain; label at least {MIN_EVAL_DOCUMENTS} evaluation documents "
            "(more when some categories are rare)."
        )
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    for i, cls in enumerate(classes):
        name = names[cls]
        s = int(support[i])
        if s == 0:
            notes.append(
                f"No evaluation documents are '{name}': its recall cannot be estimated; "
                "label more of the evaluation sample."
            )
        elif s < MIN_CLASS_EVAL_DOCUMENTS:
            notes.append(
                f"Only {plural(s, 'evaluation document')} {verb(s)} '{name}': its precision "
                "and recall cannot be estimated reliably; label more of the evaluation sample."
            )
        if predicted[i] == 0:
            consequence = (
                f"its F1 is 0, since every '{name}' document was missed."
                if s
                else "its F1 is undefined too, so macro-F1 averages the other categories."
            )
            notes.append(
                f"The model never predicted '{name}' for an evaluation document, so its "
                f"precision is undefined (left blank, not counted as 0); {consequence}"
            )
        if boot is None:
            continue
        for metric_name, point in (("precision", precision[i]), ("recall", recall[i])):
            share = float(np.isnan(boot[metric_name][:, i]).mean())
            if not np.isnan(point) and share > UNDEFINED_RESAMPLE_SHARE:
                notes.append(
                    f"The {metric_name} of '{name}' is undefined in {share:.0%} of the "
                    "bootstrap resamples (too few documents); its interval comes from "
                    "the other resamples only, so read it with caution."
                )
    return notes


# -- prevalence -------------------------------------------------------------------------


def estimate_prevalence(
    predictions: Mapping[str, int] | Sequence[str],
    eval_true: Sequence[str],
    eval_pred: Sequence[str],
    classes: Sequence[str],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    names: Mapping[str, str] | None = None,
) -> dict[str, PrevalenceEstimate]:
    """Each category's share of the unlabelled corpus: classify-and-count and adjusted.

    ``predictions`` are the model's predictions on the unlabelled corpus (one label per
    document, or counts per category). Classify-and-count is the share of documents
    predicted as each category; it is biased whenever the classifier errs, since errors
    do not cancel out (a classifier that calls 20% of B documents A overstates A).

    *Adjusted classify-and-count* (Forman 2005, "Counting positives accurately despite
    inaccurate classification", ECML; Forman 2008, "Quantifying counts and costs via
    classification", Data Mining and Knowledge Discovery 17) corrects the predicted shares
    with the misclassification rates ``M[i, j] = P(pred = j | true = i)`` measured on the
    evaluation sample: the predicted shares are ``p_pred = Mᵀ p_true``, which is solved
    for ``p_true``. Hopkins & King (2010, "A method of automated nonparametric content
    analysis for social science", AJPS 54(1)) explain why social scientists need the
    shares rather than the individual classifications, and why they must be corrected.

    The interval (``low``, ``high``, for ``adjusted``) is a percentile bootstrap over the
    evaluation sample, the source of the correction's uncertainty; the corpus predictions
    are a full count and are not resampled. Each category's ``note`` says when its
    misclassification rates rest on few (or no) evaluation documents; ``name`` (and the
    notes) name the category by ``names`` (default: the class itself).

    On a handful of documents a share means little (see :func:`prevalence_note`); the
    training job asks that before calling this.
    """
    classes = list(classes)
    named = _names(classes, names)
    index = {name: i for i, name in enumerate(classes)}
    if isinstance(predictions, Mapping):
        unknown = sorted(set(predictions) - set(index), key=str)
        if unknown:
            raise ValueError(f"Predicted counts for unknown categories: {unknown}")
        counts = np.array([predictions.get(name, 0) for name in classes], dtype=float)
    else:
        counted = Counter(predictions)
        _codes(list(counted), index, "corpus predictions")
        counts = np.array([counted.get(name, 0) for name in classes], dtype=float)
    if (counts < 0).any():
        raise ValueError("Predicted counts cannot be negative.")
    total = counts.sum()
    if total == 0:
        raise MetricsError("There are no predictions on the unlabelled documents to count.")
    q = counts / total

    true, pred = _paired_codes(eval_true, eval_pred, classes)
    _check_boot(n_boot, confidence)
    cm = confusion(true, pred, len(classes))
    adjusted = _adjusted_shares(cm, q)

    low = high = None
    resampled = _resample_confusion(cm, n_boot, seed)
    if resampled is not None:
        boot = np.array([_adjusted_shares(m, q) for m in resampled])
        quantiles = ((1 - confidence) / 2, (1 + confidence) / 2)
        low, high = np.quantile(boot, quantiles, axis=0)

    support = cm.sum(axis=1)
    result: dict[str, PrevalenceEstimate] = {}
    for i, cls in enumerate(classes):
        name = named[cls]
        note = None
        if support[i] == 0:
            note = (
                f"No evaluation documents are '{name}', so how often it is misclassified is "
                f"unknown; the adjustment assumes '{name}' documents are predicted correctly."
            )
        elif support[i] < MIN_CLASS_EVAL_DOCUMENTS:
            s = int(support[i])
            note = (
                f"Only {plural(s, 'evaluation document')} {verb(s)} '{name}': the correction "
                "for its misclassification is very uncertain; label more of the evaluation "
                "sample."
            )
        result[cls] = {
            "name": name,
            "classify_and_count": float(q[i]),
            "adjusted": float(adjusted[i]),
            "low": None if low is None else float(low[i]),
            "high": None if high is None else float(high[i]),
            "note": note,
        }
    return result


def prevalence_note(unlabelled: int, *, evaluated: bool = True) -> str | None:
    """Why the shares of the ``unlabelled`` documents are not estimated; None when they are.

    ``evaluated`` says whether the model was measured on an evaluation set, which the
    correction for its errors needs.
    """
    if unlabelled == 0:
        return (
            "Not estimated, since every document is labelled: there are no unlabelled "
            "documents whose categories to estimate (count the labels instead)."
        )
    if unlabelled < MIN_PREVALENCE_DOCUMENTS:
        return (
            f"Not estimated: only {plural(unlabelled, 'document')} {verb(unlabelled)} "
            f"unlabelled, fewer than the {MIN_PREVALENCE_DOCUMENTS} a share needs to mean "
            "anything (one document alone would be a share of 100%); label "
            f"{'it' if unlabelled == 1 else 'them'} instead."
        )
    if not evaluated:
        return (
            "Not estimated: correcting the predicted shares for the model's errors needs a "
            "labelled evaluation sample; draw one and label it."
        )
    return None


def _adjusted_shares(cm: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Solve ``q = Mᵀ p`` for shares ``p`` (non-negative, summing to one).

    ``M`` is the row-normalised confusion matrix; a category with no evaluation documents
    (in the sample or in a bootstrap resample) gets the identity row, i.e. no correction.
    Solved with scipy.optimize.nnls (non-negative least squares) on ``Mᵀ`` with a row of
    ones appended for the sum-to-one constraint, then renormalised. When ``M`` is
    invertible and the exact solution is non-negative this is that exact solution: it
    already sums to one, because ``M``'s rows and ``q`` do. Otherwise it is the closest
    non-negative fit, rather than clipping an unconstrained solution afterwards.
    """
    cm = np.asarray(cm, dtype=float)
    support = cm.sum(axis=1, keepdims=True)
    identity = np.eye(len(q))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(support > 0, cm / support, identity)
    a = np.vstack([m.T, np.ones(len(q))])
    b = np.append(q, 1.0)
    p, _ = optimize.nnls(a, b)
    s = p.sum()
    return p / s if s > 0 else q.copy()


# -- paired comparison ------------------------------------------------------------------


def mcnemar(y_true: Sequence[str], pred_a: Sequence[str], pred_b: Sequence[str]) -> McNemarResult:
    """McNemar's test: do classifiers A and B differ in accuracy on the same documents?

    ``b`` counts documents A gets right and B wrong, ``c`` the reverse; documents both get
    right or both wrong say nothing about the difference. With ``b + c < 25`` the two-sided
    exact binomial test (``statistic`` is ``min(b, c)``); otherwise the chi-square test with
    continuity correction, ``(|b − c| − 1)² / (b + c)`` on 1 degree of freedom.
    """
    if not len(y_true) == len(pred_a) == len(pred_b):
        raise ValueError(
            f"Labels and predictions differ in length: {len(y_true)}, {len(pred_a)}, {len(pred_b)}."
        )
    truth = np.asarray(y_true, dtype=object)
    right_a = np.asarray(pred_a, dtype=object) == truth
    right_b = np.asarray(pred_b, dtype=object) == truth
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    discordant = b + c
    if discordant < MCNEMAR_EXACT_BELOW:
        statistic = float(min(b, c))
        p_value = 1.0 if discordant == 0 else stats.binomtest(b, discordant, 0.5).pvalue
        method = "exact binomial"
    else:
        statistic = (abs(b - c) - 1) ** 2 / discordant
        p_value = stats.chi2.sf(statistic, df=1)
        method = "chi-square with continuity correction"
    return {
        "b": b,
        "c": c,
        "statistic": float(statistic),
        "p_value": float(min(1.0, p_value)),
        "method": method,
    }


# -- presentation -----------------------------------------------------------------------


def describe_metric(m: Mapping[str, float | None], digits: int = 2) -> str:
    """A metric as people read it: ``"0.81 (0.76–0.86)"``; ``"undefined"`` for None."""
    value = m.get("value")
    if value is None:
        return "undefined"
    low, high = m.get("low"), m.get("high")
    text = f"{value:.{digits}f}"
    if low is None or high is None:
        return text
    return f"{text} ({low:.{digits}f}–{high:.{digits}f})"


# -- input checks -----------------------------------------------------------------------


def _codes(labels: Sequence[str], index: Mapping[str, int], what: str) -> np.ndarray:
    try:
        return np.fromiter((index[label] for label in labels), dtype=np.intp, count=len(labels))
    except KeyError:
        unknown = sorted({label for label in labels if label not in index}, key=str)
        raise ValueError(
            f"The {what} contain labels that are not categories: {unknown[:5]}"
        ) from None


def _paired_codes(
    y_true: Sequence[str], y_pred: Sequence[str], classes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    if len(set(classes)) != len(classes) or not classes:
        raise ValueError(f"Categories must be non-empty and distinct: {classes}")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"{len(y_true)} evaluation labels but {len(y_pred)} predictions; they must pair up."
        )
    if len(y_true) == 0:
        raise MetricsError(
            "No evaluation documents are labelled yet: label the evaluation sample first."
        )
    index = {name: i for i, name in enumerate(classes)}
    return _codes(y_true, index, "evaluation labels"), _codes(y_pred, index, "predictions")


def _check_boot(n_boot: int, confidence: float) -> None:
    if n_boot < 0:
        raise ValueError(f"n_boot must be 0 or more, not {n_boot}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}.")
