"""The documents table: a model that holds only document ids and reads rows a page at a time.

Like Anki's browser table model, it keeps the ids of the rows (one numpy array, 8 bytes
per document) and a small cache of rows it has read. When the view asks for a row that is
not cached, the model reads the page of ``PAGE_SIZE`` rows around it with
:func:`core.labelling.browse.fetch_rows` (a few milliseconds). A million documents scroll like a
hundred, because the view only ever asks for the rows it shows. When labels or the
codebook change, :meth:`DocumentsModel.invalidate` drops the cache; the ids (and so the
scroll position) stay.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from enum import IntEnum
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from core.labelling.bidi import visible_bidi
from core.labelling.browse import EXCERPT_CHARS, BrowseRow, fetch_rows
from core.store.project import Project

PAGE_SIZE = 200
MAX_PAGES = 50  # rows of at most 10,000 documents are kept; older pages are dropped


class Column(IntEnum):
    ID = 0
    TEXT = 1
    LABEL = 2
    CODERS = 3
    PURPOSE = 4
    PREDICTION = 5
    CONFIDENCE = 6


_HEADERS = {
    Column.ID: ("ID", "The document's id in the file it was imported from"),
    Column.TEXT: ("Text", "The start of the text; hover over it to read more"),
    Column.LABEL: ("Label", "The label most coders gave; among equally common ones, the latest"),
    Column.CODERS: ("Coders", "Who labelled the document"),
    Column.PURPOSE: (
        "Purpose",
        "eval: labelled for the evaluation sample (never trained on); train: for training",
    ),
    Column.PREDICTION: ("Prediction", "The label the latest finished model run predicts"),
    Column.CONFIDENCE: ("Confidence", "That run's probability for its predicted label"),
}

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_ROLES = frozenset((_DISPLAY, _TOOLTIP, _ALIGNMENT))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as written: Qt would otherwise render text that looks
    like HTML (a document containing ``<img src=...>`` must not load anything), and
    direction characters as markers (see :mod:`core.labelling.bidi`)."""
    return "<p>" + html.escape(visible_bidi(text)).replace("\n", "<br>") + "</p>"


class DocumentsModel(QAbstractTableModel):
    """Read-only rows for a sorted array of document ids."""

    def __init__(self, project: Project, parent: Any = None) -> None:
        super().__init__(parent)
        self._project = project
        self._ids: np.ndarray = np.empty(0, dtype=np.int64)
        self._pages: OrderedDict[int, list[BrowseRow | None]] = OrderedDict()
        #: How many pages were read from the project (tests use it to check laziness).
        self.page_loads = 0

    # -- the ids -----------------------------------------------------------------------

    def set_ids(self, ids: np.ndarray) -> None:
        """Show the documents ``ids`` (ascending), e.g. the result of a new filter."""
        self.beginResetModel()
        self._ids = np.asarray(ids, dtype=np.int64)
        self._pages.clear()
        self.endResetModel()

    def ids(self) -> np.ndarray:
        return self._ids

    def document_id(self, row: int) -> int:
        return int(self._ids[row])

    def row_of(self, document_id: int) -> int | None:
        """The row showing ``document_id``, or None when it is not in the list."""
        row = int(np.searchsorted(self._ids, document_id))
        if row < len(self._ids) and self._ids[row] == document_id:
            return row
        return None

    def invalidate(self) -> None:
        """Forget the rows read so far (labels or names changed); the ids stay."""
        self._pages.clear()
        if len(self._ids):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(Column) - 1))

    def row_data(self, row: int) -> BrowseRow | None:
        """The row's contents, read with its page when not cached; None if it is gone."""
        page = row // PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            rows = self._load(page)
        else:
            self._pages.move_to_end(page)
        return rows[row - page * PAGE_SIZE]

    def _load(self, page: int) -> list[BrowseRow | None]:
        ids = self._ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        found = {row.id: row for row in fetch_rows(self._project, ids)}
        rows = [found.get(int(doc_id)) for doc_id in ids]
        self.page_loads += 1
        self._pages[page] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return rows

    # -- Qt's model interface ------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return super().headerData(section, orientation, role)
        text, tip = _HEADERS[Column(section)]
        if role == _DISPLAY:
            return text
        if role == _TOOLTIP:
            return tip
        return super().headerData(section, orientation, role)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        # Views ask for a dozen roles per cell; answer the unhandled ones before any work.
        if role not in _ROLES or not index.isValid():
            return None
        column = index.column()
        if role == _ALIGNMENT:
            return _RIGHT if column == Column.CONFIDENCE else _LEFT
        row = index.row()
        if not 0 <= row < len(self._ids):
            return None
        document = self.row_data(row)
        if role == _DISPLAY:
            # An invisible right-to-left override would reverse the rest of the cell.
            return visible_bidi(self._display(document, column, row))
        return self._tooltip(document, column)

    def _display(self, document: BrowseRow | None, column: int, row: int) -> str:
        if document is None:  # deleted since the filter ran
            return f"#{self._ids[row]} (gone)" if column == Column.ID else ""
        if column == Column.ID:
            return document.external_id
        if column == Column.TEXT:
            return document.preview
        if column == Column.LABEL:
            return document.label
        if column == Column.CODERS:
            return document.coders
        if column == Column.PURPOSE:
            return document.purpose
        if column == Column.PREDICTION:
            return document.prediction
        return "" if document.confidence is None else f"{document.confidence:.0%}"

    @staticmethod
    def _tooltip(document: BrowseRow | None, column: int) -> str | None:
        if document is None:
            return None
        if column == Column.ID:
            return plain_tooltip(f"{document.external_id}\n(document #{document.id})")
        if column == Column.TEXT:
            more = "…" if len(document.excerpt) >= EXCERPT_CHARS else ""
            return plain_tooltip(document.excerpt.strip() + more)
        if column == Column.LABEL and document.coders:
            return plain_tooltip(f"{document.label}\nlabelled by {document.coders}")
        return None
