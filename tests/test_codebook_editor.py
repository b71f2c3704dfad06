"""The codebook editor: what the user sees in the table and what ends up in the project."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from sqlalchemy import select

from core import codebook
from core.labelling.labels import label_history, set_label
from core.store.project import Project
from core.store.schema import Annotation, Document

pytestmark = pytest.mark.gui


@pytest.fixture
def context(project: Project, qtbot) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from desktop_app.context import ProjectContext
    from desktop_app.worker import JobRunner

    yield ProjectContext(project, JobRunner(), "anna")


@pytest.fixture
def editor(context, qtbot):  # type: ignore[no-untyped-def]
    from desktop_app.codebook_editor import CodebookEditor

    widget = CodebookEditor(context)
    qtbot.addWidget(widget)
    widget.resize(420, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _documents(project: Project, count: int) -> None:
    with project.write() as session:
        for i in range(1, count + 1):
            session.add(
                Document(id=i, external_id=str(i), text=f"tekst {i}", meta={}, content_hash=str(i))
            )


def _labels(project: Project) -> dict[int, str]:
    names = {c.id: c.name for c in codebook.list_categories(project, include_retired=True)}
    with project.read() as session:
        return {a.document_id: names[a.category_id] for a in session.scalars(select(Annotation))}


def _table(editor) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The table's cells as the user reads them."""
    model = editor.model
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def _names(editor) -> list[str]:  # type: ignore[no-untyped-def]
    return [row[1] for row in _table(editor)]


def _order_in_db(project: Project) -> list[str]:
    return [c.name for c in codebook.list_categories(project, include_retired=True)]


# -- add --------------------------------------------------------------------------------


def test_adding_a_category_shows_a_row_with_key_one_and_its_colour(editor, context, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(context.codebook_changed):
        info = editor.add("politiek", "Over de overheid", colour="#CC79A7")

    assert info is not None and info.shortcut == "1"
    assert _table(editor) == [["1", "politiek", "Over de overheid", "0", "0", "active"]]
    swatch = editor.model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(swatch, QColor) and swatch.name().upper() == "#CC79A7"
    assert editor.selected_name() == "politiek"
    assert "Added 'politiek' with key 1" in editor.message.text()


def test_the_add_dialog_proposes_the_next_free_key_and_adds_on_accept(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.add("politiek")
    editor.add("sport", key="3")

    dialog = editor.open_add_dialog()
    assert dialog.isVisible() and dialog.key_edit.text() == "2"
    dialog.name_edit.setText("economie")
    dialog.definition_edit.setPlainText("Geld, banen en bedrijven")
    dialog.set_colour("#009e73")
    dialog.accept()

    assert not dialog.isVisible()
    info = next(c for c in codebook.list_categories(context.project) if c.name == "economie")
    assert (info.shortcut, info.colour, info.definition) == (
        "2",
        "#009E73",
        "Geld, banen en bedrijven",
    )
    assert _names(editor) == ["politiek", "sport", "economie"]


def test_an_empty_key_in_the_add_dialog_means_no_key(editor, context) -> None:  # type: ignore[no-untyped-def]
    dialog = editor.open_add_dialog()
    dialog.name_edit.setText("overig")
    dialog.key_edit.clear()
    dialog.accept()
    assert codebook.list_categories(context.project)[0].shortcut is None
    assert _table(editor)[0][0] == ""


# -- errors are shown, not raised ------------------------------------------------------


def test_a_duplicate_name_shows_the_codebook_message(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.add("Politiek")
    assert editor.add(" politiek ") is None

    assert editor.message.isVisible()
    assert editor.message.text() == "A category named 'Politiek' exists already."
    assert _names(editor) == ["Politiek"]


def test_a_key_in_use_is_refused_inside_the_dialog_which_stays_open(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.add("politiek")  # key 1
    dialog = editor.open_add_dialog()
    dialog.name_edit.setText("sport")
    dialog.key_edit.setText("1")
    dialog.accept()

    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert dialog.error.text() == "Key '1' is already used by 'politiek'."
    assert _names(editor) == ["politiek"]

    dialog.key_edit.setText("s")  # the user corrects it
    dialog.accept()
    assert not dialog.isVisible()
    assert _table(editor)[1][:2] == ["s", "sport"]


def test_editing_to_a_key_in_use_shows_the_message(editor) -> None:  # type: ignore[no-untyped-def]
    editor.add("politiek")
    editor.add("sport")
    assert editor.edit("sport", key="1") is None
    assert editor.message.text() == "Key '1' is already used by 'politiek'."


# -- edit -------------------------------------------------------------------------------


def test_the_edit_dialog_changes_definition_key_and_colour(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.add("sport", "oud")
    editor.select("sport")
    dialog = editor.open_edit_dialog()
    assert dialog is not None
    assert dialog.name_edit.isReadOnly() and dialog.definition_edit.toPlainText() == "oud"
    dialog.definition_edit.setPlainText("Wedstrijden,\nclubs en spelers")
    dialog.key_edit.setText("s")
    dialog.set_colour("#d55e00")
    dialog.accept()

    info = codebook.list_categories(context.project)[0]
    assert (info.definition, info.shortcut, info.colour) == (
        "Wedstrijden,\nclubs en spelers",
        "s",
        "#D55E00",
    )
    assert _table(editor)[0][:3] == ["s", "sport", "Wedstrijden,\nclubs en spelers"]


def test_a_definition_with_markup_is_shown_literally(editor) -> None:  # type: ignore[no-untyped-def]
    editor.add("cultuur", "Kunst en <b>bold</b> & <i>muziek</i>")
    cell = editor.model.index(0, 2)
    assert cell.data() == "Kunst en <b>bold</b> & <i>muziek</i>"
    tooltip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in tooltip and "<b>" not in tooltip
    editor.select("cultuur")
    dialog = editor.open_edit_dialog()
    assert dialog.definition_edit.toPlainText() == "Kunst en <b>bold</b> & <i>muziek</i>"
    dialog.reject()


def test_a_name_with_markup_is_plain_in_the_messages(editor) -> None:  # type: ignore[no-untyped-def]
    editor.add("<i>x</i>")
    assert editor.message.textFormat() == Qt.TextFormat.PlainText
    assert editor.message.text() == "Added '<i>x</i>' with key 1."


# -- rename ------------------------------------------------------------------------------


def test_rename_keeps_the_labels(editor, context) -> None:  # type: ignore[no-untyped-def]
    project = context.project
    _documents(project, 3)
    sport = editor.add("sprot")
    set_label(project, 1, sport.id, "anna")
    set_label(project, 2, sport.id, "anna", purpose="eval")
    context.labels_changed.emit()
    assert _table(editor)[0][3:5] == ["1", "1"]

    assert editor.rename("sprot", "sport") is not None

    assert _labels(project) == {1: "sport", 2: "sport"}
    assert _table(editor) == [["1", "sport", "", "1", "1", "active"]]
    assert "its labels stay" in editor.message.text()


def test_the_rename_dialog_renames_the_selected_category(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.add("sprot")
    editor.add("politiek")
    editor.select("sprot")
    dialog = editor.open_rename_dialog()
    assert dialog.name_edit.text() == "sprot"
    dialog.name_edit.setText("politiek")
    dialog.accept()
    assert dialog.isVisible() and "exists already" in dialog.error.text()
    dialog.name_edit.setText("sport")
    dialog.accept()
    assert not dialog.isVisible()
    assert _order_in_db(context.project) == ["sport", "politiek"]
    assert editor.selected_name() == "sport"


# -- merge -------------------------------------------------------------------------------


def test_merge_moves_labels_shows_merged_into_and_emits_both_signals(
    editor, context, qtbot
) -> None:  # type: ignore[no-untyped-def]
    project = context.project
    _documents(project, 3)
    voetbal = editor.add("voetbal")
    sport = editor.add("sport")
    for doc in (1, 2):
        set_label(project, doc, voetbal.id, "anna")
    set_label(project, 3, sport.id, "anna")

    with qtbot.waitSignals([context.codebook_changed, context.labels_changed]):
        moved = editor.merge("voetbal", "sport")

    assert moved == 2
    assert _labels(project) == {1: "sport", 2: "sport", 3: "sport"}
    assert [e.action for e in label_history(project, 1)] == ["set", "merge"]
    assert _table(editor) == [["2", "sport", "", "3", "0", "active"]]  # voetbal hidden
    assert "2 labels moved" in editor.message.text()

    editor.show_retired.setChecked(True)
    assert _table(editor)[0] == ["", "voetbal", "", "0", "0", "merged into sport"]
    editor.select("voetbal")
    assert not editor.merge_action.isEnabled()
    assert not editor.restore_action.isEnabled()


def test_the_merge_dialog_says_how_many_labels_move_and_that_history_is_kept(
    editor, context
) -> None:  # type: ignore[no-untyped-def]
    project = context.project
    _documents(project, 3)
    voetbal = editor.add("voetbal")
    editor.add("sport")
    editor.add("politiek")
    editor.retire("politiek")  # retired categories cannot take labels
    set_label(project, 1, voetbal.id, "anna")
    set_label(project, 2, voetbal.id, "bob", purpose="eval")
    set_label(project, 3, voetbal.id, "anna")
    context.labels_changed.emit()

    editor.select("voetbal")
    dialog = editor.open_merge_dialog()
    assert [dialog.target.itemText(i) for i in range(dialog.target.count())] == ["sport"]
    sentence = dialog.sentence.text()
    assert sentence.startswith(
        "3 labels (2 training, 1 evaluation) will move from 'voetbal' to 'sport'"
    )
    assert "label history keeps a record" in sentence
    dialog.accept()

    assert _labels(project) == {1: "sport", 2: "sport", 3: "sport"}
    assert editor.selected_name() == "sport"


def test_merging_into_itself_shows_the_message(editor) -> None:  # type: ignore[no-untyped-def]
    editor.add("sport")
    assert editor.merge("sport", "Sport") is None
    assert editor.message.text() == "Cannot merge 'sport' into itself."


# -- retire and restore -----------------------------------------------------------------


def test_retire_hides_the_category_unless_show_retired_and_restore_brings_it_back(
    editor, context
) -> None:  # type: ignore[no-untyped-def]
    editor.add("politiek")
    editor.add("sport")
    editor.retire("politiek")

    assert _names(editor) == ["sport"]
    assert editor.summary.text() == "1 active category, 1 retired (hidden)."
    assert editor.selected_name() == "sport"

    editor.show_retired.setChecked(True)
    assert _table(editor)[0] == ["", "politiek", "", "0", "0", "retired"]
    retired = editor.model.index(0, 1)
    assert retired.data(Qt.ItemDataRole.FontRole).italic()
    assert retired.data(Qt.ItemDataRole.ForegroundRole) is not None  # greyed
    assert editor.model.index(1, 1).data(Qt.ItemDataRole.FontRole) is None

    editor.select("politiek")
    assert editor.restore_action.isEnabled() and not editor.retire_action.isEnabled()
    editor.restore_action.trigger()

    assert [c.name for c in codebook.list_categories(context.project)] == ["politiek", "sport"]
    assert _table(editor)[0] == ["1", "politiek", "", "0", "0", "active"]
    editor.show_retired.setChecked(False)
    assert _names(editor) == ["politiek", "sport"]


def test_retired_categories_keep_their_labels(editor, context) -> None:  # type: ignore[no-untyped-def]
    project = context.project
    _documents(project, 1)
    info = editor.add("politiek")
    set_label(project, 1, info.id, "anna")
    editor.retire("politiek")
    editor.show_retired.setChecked(True)
    assert _labels(project) == {1: "politiek"}
    assert _table(editor)[0][3] == "1"


# -- order ---------------------------------------------------------------------------------


def test_move_up_and_down_change_the_order_in_the_project(editor, context) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c"):
        editor.add(name)

    assert editor.move_up("c")
    assert _order_in_db(context.project) == ["a", "c", "b"]
    assert _names(editor) == ["a", "c", "b"]
    assert editor.selected_name() == "c"

    assert editor.move_down("a")
    assert _order_in_db(context.project) == ["c", "a", "b"]
    assert not editor.move_up("c")  # already first: nothing happens
    assert _order_in_db(context.project) == ["c", "a", "b"]


def test_moving_skips_hidden_retired_categories(editor, context) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c"):
        editor.add(name)
    editor.retire("b")
    assert editor.move_up("c")  # swaps with a, the row above it on screen
    assert _names(editor) == ["c", "a"]
    assert _order_in_db(context.project) == ["c", "a", "b"]


def test_keyboard_moves_and_retires_the_selected_category(editor, context, qtbot) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c"):
        editor.add(name)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.table.setFocus()
    editor.select("b")

    qtbot.keyClick(editor.table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert _order_in_db(context.project) == ["b", "a", "c"]
    qtbot.keyClick(editor.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert _order_in_db(context.project) == ["a", "c", "b"]

    qtbot.keyClick(editor.table, Qt.Key.Key_Delete)
    assert [c.name for c in codebook.list_categories(context.project)] == ["a", "c"]


def test_keys_open_the_dialogs(editor, qtbot) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.codebook_editor import CategoryDialog, RenameDialog

    editor.add("sport")
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.table.setFocus()
    editor.select("sport")

    qtbot.keyClick(editor.table, Qt.Key.Key_F2)
    rename = editor.findChild(RenameDialog)
    assert rename is not None and rename.isVisible()
    rename.reject()

    qtbot.keyClick(editor.table, Qt.Key.Key_Return)
    edit = next(d for d in editor.findChildren(CategoryDialog) if d.isVisible())
    assert edit.windowTitle() == "Edit 'sport'"
    edit.reject()


def test_the_context_menu_offers_every_action(editor) -> None:  # type: ignore[no-untyped-def]
    texts = [a.text() for a in editor.table.actions() if not a.isSeparator()]
    assert texts == [
        "Add…",
        "Edit…",
        "Rename…",
        "Merge into…",
        "Retire",
        "Restore",
        "Move up",
        "Move down",
    ]
    assert editor.table.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu


# -- following the project ----------------------------------------------------------------


def test_the_editor_refreshes_when_another_component_changes_the_codebook(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.add("politiek")
    codebook.add_category(context.project, "sport", definition="elders toegevoegd")
    assert _names(editor) == ["politiek"]  # nobody announced it yet

    context.codebook_changed.emit()

    assert _table(editor)[1] == ["2", "sport", "elders toegevoegd", "0", "0", "active"]


def test_the_editor_refreshes_label_counts_when_labels_change(editor, context) -> None:  # type: ignore[no-untyped-def]
    _documents(context.project, 1)
    info = editor.add("politiek")
    set_label(context.project, 1, info.id, "bob")
    context.labels_changed.emit()
    assert _table(editor)[0][3] == "1"


def test_a_hidden_editor_refreshes_when_shown_again(editor, context) -> None:  # type: ignore[no-untyped-def]
    editor.hide()
    codebook.add_category(context.project, "sport")
    context.codebook_changed.emit()
    assert _names(editor) == []
    editor.show()
    assert _names(editor) == ["sport"]


def test_actions_follow_the_selection(editor) -> None:  # type: ignore[no-untyped-def]
    assert editor.add_action.isEnabled()
    assert not editor.edit_action.isEnabled() and not editor.retire_action.isEnabled()
    assert editor.summary.text() == "No categories yet. Add one to start labelling."
    editor.add("politiek")
    assert editor.edit_action.isEnabled() and editor.retire_action.isEnabled()
    assert not editor.merge_action.isEnabled()  # nothing to merge into
    assert not editor.move_up_action.isEnabled() and not editor.move_down_action.isEnabled()
    editor.add("sport")
    assert editor.merge_action.isEnabled() and editor.move_up_action.isEnabled()
