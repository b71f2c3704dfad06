"""The annotate view's panes on their own: direction characters shown as markers, and the
category buttons in their colours."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QLabel, QToolTip
from sqlalchemy import select

from core import codebook
from core.export import export_documents
from core.labelling.bidi import BIDI_CONTROLS
from core.labelling.session import ShownDocument
from core.store.project import Project
from core.store.schema import Document

pytestmark = pytest.mark.gui

#: A file name spelled backwards after a right-to-left override: shown raw it reads "exe.png".
TRICK = "Klik hier: \u202egnp.exe\u202c en lees verder 🙂 \u2067שלום\u2069."


@pytest.fixture
def stored(project: Project) -> ShownDocument:
    with project.write() as session:
        session.add(
            Document(
                id=1,
                external_id="a\u202eb.csv:1",
                text=TRICK,
                source="a.csv",
                meta={"bron": "x\u202eyz"},
                content_hash="1",
            )
        )
    return ShownDocument(
        1, "a\u202eb.csv:1", TRICK, "a.csv", {"bron": "x\u202eyz"}, False, None, ""
    )


@pytest.fixture
def pane(qtbot):  # type: ignore[no-untyped-def]
    from desktop_app.annotate.document_pane import DocumentPane

    widget = DocumentPane()
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _meta_values(pane) -> list[str]:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFormLayout

    role = QFormLayout.ItemRole.FieldRole
    return [pane.meta.itemAt(row, role).widget().text() for row in range(pane.meta.rowCount())]


def test_a_right_to_left_override_is_shown_as_a_marker_and_kept_in_the_project(
    pane, stored: ShownDocument, project: Project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pane.show_document(stored)

    shown = pane.text.toPlainText()
    assert not set(shown) & set(BIDI_CONTROLS)
    assert shown == "Klik hier: ⟨RLO⟩gnp.exe⟨PDF⟩ en lees verder 🙂 ⟨RLI⟩שלום⟨PDI⟩."
    assert _meta_values(pane) == ["a⟨RLO⟩b.csv:1", "a.csv", "x⟨RLO⟩yz"]
    assert pane.bidi_note.isVisibleTo(pane)
    assert "shown as ⟨RLO⟩, ⟨PDF⟩, ⟨RLI⟩, ⟨PDI⟩;" in pane.bidi_note.text()

    # Each marker is painted in its own colour, also after an emoji (two UTF-16 units).
    utf16 = shown.encode("utf-16-le")
    marked = [
        utf16[2 * s.cursor.selectionStart() : 2 * s.cursor.selectionEnd()].decode("utf-16-le")
        for s in pane.text.extraSelections()
        if s.format.foreground().color() == QColor("#A4161A")
    ]
    assert marked == ["⟨RLO⟩", "⟨PDF⟩", "⟨RLI⟩", "⟨PDI⟩"]

    with project.read() as session:
        assert session.scalar(select(Document.text)) == TRICK
        assert session.scalar(select(Document.external_id)) == "a\u202eb.csv:1"
    export_documents(project, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["text"] == TRICK and "\u202e" in row["text"]


def test_hovering_a_marker_says_which_character_it_stands_for(
    pane, stored: ShownDocument, qtbot
) -> None:  # type: ignore[no-untyped-def]
    pane.show_document(stored)
    start = pane.text.toPlainText().index("⟨RLO⟩") + 2
    cursor = pane.text.textCursor()
    cursor.setPosition(start)
    point = pane.text.cursorRect(cursor).center()
    viewport = pane.text.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    pane.eventFilter(viewport, event)
    qtbot.waitUntil(QToolTip.isVisible, timeout=2_000)
    assert QToolTip.text().startswith("U+202E RIGHT-TO-LEFT OVERRIDE: an invisible character")
    assert pane.marker_at(start) is not None and pane.marker_at(0) is None
    QToolTip.hideText()


def test_a_text_without_direction_characters_shows_no_note(pane, stored) -> None:  # type: ignore[no-untyped-def]
    pane.show_document(ShownDocument(2, "n2", "Ajax wint de klassieker", "", {}, False, None, ""))
    assert pane.text.toPlainText() == "Ajax wint de klassieker"
    assert not pane.bidi_note.isVisibleTo(pane)
    assert pane.text.extraSelections() == []


# -- the category buttons --------------------------------------------------------------------


def test_each_category_button_shows_its_colour_beside_its_key_and_name(
    qtbot, project: Project
) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.annotate.category_colours import highlight_colour
    from desktop_app.annotate.category_panel import CategoryPanel

    codebook.add_category(project, "politiek", definition="Regering en parlement")
    codebook.add_category(project, "sport")
    codebook.add_category(project, "zwart", colour="#000000")
    categories = codebook.list_categories(project)
    panel = CategoryPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 400)
    panel.show()
    panel.set_categories(categories)
    panel.set_current(categories[1].id)
    qtbot.waitExposed(panel)

    for category in categories:
        button = panel.buttons[category.id]
        assert button.text().startswith(f"[{category.shortcut}]  {category.name}")
        image = button.grab().toImage()
        middle = image.height() // 2
        assert image.pixelColor(3, middle) == QColor(category.colour)  # the stripe
        inside = image.pixelColor(image.width() - 6, middle)
        if category.id == categories[1].id:  # the current label: the tint fills the button
            assert inside == highlight_colour(category.colour)
        else:
            assert inside != QColor(category.colour)  # text stays on a light background
            assert inside.lightness() > 200
    definitions = [label.text() for label in panel.widget().findChildren(QLabel)]
    assert "Regering en parlement" in definitions
