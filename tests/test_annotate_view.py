"""Labelling with the keyboard in the real annotate view (offscreen)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from projects import finished_run, skipped_count
from PySide6.QtCore import Qt, QTimer
from sqlalchemy import select

from core import codebook
from core.ingest import ImportOptions, import_file
from core.labelling.labels import set_label
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


def test_a_key_pressed_while_a_label_is_being_saved_labels_the_next_document(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert view.view_state is ViewState.BUSY
    qtbot.keyClick(view, Qt.Key.Key_2)  # kept: it labels the document shown next
    qtbot.waitUntil(lambda: _labels(view.context.project) == {1: 1, 2: 2}, timeout=5000)
    qtbot.waitUntil(lambda: view.view_state is ViewState.READY, timeout=5000)
    assert view.document.text.toPlainText() == TEXTS[2]


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


# -- model queues before the first model -------------------------------------------------


@pytest.mark.parametrize("queue", ["uncertain", "predicted"])
def test_a_model_queue_before_the_first_model_says_to_train_one_and_links_to_train(
    view, qtbot, queue: str
) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.set_queue(queue, category_id=1)
    assert view.view_state is ViewState.NEEDS_MODEL
    assert "No model has been trained yet" in view.message.text()
    assert "every document" not in view.message.text()
    assert view.train_link.isVisibleTo(view)
    with qtbot.waitSignal(view.context.show_page_requested, timeout=1000) as shown:
        qtbot.mouseClick(view.train_link, Qt.MouseButton.LeftButton)
    assert shown.args == ["train"]


def test_an_open_model_queue_refills_when_a_training_run_finishes(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.set_queue("uncertain")
    finished_run(view.context.project, {1: 0.2, 3: 0.9, 4: 0.5})
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.context.runs_changed.emit()
    assert view.view_state is ViewState.READY
    assert view.document.text.toPlainText() == TEXTS[2]  # the most uncertain
    assert not view.train_link.isVisibleTo(view)


def test_a_new_model_reorders_the_documents_still_to_come(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    finished_run(view.context.project, {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.6})
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.set_queue("uncertain")
    assert view.document.text.toPlainText() == TEXTS[0]
    finished_run(view.context.project, {2: 0.1, 3: 0.2, 4: 0.95})
    view.context.runs_changed.emit()
    _press(qtbot, view, Qt.Key.Key_1)
    assert view.document.text.toPlainText() == TEXTS[3]  # the new model's most uncertain


def test_the_uncertain_queue_orders_by_the_strategy_chosen_beside_it(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Margin and entropy disagree: a near tie between two categories has the smaller
    margin, a spread over three the higher entropy."""
    tie, spread = {"1": 0.5, "2": 0.5, "3": 0.0}, {"1": 0.4, "2": 0.3, "3": 0.3}
    # stored uncertainty = 1 - margin: the tie 1.0, the spread 0.9
    finished_run(view.context.project, {1: 1.0, 2: 0.9}, probabilities={1: tie, 2: spread})
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.set_queue("uncertain")
    assert view.strategy_box.isVisibleTo(view)
    assert view.strategy_box.currentData() == "margin"
    assert view.document.text.toPlainText() == TEXTS[0]  # the tie
    entropy = view.strategy_box.findData("entropy")
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.strategy_box.setCurrentIndex(entropy)
        view.strategy_box.activated.emit(entropy)
    assert view.document.text.toPlainText() == TEXTS[1]  # the spread
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.set_queue("file-order")
    assert not view.strategy_box.isVisibleTo(view)


# -- the header follows the project ------------------------------------------------------


def test_the_header_follows_documents_imported_and_labels_given_elsewhere(
    view, qtbot, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    project = view.context.project
    source = tmp_path / "meer.csv"
    source.write_text("id,text,label\nm1,Kabinet valt weer,politiek\nm2,Ajax verliest,\n")
    import_file(project, source, ImportOptions(text_col="text", id_col="id", label_col="label"))
    view.context.documents_changed.emit()
    qtbot.waitUntil(lambda: "1 of 6 documents labelled" in view.progress_label.text(), timeout=5000)
    set_label(project, 2, 2, "bert")  # another coder
    view.context.labels_changed.emit()
    qtbot.waitUntil(lambda: "2 of 6 documents labelled" in view.progress_label.text(), timeout=5000)
    assert view.document.text.toPlainText() == TEXTS[0]  # the document shown stays


def test_a_note_being_typed_survives_a_refresh(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.note.setFocus()
    qtbot.keyClicks(view.note, "twijfel")
    set_label(view.context.project, 2, 2, "bert")
    view.context.labels_changed.emit()
    qtbot.waitUntil(lambda: "1 of 4 documents labelled" in view.progress_label.text(), timeout=5000)
    assert view.note.text() == "twijfel"


def test_an_empty_queue_refills_when_documents_are_imported(view, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for _ in TEXTS:
        _press(qtbot, view, Qt.Key.Key_1)
    assert view.view_state is ViewState.EMPTY
    source = tmp_path / "meer.csv"
    source.write_text("id,text\nm1,Kabinet valt weer\n")
    import_file(view.context.project, source, ImportOptions(text_col="text", id_col="id"))
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        view.context.documents_changed.emit()
    assert view.document.text.toPlainText() == "Kabinet valt weer"
    assert "4 of 5 documents labelled" in view.progress_label.text()


# -- keys pressed while another program writes -------------------------------------------


@pytest.fixture
def lock(view):  # type: ignore[no-untyped-def]
    """Another program's write transaction on the project: it holds the write lock."""
    holder = sqlite3.connect(view.context.project.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    if holder.in_transaction:
        holder.rollback()
    holder.close()


def test_keys_pressed_while_another_program_writes_wait_their_turn_and_are_all_saved(
    view, qtbot, lock
) -> None:  # type: ignore[no-untyped-def]
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_Space, Qt.Key.Key_3):
        qtbot.keyClick(view, key)
    qtbot.waitUntil(
        lambda: "Waiting for the project — 4 keys pending" in view.message.text(), timeout=5000
    )
    assert view.message.isVisibleTo(view)
    assert view.view_state is ViewState.WAITING
    assert _labels(view.context.project) == {}
    QTimer.singleShot(1500, lock.commit)  # the other program finishes
    qtbot.waitUntil(lambda: view.view_state is ViewState.EMPTY, timeout=15_000)
    # Each key applied to the document on screen when its turn came: 1, 2, skip 3, 3.
    assert _labels(view.context.project) == {1: 1, 2: 2, 4: 3}
    assert skipped_count(view.context.project, "anna") == 1
    assert "Waiting" not in view.message.text()


def test_keys_waiting_past_the_limit_are_dropped_with_a_message_naming_the_document(
    view, qtbot, lock
) -> None:  # type: ignore[no-untyped-def]
    view.wait_limit_s = 1.0
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_Space):
        qtbot.keyClick(view, key)
    qtbot.waitUntil(lambda: "not saved" in view.message.text(), timeout=10_000)
    message = view.message.text()
    assert "label for n1 was not saved" in message
    assert "2 keys pressed after it were dropped (sport, skip)" in message
    assert view.message.isVisibleTo(view)
    qtbot.waitUntil(lambda: view.view_state is ViewState.READY, timeout=5000)
    lock.rollback()
    assert _labels(view.context.project) == {}  # nothing half-saved
    assert skipped_count(view.context.project, "anna") == 0
    assert view.document.text.toPlainText() == TEXTS[0]  # still on n1
    _press(qtbot, view, Qt.Key.Key_1)  # and labelling goes on once the project is free
    assert _labels(view.context.project) == {1: 1}


def test_keys_behind_a_step_that_does_not_return_are_dropped_after_the_limit(
    view, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    view.wait_limit_s = 0.5
    release = threading.Event()
    stuck_back = view.session.back

    def back():  # type: ignore[no-untyped-def]  # e.g. a read on an unreachable drive
        release.wait(30)
        return stuck_back()

    monkeypatch.setattr(view.session, "back", back)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_1)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "did not answer" in view.message.text(), timeout=10_000)
    assert "2 keys pressed were dropped (politiek, skip)" in view.message.text()
    with qtbot.waitSignal(view.state_shown, timeout=5000):
        release.set()
    assert view.view_state is ViewState.READY
    assert _labels(view.context.project) == {}
    assert skipped_count(view.context.project, "anna") == 0
    assert "did not answer" in view.message.text()  # still said once the step returns


def test_own_labels_leave_the_queue_be_and_labels_given_elsewhere_make_it_ask_again(
    view, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    queue = view.session.queue
    asked: list[int] = []
    next_ids = queue.next_ids

    def counted(project, request):  # type: ignore[no-untyped-def]
        asked.append(len(request.exclude))
        return next_ids(project, request)

    monkeypatch.setattr(queue, "next_ids", counted)
    _press(qtbot, view, Qt.Key.Key_1)
    _press(qtbot, view, Qt.Key.Key_2)
    # The view's own labels are announced and followed too, but change nothing it read:
    # the next documents it asked for stay (a search queue answers in up to 100 ms).
    assert asked == []
    assert view.document.text.toPlainText() == TEXTS[2]
    assert "2 of 4 documents labelled" in view.progress_label.text()
    set_label(view.context.project, 4, 3, "bert")  # another coder labels the last one
    view.context.labels_changed.emit()
    _press(qtbot, view, Qt.Key.Key_3)
    assert len(asked) == 1  # asked again, and n4 is no longer unlabelled
    assert view.view_state is ViewState.EMPTY
    assert "4 of 4 documents labelled" in view.progress_label.text()
