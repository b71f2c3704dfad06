"""The first rows of a file as LabelLoop parsed them, always shown as plain text.

A small table model over the :class:`Preview`: cells are turned into text only when the
view asks for them, so a file with hundreds of columns previews as fast as one with three.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from core.ingest import Preview
from core.ingest.readers import as_text
from core.labelling.bidi import visible_bidi

#: Widest a column is made to fit its contents, in average characters (the text column:
#: twice as wide); the user can widen any column by dragging.
MAX_COLUMN_CHARS = 36
#: Columns sized to their contents; the rest of a very wide file keep the default width.
#: ``setColumnWidth`` costs time in proportion to the number of columns (3.7 ms a call with
#: 20,001 columns), so sizing every column of such a file took 52 s on the GUI thread.
SIZED_COLUMNS = 50
#: Characters of a cell shown in its tooltip.
TOOLTIP_CHARS = 1500

_Index = QModelIndex | QPersistentModelIndex


def cell_text(value: Any) -> str:
    """A parsed value as one line of text: line breaks shown as ↵, nested data as JSON,
    characters that change the reading direction as markers (⟨RLO⟩)."""
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = as_text(value)
    return (
        visible_bidi(text)
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", " ↵ ")
        .replace("\t", " ")
    )


class PreviewModel(QAbstractTableModel):
    """The preview's rows; the header says what each column becomes, unused ones greyed.

    Only ``DisplayRole`` text is ever given for cells, which views paint as plain text:
    ``<b>html</b>`` in a text is shown as typed. Tooltips, which Qt may take for rich
    text, are escaped.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns: list[str] = []
        self._rows: list[dict[str, Any]] = []
        self._locations: list[str] = []
        self._roles: dict[str, str] = {}
        self._grey = QPalette().color(QPalette.ColorRole.PlaceholderText)

    def set_preview(self, preview: Preview | None) -> None:
        self.beginResetModel()
        self._columns = list(preview.columns) if preview is not None else []
        self._rows = list(preview.rows) if preview is not None else []
        self._locations = list(preview.locations) if preview is not None else []
        self._roles = {}
        self.endResetModel()

    def set_roles(self, roles: dict[str, str]) -> None:
        """Column -> "text", "id", "label", "purpose" or "metadata"; others are not imported."""
        if roles != self._roles:
            self._roles = dict(roles)
            if self._columns:
                self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._columns) - 1)

    def columns(self) -> list[str]:
        return list(self._columns)

    def roles(self) -> dict[str, str]:
        return dict(self._roles)

    def role_of(self, column: str) -> str | None:
        return self._roles.get(column)

    def longest_text(self, section: int) -> int:
        """Characters in the column's longest cell (strings counted as they are)."""
        name = self._columns[section]
        return max(
            (
                len(v) if isinstance(v := record.get(name), str) else len(cell_text(v))
                for record in self._rows
            ),
            default=0,
        )

    def text(self, row: int, column: str) -> str:
        """The text of one cell as the user sees it."""
        return cell_text(self._rows[row].get(column))

    def header_text(self, section: int) -> str:
        name = self._columns[section]
        role = self._roles.get(name)
        return f"{name} → {role}" if role and role != "metadata" else name

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._rows[index.row()].get(self._columns[index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = as_text(value) if not isinstance(value, dict | list | tuple) else None
            if text and len(text) > 40:
                escaped = html.escape(visible_bidi(text[:TOOLTIP_CHARS]))
                return f"<p style='white-space:pre-wrap'>{escaped}</p>"
        return None

    def _row_header(self, row: int, role: int) -> str | None:
        """The row's number as messages name it (the file's row: the header is row 1), and
        in the tooltip where it is and the id it gets without an id column."""
        location = self._locations[row] if row < len(self._locations) else f"row {row + 1}"
        if role == Qt.ItemDataRole.DisplayRole:
            short = location.removesuffix(" (row 1 is the header)").rsplit(" ", 1)[-1]
            return short if location.startswith(("row", "line", "sheet")) else str(row + 1)
        if role == Qt.ItemDataRole.ToolTipRole:
            return html.escape(
                f"{location[0].upper()}{location[1:]}. Without an id column this document's "
                f"id is the file name and {row + 1}, its number among the rows of texts."
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return self._row_header(section, role)
        if not 0 <= section < len(self._columns):
            return None
        role_of_column = self._roles.get(self._columns[section])
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            if role_of_column is None:
                return "Not imported"
            return f"Imported as {role_of_column}"
        if role == Qt.ItemDataRole.ForegroundRole and role_of_column is None and self._roles:
            return self._grey
        return None


class PreviewTable(QTableView):
    """Read-only view of a :class:`PreviewModel`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview_model = PreviewModel(self)
        self.setModel(self.preview_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self._longest: dict[int, int] = {}  # column -> longest text, once sized

    def show_preview(self, preview: Preview | None) -> None:
        self.horizontalHeader().setDefaultSectionSize(self._width(MAX_COLUMN_CHARS // 2, ""))
        self.preview_model.set_preview(preview)
        self._longest = {}
        self._size_columns(range(min(SIZED_COLUMNS, self.preview_model.columnCount())))

    def mark_roles(self, roles: dict[str, str]) -> None:
        """Show in the header what each column becomes; unused columns are greyed."""
        model = self.preview_model
        before = model.roles()
        model.set_roles(roles)
        shown = {None: None, "metadata": None}  # roles that leave the header as it was
        changed = {
            c
            for c in {*before, *roles}
            if shown.get(before.get(c), before.get(c)) != shown.get(roles.get(c), roles.get(c))
        }
        # Only the columns whose header changed: resizing all of a wide file is slow.
        self._size_columns(i for i, c in enumerate(model.columns()) if c in changed)

    def row_count(self) -> int:
        return self.preview_model.rowCount()

    def column_count(self) -> int:
        return self.preview_model.columnCount()

    def shown_text(self, row: int, column_name: str) -> str:
        """The text of one cell as the user sees it (for tests and accessibility)."""
        return self.preview_model.text(row, column_name)

    def header_texts(self) -> list[str]:
        model = self.preview_model
        return [model.header_text(i) for i in range(model.columnCount())]

    def _size_columns(self, sections: Iterable[int]) -> None:
        """Fit columns to their longest text, by character count: measuring every cell
        (``resizeColumnsToContents``) takes ~0.5 ms per column, too slow for wide files."""
        model = self.preview_model
        columns = model.columns()
        for section in sections:
            name = columns[section]
            limit = MAX_COLUMN_CHARS * (2 if model.role_of(name) == "text" else 1)
            if section not in self._longest:
                self._longest[section] = model.longest_text(section)
            longest = min(self._longest[section], limit)
            self.setColumnWidth(section, self._width(longest, model.header_text(section)))

    def _width(self, characters: int, header: str) -> int:
        char = max(1, self.fontMetrics().averageCharWidth())
        bold = self.horizontalHeader().fontMetrics().averageCharWidth() * 1.2
        return int(max(characters * char, len(header) * bold)) + 16
