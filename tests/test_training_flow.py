"""The active-learning loop through the real window (offscreen):
open the demo → train → the Evaluate tab lists the run → label the most uncertain
document with a key → train again → two runs, one more training label."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from core.store.schema import Annotation

pytestmark = pytest.mark.gui

TIMEOUT = 60_000  # training the demo takes seconds; generous for slow machines


def test_train_label_the_uncertain_document_and_train_again(
    qtbot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.main_window import MainWindow

    data = tmp_path / "data"
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *args, **kwargs: str(data))
    window = MainWindow(default_coder="anna")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()

    window.open_demo()
    assert window.context is not None, "the demo did not open"
    assert window.context.project.path.parent == data
    context, workspace = window.context, window.workspace
    annotate, train, evaluate = workspace.annotate, workspace.train, workspace.evaluate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=TIMEOUT)

    # Train (Train tab)
    workspace.setCurrentWidget(train)
    train_labels_before = train.counts()["Total"][0]
    assert train_labels_before > 0
    assert train.start_training() is not None
    qtbot.waitUntil(lambda: not train.is_training(), timeout=TIMEOUT)
    assert not train.message.isVisible(), train.message.text()

    # The Evaluate tab lists the run (and selects it)
    workspace.setCurrentWidget(evaluate)
    qtbot.waitUntil(lambda: evaluate.runs_table.rowCount() == 1, timeout=TIMEOUT)
    first_run = evaluate.runs[0]["id"]
    assert evaluate.selected_run_id() == first_run
    qtbot.waitUntil(lambda: evaluate.details_run_id == first_run, timeout=TIMEOUT)
    assert evaluate.terms_table.rowCount() == 5

    # Annotate: the most uncertain queue serves an unlabelled, non-evaluation document
    workspace.setCurrentWidget(annotate)
    qtbot.waitUntil(lambda: annotate.view_state.name != "BUSY", timeout=TIMEOUT)
    with qtbot.waitSignal(annotate.state_shown, timeout=TIMEOUT):
        annotate.set_queue("uncertain")
    state = annotate.last_state
    assert state.queue == "uncertain"
    document = state.document
    assert document is not None
    assert document.label is None
    assert not document.in_evaluation_sample
    qtbot.waitUntil(lambda: annotate.view_state.name == "READY", timeout=TIMEOUT)

    # Label it with a key press
    annotate.setFocus()
    with qtbot.waitSignal(annotate.state_shown, timeout=TIMEOUT):
        qtbot.keyClick(annotate, Qt.Key.Key_1)
    with context.project.read() as session:
        saved = session.scalars(
            select(Annotation).where(Annotation.document_id == document.id)
        ).one()
    assert (saved.coder, saved.purpose) == ("anna", "train")
    assert annotate.last_state.document is None or annotate.last_state.document.id != document.id

    # Train again: two runs, trained on one more label
    workspace.setCurrentWidget(train)
    qtbot.waitUntil(lambda: train.counts()["Total"][0] == train_labels_before + 1, timeout=TIMEOUT)
    assert train.start_training() is not None
    qtbot.waitUntil(lambda: not train.is_training(), timeout=TIMEOUT)
    assert not train.message.isVisible(), train.message.text()

    workspace.setCurrentWidget(evaluate)
    qtbot.waitUntil(lambda: evaluate.runs_table.rowCount() == 2, timeout=TIMEOUT)
    second_run = evaluate.runs[-1]["id"]
    assert second_run != first_run
    assert evaluate.selected_run_id() == second_run
    sizes = [run["metrics"]["train_size"] for run in evaluate.runs]
    assert sizes == [train_labels_before, train_labels_before + 1]
    shown = [
        int(evaluate.runs_table.item(row, 3).data(Qt.ItemDataRole.DisplayRole)) for row in range(2)
    ]
    assert shown == [train_labels_before + 1, train_labels_before]  # newest first
    qtbot.waitUntil(lambda: evaluate.details_run_id == second_run, timeout=TIMEOUT)

    window.close()
