"""The document being labelled: plain text in a readable font, search terms highlighted."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from core.labelling import ShownDocument
from core.sampling import WHY as EVALUATION_WHY

_HIGHLIGHT = QColor("#FFE08A")


class DocumentPane(QWidget):
    """Shows one document: text, an evaluation badge, and its metadata."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = QLabel("EVALUATION SAMPLE")
        self.badge.setToolTip(EVALUATION_WHY)
        self.badge.setStyleSheet(
            "QLabel { background: #CC79A7; color: white; font-weight: bold;"
            " padding: 3px 8px; border-radius: 4px; }"
        )
        self.badge.hide()
        self.badge_hint = QLabel(EVALUATION_WHY)
        self.badge_hint.setWordWrap(True)
        self.badge_hint.setStyleSheet("color: #555;")
        self.badge_hint.hide()

        # QPlainTextEdit never interprets markup: a text with <b> shows "<b>".
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        font = QFont(self.text.font())
        font.setPointSizeF(max(13.0, font.pointSizeF() * 1.3))
        self.text.setFont(font)
        self.text.setFrameShape(QFrame.Shape.StyledPanel)

        self.meta = QFormLayout()
        self.meta.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        meta_box = QWidget()
        meta_box.setLayout(self.meta)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.badge_hint)
        self.explanation = QLabel()
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setWordWrap(True)
        self.explanation.hide()
        layout.addWidget(self.text, 1)
        layout.addWidget(self.explanation)
        layout.addWidget(meta_box)
        self._terms: list[str] = []
        self._explained: list[tuple[str, QColor]] = []

    def set_search_terms(self, query: str) -> None:
        """Words to highlight (the search queue's query); '' for none."""
        self._terms = [t.strip('"*').lower() for t in re.findall(r'"[^"]+"|\S+', query)]
        self._terms = [t for t in self._terms if t]
        self._highlight()

    def set_explanation(
        self,
        terms: dict[int, list[tuple[str, float]]],
        names: dict[int, str],
        colours: dict[int, str],
    ) -> None:
        """Highlight, in each category's colour, the words that pushed the baseline toward it
        (explanations come from the latest baseline run, also after a BERT run)."""
        self._explained = []
        parts = []
        for category_id, pairs in terms.items():
            if not pairs or category_id not in names:
                continue
            colour = QColor(colours.get(category_id, "#999999"))
            colour.setAlpha(90)
            self._explained.extend((term, colour) for term, _ in pairs)
            parts.append(f"{names[category_id]}: {', '.join(term for term, _ in pairs[:5])}")
        self.explanation.setText("Words that pushed the baseline toward " + "; ".join(parts))
        self.explanation.setVisible(bool(parts))
        self._highlight()

    def clear_explanation(self) -> None:
        self._explained = []
        self.explanation.hide()
        self._highlight()

    def show_document(self, document: ShownDocument | None) -> None:
        self._explained = []
        self.explanation.hide()
        while self.meta.rowCount():
            self.meta.removeRow(0)
        if document is None:
            self.text.setPlainText("")
            self.badge.hide()
            self.badge_hint.hide()
            return
        self.text.setPlainText(document.text)
        self.text.moveCursor(QTextCursor.MoveOperation.Start)
        self.badge.setVisible(document.in_evaluation_sample)
        self.badge_hint.setVisible(document.in_evaluation_sample)
        rows = {"id": document.external_id}
        if document.source:
            rows["source"] = document.source
        rows.update({k: "" if v is None else str(v) for k, v in document.meta.items()})
        for key, value in rows.items():
            label = QLabel(value)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            name = QLabel(f"{key}:")
            name.setTextFormat(Qt.TextFormat.PlainText)
            self.meta.addRow(name, label)
        self._highlight()

    def _highlight(self) -> None:
        selections = []
        document = self.text.document()
        # Search terms match anywhere (a prefix search finds the start of words); the
        # model's n-grams are whole words, so "de" does not light up inside "winnende".
        anywhere = QTextDocument.FindFlag(0)
        whole = QTextDocument.FindFlag.FindWholeWords
        wanted = [(term, QColor(_HIGHLIGHT), anywhere) for term in self._terms]
        wanted += [(term, colour, whole) for term, colour in self._explained]
        for term, colour, flags in wanted:
            form = QTextCharFormat()
            form.setBackground(colour)
            cursor = QTextCursor(document)
            while True:
                cursor = document.find(term, cursor, flags)
                if cursor.isNull():
                    break
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor
                selection.format = form
                selections.append(selection)
        self.text.setExtraSelections(selections)
