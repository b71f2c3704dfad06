"""Baseline against BERT on the same evaluation documents, and the sentence that picks one."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import LabelLoopError
from core.evaluation.comparison import (
    RunComparison,
    RunSummary,
    compare_runs,
    format_duration,
    latest_pair,
    paired_macro_f1_difference,
    recommend,
)
from core.evaluation.metrics import evaluate, mcnemar
from core.store.project import Project

CLASSES = ["a", "b"]


def comparison(truth: list[str], first: list[str], second: list[str]) -> RunComparison:
    baseline = RunSummary(1, "baseline", "Baseline", 3.0, "cpu", "CPU")
    bert = RunSummary(2, "transformer", "BERT", 600.0, "cuda", "NVIDIA H100 80GB HBM3")
    return RunComparison(
        first=baseline,
        second=bert,
        n=len(truth),
        first_eval=evaluate(truth, first, CLASSES, n_boot=200),
        second_eval=evaluate(truth, second, CLASSES, n_boot=200),
        macro_f1_difference=paired_macro_f1_difference(truth, first, second, CLASSES),
        mcnemar=mcnemar(truth, first, second),
        category_names={"a": "a", "b": "b"},
    )


def test_identical_predictions_differ_by_exactly_zero() -> None:
    truth = ["a", "b"] * 50
    pred = ["a", "a", "b", "b"] * 25
    diff = paired_macro_f1_difference(truth, pred, pred, CLASSES)
    assert diff == {"value": 0.0, "low": 0.0, "high": 0.0}


def test_a_clearly_better_bert_is_recommended_with_its_cost() -> None:
    truth = ["a", "b"] * 100
    baseline = [t if i % 3 else ("b" if t == "a" else "a") for i, t in enumerate(truth)]
    bert = list(truth)  # right everywhere; the baseline is wrong on a third
    result = comparison(truth, baseline, bert)
    assert result.macro_f1_difference["low"] > 0
    sentence = recommend(result)
    assert sentence.startswith("Use BERT (run #2): macro-F1 1.00 against 0.6")
    assert "10 min on NVIDIA H100 80GB HBM3 against 3.0 s on the CPU" in sentence


def test_no_detectable_difference_recommends_the_cheaper_model() -> None:
    truth = ["a", "b"] * 100
    # Each is wrong on 20 documents, different ones: equal accuracy, no evidence either way.
    first = [("b" if t == "a" else "a") if i < 20 else t for i, t in enumerate(truth)]
    second = [("b" if t == "a" else "a") if 20 <= i < 40 else t for i, t in enumerate(truth)]
    result = comparison(truth, first, second)
    assert result.mcnemar["p_value"] > 0.5
    assert result.macro_f1_difference["low"] < 0 < result.macro_f1_difference["high"]
    sentence = recommend(result)
    assert sentence.startswith("Use the baseline (run #1): on these 200 evaluation documents")
    assert "the baseline (run #1, macro-F1 0.90) and BERT (run #2, 0.90)" in sentence
    assert "cannot be told apart" in sentence
    assert sentence.endswith(
        "the baseline took 3.0 s on the CPU against 10 min on NVIDIA H100 80GB HBM3."
    )
    both_on_cpu = dataclasses.replace(
        result, second=dataclasses.replace(result.second, device="cpu", device_name="CPU")
    )
    assert recommend(both_on_cpu).endswith("took 3.0 s against 10 min, both on the CPU.")


def test_durations_read_like_people_write_them() -> None:
    assert format_duration(2.34) == "2.3 s"
    assert format_duration(42) == "42 s"
    assert format_duration(600) == "10 min"
    assert format_duration(3725) == "1 h 2 min"


# -- on a project: baseline then BERT in one job ---------------------------------------


@pytest.mark.slow
def test_baseline_then_bert_in_one_job_then_side_by_side(demo: Project, tiny_bert: Path) -> None:
    from core.models.transformer import TransformerConfig
    from core.training.job import train_models

    seen: list[str] = []
    bert = TransformerConfig(model_name=str(tiny_bert), epochs=1, max_length=32, device="cpu")
    results = train_models(
        demo, [("baseline", None), ("transformer", bert)], partial=lambda r: seen.append(r.kind)
    )
    assert seen == ["baseline", "transformer"]  # the baseline is reported before BERT ends
    assert latest_pair(demo) == (results[0].run_id, results[1].run_id)
    result = compare_runs(demo, *latest_pair(demo))
    assert result.n == 100  # the demo's evaluation sample, predicted by both
    assert result.first.kind == "baseline" and result.second.device == "cpu"
    assert result.second.title == f"BERT ({tiny_bert})"
    assert result.first_eval.per_class.keys() == result.second_eval.per_class.keys()
    assert result.recommendation.startswith("Use ")
    with pytest.raises(LabelLoopError, match="two different runs"):
        compare_runs(demo, results[0].run_id, results[0].run_id)
    # Explain keeps showing the baseline's words after BERT (which has none to show).
    from core.training.explain import ModelCache, explain_document

    explanation = explain_document(demo, 1, ModelCache())
    assert explanation is not None and explanation.run_id == results[0].run_id
    assert any(explanation.terms.values())


@pytest.mark.slow
def test_cli_baseline_then_transformer_prints_both_and_a_recommendation(
    demo: Project, tiny_bert: Path
) -> None:
    path = str(demo.path)
    demo.close()
    command = [sys.executable, "-m", "cli", "train", path]
    options = ["--model", "baseline-then-transformer", "--model-name", str(tiny_bert)]
    result = subprocess.run(
        [*command, *options, "--epochs", "1", "--max-length", "32", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [run["kind"] for run in payload["runs"]] == ["baseline", "transformer"]
    compared = payload["comparison"]
    assert compared["n"] == 100
    assert compared["mcnemar"]["p_value"] <= 1
    assert compared["recommendation"].startswith("Use ")
    wrong = subprocess.run(
        [*command, "--model", "baseline", "--epochs", "2"], capture_output=True, text=True
    )
    assert wrong.returncode != 0
    assert "go with --model transformer" in wrong.stderr


@pytest.mark.slow
def test_running_out_of_gpu_memory_is_told_to_the_user(
    demo: Project, tiny_bert: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The batch is halved after an out-of-memory error, and the run says so: in its
    record, in the CLI report and on the Train page."""
    import torch

    from core.evaluation.reports import describe_training
    from core.models import transformer as tm
    from core.models.transformer import TransformerConfig
    from core.training.job import train_model
    from desktop_app.train.train_page import describe_result

    real_step = tm.training_step

    def fail_once(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setattr(tm, "training_step", real_step)
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (test)")

    monkeypatch.setattr(tm, "training_step", fail_once)
    bert = TransformerConfig(model_name=str(tiny_bert), epochs=1, max_length=32, device="cpu")
    result = train_model(demo, "transformer", bert)
    halved = [n for n in result.metrics["notes"] if "batch halved to 8" in n]
    assert len(halved) == 1
    assert f"Note: {halved[0]}" in describe_training(result.run_id, result.kind, result.metrics)
    assert f"Note: {halved[0]}" in describe_result(result)
    assert any("Trained on the CPU" in n for n in result.metrics["notes"])
