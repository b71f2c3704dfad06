"""The import dialog, driven as a user would: real files, a real project, real jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from files import (
    document_count,
    labels_by_id,
    meta_by_id,
    numbered_rows,
    snapshot,
    texts_by_id,
    write_csv,
    write_text_files,
    write_xlsx,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog

from desktop_app.context import ProjectContext
from desktop_app.import_wizard import ImportDialog, Stage
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui

WAIT_MS = 20_000

OpenDialog = Callable[..., ImportDialog]


@pytest.fixture
def context(project) -> ProjectContext:  # type: ignore[no-untyped-def]
    return ProjectContext(project, JobRunner(), "anna")


@pytest.fixture
def open_dialog(qtbot, context: ProjectContext) -> Iterator[OpenDialog]:  # type: ignore[no-untyped-def]
    """Opens the dialog (on a path, or empty) and shows it; closes it after the test."""
    dialogs: list[ImportDialog] = []

    def make(path: Path | None = None) -> ImportDialog:
        dialog = ImportDialog(context, path)
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        if path is not None:
            wait_for_preview(qtbot, dialog)
        return dialog

    yield make
    for dialog in dialogs:  # before the project closes: no job may still be writing
        dialog.stop_jobs()
        dialog.close()


def wait_for_preview(qtbot, dialog: ImportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: dialog.stage is not Stage.READING, timeout=WAIT_MS)


def wait_for_import(qtbot, dialog: ImportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: dialog.stage is not Stage.IMPORTING, timeout=WAIT_MS)


def choose(combo: QComboBox, data: object) -> None:
    """Pick the entry holding ``data`` as a user would (``activated`` is emitted)."""
    index = combo.findData(data)
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert index >= 0, f"{data!r} is not offered: {offered}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def survey_csv(path: Path, rows: int = 25) -> Path:
    """A semicolon CSV as Dutch Excel writes it: id, text, label, purpose, date, source."""
    data = [
        [
            f"r{i}",
            f"Bericht {i} over de gemeenteraad en het café",
            "politiek" if i % 2 else "sport",
            "eval" if i % 5 == 0 else "train",
            f"2024-03-{i % 28 + 1:02d}",
            "krant",
        ]
        for i in range(1, rows + 1)
    ]
    header = ["id", "tekst", "label", "doel", "datum", "bron"]
    return write_csv(path, header, data, delimiter=";")


def press_enter(qtbot, dialog: ImportDialog) -> None:  # type: ignore[no-untyped-def]
    """Enter where the focus is, as the user would press it."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)


# -- preview -------------------------------------------------------------------------------


def test_a_semicolon_csv_is_previewed_as_parsed(open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(survey_csv(tmp_path / "enquete.csv"))

    assert dialog.stage is Stage.READY
    assert dialog.table.row_count() == 20
    assert dialog.table.column_count() == 6
    assert dialog.table.shown_text(0, "tekst") == "Bericht 1 over de gemeenteraad en het café"
    assert dialog.table.shown_text(19, "id") == "r20"
    assert "The first 20 rows" in dialog.table_caption.text()
    assert dialog.encoding_combo.currentText() == "utf-8 (detected)"
    assert dialog.delimiter_combo.currentText() == "semicolon (detected)"
    assert dialog.format_label.text() == "CSV file"
    # Roles are guessed from the column names and shown in the table's header.
    columns = dialog.columns
    assert columns.text_combo.currentText() == "tekst"
    assert columns.id_combo.currentData() == "id"
    assert columns.label_combo.currentData() == "label"
    assert columns.purpose_combo.currentData() == "doel"
    assert dialog.table.header_texts() == [
        "id → id",
        "tekst → text",
        "label → label",
        "doel → purpose",
        "datum",
        "bron",
    ]
    assert dialog.import_button.isEnabled()


def test_html_in_texts_is_shown_literally(open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        tmp_path / "html.csv",
        ["id", "text"],
        [["1", "<b>html</b> en <i>meer</i>"], ["2", "regel een\nregel <br> twee"]],
    )
    dialog = open_dialog(path)

    assert dialog.table.shown_text(0, "text") == "<b>html</b> en <i>meer</i>"
    assert dialog.table.shown_text(1, "text") == "regel een ↵ regel <br> twee"
    assert "All 2 rows" in dialog.table_caption.text()


def test_rows_are_numbered_as_messages_name_them_and_direction_controls_are_shown(  # type: ignore[no-untyped-def]
    open_dialog, tmp_path: Path
) -> None:
    """A right-to-left override would show 'gnp.exe' as 'exe.png'; the preview shows the
    marker instead. Rows carry the file's row numbers: an error about row 3 is this one."""
    path = write_csv(
        tmp_path / "bidi.csv",
        ["id", "text"],
        [["1", "gewoon"], ["2", "bijlage \u202egnp.exe"]],
    )
    dialog = open_dialog(path)

    assert dialog.table.shown_text(1, "text") == "bijlage ⟨RLO⟩gnp.exe"
    model = dialog.table.preview_model
    vertical = Qt.Orientation.Vertical
    assert [model.headerData(r, vertical) for r in range(2)] == ["2", "3"]
    tooltip = model.headerData(1, vertical, Qt.ItemDataRole.ToolTipRole)
    assert "Row 3 (row 1 is the header)" in tooltip and "file name and 2" in tooltip


def test_the_encoding_override_reads_the_file_again(qtbot, open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        tmp_path / "windows.csv",
        ["id", "text"],
        [["1", "Een kop koffie in het café."], ["2", "Het kost €5 en dat is ’t dan."]],
        delimiter=";",
        encoding="cp1252",
    )
    dialog = open_dialog(path)
    combo = dialog.encoding_combo
    assert any("(detected)" in combo.itemText(i) for i in range(combo.count()))

    assert dialog.encoding_note.text() == (
        "Encoding: Windows-1252 (cp1252), detected: "
        "none of its 3 non-ASCII characters is valid UTF-8."
    )

    # Read as UTF-8, the bytes that are not UTF-8 show as �, and the note says how many.
    choose(combo, "utf-8")
    wait_for_preview(qtbot, dialog)
    assert dialog.stage is Stage.READY
    assert dialog.table.shown_text(0, "text") == "Een kop koffie in het caf\ufffd."
    assert "3 byte sequences are not valid UTF-8 (read as �)" in dialog.encoding_note.text()
    assert combo.isEnabled()  # so that the user can try another

    choose(combo, "cp1252")
    wait_for_preview(qtbot, dialog)
    assert dialog.stage is Stage.READY
    assert dialog.table.shown_text(0, "text") == "Een kop koffie in het café."
    assert dialog.table.shown_text(1, "text") == "Het kost €5 en dat is ’t dan."
    assert combo.currentData() == "cp1252"

    # The import reads the file as previewed.
    dialog.start_import()
    wait_for_import(qtbot, dialog)
    assert texts_by_id(dialog.context.project)["1"] == "Een kop koffie in het café."


def test_an_unclear_encoding_asks_which_reading_is_right_and_imports_with_it(  # type: ignore[no-untyped-def]
    qtbot, open_dialog, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "id;text\n1;Koffie in het café\n".encode() + "2;Thee in het café\n".encode("cp1252")
    )
    dialog = open_dialog(path)

    assert dialog.stage is Stage.ENCODING_UNCLEAR
    assert dialog.encoding_question.isVisible()
    assert "The file's encoding is unclear" in dialog.message.text()
    buttons = dialog.reading_buttons
    assert buttons["utf-8"].text() == "UTF-8: 'café', 'caf\ufffd'"
    assert buttons["cp1252"].text() == "Windows-1252: 'cafÃ©', 'café'"
    assert not dialog.import_button.isEnabled()
    # The encoding menu offers every encoding too, none chosen yet.
    assert dialog.encoding_combo.isEnabled() and dialog.encoding_combo.count() > 2
    assert dialog.encoding_combo.currentIndex() == -1

    qtbot.mouseClick(buttons["cp1252"], Qt.MouseButton.LeftButton)
    wait_for_preview(qtbot, dialog)

    assert dialog.stage is Stage.READY
    assert not dialog.encoding_question.isVisible()
    assert dialog.table.shown_text(1, "text") == "Thee in het café"
    assert dialog.encoding_combo.currentData() == "cp1252"
    assert dialog.encoding_note.text().startswith("Encoding: Windows-1252 (cp1252), as you chose")
    dialog.start_import()
    wait_for_import(qtbot, dialog)
    assert texts_by_id(dialog.context.project) == {
        "1": "Koffie in het cafÃ©",
        "2": "Thee in het café",
    }


def test_invalid_bytes_in_a_utf8_file_are_named_after_the_import(  # type: ignore[no-untyped-def]
    qtbot, open_dialog, tmp_path: Path
) -> None:
    rows = [[f"r{i}", f"Σ{i} in het café"] for i in range(40)]
    path = write_csv(tmp_path / "scraped.csv", ["id", "text"], rows)
    path.write_bytes(path.read_bytes().replace(b"r7,", b"r7,\x92", 1))
    dialog = open_dialog(path)
    assert "1 byte sequence is not valid UTF-8 (read as �)" in dialog.encoding_note.text()

    dialog.start_import()
    wait_for_import(qtbot, dialog)

    assert dialog.stage is Stage.IMPORTED
    assert "1 row held bytes that are not valid UTF-8" in dialog.message.text()
    assert "row 9 (row 1 is the header)" in dialog.message.text()


def test_the_delimiter_override_reads_the_file_again(qtbot, open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(survey_csv(tmp_path / "enquete.csv"))

    choose(dialog.delimiter_combo, ",")
    wait_for_preview(qtbot, dialog)
    assert dialog.table.column_count() == 1
    assert dialog.delimiter_combo.currentText() == "comma"
    assert dialog.columns.problem() == "Choose the column that holds the texts."
    assert not dialog.import_button.isEnabled()

    choose(dialog.delimiter_combo, ";")
    wait_for_preview(qtbot, dialog)
    assert dialog.table.column_count() == 6
    assert dialog.columns.text_combo.currentText() == "tekst"


def test_an_unreadable_file_is_explained_and_not_importable(open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "leeg.csv"
    empty.write_bytes(b"")
    dialog = open_dialog(empty)

    assert dialog.stage is Stage.UNREADABLE
    assert "the file is empty" in dialog.message.text()
    assert not dialog.import_button.isEnabled()
    assert dialog.encoding_combo.placeholderText() == "–"  # not "detecting…" for ever


def test_an_excel_workbook_is_previewed_without_text_options(open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "codes.xlsx", ["ID", "Message"], [[1, "hallo"], [2, "dag"]])
    dialog = open_dialog(path)

    assert dialog.format_label.text() == "Excel workbook, sheet 'Sheet1'"
    assert dialog.encoding_combo.isHidden()
    assert dialog.delimiter_combo.isHidden()
    assert dialog.columns.text_combo.currentText() == "Message"
    assert dialog.table.shown_text(0, "ID") == "1"


def test_choose_file_opens_the_file_dialog(qtbot, open_dialog, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = survey_csv(tmp_path / "enquete.csv")
    asked: list[str] = []

    def fake_dialog(parent, caption, folder, filters):  # type: ignore[no-untyped-def]
        asked.append(filters)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    dialog = open_dialog()
    assert dialog.stage is Stage.NO_FILE
    assert not dialog.import_button.isEnabled()

    qtbot.mouseClick(dialog.file_button, Qt.MouseButton.LeftButton)
    wait_for_preview(qtbot, dialog)

    assert "*.xlsx" in asked[0] and "*.parquet" in asked[0] and "*.jsonl" in asked[0]
    assert dialog.path == path
    assert dialog.stage is Stage.READY


def test_without_a_known_text_column_import_waits_for_a_choice(open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "x.csv", ["nr", "inhoud"], [["1", "een tekst"]])
    dialog = open_dialog(path)

    assert dialog.columns.text_combo.currentIndex() == -1
    assert not dialog.import_button.isEnabled()
    assert dialog.message.text() == "Choose the column that holds the texts."

    dialog.columns.text_combo.setCurrentText("inhoud")
    assert dialog.import_button.isEnabled()
    assert dialog.table.header_texts() == ["nr", "inhoud → text"]


# -- import --------------------------------------------------------------------------------


def test_import_stores_documents_labels_and_metadata(qtbot, open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(survey_csv(tmp_path / "enquete.csv"))
    context = dialog.context
    columns = dialog.columns
    columns.coder_edit.clear()
    qtbot.keyClicks(columns.coder_edit, "piet")
    choose(columns.duplicate_combo, "fail")
    bron = columns.meta_list.findItems("bron", Qt.MatchFlag.MatchExactly)[0]
    bron.setCheckState(Qt.CheckState.Unchecked)
    # Columns used for a role are not offered as metadata.
    offered = [
        columns.meta_list.item(i).text()
        for i in range(columns.meta_list.count())
        if not columns.meta_list.item(i).isHidden()
    ]
    assert offered == ["datum", "bron"]

    with (
        qtbot.waitSignal(context.documents_changed, timeout=WAIT_MS),
        qtbot.waitSignal(context.codebook_changed, timeout=WAIT_MS),
        qtbot.waitSignal(dialog.imported, timeout=WAIT_MS) as imported,
    ):
        press_enter(qtbot, dialog)  # Enter = Import

    assert dialog.stage is Stage.IMPORTED
    summary = imported.args[0]
    assert summary.imported == 25
    assert dialog.message.text() == summary.describe()
    assert "Imported 25 of 25 rows" in dialog.message.text()
    assert "New categories: politiek, sport." in dialog.message.text()
    assert not dialog.import_button.isEnabled()
    assert dialog.close_button.isDefault()
    qtbot.waitUntil(lambda: not dialog.progress.isVisible())

    project = context.project
    assert texts_by_id(project)["r1"] == "Bericht 1 over de gemeenteraad en het café"
    labels = labels_by_id(project, coder="piet")
    assert labels["r1"] == ("politiek", "train")
    assert labels["r5"] == ("politiek", "eval")
    assert meta_by_id(project)["r2"] == {"datum": "2024-03-03"}


def _two_sheets(path: Path) -> Path:
    """A workbook as a team keeps it: notes on the first sheet, the texts on the second,
    with a formula that openpyxl stored without a value in a column nobody imports."""
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Toelichting"
    notes.append(["opmerking"])
    notes.append(["Codeerinstructie zie tabblad Data"])
    data = book.create_sheet("Data")
    data.append(["id", "tekst", "lengte"])
    data.append(["a1", "Het kabinet valt", "=LEN(B2)"])
    data.append(["a2", "Ajax wint", "=LEN(B3)"])
    book.save(path)
    return path


def test_a_workbook_sheet_is_chosen_and_imported_despite_formulas_in_other_columns(  # type: ignore[no-untyped-def]
    qtbot, open_dialog, tmp_path: Path
) -> None:
    dialog = open_dialog(_two_sheets(tmp_path / "studie.xlsx"))
    assert dialog.sheet_combo.isVisibleTo(dialog)
    assert [dialog.sheet_combo.itemText(i) for i in range(2)] == ["Toelichting", "Data"]
    assert dialog.table.header_texts() == ["opmerking"]  # not a known name for texts

    choose(dialog.sheet_combo, "Data")
    wait_for_preview(qtbot, dialog)
    assert dialog.stage is Stage.READY  # the formula column does not stop the preview
    assert dialog.table.column_count() == 3
    assert dialog.columns.text_combo.currentText() == "tekst"
    meta = dialog.columns.meta_list.findItems("lengte", Qt.MatchFlag.MatchExactly)[0]
    meta.setCheckState(Qt.CheckState.Unchecked)
    with qtbot.waitSignal(dialog.imported, timeout=WAIT_MS) as imported:
        dialog.start_import()
    assert imported.args[0].details["sheet"] == "Data"
    assert texts_by_id(dialog.context.project) == {"a1": "Het kabinet valt", "a2": "Ajax wint"}


def test_a_formula_without_value_in_a_chosen_column_is_refused_at_import(  # type: ignore[no-untyped-def]
    qtbot, open_dialog, tmp_path: Path
) -> None:
    dialog = open_dialog(_two_sheets(tmp_path / "studie.xlsx"))
    choose(dialog.sheet_combo, "Data")
    wait_for_preview(qtbot, dialog)
    meta = dialog.columns.meta_list.findItems("lengte", Qt.MatchFlag.MatchExactly)[0]
    meta.setCheckState(Qt.CheckState.Checked)
    dialog.start_import()
    wait_for_import(qtbot, dialog)
    assert dialog.stage is Stage.FAILED
    assert "cell C2 holds a formula without a saved value" in dialog.message.text()
    assert texts_by_id(dialog.context.project) == {}


def test_a_bad_row_is_named_and_nothing_is_imported(qtbot, open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = numbered_rows(40)
    rows[29][0] = ""  # the 30th record, row 31 counting the header, has no id
    dialog = open_dialog(write_csv(tmp_path / "kapot.csv", ["id", "text"], rows))
    context = dialog.context
    before = snapshot(context.project)

    with qtbot.assertNotEmitted(context.documents_changed):
        dialog.start_import()
        wait_for_import(qtbot, dialog)

    assert dialog.stage is Stage.FAILED
    message = dialog.message.text()
    assert "row 31 (row 1 is the header) has no id in column 'id'" in message
    assert "Nothing was imported." in message
    assert snapshot(context.project) == before
    assert document_count(context.project) == 0
    # The user may change something and try again.
    assert dialog.import_button.isEnabled()
    assert dialog.columns_box.isEnabled()


def test_cancel_during_a_large_import_imports_nothing(qtbot, open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "groot.csv", ["id", "text"], numbered_rows(200_000))
    dialog = open_dialog(path)
    dialog.chunk_size = 200
    dialog.start_import()
    handle = dialog.import_job
    assert handle is not None
    assert dialog.stage is Stage.IMPORTING
    assert not dialog.columns_box.isEnabled()
    assert not dialog.file_button.isEnabled()

    with qtbot.waitSignal(handle.progress, check_params_cb=lambda p: p.done > 0, timeout=WAIT_MS):
        pass
    assert dialog.progress.isVisible()
    with qtbot.waitSignal(handle.cancelled, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.progress.cancel_button, Qt.MouseButton.LeftButton)

    assert dialog.stage is Stage.CANCELLED
    assert "Import cancelled. Nothing was imported." in dialog.message.text()
    assert document_count(dialog.context.project) == 0
    qtbot.waitUntil(lambda: dialog.import_job is None)
    assert dialog.import_button.isEnabled()


def test_closing_while_importing_cancels_and_waits(qtbot, open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "groot.csv", ["id", "text"], numbered_rows(200_000))
    dialog = open_dialog(path)
    dialog.chunk_size = 200
    dialog.start_import()
    handle = dialog.import_job
    assert handle is not None
    with qtbot.waitSignal(handle.progress, check_params_cb=lambda p: p.done > 0, timeout=WAIT_MS):
        pass

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc closes the dialog

    assert not dialog.isVisible()
    assert not handle.is_running()  # the thread has stopped before close returned
    assert dialog.stage is Stage.CANCELLED
    assert document_count(dialog.context.project) == 0
    assert not dialog.context.runner.running()


def test_a_folder_of_text_files_is_imported_with_file_names_as_ids(  # type: ignore[no-untyped-def]
    qtbot, open_dialog, tmp_path: Path
) -> None:
    folder = write_text_files(
        tmp_path / "brieven", {"a.txt": "Beste burgemeester,", "sub/b.txt": "Geachte raad,"}
    )
    dialog = open_dialog(folder)

    assert dialog.format_label.text() == "Folder of .txt files, 2 files"
    assert dialog.delimiter_combo.isHidden()
    assert dialog.columns.text_combo.currentText() == "text"
    assert dialog.columns.id_combo.currentData() == "filename"
    with qtbot.waitSignal(dialog.imported, timeout=WAIT_MS):
        dialog.start_import()
    assert texts_by_id(dialog.context.project) == {
        "a.txt": "Beste burgemeester,",
        "sub/b.txt": "Geachte raad,",
    }


def test_the_dialog_fits_a_small_screen(open_dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(survey_csv(tmp_path / "enquete.csv"))
    hint = dialog.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 760
    assert dialog.width() <= 1280 and dialog.height() <= 760
