"""The annotate view with a trained model: uncertain queue, suggestion, explanation."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.demo import build_demo_project
from core.training.job import train_model
from desktop_app.annotate import AnnotateView
from desktop_app.context import ProjectContext
from desktop_app.worker import JobRunner

pytestmark = [pytest.mark.gui, pytest.mark.slow]


@pytest.fixture
def view(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    project = build_demo_project(tmp_path / "demo.labelloop")
    train_model(project, "baseline")
    widget = AnnotateView(ProjectContext(project, JobRunner(), "anna"))
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.close()
    project.close()


def test_uncertain_queue_shows_the_least_certain_document_with_a_hidden_suggestion(
    view, qtbot
) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=10_000):
        view.set_queue("uncertain")
    document = view.last_state.document
    assert document is not None and not document.in_evaluation_sample
    assert document.suggestion is not None
    assert not view.suggestion.isVisibleTo(view)  # hidden by default: no anchoring
    view.suggestion_toggle.setChecked(True)
    assert view.suggestion.text().startswith("The model suggests: ")


def test_explain_highlights_words_that_pushed_the_model(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=10_000):
        view.set_queue("uncertain")
    view.explain_toggle.setChecked(True)
    qtbot.waitUntil(lambda: view.document.explanation.isVisibleTo(view), timeout=10_000)
    assert view.document.explanation.text().startswith("Words that pushed the baseline toward ")
    selections = view.document.text.extraSelections()
    assert selections
    text = view.document.text.toPlainText()
    for selection in selections:  # whole words only: "de" never lights up inside "winnende"
        start, end = selection.cursor.selectionStart(), selection.cursor.selectionEnd()
        assert start == 0 or not text[start - 1].isalnum()
        assert end == len(text) or not text[end].isalnum()


def test_check_predictions_queue_serves_one_predicted_category(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=10_000):
        view.set_queue("predicted", category_id=3)
    assert view.last_state.document.suggestion == 3
