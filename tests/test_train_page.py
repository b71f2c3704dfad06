"""The Train page: train in the background, show the result, cancel, explain refusals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from sqlalchemy import func, select

from core import codebook
from core.demo import build_demo_project
from core.labelling.labels import set_label
from core.models.baseline import BaselineClassifier
from core.overview import finished_runs
from core.store import Project
from core.store.schema import Document, EvaluationSample, ModelRun, Prediction
from core.training.devices import DeviceInfo
from desktop_app.context import ProjectContext
from desktop_app.train.train_page import TrainPage
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui

TRAINING_TIMEOUT_MS = 120_000


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Project]:
    project = build_demo_project(tmp_path / "demo.labelloop")
    yield project
    project.close()


def make_page(qtbot, project: Project) -> tuple[TrainPage, ProjectContext]:  # type: ignore[no-untyped-def]
    context = ProjectContext(project, JobRunner(), "tester")
    page = TrainPage(context)
    qtbot.addWidget(page)
    page.show()
    # Shown, the page looks for a GPU in the background (once per process).
    qtbot.waitUntil(lambda: page.device is not None and not page.context.runner.running())
    return page, context


def test_the_page_shows_the_model_and_the_label_counts(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    kinds = [page.model_combo.itemData(i) for i in range(page.model_combo.count())]
    assert kinds == ["baseline", "transformer", "baseline-then-transformer"]
    assert page.selected_kind() == "baseline"  # no GPU here: the baseline is the default
    assert "TF-IDF" in page.model_combo.currentText()
    assert not page.bert_settings.isVisible()
    # On a CPU the page says so, with a rough time for BERT on the current labels.
    assert "No GPU found: BERT would train on the CPU" in page.device_label.text()
    assert "Rough estimate for BERTje on 100 labels, at most 10 epochs" in page.device_label.text()
    assert "then predicting all 450 documents up to " in page.device_label.text()
    page.model_combo.setCurrentIndex(1)
    assert page.bert_settings.isVisible()
    assert page.plan() == [
        (
            "transformer",
            {"model_name": "GroNLP/bert-base-dutch-cased", "epochs": 10, "max_length": 256},
        )
    ]
    counts = page.counts()
    assert counts["Total"] == (100, 100)
    assert list(counts) == ["politiek", "economie", "sport", "cultuur", "gezondheid", "Total"]


def test_counts_follow_new_labels(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, context = make_page(qtbot, demo)
    with demo.read() as session:
        # The demo labels the first 100 documents outside the evaluation sample.
        unlabelled = session.scalar(
            select(Document.id)
            .where(Document.id.not_in(select(EvaluationSample.document_id)))
            .order_by(Document.id.desc())
        )
    sport = next(c.id for c in codebook.list_categories(demo) if c.name == "sport")
    before = page.counts()["sport"][0]
    set_label(demo, unlabelled, sport, "tester")
    context.labels_changed.emit()
    assert page.counts()["sport"][0] == before + 1


def test_training_shows_the_result_saves_the_run_and_announces_it(  # type: ignore[no-untyped-def]
    qtbot, demo: Project, monkeypatch
) -> None:
    page, context = make_page(qtbot, demo)
    # The GUI thread must stay free while training. Deterministic, whatever the machine's
    # load: the fit waits (on the worker thread) until a GUI-thread timer has fired twice
    # after the fit began; were training on the GUI thread, the timer could never fire.
    fitting, gui_ran = threading.Event(), threading.Event()
    fit_threads: list[threading.Thread] = []
    ticks_while_fitting: list[int] = []
    original_fit = BaselineClassifier.fit

    def fit_when_the_gui_has_run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        fit_threads.append(threading.current_thread())
        fitting.set()
        assert gui_ran.wait(60), "the GUI thread did not run while the model was fitted"
        return original_fit(self, *args, **kwargs)

    def tick() -> None:
        if fitting.is_set():
            ticks_while_fitting.append(1)
            if len(ticks_while_fitting) >= 2:
                gui_ran.set()

    monkeypatch.setattr(BaselineClassifier, "fit", fit_when_the_gui_has_run)
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    with qtbot.waitSignal(context.runs_changed, timeout=TRAINING_TIMEOUT_MS):
        handle = page.start_training()
        assert handle is not None
        assert page.is_training()
        assert not page.train_button.isEnabled()
        assert page.progress.isVisible()
        assert page.start_training() is None  # one training at a time
    timer.stop()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=5000)
    assert fit_threads and fit_threads[0] is not threading.main_thread()
    assert gui_ran.is_set()

    text = page.result_label.text()
    assert page.result_label.isVisible()
    assert "Macro-F1 on the evaluation sample (100 documents, 95% interval)" in text
    assert "Cross-validated estimate on the training labels" in text
    assert " s," in text
    assert not page.message.isVisible()
    assert page.train_button.isEnabled()
    runs = finished_runs(demo)
    assert len(runs) == 1
    assert f"Run #{runs[0]['id']}" in text
    assert runs[0]["metrics"]["evaluation"]["n"] == 100


def test_cancel_saves_nothing_and_says_so(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, context = make_page(qtbot, demo)
    announced: list[bool] = []
    context.runs_changed.connect(lambda: announced.append(True))
    handle = page.start_training()
    assert handle is not None
    # Wait until the model is being fitted, then press Cancel.
    qtbot.waitUntil(
        lambda: handle.last_progress is not None and handle.last_progress.done > 0.02,
        timeout=30_000,
    )
    # How fast Cancel takes effect is measured in benchmarks/bench_cancel.py.
    with qtbot.waitSignal(handle.cancelled, timeout=10_000):
        page.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=5000)

    assert page.message.isVisible()
    assert "cancelled" in page.message.text().lower()
    assert not page.result_label.isVisible()
    assert announced == []
    assert finished_runs(demo) == []
    with demo.read() as session:
        assert session.scalar(select(func.count()).select_from(Prediction)) == 0
        statuses = list(session.scalars(select(ModelRun.status)))
    assert statuses in ([], ["cancelled"])


def test_too_few_labels_is_explained_in_the_page(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    codebook.add_category(project, "ja")
    codebook.add_category(project, "nee")
    page, context = make_page(qtbot, project)
    announced: list[bool] = []
    context.runs_changed.connect(lambda: announced.append(True))
    handle = page.start_training()
    assert handle is not None
    with qtbot.waitSignal(handle.errored, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: not page.is_training(), timeout=5000)
    assert page.message.isVisible()
    assert "Training needs labels in at least two categories" in page.message.text()
    assert not page.result_label.isVisible()
    assert page.train_button.isEnabled()
    assert announced == []
    assert page.counts()["Total"] == (0, 0)


def test_with_a_gpu_baseline_then_bert_is_the_default(qtbot, demo: Project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.train import train_page

    gpu = DeviceInfo("cuda", "NVIDIA H100 80GB HBM3", 85_000_000_000, 80_000_000_000, "bf16")
    monkeypatch.setattr(train_page, "_device", gpu)
    page, _ = make_page(qtbot, demo)
    assert page.selected_kind() == "baseline-then-transformer"
    assert page.device_label.text() == (
        "GPU: NVIDIA H100 80GB HBM3, 85.0 GB memory (80.0 GB free); BERT trains in bf16."
    )
    assert [kind for kind, _ in page.plan()] == ["baseline", "transformer"]


@pytest.mark.slow
def test_baseline_then_bert_shows_the_baseline_first(qtbot, demo: Project, tiny_bert: Path) -> None:  # type: ignore[no-untyped-def]
    page, context = make_page(qtbot, demo)
    page.model_combo.setCurrentIndex(page.model_combo.findData("baseline-then-transformer"))
    page.bert_settings.model_name.setCurrentText(str(tiny_bert))
    page.bert_settings.epochs_box.setValue(1)
    page.bert_settings.length_box.setValue(32)
    announced: list[str] = []
    context.runs_changed.connect(lambda: announced.append(page.result_label.text()))
    handle = page.start_training()
    assert handle is not None
    qtbot.waitUntil(lambda: len(announced) == 2, timeout=TRAINING_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not page.is_training(), timeout=10_000)
    runs = finished_runs(demo)
    assert [run["kind"] for run in runs] == ["baseline", "transformer"]
    # The first announcement came with the baseline's result while BERT still trained.
    assert f"Run #{runs[0]['id']}" in announced[0] and "Next model training" in announced[0]
    assert f"Run #{runs[1]['id']}" in page.result_label.text()
    assert "side by side" in page.result_label.text()
