"""The document being labelled: plain text in a readable font, search terms highlighted,
the words that pushed the model in their category's colour with a legend, and invisible
direction characters shown as markers."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from core.labelling.bidi import Marker, marker, visible_bidi, visible_bidi_with_markers
from core.labelling.evaluation_sample import WHY as EVALUATION_WHY
from core.labelling.session import ShownDocument
from core.training.explain import MIN_SHARE
from desktop_app.annotate.category_colours import highlight_colour, swatch

_HIGHLIGHT = QColor("#FFE08A")
#: Markers of direction characters: dark red on grey, unlike any text or highlight.
_MARKER_TEXT = QColor("#A4161A")
_MARKER_BACKGROUND = QColor("#E6E6E6")
_SWATCH_SIZE = (22, 14)
_EXPLAINED = "Words that pushed the baseline toward a category are highlighted in its colour:"
_NOTHING_EXPLAINED = (
    "No word in this document pushed the baseline noticeably toward a category, so nothing "
    "is highlighted."
)
_EXPLAIN_NOTE = (
    f"Common Dutch words (de, het, een, van…) are never highlighted, nor words weighing "
    f"less than {MIN_SHARE:.0%} of the strongest one."
)
_MARKER_WHY = (
    "an invisible character that changes the direction text is shown in. It is shown as "
    "{marker} so it cannot reorder what you read; the project and its exports keep it "
    "unchanged."
)


def _plain(text: str) -> str:
    """Text for a widget that shows it as written: direction characters as markers."""
    return visible_bidi(text)


class LegendEntry(QWidget):
    """One category of the explanation: its colour, its name and its highlighted words."""

    def __init__(self, name: str, colour: str, words: list[str]) -> None:
        super().__init__()
        self.swatch = QLabel()
        self.swatch.setPixmap(swatch(colour, *_SWATCH_SIZE))
        self.swatch.setFixedSize(*_SWATCH_SIZE)
        self.name = QLabel(name)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.name.font())
        font.setBold(True)
        self.name.setFont(font)
        self.words = QLabel(", ".join(words))
        self.words.setTextFormat(Qt.TextFormat.PlainText)
        self.words.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.swatch)
        layout.addWidget(self.name)
        layout.addWidget(self.words, 1)


class DocumentPane(QWidget):
    """Shows one document: text, an evaluation badge, an explanation, and its metadata."""

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
        self.text.viewport().installEventFilter(self)
        self.bidi_note = QLabel()
        self.bidi_note.setTextFormat(Qt.TextFormat.PlainText)
        self.bidi_note.setWordWrap(True)
        self.bidi_note.setStyleSheet(f"color: {_MARKER_TEXT.name()};")
        self.bidi_note.hide()

        self.meta = QFormLayout()
        self.meta.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        meta_box = QWidget()
        meta_box.setLayout(self.meta)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.badge_hint)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.bidi_note)
        layout.addWidget(self._explanation_box())
        layout.addWidget(meta_box)
        self._terms: list[str] = []
        self._explained: list[tuple[str, QColor, QColor]] = []
        self._markers: list[tuple[int, int, Marker]] = []  # UTF-16 start and end, marker

    def _explanation_box(self) -> QWidget:
        """The explanation's heading, one legend entry per category, and what is left out."""
        self.explanation = QLabel()
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setWordWrap(True)
        self.legend = QVBoxLayout()
        self.legend.setSpacing(2)
        self.legend.setContentsMargins(0, 0, 0, 0)
        self.explain_note = QLabel(_EXPLAIN_NOTE)
        self.explain_note.setWordWrap(True)
        self.explain_note.setStyleSheet("color: #666;")
        self.explanation_box = QFrame()
        self.explanation_box.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self.explanation_box)
        box.setContentsMargins(8, 6, 8, 6)
        box.addWidget(self.explanation)
        box.addLayout(self.legend)
        box.addWidget(self.explain_note)
        self.explanation_box.hide()
        return self.explanation_box

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
        (explanations come from the latest baseline run, also after a BERT run), and show a
        legend naming each highlighted category beside its colour."""
        self._clear_legend()
        self._explained = []
        for category_id, pairs in terms.items():
            if not pairs or category_id not in names:
                continue
            colour = colours.get(category_id, "#999999")
            words = [term for term, _ in pairs]
            tint, full = highlight_colour(colour), QColor(colour)
            self._explained.extend((word, tint, full) for word in words)
            self.legend.addWidget(LegendEntry(_plain(names[category_id]), colour, words))
        entries = self.legend_entries()
        widest = max((entry.name.sizeHint().width() for entry in entries), default=0)
        for entry in entries:  # the words line up in a column
            entry.name.setMinimumWidth(widest)
        self.explanation.setText(_EXPLAINED if self._explained else _NOTHING_EXPLAINED)
        self.explanation_box.show()
        self._highlight()

    def legend_entries(self) -> list[LegendEntry]:
        """The legend's entries, in the order shown."""
        entries = (self.legend.itemAt(i).widget() for i in range(self.legend.count()))
        return [entry for entry in entries if isinstance(entry, LegendEntry)]

    def clear_explanation(self) -> None:
        self._explained = []
        self._clear_legend()
        self.explanation_box.hide()
        self._highlight()

    def _clear_legend(self) -> None:
        while self.legend.count():
            item = self.legend.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def show_document(self, document: ShownDocument | None) -> None:
        self._explained = []
        self._clear_legend()
        self.explanation_box.hide()
        while self.meta.rowCount():
            self.meta.removeRow(0)
        if document is None:
            self.text.setPlainText("")
            self._set_markers("", [])
            self.badge.hide()
            self.badge_hint.hide()
            return
        shown, markers = visible_bidi_with_markers(document.text)
        self.text.setPlainText(shown)
        self._set_markers(shown, markers)
        self.text.moveCursor(QTextCursor.MoveOperation.Start)
        self.badge.setVisible(document.in_evaluation_sample)
        self.badge_hint.setVisible(document.in_evaluation_sample)
        rows = {"id": document.external_id}
        if document.source:
            rows["source"] = document.source
        rows.update({k: "" if v is None else str(v) for k, v in document.meta.items()})
        for key, value in rows.items():
            label = QLabel(_plain(value))
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            name = QLabel(f"{_plain(key)}:")
            name.setTextFormat(Qt.TextFormat.PlainText)
            self.meta.addRow(name, label)
        self._highlight()

    # -- direction characters ------------------------------------------------------------

    def _set_markers(self, shown: str, markers: list[Marker]) -> None:
        """Remember where the markers lie in Qt's positions (UTF-16 code units: an emoji
        before a marker counts twice), and say above the metadata what they are."""
        self._markers = []
        for found in markers:
            start = len(shown[: found.start].encode("utf-16-le")) // 2
            self._markers.append((start, start + found.length, found))
        kinds = dict.fromkeys(marker(found.character) for found in markers)  # in text order
        self.bidi_note.setText(
            "This text holds invisible characters that change its reading direction, shown "
            f"as {', '.join(kinds)}; the project and exports keep them unchanged. Hover over "
            "one to see what it is."
        )
        self.bidi_note.setVisible(bool(markers))

    def marker_at(self, position: int) -> Marker | None:
        """The marker covering ``position`` of the shown text (Qt's units), if any."""
        for start, end, found in self._markers:
            if start <= position < end:
                return found
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.text.viewport()
            and event.type() == QEvent.Type.ToolTip
            and isinstance(event, QHelpEvent)
        ):
            found = self.marker_at(self.text.cursorForPosition(event.pos()).position())
            if found is None:
                QToolTip.hideText()
            else:
                why = _MARKER_WHY.format(marker=marker(found.character))
                QToolTip.showText(event.globalPos(), f"{found.describe()}: {why}", self.text)
            return True
        return super().eventFilter(watched, event)

    # -- highlights ------------------------------------------------------------------------

    def _highlight(self) -> None:
        selections = []
        document = self.text.document()
        # Search terms match anywhere (a prefix search finds the start of words); the
        # model's n-grams are whole words, so "de" does not light up inside "winnende".
        anywhere = QTextDocument.FindFlag(0)
        whole = QTextDocument.FindFlag.FindWholeWords
        search = QTextCharFormat()
        search.setBackground(_HIGHLIGHT)
        wanted = [(term, search, anywhere) for term in self._terms]
        for term, tint, full in self._explained:
            form = QTextCharFormat()
            form.setBackground(tint)
            # The full colour underneath tells apart tints that look alike (sky blue, blue).
            form.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            form.setUnderlineColor(full)
            wanted.append((term, form, whole))
        for term, form, flags in wanted:
            cursor = QTextCursor(document)
            while True:
                cursor = document.find(term, cursor, flags)
                if cursor.isNull():
                    break
                selections.append(self._selection(cursor, form))
        shown_as_marker = QTextCharFormat()
        shown_as_marker.setForeground(_MARKER_TEXT)
        shown_as_marker.setBackground(_MARKER_BACKGROUND)
        for start, end, _ in self._markers:
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selections.append(self._selection(cursor, shown_as_marker))
        self.text.setExtraSelections(selections)

    @staticmethod
    def _selection(cursor: QTextCursor, form: QTextCharFormat) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = form
        return selection
