"""Labelling with the keyboard in the real annotate view (offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from core import codebook
from core.store.project import Project
from core.store.schema import Annotation, Document
from desktop_app.annotate import AnnotateView
from desktop_app.annotate.annotate_view import ViewState
from desktop_app.context import ProjectContext
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui

TEXTS = [
    "Het kabinet <b>valt</b> over de begroting",
    "Ajax wint de klassieker van Feyenoord",
    "De inflatie daalt voor de derde maand",
    "Museum in Zwolle opent nieuwe vleugel",
]


@pytest.fixture
def view(qtbot, project: Project):  # type: ignore[no-untyped-def]
    with project.write() as session:
        for i, text in enumerate(TEXTS, start=1):
            session.add(
                Document(
                    id=i,
                    external_id=f"n{i}",
                    text=text,
                    source="nieuws.csv",
                    meta={"bron": "NOS"},
                    content_hash=str(i),
                )
            )
    for name, definition in (("politiek", "Over regering"), ("sport", ""), ("economie", "")):
        codebook.add_category(project, name, definition=definition)
    context = ProjectContext(project, JobRunner(), "anna")
    widget = AnnotateView(context)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitExposed(widget)
    with qtbot.waitSignal(widget.state_shown, timeout=5000):
        widget.set_queue("file-order")
    widget.setFocus()
    return widget


def _labels(project: Project) -> dict[int, int]:
    with project.read() as session:
        return {a.document_id: a.category_id for a in session.scalars(select(Annotation))}


def _press(qtbot, view, key) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        qtbot.keyClick(view, key)


def test_text_is_shown_as_plain_text_with_its_metadata(view) -> None:  # type: ignore[no-untyped-def]
    assert view.document.text.toPlainText() == TEXTS[0]  # the <b> stays literal
    assert view.document.meta.rowCount() == 3  # id, source, bron
    assert "0 of 4 documents labelled" in view.progress_label.text()


def test_a_key_press_saves_the_label_and_shows_the_next_document(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    _press(qtbot, view, Qt.Key.Key_1)
    assert _labels(view.context.project) == {1: 1}
    assert view.document.text.toPlainText() == TEXTS[1]
    assert "1 of 4 documents labelled" in view.progress_label.text()
    assert (
        "politiek" in view.categories.buttons[1].text() and "1" in view.categories.buttons[1].text()
    )


def test_undo_back_and_skip_with_the_keyboard(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    _press(qtbot, view, Qt.Key.Key_2)  # doc 1 -> sport
    _press(qtbot, view, Qt.Key.Key_Space)  # skip doc 2
    assert view.document.text.toPlainText() == TEXTS[2]
    _press(qtbot, view, Qt.Key.Key_Left)  # back to doc 2
    _press(qtbot, view, Qt.Key.Key_Left)  # back to doc 1, labelled sport
    assert view.categories.buttons[2].isChecked()
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _labels(view.context.project) == {}
    assert view.document.text.toPlainText() == TEXTS[0]


def test_keys_are_ignored_while_a_label_is_being_saved(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        qtbot.keyClick(view, Qt.Key.Key_1)
        assert view.view_state is ViewState.BUSY
        qtbot.keyClick(view, Qt.Key.Key_2)  # dropped: the first label is still saving
    qtbot.waitUntil(lambda: view.view_state is ViewState.READY)
    assert _labels(view.context.project) == {1: 1}


def test_typing_a_note_does_not_label(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.note.setFocus()
    qtbot.keyClicks(view.note, "1 twijfel")
    assert view.note.text() == "1 twijfel"
    assert _labels(view.context.project) == {}
    qtbot.keyClick(view.note, Qt.Key.Key_Return)  # back to the document
    _press(qtbot, view, Qt.Key.Key_3)
    with view.context.project.read() as session:
        assert session.scalars(select(Annotation.note)).one() == "1 twijfel"


def test_search_queue_highlights_the_terms(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.set_queue("search", query="inflatie")
    assert view.document.text.toPlainText() == TEXTS[2]
    assert len(view.document.text.extraSelections()) == 1


def test_evaluation_sample_shows_the_badge_and_labels_as_eval(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.draw_sample(2)
    assert view.queue_box.currentData() == "evaluation"
    assert view.document.badge.isVisibleTo(view)
    _press(qtbot, view, Qt.Key.Key_1)
    with view.context.project.read() as session:
        assert session.scalars(select(Annotation.purpose)).one() == "eval"
    assert "evaluation sample 1/2" in view.progress_label.text()


def test_new_category_gets_a_working_key(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    added = codebook.add_category(view.context.project, "cultuur")
    view.context.codebook_changed.emit()
    _press(qtbot, view, Qt.Key.Key_4)
    assert _labels(view.context.project) == {1: added.id}


def test_opening_a_document_from_elsewhere_shows_it(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.context.open_document_requested.emit(4)
    assert view.document.text.toPlainText() == TEXTS[3]
