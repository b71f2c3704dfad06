"""The Documents tab: every document of the project in a table, with filters and search.

Filtering runs as a job on the worker runner (on a million documents a search takes up to
a few hundred milliseconds), so typing never freezes the window. Only the newest filter's
result is shown: starting one drops the one before (``run_latest``).

The tab follows the store through the project context: labels changed → the rows are read
again (the list and the scroll position stay, so a document you just labelled does not
jump away); documents changed → the filter runs again; codebook changed → the label list
and the rows are refreshed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.codebook import list_categories
from core.labelling.browse import BrowseFilter, coders, document_count, filtered_ids
from desktop_app.browser.documents_model import Column, DocumentsModel
from desktop_app.context import ProjectContext
from desktop_app.worker import JobHandle

#: Wait this long after the last key press before searching (Enter searches at once).
SEARCH_DELAY_MS = 350
#: Say "Searching…" only when a filter takes longer than this (no flicker otherwise).
BUSY_DELAY_MS = 200
JOB_NAME = "Filtering documents"

_ANY = "any"
_UNLABELLED = "unlabelled"

#: What a filter job returns: its filter, the matching ids, the number of all documents.
_Result = tuple[BrowseFilter, np.ndarray, int]


def _count_text(browse_filter: BrowseFilter, shown: int, total: int) -> str:
    if total == 0:
        return "No documents yet: import a file to fill the project."
    if browse_filter.is_empty:
        return f"{total:,} document{'s' if total != 1 else ''}"
    return f"{shown:,} of {total:,} documents"


class _ElideMiddle(QStyledItemDelegate):
    """Cells that drop the middle of a long text: ids made on import (``<file>:<row>``) are
    alike up to the row number at their end, which must stay visible."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class DocumentsBrowser(QWidget):
    """Filters and search above a lazily filled table of documents."""

    #: A filter's result is on screen: the number of matching documents.
    results_shown = Signal(int)

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._job: JobHandle | None = None
        self._coders_stale = False

        self.label_combo = QComboBox()
        self.label_combo.setToolTip("Show documents with this (resolved) label")
        self.coder_combo = QComboBox()
        self.coder_combo.setToolTip("Show documents this coder labelled")
        self.purpose_combo = QComboBox()
        self.purpose_combo.setToolTip(
            "train: labelled for training; eval: labelled for the evaluation sample"
        )
        for text, value in (("Any purpose", None), ("train", "train"), ("eval", "eval")):
            self.purpose_combo.addItem(text, value)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText('Search texts: words, "a phrase", prefix*')
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip(
            "Every word must occur, in any order. Put a phrase in quotes; end a word "
            "with * to match its beginning (stem* finds stemmen). Case and accents are ignored."
        )
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)

        self.model = DocumentsModel(context.project, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self._set_up_table()

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Label:"))
        filters.addWidget(self.label_combo)
        filters.addWidget(QLabel("Coder:"))
        filters.addWidget(self.coder_combo)
        filters.addWidget(QLabel("Purpose:"))
        filters.addWidget(self.purpose_combo)
        filters.addWidget(self.search_edit, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.count_label.setText("Searching…"))

        self._reload_labels()
        self._reload_coders()
        self.label_combo.currentIndexChanged.connect(self.apply_filter)
        self.coder_combo.currentIndexChanged.connect(self.apply_filter)
        self.purpose_combo.currentIndexChanged.connect(self.apply_filter)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self.apply_filter)
        self.table.doubleClicked.connect(self._open)
        self.table.installEventFilter(self)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._focus_search)

        context.labels_changed.connect(self._on_labels_changed)
        context.documents_changed.connect(self.apply_filter)
        context.codebook_changed.connect(self._on_codebook_changed)
        self.apply_filter()

    def _set_up_table(self) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._id_delegate = _ElideMiddle(table)
        table.setItemDelegateForColumn(Column.ID, self._id_delegate)
        table.setAlternatingRowColors(True)
        table.setTabKeyNavigation(False)
        # Fixed row heights: with a million rows, the view must never measure each row.
        rows = table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
        rows.hide()
        columns = table.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setSectionResizeMode(Column.TEXT, QHeaderView.ResizeMode.Stretch)
        em = table.fontMetrics().horizontalAdvance("m")
        widths = {
            Column.ID: 9,
            Column.LABEL: 10,
            Column.CODERS: 9,
            Column.PURPOSE: 6,
            Column.PREDICTION: 10,
            Column.CONFIDENCE: 7,
        }
        for column, ems in widths.items():
            table.setColumnWidth(column, ems * em)

    # -- filtering -------------------------------------------------------------------------

    def current_filter(self) -> BrowseFilter:
        """The filter the widgets show, copied into plain values for the job."""
        label = self.label_combo.currentData()
        return BrowseFilter(
            label=label if isinstance(label, int) else None,
            unlabelled_only=label == _UNLABELLED,
            coder=self.coder_combo.currentData(),
            purpose=self.purpose_combo.currentData(),
            search=self.search_edit.text(),
        )

    def apply_filter(self) -> None:
        """Run the current filter as a job; its result replaces the table's rows."""
        self._search_timer.stop()
        browse_filter = self.current_filter()
        project = self.context.project

        def job(progress: Any = None, should_cancel: Any = None) -> _Result:
            ids = filtered_ids(project, browse_filter)
            total = len(ids) if browse_filter.is_empty else document_count(project)
            return browse_filter, ids, total

        # A filter still running cannot stop mid-query, but its result is dropped.
        self._job = self.context.run_latest((self, "filter"), JOB_NAME, job)
        self._job.returned.connect(self._on_filtered)
        self._job.errored.connect(self._on_filter_failed)
        self._busy_timer.start()

    def is_filtering(self) -> bool:
        return self._job is not None and self._job.is_running()

    def _on_filtered(self, result: _Result) -> None:
        browse_filter, ids, total = result
        self._job = None
        self._busy_timer.stop()
        current = self._current_document()
        self.model.set_ids(ids)
        self.count_label.setText(_count_text(browse_filter, len(ids), total))
        row = self.model.row_of(current) if current is not None else None
        if row is not None:  # keep the document the user was on
            index = self.model.index(row, Column.TEXT)
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.results_shown.emit(len(ids))

    def _on_filter_failed(self, error: Exception) -> None:
        self._job = None
        self._busy_timer.stop()
        self.count_label.setText(f"Could not filter the documents: {error}")

    # -- following the store -----------------------------------------------------------------

    def _on_labels_changed(self) -> None:
        self.model.invalidate()
        # Labels are saved every few seconds while annotating; the coder list is a query
        # over all labels on this (GUI) thread, so read it again only when it is seen.
        if self.isVisible():
            self._reload_coders()
        else:
            self._coders_stale = True

    def showEvent(self, event: QShowEvent) -> None:
        if self._coders_stale:
            self._coders_stale = False
            self._reload_coders()
        super().showEvent(event)

    def _on_codebook_changed(self) -> None:
        self.model.invalidate()  # names changed, or labels moved by a merge
        changed = self._reload_labels()
        if changed or self.label_combo.currentData() not in (_ANY, _UNLABELLED):
            self.apply_filter()

    def _reload_labels(self) -> bool:
        """Fill the label list again; True if the chosen label is no longer there."""
        chosen = self.label_combo.currentData()
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        self.label_combo.addItem("Any label", _ANY)
        self.label_combo.addItem("Unlabelled", _UNLABELLED)
        for category in list_categories(self.context.project, include_retired=True):
            if category.merged_into is not None:
                continue  # its labels moved to the category it was merged into
            name = category.name + (" (retired)" if category.retired else "")
            self.label_combo.addItem(name, category.id)
        index = self.label_combo.findData(chosen) if chosen is not None else 0
        self.label_combo.setCurrentIndex(max(index, 0))
        self.label_combo.blockSignals(False)
        return chosen is not None and index < 0

    def _reload_coders(self) -> None:
        chosen = self.coder_combo.currentData()
        self.coder_combo.blockSignals(True)
        self.coder_combo.clear()
        self.coder_combo.addItem("Any coder", None)
        for coder in coders(self.context.project):
            self.coder_combo.addItem(coder, coder)
        index = self.coder_combo.findData(chosen) if chosen is not None else 0
        self.coder_combo.setCurrentIndex(max(index, 0))
        self.coder_combo.blockSignals(False)
        if chosen is not None and index < 0:
            self.apply_filter()

    # -- opening a document --------------------------------------------------------------------

    def _current_document(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.document_id(index.row())

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.context.open_document_requested.emit(self.model.document_id(index.row()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._open(self.table.currentIndex())
            return True
        return super().eventFilter(watched, event)

    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()
