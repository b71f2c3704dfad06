"""Metrics on the evaluation sample: hand-computed values, intervals, prevalence, McNemar."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from core.evaluation.metrics import (
    Evaluation,
    MetricsError,
    _scores,
    confusion,
    describe_metric,
    estimate_prevalence,
    evaluate,
    macro_f1,
    mcnemar,
)

CLASSES = ["a", "b", "c"]
# Ten documents. Confusion matrix (rows true, columns predicted):
#        a  b  c
#   a  [ 3, 1, 0 ]   support 4
#   b  [ 1, 2, 0 ]   support 3
#   c  [ 1, 0, 2 ]   support 3
# predicted:  5  3  2
Y_TRUE = ["a", "a", "a", "a", "b", "b", "b", "c", "c", "c"]
Y_PRED = ["a", "a", "a", "b", "b", "b", "a", "c", "c", "a"]


def noisy(n: int, classes: list[str], accuracy: float, seed: int) -> tuple[list[str], list[str]]:
    """``n`` true labels and predictions that are right with probability ``accuracy``."""
    rng = np.random.default_rng(seed)
    true = rng.choice(classes, n)
    wrong = rng.choice(classes, n)
    pred = np.where(rng.random(n) < accuracy, true, wrong)
    return true.tolist(), pred.tolist()


# -- evaluate ---------------------------------------------------------------------------


def test_metrics_match_hand_computed_values() -> None:
    e = evaluate(Y_TRUE, Y_PRED, CLASSES)
    assert e.n == 10
    assert e.confusion == [[3, 1, 0], [1, 2, 0], [1, 0, 2]]
    # precision = TP / predicted:  a 3/5, b 2/3, c 2/2
    # recall    = TP / support:    a 3/4, b 2/3, c 2/3
    # F1 = 2·TP / (2·TP + FP + FN): a 6/(6+2+1) = 2/3, b 4/(4+1+1) = 2/3, c 4/(4+0+1) = 4/5
    expected = {
        "a": (3 / 5, 3 / 4, 2 / 3, 4),
        "b": (2 / 3, 2 / 3, 2 / 3, 3),
        "c": (1.0, 2 / 3, 4 / 5, 3),
    }
    for name, (precision, recall, f1, support) in expected.items():
        m = e.per_class[name]
        assert m["precision"]["value"] == pytest.approx(precision)
        assert m["recall"]["value"] == pytest.approx(recall)
        assert m["f1"]["value"] == pytest.approx(f1)
        assert m["support"] == support
    # macro-F1 = (2/3 + 2/3 + 4/5) / 3 = 32/45 ≈ 0.7111
    assert e.macro_f1["value"] == pytest.approx(32 / 45)
    # weighted F1 = (4·2/3 + 3·2/3 + 3·4/5) / 10 = (8/3 + 2 + 12/5) / 10 = 53/75 ≈ 0.7067
    assert e.weighted_f1["value"] == pytest.approx(53 / 75)
    # accuracy = (3 + 2 + 2) / 10
    assert e.accuracy["value"] == pytest.approx(0.7)


def test_vectorised_scores_agree_with_scikit_learn() -> None:
    classes = ["a", "b", "c", "d"]
    true, pred = noisy(300, classes, 0.6, seed=3)
    cm = np.array(evaluate(true, pred, classes, n_boot=0).confusion)
    ours = _scores(cm)
    precision, recall, f1, _ = precision_recall_fscore_support(
        true, pred, labels=classes, zero_division=np.nan
    )
    np.testing.assert_allclose(ours["precision"], precision)
    np.testing.assert_allclose(ours["recall"], recall)
    np.testing.assert_allclose(ours["f1"], f1)


def test_intervals_contain_the_estimate_and_shrink_with_more_data() -> None:
    small = evaluate(*noisy(100, CLASSES, 0.7, seed=1), CLASSES)
    large = evaluate(*noisy(2000, CLASSES, 0.7, seed=1), CLASSES)
    for e in (small, large):
        metrics = [e.accuracy, e.macro_f1, e.weighted_f1]
        for m in e.per_class.values():
            metrics += [m["precision"], m["recall"], m["f1"]]
        for m in metrics:
            assert m["low"] <= m["value"] <= m["high"]

    def width(m):  # type: ignore[no-untyped-def]
        return m["high"] - m["low"]

    assert width(large.accuracy) < width(small.accuracy) / 2
    assert width(large.macro_f1) < width(small.macro_f1) / 2
    assert width(large.per_class["b"]["recall"]) < width(small.per_class["b"]["recall"]) / 2


def test_perfect_predictions_give_a_degenerate_interval() -> None:
    true, _ = noisy(200, CLASSES, 1.0, seed=2)
    e = evaluate(true, true, CLASSES)
    assert e.accuracy == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert e.macro_f1 == {"value": 1.0, "low": 1.0, "high": 1.0}


def test_a_class_never_predicted_has_no_precision_and_a_warning() -> None:
    true = ["a"] * 30 + ["b"] * 30 + ["c"] * 10
    pred = ["a"] * 30 + ["b"] * 30 + ["a"] * 10  # 'c' is never predicted
    e = evaluate(true, pred, CLASSES)
    c = e.per_class["c"]
    assert c["precision"] == {"value": None, "low": None, "high": None}
    assert c["recall"]["value"] == 0.0
    assert c["f1"]["value"] == 0.0  # it occurs and is always missed: 0, not undefined
    # macro-F1 counts that 0: (a: 2·30/(60+10) + b: 1 + c: 0) / 3
    assert e.macro_f1["value"] == pytest.approx((60 / 70 + 1 + 0) / 3)
    assert any("never predicted 'c'" in w and "precision is undefined" in w for w in e.warnings)


def test_a_class_absent_and_never_predicted_is_left_out_of_macro_f1() -> None:
    true = ["a"] * 30 + ["b"] * 30
    pred = ["a"] * 30 + ["b"] * 20 + ["a"] * 10
    e = evaluate(true, pred, CLASSES)
    c = e.per_class["c"]
    assert c["precision"]["value"] is None
    assert c["recall"]["value"] is None
    assert c["f1"]["value"] is None
    assert c["support"] == 0
    # a: 2·30/(40+30) = 6/7; b: 2·20/(20+30) = 4/5; c undefined and left out
    assert e.macro_f1["value"] == pytest.approx((6 / 7 + 4 / 5) / 2)
    assert any("No evaluation documents are 'c'" in w for w in e.warnings)
    assert any("macro-F1 averages the other categories" in w for w in e.warnings)


def test_cross_validation_and_early_stopping_score_macro_f1_as_the_evaluate_page() -> None:
    """The baseline's folds and BERT's validation split score with :func:`macro_f1`: a
    category neither present nor predicted (a class with too few labels for the
    validation split) is left out, as on the Evaluate page, not counted as 0."""
    truth = np.array([0] * 30 + [1] * 30)
    predicted = np.array([0] * 30 + [1] * 20 + [0] * 10)
    cm = confusion(truth, predicted, 3)  # category 2: no documents, never predicted

    assert cm.tolist() == [[30, 0, 0], [10, 20, 0], [0, 0, 0]]
    page = evaluate(["a"] * 30 + ["b"] * 30, ["a"] * 30 + ["b"] * 20 + ["a"] * 10, CLASSES)
    assert float(macro_f1(cm)) == pytest.approx(page.macro_f1["value"])
    assert float(macro_f1(cm)) == pytest.approx((6 / 7 + 4 / 5) / 2)
    # A stack of matrices (bootstrap resamples) gives one value each; NaN where no
    # category has an F1 at all.
    values = macro_f1(np.stack([cm, np.zeros((3, 3))]))
    assert values[0] == pytest.approx((6 / 7 + 4 / 5) / 2)
    assert np.isnan(values[1])


def test_warnings_for_small_classes_and_a_small_sample() -> None:
    true = ["a"] * 30 + ["b"] * 15 + ["c"] * 3
    e = evaluate(true, true, CLASSES)
    assert e.warnings[0].startswith("The evaluation sample has only 48 documents")
    small = [w for w in e.warnings if w.startswith("Only")]
    assert small == [
        "Only 3 evaluation documents are 'c': its precision and recall cannot be estimated "
        "reliably; label more of the evaluation sample."
    ]
    single = evaluate(["a"] * 60 + ["c"], ["a"] * 60 + ["c"], ["a", "c"])
    assert single.warnings[0] == (
        "Only 1 evaluation document is 'c': its precision and recall cannot be estimated "
        "reliably; label more of the evaluation sample."
    )

    enough = evaluate(*noisy(300, CLASSES, 0.8, seed=4), CLASSES)
    assert enough.warnings == []


def test_same_seed_same_intervals() -> None:
    true, pred = noisy(150, CLASSES, 0.7, seed=5)
    first = evaluate(true, pred, CLASSES, seed=7).as_dict()
    assert evaluate(true, pred, CLASSES, seed=7).as_dict() == first
    assert evaluate(true, pred, CLASSES, seed=8).accuracy != first["accuracy"]


def test_confidence_level_changes_the_width() -> None:
    true, pred = noisy(300, CLASSES, 0.7, seed=6)
    wide = evaluate(true, pred, CLASSES, confidence=0.99).accuracy
    narrow = evaluate(true, pred, CLASSES, confidence=0.8).accuracy
    assert wide["high"] - wide["low"] > narrow["high"] - narrow["low"]


def test_no_bootstrap_gives_point_estimates_only() -> None:
    e = evaluate(Y_TRUE, Y_PRED, CLASSES, n_boot=0)
    assert e.accuracy == {"value": 0.7, "low": None, "high": None}


def test_as_dict_round_trips_through_json() -> None:
    e = evaluate(Y_TRUE, ["a"] * 10, CLASSES)  # has None values and warnings
    data = e.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert Evaluation.from_dict(json.loads(json.dumps(data))) == e
    assert set(data) >= {"n", "per_class", "macro_f1", "weighted_f1", "accuracy", "confusion"}


def test_bad_input() -> None:
    with pytest.raises(MetricsError, match="label the evaluation sample"):
        evaluate([], [], CLASSES)
    with pytest.raises(ValueError, match="pair up"):
        evaluate(["a"], ["a", "b"], CLASSES)
    with pytest.raises(ValueError, match="not categories"):
        evaluate(["a", "z"], ["a", "a"], CLASSES)


# -- prevalence -------------------------------------------------------------------------


def test_perfect_classifier_adjusted_equals_classify_and_count() -> None:
    true, _ = noisy(300, CLASSES, 1.0, seed=8)
    corpus = {"a": 500, "b": 300, "c": 200}
    result = estimate_prevalence(corpus, true, true, CLASSES)
    for name, share in (("a", 0.5), ("b", 0.3), ("c", 0.2)):
        r = result[name]
        assert r["classify_and_count"] == pytest.approx(share)
        assert r["adjusted"] == pytest.approx(share)
        assert r["low"] == pytest.approx(share)
        assert r["high"] == pytest.approx(share)
        assert r["note"] is None


def test_adjustment_corrects_a_known_confusion() -> None:
    # The classifier gets every A right and calls 20% of B documents A.
    true = ["A"] * 100 + ["B"] * 100
    pred = ["A"] * 100 + ["A"] * 20 + ["B"] * 80
    # In the corpus 30% are A and 70% B; predicted A = 0.3 + 0.2·0.7 = 0.44.
    corpus = ["A"] * 4400 + ["B"] * 5600
    result = estimate_prevalence(corpus, true, pred, ["A", "B"])
    a = result["A"]
    assert a["classify_and_count"] == pytest.approx(0.44)
    # Adjusted: 0.44 = p + 0.2·(1 − p)  ⇒  p = 0.24 / 0.8 = 0.3
    assert a["adjusted"] == pytest.approx(0.3)
    assert result["B"]["adjusted"] == pytest.approx(0.7)
    assert a["low"] < 0.3 < a["high"]
    assert a["high"] < 0.44  # the interval excludes the biased classify-and-count share


def test_adjustment_recovers_prevalence_in_a_simulation() -> None:
    rng = np.random.default_rng(9)
    classes = ["A", "B", "C"]
    # P(pred = j | true = i): B is often called A, C sometimes called B.
    rates = np.array([[0.9, 0.05, 0.05], [0.25, 0.7, 0.05], [0.05, 0.15, 0.8]])

    def classify(true: np.ndarray) -> list[str]:
        return [classes[rng.choice(3, p=rates[classes.index(t)])] for t in true]

    eval_true = rng.choice(classes, 600, p=[0.2, 0.5, 0.3])
    corpus_shares = np.array([0.1, 0.6, 0.3])
    corpus_true = rng.choice(classes, 20_000, p=corpus_shares)
    result = estimate_prevalence(classify(corpus_true), eval_true, classify(eval_true), classes)
    cc = np.array([result[c]["classify_and_count"] for c in classes])
    adjusted = np.array([result[c]["adjusted"] for c in classes])
    assert np.abs(adjusted - corpus_shares).sum() < np.abs(cc - corpus_shares).sum() / 3
    assert adjusted.sum() == pytest.approx(1.0)
    for c, share in zip(classes, corpus_shares, strict=True):
        assert result[c]["low"] <= share <= result[c]["high"]


def test_adjusting_the_evaluation_predictions_recovers_the_evaluation_labels() -> None:
    true, pred = noisy(400, CLASSES, 0.7, seed=10)
    result = estimate_prevalence(pred, true, pred, CLASSES, n_boot=0)
    for name in CLASSES:
        assert result[name]["adjusted"] == pytest.approx(true.count(name) / 400)
        assert result[name]["low"] is None


def test_infeasible_shares_stay_non_negative_and_sum_to_one() -> None:
    # Nearly everything B is predicted A, yet the corpus has almost no A predictions:
    # the exact solution would be negative; the constrained one stays a share.
    true = ["A"] * 50 + ["B"] * 50
    pred = ["A"] * 50 + ["A"] * 40 + ["B"] * 10
    result = estimate_prevalence({"A": 5, "B": 95}, true, pred, ["A", "B"])
    shares = [result[c]["adjusted"] for c in ("A", "B")]
    assert min(shares) >= 0
    assert sum(shares) == pytest.approx(1.0)
    assert result["A"]["adjusted"] == pytest.approx(0.0, abs=1e-9)


def test_prevalence_notes_classes_with_few_evaluation_documents() -> None:
    true = ["a"] * 40 + ["b"] * 4
    result = estimate_prevalence({"a": 10, "b": 5, "c": 1}, true, true, CLASSES)
    assert result["a"]["note"] is None
    assert "Only 4 evaluation documents are 'b'" in result["b"]["note"]
    assert "No evaluation documents are 'c'" in result["c"]["note"]


def test_same_seed_same_prevalence_intervals() -> None:
    true, pred = noisy(200, CLASSES, 0.7, seed=11)
    corpus = {"a": 40, "b": 35, "c": 25}
    assert estimate_prevalence(corpus, true, pred, CLASSES, seed=3) == estimate_prevalence(
        corpus, true, pred, CLASSES, seed=3
    )


def test_prevalence_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown categories"):
        estimate_prevalence({"z": 3}, Y_TRUE, Y_PRED, CLASSES)
    with pytest.raises(ValueError, match="not categories"):
        estimate_prevalence(["z"], Y_TRUE, Y_PRED, CLASSES)
    with pytest.raises(MetricsError):
        estimate_prevalence({"a": 0}, Y_TRUE, Y_PRED, CLASSES)


# -- McNemar ----------------------------------------------------------------------------


def test_mcnemar_exact_on_a_hand_worked_example() -> None:
    # 30 documents: both right on 15, both wrong on 3, only A right on 10 (b), only B on 2 (c).
    truth = ["x"] * 30
    a = ["x"] * 15 + ["y"] * 3 + ["x"] * 10 + ["y"] * 2
    b = ["x"] * 15 + ["y"] * 3 + ["y"] * 10 + ["x"] * 2
    result = mcnemar(truth, a, b)
    # b + c = 12 < 25: exact. Under H0, b ~ Binomial(12, 1/2); two-sided
    # p = 2·P(X ≤ 2) = 2·(C(12,0) + C(12,1) + C(12,2)) / 2¹² = 2·(1 + 12 + 66) / 4096
    assert result == {
        "b": 10,
        "c": 2,
        "statistic": 2.0,
        "p_value": pytest.approx(158 / 4096),
        "method": "exact binomial",
    }
    assert mcnemar(truth, b, a)["p_value"] == pytest.approx(158 / 4096)


def test_mcnemar_chi_square_for_many_discordant_pairs() -> None:
    truth = ["x"] * 40
    a = ["x"] * 30 + ["y"] * 10
    b = ["y"] * 30 + ["x"] * 10
    result = mcnemar(truth, a, b)
    # (|30 − 10| − 1)² / 40 = 361 / 40; chi-square(1) survival: P(|Z| > √9.025)
    assert result["statistic"] == pytest.approx(361 / 40)
    assert result["p_value"] == pytest.approx(0.0026635, rel=1e-3)
    assert result["method"] == "chi-square with continuity correction"


def test_mcnemar_identical_classifiers() -> None:
    result = mcnemar(Y_TRUE, Y_PRED, Y_PRED)
    assert (result["b"], result["c"], result["p_value"]) == (0, 0, 1.0)


# -- describe ---------------------------------------------------------------------------


def test_describe_metric() -> None:
    assert describe_metric({"value": 0.8123, "low": 0.761, "high": 0.8649}) == "0.81 (0.76–0.86)"
    assert describe_metric({"value": 0.5, "low": None, "high": None}) == "0.50"
    assert describe_metric({"value": None, "low": None, "high": None}) == "undefined"
