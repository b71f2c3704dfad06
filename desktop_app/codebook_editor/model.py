"""The codebook as a table: one row per category, in codebook order, with label counts."""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from core.codebook import CategoryInfo, label_counts, list_categories
from core.store.project import Project

#: Longer definitions are cut in the table (the tooltip and the Edit dialog show all).
DEFINITION_PREVIEW = 280


class Column(IntEnum):
    KEY = 0
    NAME = 1
    DEFINITION = 2
    TRAIN = 3
    EVAL = 4
    STATUS = 5


_HEADERS = {
    Column.KEY: ("Key", "Shortcut key while labelling, and the category's colour"),
    Column.NAME: ("Category", "Name of the category"),
    Column.DEFINITION: ("Definition", "What belongs in this category"),
    Column.TRAIN: ("Train", "Training labels, all coders together"),
    Column.EVAL: ("Eval", "Evaluation labels, all coders together"),
    Column.STATUS: ("Status", "Active categories can be chosen while labelling"),
}


@dataclass(frozen=True, slots=True)
class CategoryRow:
    """A category with its label counts, as one row of the table."""

    info: CategoryInfo
    train: int = 0
    eval: int = 0

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def labels(self) -> int:
        return self.train + self.eval

    @property
    def status(self) -> str:
        if self.info.merged_into:
            return f"merged into {self.info.merged_into}"
        return "retired" if self.info.retired else "active"


def load_rows(project: Project, *, include_retired: bool) -> list[CategoryRow]:
    """The categories in codebook order, with their label counts."""
    counts = label_counts(project)
    return [
        CategoryRow(c, *counts.get(c.id, (0, 0)))
        for c in list_categories(project, include_retired=include_retired)
    ]


def merge_sentence(source: CategoryRow, into: str) -> str:
    """What merging ``source`` into ``into`` will do, in words, for the confirmation."""
    n = source.labels
    labels = "1 label" if n == 1 else f"{n:,} labels"
    split = f" ({source.train:,} training, {source.eval:,} evaluation)" if n else ""
    return (
        f"{labels}{split} will move from '{source.name}' to '{into}', and '{source.name}' "
        f"will be retired. The label history keeps a record of every move, so the "
        f"original coding can still be traced; the merge itself cannot be undone."
    )


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (tooltips would otherwise guess HTML)."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


class CodebookModel(QAbstractTableModel):
    """Read-only rows; the editor replaces them after every change (codebooks are small)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CategoryRow] = []

    # -- the rows ----------------------------------------------------------------------

    def set_rows(self, rows: list[CategoryRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[CategoryRow]:
        return list(self._rows)

    def row_at(self, row: int) -> CategoryRow:
        return self._rows[row]

    def row_of(self, category_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.info.id == category_id), None)

    # -- Qt's model interface -----------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return super().headerData(section, orientation, role)
        text, tip = _HEADERS[Column(section)]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip
        return super().headerData(section, orientation, role)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.KEY:
            return QColor(row.info.colour)
        if role == Qt.ItemDataRole.ForegroundRole and row.info.retired:
            return QGuiApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        if role == Qt.ItemDataRole.FontRole and row.info.retired:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (Column.TRAIN, Column.EVAL):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(row, column) or self._tooltip(row, column)
        return None

    @staticmethod
    def _display(row: CategoryRow, column: Column) -> str:
        info = row.info
        if column == Column.KEY:
            return info.shortcut or ""
        if column == Column.NAME:
            return info.name
        if column == Column.DEFINITION:
            text = info.definition
            if len(text) > DEFINITION_PREVIEW:
                text = text[:DEFINITION_PREVIEW].rstrip() + "…"
            return text
        if column == Column.TRAIN:
            return f"{row.train:,}"
        if column == Column.EVAL:
            return f"{row.eval:,}"
        return row.status

    @staticmethod
    def _tooltip(row: CategoryRow, column: Column) -> str:
        info = row.info
        if column == Column.KEY:
            key = f"Key {info.shortcut}" if info.shortcut else "No key"
            return f"{key}; colour {info.colour}"
        if column == Column.DEFINITION:
            return plain_tooltip(info.definition) if info.definition else "No definition yet"
        if column in (Column.TRAIN, Column.EVAL):
            return f"{row.train:,} training and {row.eval:,} evaluation labels (all coders)"
        return plain_tooltip(f"{info.name}: {row.status}")


class TopAlignedDelegate(QStyledItemDelegate):
    """Draws the colour swatch at the top of the cell, level with the key beside it."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.decorationAlignment = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
