"""The codebook while labelling: one button per category with its colour, key and definition."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from core.codebook import CategoryInfo
from desktop_app.annotate.category_colours import highlight_colour


def button_style(colour: str) -> str:
    """A button with a stripe of the category's colour down its left edge; the chosen one
    (the document's current label) is filled with the tint its explained words get.

    A style sheet that set only ``border-left`` drew no stripe (seen in the Fusion style):
    the frame, background and states are all set here, so every style draws the stripe.
    """
    full = QColor(colour).name()
    tint = highlight_colour(colour).name()
    return (
        "QPushButton { text-align: left; padding: 6px 8px; color: black;"
        " background: #FAFAFA; border: 1px solid #B4B4B4;"
        f" border-left: 8px solid {full}; border-radius: 3px; }}"
        " QPushButton:hover { background: #EFEFEF; }"
        f" QPushButton:checked {{ background: {tint}; border-color: {full};"
        " font-weight: bold; }"
    )


class CategoryPanel(QScrollArea):
    """Emits ``chosen(category_id)`` when a category's button is clicked."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setMinimumWidth(280)
        self.buttons: dict[int, QPushButton] = {}
        self._counts: dict[int, int] = {}
        self._categories: list[CategoryInfo] = []
        self.set_categories([])

    def set_categories(self, categories: list[CategoryInfo]) -> None:
        self._categories = categories
        body = QWidget()
        layout = QVBoxLayout(body)
        self.buttons = {}
        for category in categories:
            button = QPushButton()
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the view, not here
            button.setCheckable(True)
            button.setStyleSheet(button_style(category.colour))
            button.clicked.connect(lambda _=False, cid=category.id: self.chosen.emit(cid))
            definition = QLabel(category.definition)
            definition.setTextFormat(Qt.TextFormat.PlainText)
            definition.setWordWrap(True)
            definition.setStyleSheet("color: #555; margin: 0 0 6px 12px;")
            layout.addWidget(button)
            if category.definition:
                layout.addWidget(definition)
            self.buttons[category.id] = button
        if not categories:
            hint = QLabel("No categories yet. Add them on the Codebook tab.")
            hint.setWordWrap(True)
            layout.addWidget(hint)
        layout.addStretch(1)
        self.setWidget(body)
        self._update_texts()

    def set_counts(self, counts: dict[int, int]) -> None:
        self._counts = counts
        self._update_texts()

    def set_current(self, category_id: int | None) -> None:
        for cid, button in self.buttons.items():
            button.setChecked(cid == category_id)

    def _update_texts(self) -> None:
        for category in self._categories:
            key = f"[{category.shortcut}]  " if category.shortcut else ""
            count = self._counts.get(category.id, 0)
            self.buttons[category.id].setText(f"{key}{category.name}   ·  {count:,}")
