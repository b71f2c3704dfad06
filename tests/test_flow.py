"""The whole first session of a user, through the real window (offscreen):
new project → import → codebook → label with keys → undo → browser filter and search →
evaluation sample → relabel from the browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from core.store.schema import Annotation
from desktop_app.import_wizard import ImportDialog, Stage

pytestmark = pytest.mark.gui

NEWS = """id;tekst;bron
1;Het kabinet presenteert de begroting voor volgend jaar;NOS
2;Ajax wint de klassieker tegen Feyenoord;NU
3;De inflatie daalt voor de derde maand op rij;NOS
4;Kamer stemt in met nieuwe begroting voor defensie;NOS
5;PSV verliest in de slotminuut van AZ;NU
6;Huizenprijzen stijgen weer in de Randstad;NOS
"""


def test_first_session_from_new_project_to_relabel(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.main_window import MainWindow

    window = MainWindow(default_coder="anna")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()

    # New project
    window.open_project(tmp_path / "studie.labelloop", create=True)
    context, workspace = window.context, window.workspace
    annotate, browser, editor = workspace.annotate, workspace.browser, workspace.codebook
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=5000)
    assert annotate.last_state.document is None  # nothing imported yet

    # Import
    source = tmp_path / "nieuws.csv"
    source.write_text(NEWS, encoding="utf-8")
    dialog = ImportDialog(context, source, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.stage is Stage.READY, timeout=5000)
    with qtbot.waitSignal(context.documents_changed, timeout=10_000):
        dialog.start_import()
    dialog.close()

    # Codebook
    for name in ("politiek", "sport", "economie"):
        editor.add(name, f"Nieuws over {name}")

    # The import fills the empty queue (a refresh of its own): let it show first, so
    # that each wait below is for the step it follows.
    qtbot.waitUntil(
        lambda: annotate.view_state.name == "READY" and annotate.last_state.document is not None,
        timeout=5000,
    )

    # Label with keys, in file order
    workspace.setCurrentWidget(annotate)
    with qtbot.waitSignal(annotate.state_shown, timeout=5000):
        annotate.set_queue("file-order")
    annotate.setFocus()
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3):
        with qtbot.waitSignal(annotate.state_shown, timeout=5000):
            qtbot.keyClick(annotate, key)
    with qtbot.waitSignal(annotate.state_shown, timeout=5000):
        qtbot.keyClick(annotate, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert annotate.document.text.toPlainText().startswith("De inflatie")

    def labels() -> dict[int, tuple[int, str]]:
        with context.project.read() as session:
            return {
                a.document_id: (a.category_id, a.purpose)
                for a in session.scalars(select(Annotation))
            }

    assert labels() == {1: (1, "train"), 2: (2, "train")}

    # Browser: filter by label, then search
    workspace.setCurrentWidget(browser)
    browser.label_combo.setCurrentIndex(browser.label_combo.findData(1))
    qtbot.waitUntil(lambda: not browser.is_filtering() and browser.model.rowCount() == 1)
    browser.label_combo.setCurrentIndex(0)
    browser.search_edit.setText("begroting")
    browser.apply_filter()
    qtbot.waitUntil(lambda: not browser.is_filtering() and browser.model.rowCount() == 2)

    # Evaluation sample
    workspace.setCurrentWidget(annotate)
    annotate.draw_sample(2)
    qtbot.waitUntil(
        lambda: annotate.last_state.queue == "evaluation" and annotate.view_state.name == "READY",
        timeout=5000,
    )
    assert annotate.document.badge.isVisibleTo(annotate)
    drawn = annotate.document.text.toPlainText()
    with qtbot.waitSignal(annotate.state_shown, timeout=5000):
        qtbot.keyClick(annotate, Qt.Key.Key_3)
    assert sum(1 for _, purpose in labels().values() if purpose == "eval") == 1
    assert drawn

    # Relabel document 1 from the browser
    workspace.setCurrentWidget(browser)
    browser.search_edit.setText("")
    browser.apply_filter()
    qtbot.waitUntil(lambda: not browser.is_filtering() and browser.model.rowCount() == 6)
    row = next(r for r in range(6) if browser.model.index(r, 0).data() == "1")
    browser.table.doubleClicked.emit(browser.model.index(row, 1))
    qtbot.waitUntil(lambda: annotate.document.text.toPlainText().startswith("Het kabinet"))
    assert workspace.currentWidget() is annotate
    qtbot.waitUntil(lambda: annotate.view_state.name == "READY")
    with qtbot.waitSignal(annotate.state_shown, timeout=5000):
        qtbot.keyClick(annotate, Qt.Key.Key_3)
    assert labels()[1] == (3, "train")
    window.close()
