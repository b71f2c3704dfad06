"""Small dialogs for the codebook editor: add/edit a category, rename it, merge it.

Each dialog only collects values and hands them to a ``submit`` callable (the editor's
change method). When ``submit`` raises :class:`CodebookError` the dialog stays open and
shows the message, so the user can correct the value. Dialogs are opened with ``open()``
(window-modal, not blocking), which also lets tests fill them in and call ``accept()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.codebook import MAX_NAME_LENGTH
from core.errors import CodebookError
from desktop_app.codebook_editor.model import CategoryRow, merge_sentence

ERROR_STYLE = "color: #B00020;"


def plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """A label that never interprets its text as HTML."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setText(text)
    return label


def swatch(colour: str, size: int = 16) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


@dataclass(frozen=True, slots=True)
class CategoryValues:
    """What the Add and Edit dialogs collect. ``key`` None: leave the key as it is."""

    name: str
    definition: str
    key: str | None
    colour: str


class _SubmitDialog(QDialog):
    """Shared frame: an error line above OK/Cancel; OK hands the values to ``submit``."""

    def __init__(self, parent: QWidget | None, title: str, ok_text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error = plain_label()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout(self)

    def _finish_layout(self) -> None:
        self.body.addWidget(self.error)
        self.body.addWidget(self.buttons)

    def _submit(self) -> None:
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def accept(self) -> None:
        try:
            self._submit()
        except CodebookError as error:
            self.show_error(str(error))
            return
        super().accept()


class CategoryDialog(_SubmitDialog):
    """Add a category (name, definition, key, colour) or edit one (all but the name)."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        values: CategoryValues,
        submit: Callable[[CategoryValues], object],
        ok_text: str = "OK",
        name_editable: bool = True,
        key_editable: bool = True,
    ) -> None:
        super().__init__(parent, title, ok_text)
        self._submit_values = submit
        self._key_editable = key_editable
        self.name_edit = QLineEdit(values.name)
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.name_edit.setReadOnly(not name_editable)
        self.definition_edit = QPlainTextEdit(values.definition)
        self.definition_edit.setTabChangesFocus(True)
        self.definition_edit.setPlaceholderText("What belongs in this category, and what not")
        self.definition_edit.setMinimumHeight(90)
        self.key_edit = QLineEdit(values.key or "")
        self.key_edit.setMaxLength(1)
        self.key_edit.setMaximumWidth(48)
        self.key_edit.setPlaceholderText("none")
        self.key_edit.setEnabled(key_editable)
        self.key_edit.setAccessibleName("Shortcut key")
        key_hint = plain_label(
            "One key (1–9 or a letter) chooses this category while labelling; leave empty for none."
            if key_editable
            else "Retired categories have no key; restore it to give it one."
        )
        key_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.colour_button = QPushButton()
        self.colour_button.setAccessibleName("Colour")
        self.colour_button.clicked.connect(self.choose_colour)
        self._colour = values.colour
        self.set_colour(values.colour)

        colour_row = QHBoxLayout()
        colour_row.addWidget(self.colour_button)
        colour_row.addStretch(1)

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.setRowVisible(self.name_edit, name_editable)  # Edit: the title names it
        form.addRow("&Definition:", self.definition_edit)
        form.addRow("&Key:", self.key_edit)
        form.addRow("", key_hint)
        colour_label = QLabel("C&olour:")
        colour_label.setBuddy(self.colour_button)
        form.addRow(colour_label, colour_row)
        self.body.addLayout(form)
        self._finish_layout()
        self.resize(380, self.sizeHint().height())
        (self.name_edit if name_editable else self.definition_edit).setFocus()

    @property
    def colour(self) -> str:
        return self._colour

    def set_colour(self, colour: str) -> None:
        self._colour = QColor(colour).name().upper()
        self.colour_button.setIcon(swatch(self._colour))
        self.colour_button.setText(self._colour)

    def choose_colour(self) -> None:
        """Ask for a colour with Qt's colour dialog (blocking; tests call set_colour)."""
        chosen = QColorDialog.getColor(QColor(self._colour), self, "Category colour")
        if chosen.isValid():
            self.set_colour(chosen.name())

    def values(self) -> CategoryValues:
        return CategoryValues(
            name=self.name_edit.text(),
            definition=self.definition_edit.toPlainText(),
            key=self.key_edit.text().strip() if self._key_editable else None,
            colour=self._colour,
        )

    def _submit(self) -> None:
        self._submit_values(self.values())


class RenameDialog(_SubmitDialog):
    """Give a category a new name; its labels stay with it."""

    def __init__(self, parent: QWidget | None, old: str, submit: Callable[[str], object]) -> None:
        super().__init__(parent, "Rename category", "Rename")
        self._submit_name = submit
        self.body.addWidget(plain_label(f"New name for '{old}' (its labels stay with it):"))
        self.name_edit = QLineEdit(old)
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.name_edit.setAccessibleName("New name")
        self.name_edit.selectAll()
        self.body.addWidget(self.name_edit)
        self._finish_layout()
        self.resize(360, self.sizeHint().height())

    def _submit(self) -> None:
        self._submit_name(self.name_edit.text())


class MergeDialog(_SubmitDialog):
    """Choose the category that survives; the sentence says what the merge will do."""

    def __init__(
        self,
        parent: QWidget | None,
        source: CategoryRow,
        candidates: list[str],
        submit: Callable[[str], object],
    ) -> None:
        super().__init__(parent, f"Merge '{source.name}'", "Merge")
        self._source = source
        self._submit_into = submit
        self.body.addWidget(plain_label(f"Merge '{source.name}' into:"))
        self.target = QComboBox()
        self.target.setAccessibleName("Category to merge into")
        self.target.addItems(candidates)
        self.body.addWidget(self.target)
        self.sentence = plain_label()
        self.sentence.setMinimumWidth(320)
        self.body.addWidget(self.sentence)
        self.target.currentTextChanged.connect(self._update_sentence)
        self._finish_layout()
        self._update_sentence()
        self.resize(400, self.sizeHint().height())

    def _update_sentence(self) -> None:
        into = self.target.currentText()
        self.ok_button.setEnabled(bool(into))
        self.sentence.setText(
            merge_sentence(self._source, into)
            if into
            else "There is no other active category to merge into."
        )

    def _submit(self) -> None:
        if self.target.currentText():
            self._submit_into(self.target.currentText())
