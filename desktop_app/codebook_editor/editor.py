"""The codebook editor: the categories in a table, with actions that change them.

Every change goes through ``core.codebook`` by way of ``context.apply``, which announces
it (``codebook_changed``; a merge also ``labels_changed``) so every view follows, this
editor included: it refreshes on those signals whoever made the change. The changes are
small SQLite writes (a few ms), so they run on the GUI thread.

Each action has a method that takes its values (``add``, ``edit``, ``rename``, ``merge``,
``retire``, ``restore``, ``move_up``, ``move_down``): it shows a ``CodebookError`` in the
message line and returns None. The buttons, keys and context menu open small dialogs
(``open_*_dialog``) that call the same code and show errors inside the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QItemSelectionModel, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core import codebook
from core.codebook import DEFAULT_SHORTCUTS, PALETTE, CategoryInfo
from core.errors import CodebookError
from core.store.changes import Change
from desktop_app.codebook_editor.dialogs import (
    ERROR_STYLE,
    CategoryDialog,
    CategoryValues,
    MergeDialog,
    RenameDialog,
    plain_label,
)
from desktop_app.codebook_editor.model import (
    CategoryRow,
    CodebookModel,
    Column,
    TopAlignedDelegate,
    load_rows,
)
from desktop_app.context import ProjectContext

T = TypeVar("T")
D = TypeVar("D", bound=QDialog)

_NAME_WIDTH = 160  # at most, so the definition keeps room in a ~400 px side panel
_STATUS_WIDTH = 130


class CodebookEditor(QWidget):
    """Shows the codebook and changes it; follows ``context``'s codebook and label signals."""

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._stale = False  # something changed while we were hidden

        self.summary = plain_label()
        self.show_retired = QCheckBox("Show retired")
        self.show_retired.setToolTip("Also list retired and merged categories (greyed)")
        self.message = plain_label()
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        self.model = CodebookModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Categories")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab moves on to the buttons
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.setIconSize(QSize(14, 14))
        self.table.setItemDelegateForColumn(Column.KEY, TopAlignedDelegate(self.table))
        self.table.verticalHeader().hide()
        # Rows grow to show the wrapped definition, also when the columns change width.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(36)
        header.setHighlightSections(False)
        for column, mode in (
            (Column.KEY, QHeaderView.ResizeMode.ResizeToContents),
            (Column.NAME, QHeaderView.ResizeMode.Interactive),
            (Column.DEFINITION, QHeaderView.ResizeMode.Stretch),
            (Column.TRAIN, QHeaderView.ResizeMode.ResizeToContents),
            (Column.EVAL, QHeaderView.ResizeMode.ResizeToContents),
            (Column.STATUS, QHeaderView.ResizeMode.Interactive),
        ):
            header.setSectionResizeMode(column, mode)
        self.setFocusProxy(self.table)

        self._build_actions()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_retired)
        buttons = QGridLayout()
        buttons.setSpacing(4)
        for i, action in enumerate(
            (
                self.add_action,
                self.edit_action,
                self.rename_action,
                self.merge_action,
                self.retire_action,
                self.restore_action,
                self.move_up_action,
                self.move_down_action,
            )
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button, i // 4, i % 4)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.show_retired.toggled.connect(lambda _checked: self.refresh())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_actions())
        self.table.doubleClicked.connect(lambda _index: self.open_edit_dialog())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.table)
            enter.setContext(Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self.open_edit_dialog)
        context.codebook_changed.connect(self._on_project_changed)
        context.labels_changed.connect(self._on_project_changed)
        self.refresh()

    # -- actions -------------------------------------------------------------------------

    def _build_actions(self) -> None:
        def action(text: str, keys: list[str], tip: str, slot: Callable[[], object]) -> QAction:
            made = QAction(text, self)
            made.setIconText(text)  # buttons show the text as is, "…" included
            made.setShortcuts([QKeySequence(k) for k in keys])
            # Only while the focus is in the editor: the annotate view owns 1–9 and more.
            made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shown = ", ".join(
                QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys
            )
            made.setToolTip(f"{tip} ({shown})" if shown else tip)
            made.triggered.connect(lambda _checked=False: slot())
            self.addAction(made)
            self.table.addAction(made)
            return made

        self.add_action = action(
            "Add…", ["Ins", "Ctrl+Shift+N"], "Add a category", self.open_add_dialog
        )
        self.edit_action = action(
            "Edit…",
            ["Ctrl+E"],
            "Edit the definition, key and colour (or press Enter)",
            self.open_edit_dialog,
        )
        self.rename_action = action(
            "Rename…", ["F2"], "Rename; the labels stay", self.open_rename_dialog
        )
        self.merge_action = action(
            "Merge into…",
            ["Ctrl+M"],
            "Move all labels to another category and retire this one",
            self.open_merge_dialog,
        )
        self.retire_action = action(
            "Retire", ["Del"], "Hide from labelling; the labels are kept", self._retire_selected
        )
        self.restore_action = action(
            "Restore", ["Ctrl+Shift+R"], "Bring a retired category back", self._restore_selected
        )
        self.move_up_action = action(
            "Move up", ["Ctrl+Up"], "Move earlier in the codebook", lambda: self._move_selected(-1)
        )
        self.move_down_action = action(
            "Move down",
            ["Ctrl+Down"],
            "Move later in the codebook",
            lambda: self._move_selected(1),
        )
        separator = QAction(self)
        separator.setSeparator(True)
        self.table.insertAction(self.retire_action, separator)
        separator = QAction(self)
        separator.setSeparator(True)
        self.table.insertAction(self.move_up_action, separator)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def _update_actions(self) -> None:
        row = self.selected_row()
        index = self.table.currentIndex().row() if row else -1
        active = [r for r in self.model.rows() if not r.info.retired]
        self.edit_action.setEnabled(row is not None)
        self.rename_action.setEnabled(row is not None)
        self.merge_action.setEnabled(
            row is not None
            and row.info.merged_into is None
            and any(r.info.id != row.info.id for r in active)
        )
        self.retire_action.setEnabled(row is not None and not row.info.retired)
        self.restore_action.setEnabled(
            row is not None and row.info.retired and row.info.merged_into is None
        )
        self.move_up_action.setEnabled(row is not None and index > 0)
        self.move_down_action.setEnabled(row is not None and index < self.model.rowCount() - 1)

    # -- showing the codebook -------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the categories and counts, keeping the selected category selected."""
        self._stale = False
        selected = self.selected_row()
        old_row = self.table.currentIndex().row()
        everything = load_rows(self.context.project, include_retired=True)
        show_retired = self.show_retired.isChecked()
        rows = [r for r in everything if show_retired or not r.info.retired]
        self.model.set_rows(rows)
        self._fit_columns()
        target = self.model.row_of(selected.info.id) if selected else None
        if target is None and rows:
            target = min(max(old_row, 0), len(rows) - 1)
        if target is not None:
            self._select_row(target)
        self._update_summary(everything)
        self._update_actions()

    def _update_summary(self, everything: list[CategoryRow]) -> None:
        active = sum(not r.info.retired for r in everything)
        retired = len(everything) - active
        if not everything:
            self.summary.setText("No categories yet. Add one to start labelling.")
            return
        text = "1 active category" if active == 1 else f"{active} active categories"
        if retired:
            hidden = "" if self.show_retired.isChecked() else " (hidden)"
            text += f", {retired} retired{hidden}"
        self.summary.setText(text + ".")

    def _fit_columns(self) -> None:
        for column, widest in ((Column.NAME, _NAME_WIDTH), (Column.STATUS, _STATUS_WIDTH)):
            wanted = max(self.table.sizeHintForColumn(column), 60)
            self.table.setColumnWidth(column, min(wanted, widest))

    def _on_project_changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True  # refresh once we are shown again

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def show_message(self, text: str, *, error: bool = False) -> None:
        """Show one line of feedback above the table (plain text)."""
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- selection -----------------------------------------------------------------------

    def selected_row(self) -> CategoryRow | None:
        index = self.table.currentIndex()
        selected = self.table.selectionModel().isRowSelected(index.row(), index.parent())
        if not index.isValid() or not selected:
            return None
        return self.model.row_at(index.row())

    def selected_name(self) -> str | None:
        row = self.selected_row()
        return row.name if row else None

    def select(self, name: str) -> bool:
        """Select the category called ``name`` (if shown); True if it is."""
        wanted = name.casefold()
        for i, row in enumerate(self.model.rows()):
            if row.name.casefold() == wanted:
                self._select_row(i)
                return True
        return False

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, Column.NAME)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _row_named(self, name: str) -> CategoryRow | None:
        wanted = " ".join(name.split()).casefold()
        return next((r for r in self.model.rows() if r.name.casefold() == wanted), None)

    # -- changes (methods that take the values) -------------------------------------------

    def add(
        self,
        name: str,
        definition: str = "",
        key: str | None = None,
        colour: str | None = None,
    ) -> CategoryInfo | None:
        """Add a category; ``key`` None takes the next free 1–9, "" gives it no key."""
        return self._guarded(lambda: self._add(name, definition, key, colour))

    def edit(
        self,
        name: str,
        *,
        definition: str | None = None,
        key: str | None = None,
        colour: str | None = None,
    ) -> CategoryInfo | None:
        """Change what is given (None: keep); ``key`` "" removes the key."""
        return self._guarded(lambda: self._edit(name, definition, key, colour))

    def rename(self, old: str, new: str) -> CategoryInfo | None:
        return self._guarded(lambda: self._rename(old, new))

    def merge(self, source: str, into: str) -> int | None:
        """Move every label of ``source`` to ``into`` and retire it; the number moved."""
        return self._guarded(lambda: self._merge(source, into))

    def retire(self, name: str) -> CategoryInfo | None:
        return self._guarded(lambda: self._retire(name))

    def restore(self, name: str) -> CategoryInfo | None:
        return self._guarded(lambda: self._restore(name))

    def move_up(self, name: str) -> bool:
        return bool(self._guarded(lambda: self._move(name, -1)))

    def move_down(self, name: str) -> bool:
        return bool(self._guarded(lambda: self._move(name, 1)))

    def _guarded(self, change: Callable[[], T]) -> T | None:
        try:
            return change()
        except CodebookError as error:
            self.show_message(str(error), error=True)
            return None

    # -- the changes themselves (raise CodebookError; the dialogs call these) --------------

    def _add(self, name: str, definition: str, key: str | None, colour: str | None) -> CategoryInfo:
        project = self.context.project
        info = self.context.apply(
            lambda: codebook.add_category(
                project, name, definition=definition, shortcut=key, colour=colour
            ),
            changes=Change.CODEBOOK,
        )
        key_text = f" with key {info.shortcut}" if info.shortcut else " without a key"
        self._changed(f"Added '{info.name}'{key_text}.", select=info.name)
        return info

    def _edit(
        self, name: str, definition: str | None, key: str | None, colour: str | None
    ) -> CategoryInfo:
        project = self.context.project
        info = self.context.apply(
            lambda: codebook.update_category(
                project, name, definition=definition, shortcut=key, colour=colour
            ),
            changes=Change.CODEBOOK,
        )
        self._changed(f"Saved '{info.name}'.", select=info.name)
        return info

    def _rename(self, old: str, new: str) -> CategoryInfo:
        before = self._row_named(old)
        info = self.context.apply(
            lambda: codebook.rename_category(self.context.project, old, new),
            changes=Change.CODEBOOK,
        )
        was = before.name if before else old
        self._changed(f"Renamed '{was}' to '{info.name}'; its labels stay.", select=info.name)
        return info

    def _merge(self, source: str, into: str) -> int:
        moved = self.context.apply(
            lambda: codebook.merge_categories(self.context.project, source, into),
            changes=Change.CODEBOOK | Change.LABELS,
        )
        labels = "1 label" if moved == 1 else f"{moved:,} labels"
        self._changed(
            f"Merged '{source}' into '{into}': {labels} moved (see the label history).",
            select=into,
        )
        return moved

    def _retire(self, name: str) -> CategoryInfo:
        info = self.context.apply(
            lambda: codebook.retire_category(self.context.project, name),
            changes=Change.CODEBOOK,
        )
        self._changed(
            f"Retired '{info.name}'; its labels are kept. Restore it to label with it again.",
            select=info.name,
        )
        return info

    def _restore(self, name: str) -> CategoryInfo:
        info = self.context.apply(
            lambda: codebook.restore_category(self.context.project, name),
            changes=Change.CODEBOOK,
        )
        key_text = f" with key {info.shortcut}" if info.shortcut else " (no free key 1–9)"
        self._changed(f"Restored '{info.name}'{key_text}.", select=info.name)
        return info

    def _move(self, name: str, offset: int) -> bool:
        """Swap ``name`` with its neighbour among the shown rows; False at either end."""
        shown = [r.name for r in self.model.rows()]
        everything = [
            c.name for c in codebook.list_categories(self.context.project, include_retired=True)
        ]
        row = self._row_named(name)
        if row is None:
            raise CodebookError(f"No category named '{name}' is shown.")
        position = shown.index(row.name) + offset
        if not 0 <= position < len(shown):
            return False
        neighbour = shown[position]
        everything.remove(row.name)
        at = everything.index(neighbour) + (1 if offset > 0 else 0)
        everything.insert(at, row.name)
        self.context.apply(
            lambda: codebook.reorder_categories(self.context.project, everything),
            changes=Change.CODEBOOK,
        )
        self.show_message("")
        self._changed("", select=row.name)
        return True

    def _changed(self, message: str, *, select: str) -> None:
        """After a change (its announcement refreshed the rows): select its category and
        say what was done."""
        if self._stale:  # hidden, so not refreshed: the rows are needed to select in
            self.refresh()
        if not self.select(select) and self.model.rowCount():
            self._select_row(
                min(max(self.table.currentIndex().row(), 0), self.model.rowCount() - 1)
            )
        if message:
            self.show_message(message)

    # -- dialogs (buttons, keys, context menu) ---------------------------------------------

    def open_add_dialog(self) -> CategoryDialog:
        rows = codebook.list_categories(self.context.project, include_retired=True)
        used = {c.shortcut for c in rows if not c.retired}
        key = next((k for k in DEFAULT_SHORTCUTS if k not in used), "")
        values = CategoryValues("", "", key, PALETTE[len(rows) % len(PALETTE)])
        dialog = CategoryDialog(
            self,
            title="Add category",
            values=values,
            ok_text="Add",
            submit=lambda v: self._add(v.name, v.definition, v.key, v.colour),
        )
        return self._open(dialog)

    def open_edit_dialog(self) -> CategoryDialog | None:
        row = self.selected_row()
        if row is None:
            return None
        info = row.info
        dialog = CategoryDialog(
            self,
            title=f"Edit '{info.name}'",
            values=CategoryValues(info.name, info.definition, info.shortcut, info.colour),
            ok_text="Save",
            name_editable=False,
            key_editable=not info.retired,
            submit=lambda v: self._edit(info.name, v.definition, v.key, v.colour),
        )
        return self._open(dialog)

    def open_rename_dialog(self) -> RenameDialog | None:
        row = self.selected_row()
        if row is None:
            return None
        old = row.name
        return self._open(RenameDialog(self, old, lambda new: self._rename(old, new)))

    def open_merge_dialog(self) -> MergeDialog | None:
        row = self.selected_row()
        if row is None or not self.merge_action.isEnabled():
            return None
        candidates = [
            c.name for c in codebook.list_categories(self.context.project) if c.id != row.info.id
        ]
        dialog = MergeDialog(self, row, candidates, lambda into: self._merge(row.name, into))
        return self._open(dialog)

    def _open(self, dialog: D) -> D:
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # window-modal, returns at once
        return dialog

    def _retire_selected(self) -> None:
        if self.retire_action.isEnabled() and (name := self.selected_name()):
            self.retire(name)

    def _restore_selected(self) -> None:
        if self.restore_action.isEnabled() and (name := self.selected_name()):
            self.restore(name)

    def _move_selected(self, offset: int) -> None:
        if name := self.selected_name():
            self._guarded(lambda: self._move(name, offset))
