"""The training job on the demo project: fit, evaluate honestly, predict, save, queue."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from core import codebook
from core.errors import Cancelled
from core.jobs import Progress
from core.labelling.queues import QueueRequest, latest_run_id, make_queue
from core.labelling.session import LabellingSession
from core.models import TooFewLabelsError
from core.store.project import Project
from core.store.schema import Category, Document, EvaluationSample, ModelRun, Prediction
from core.training import job as training
from core.training.job import models_folder, predict_with_run, train_model

pytestmark = pytest.mark.slow


def test_training_measures_on_the_evaluation_sample_and_predicts_everything(demo: Project) -> None:
    result = train_model(demo, "baseline")
    metrics = result.metrics
    assert metrics["train_size"] == 100 and metrics["evaluation_size"] == 100
    evaluation = metrics["evaluation"]
    assert evaluation["n"] == 100
    macro = evaluation["macro_f1"]
    assert macro["low"] <= macro["value"] <= macro["high"]
    assert macro["value"] > 0.3  # 100 short texts, five topics: better than chance (0.2)
    assert "cv_macro_f1_mean" in metrics["cross_validation"]
    shares = [p["adjusted"] for p in metrics["prevalence"].values()]
    assert sum(shares) == pytest.approx(1.0, abs=1e-6)
    with demo.read() as session:
        run = session.get_one(ModelRun, result.run_id)
        assert run.status == "finished"
        assert run.seed == 0 and "scikit-learn" in run.library_versions
        assert sum(run.label_counts.values()) == 100
        assert session.scalar(select(func.count()).select_from(Prediction)) == 450
        category_id, probabilities, stored = session.execute(
            select(Prediction.category_id, Prediction.probabilities, Prediction.uncertainty)
        ).first()
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        # Keyed by category id; the stored label is the most probable category.
        assert {int(k) for k in probabilities} == set(session.scalars(select(Category.id)))
        assert int(max(probabilities, key=probabilities.get)) == category_id
        # The stored uncertainty orders like the default strategy: 1 − (p1 − p2).
        first, second = sorted(probabilities.values(), reverse=True)[:2]
        assert stored == pytest.approx(1 - (first - second), abs=1e-5)
    saved = list((models_folder(demo) / f"run-{result.run_id}").iterdir())
    assert saved and not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in saved)


def test_cancelled_training_leaves_no_predictions(demo: Project) -> None:
    calls = []

    def cancel_after_a_while() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        train_model(demo, "baseline", should_cancel=cancel_after_a_while)
    with demo.read() as session:
        assert session.scalars(select(ModelRun.status)).all() == ["cancelled"]
        assert session.scalar(select(func.count()).select_from(Prediction)) == 0


def _cancel_once_predicting() -> tuple[list[Progress], Callable[[], bool]]:
    seen: list[Progress] = []
    return seen, lambda: any(r.message.startswith("Predicted") for r in seen)


def test_a_run_cancelled_while_predicting_is_ignored_then_cleared_by_the_next(
    demo: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(training, "PREDICT_BATCH", 100)
    seen, cancel = _cancel_once_predicting()
    with pytest.raises(Cancelled):
        train_model(demo, "baseline", progress=seen.append, should_cancel=cancel)
    # Cancel returns without deleting the partial predictions (a million rows held the
    # write lock for seconds); nothing shows them, since the run did not finish.
    with demo.read() as session:
        assert session.scalars(select(ModelRun.status)).all() == ["cancelled"]
        assert session.scalar(select(func.count()).select_from(Prediction)) == 100
    assert latest_run_id(demo) is None
    assert make_queue("uncertain").next_ids(demo, QueueRequest(coder="anna")) == []

    monkeypatch.setattr(training, "PURGE_BATCH", 30)  # several short transactions
    reports: list[Progress] = []
    result = train_model(demo, "baseline", progress=reports.append)
    assert any(r.message == "Removing the predictions of a cancelled run" for r in reports)
    with demo.read() as session:
        runs = session.execute(select(Prediction.run_id, func.count()).group_by(Prediction.run_id))
        assert dict(runs.all()) == {result.run_id: 450}


def test_a_cancelled_re_prediction_keeps_every_prediction_of_the_run(
    demo: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = train_model(demo, "baseline")
    with demo.read() as session:
        before = dict(session.execute(select(Prediction.document_id, Prediction.category_id)).all())
    monkeypatch.setattr(training, "PREDICT_BATCH", 100)
    seen, cancel = _cancel_once_predicting()
    with pytest.raises(Cancelled):
        predict_with_run(demo, progress=seen.append, should_cancel=cancel)
    with demo.read() as session:
        after = dict(session.execute(select(Prediction.document_id, Prediction.category_id)).all())
        assert set(session.scalars(select(Prediction.run_id))) == {result.run_id}
    assert after == before
    assert latest_run_id(demo) == result.run_id


def test_too_few_labels_says_what_to_label(project: Project) -> None:
    with project.write() as session:
        for i in range(1, 4):
            session.add(
                Document(id=i, external_id=str(i), text=f"tekst {i}", meta={}, content_hash=str(i))
            )
    a = codebook.add_category(project, "a")
    from core.labelling.labels import set_label

    set_label(project, 1, a.id, "anna")
    with pytest.raises(TooFewLabelsError, match="at least two categories"):
        train_model(project)
    with project.read() as session:
        assert session.scalar(select(func.count()).select_from(ModelRun)) == 0


def test_uncertain_queue_serves_unlabelled_documents_outside_the_sample(demo: Project) -> None:
    train_model(demo, "baseline")
    ids = make_queue("uncertain").next_ids(demo, QueueRequest("anna", frozenset(), 500))
    with demo.read() as session:
        sample = set(session.scalars(select(EvaluationSample.document_id)))
        uncertainty = dict(
            session.execute(select(Prediction.document_id, Prediction.uncertainty)).all()
        )
    assert len(ids) == 250  # every unlabelled document, none of the evaluation sample
    assert not set(ids) & sample
    values = [uncertainty[i] for i in ids]
    assert values == sorted(values, reverse=True)
    state = LabellingSession(demo, "anna", make_queue("uncertain")).start()
    assert state.document.id == ids[0]
    assert state.document.suggestion is not None


def test_predict_again_after_an_import(demo: Project) -> None:
    train_model(demo, "baseline")
    with demo.write() as session:
        session.add(
            Document(id=9999, external_id="extra", text="Ajax wint weer", meta={}, content_hash="x")
        )
    assert predict_with_run(demo) == 451


def test_cli_train_prints_metrics_with_intervals(demo: Project) -> None:
    path = str(demo.path)
    demo.close()
    result = subprocess.run(
        [sys.executable, "-m", "cli", "train", path],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "On the evaluation sample (100 documents, 95% intervals): macro-F1 0." in result.stdout
    assert "Cross-validated estimate on the training labels (5-fold" in result.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "cli", "train", path, "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    payload = json.loads(as_json.stdout)
    assert payload["metrics"]["evaluation"]["n"] == 100
