"""The form where the user says what each column of the file means.

Text (required), id, label and purpose columns are combo boxes with a "(none)" entry;
every other column can be kept as metadata by ticking it. Choices are kept by column
name when the same file is previewed again (another encoding or delimiter).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from core.ingest import ImportOptions

#: Column names taken as a guess, in order of preference (compared case-insensitively).
TEXT_NAMES = ("text", "tekst", "body", "content", "message", "tweet")
ID_NAMES = ("id", "doc_id", "document_id", "filename")
LABEL_NAMES = ("label", "category", "categorie")
PURPOSE_NAMES = ("purpose", "doel")

DUPLICATE_POLICIES = (
    ("skip", "Skip the row (keep the stored document)"),
    ("replace", "Replace the stored document"),
    ("fail", "Stop: import nothing"),
)

NONE_TEXT = "(none)"
DEFAULT_CODER = ImportOptions.coder


def guess_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first column whose name is one of ``names``, ignoring case and spaces."""
    by_name = {c.strip().casefold(): c for c in reversed(columns)}
    return next((by_name[n] for n in names if n in by_name), None)


class ColumnChoices(QWidget):
    """Roles of the columns, metadata to keep, duplicate policy and coder name."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text_combo = QComboBox()
        self.text_combo.setPlaceholderText("Choose the column with the texts")
        self.id_combo = QComboBox()
        self.label_combo = QComboBox()
        self.purpose_combo = QComboBox()
        self.id_combo.setToolTip(
            "Each document's own id, used to find it again and to spot rows imported "
            "twice. Without one, ids are made from the file name and row number."
        )
        self.label_combo.setToolTip(
            "Labels already given to the texts (for example by an earlier round of "
            "coding). New category names become new categories."
        )
        self.purpose_combo.setToolTip(
            "Whether each label is for training (train) or for evaluation "
            "(eval, test or gold). Empty cells mean train. Needs a label column."
        )
        self.coder_edit = QLineEdit(DEFAULT_CODER)
        self.coder_edit.setToolTip(
            "Labels from the file are stored under this coder name, apart from the "
            "labels coders give in LabelLoop."
        )
        self.duplicate_combo = QComboBox()
        for policy, text in DUPLICATE_POLICIES:
            self.duplicate_combo.addItem(text, policy)
        self.duplicate_combo.setToolTip(
            "What to do with a row whose id is already in the project (or earlier in this file)."
        )
        self.meta_list = QListWidget()
        self.meta_list.setToolTip(
            "Ticked columns are kept with each document (date, author, source…), "
            "to browse, filter and export later."
        )
        self.meta_list.setMinimumHeight(90)
        self.required_hint = QLabel()
        self.required_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.required_hint.setWordWrap(True)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Text column:", self.text_combo)
        form.addRow("", self.required_hint)
        form.addRow("&Id column:", self.id_combo)
        form.addRow("&Label column:", self.label_combo)
        form.addRow("&Purpose column:", self.purpose_combo)
        form.addRow("Labels by &coder:", self.coder_edit)
        form.addRow("&Duplicate ids:", self.duplicate_combo)
        form.addRow("Keep as &metadata:", self.meta_list)

        self._columns: list[str] = []
        self._meta_items: dict[str, QListWidgetItem] = {}
        for combo in (self.text_combo, self.id_combo, self.label_combo, self.purpose_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
            combo.currentIndexChanged.connect(self._on_role_changed)
        self.coder_edit.textChanged.connect(self._on_edit)
        self.meta_list.itemChanged.connect(self._on_edit)
        self._update_enabled()

    # -- filling -------------------------------------------------------------------------

    def set_columns(self, columns: list[str], *, folder: bool = False) -> None:
        """Offer ``columns``; keep earlier choices whose column is still there, else guess."""
        same = columns == self._columns
        previous = self.options() if self._columns else None
        kept_meta = {c for c in self._columns if self._meta_checked(c)}
        self._columns = list(columns)
        blockers = [self.text_combo, self.id_combo, self.label_combo, self.purpose_combo]
        for combo in blockers:
            combo.blockSignals(True)
            combo.clear()
        self.text_combo.addItems(columns)
        for combo in blockers[1:]:
            combo.addItem(NONE_TEXT, None)
            for column in columns:
                combo.addItem(column, column)
        if previous is not None and same:
            text, id_, label, purpose = (
                previous.text_col,
                previous.id_col,
                previous.label_col,
                previous.purpose_col,
            )
        else:
            text = guess_column(columns, TEXT_NAMES)
            id_ = guess_column(columns, ID_NAMES)
            label = None if folder else guess_column(columns, LABEL_NAMES)
            purpose = guess_column(columns, PURPOSE_NAMES) if label else None
            kept_meta = set() if folder else set(columns)
        self.text_combo.setCurrentIndex(columns.index(text) if text in columns else -1)
        for combo, value in ((self.id_combo, id_), (self.label_combo, label)):
            combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
        self.purpose_combo.setCurrentIndex(
            max(0, self.purpose_combo.findData(purpose)) if purpose else 0
        )
        for combo in blockers:
            combo.blockSignals(False)
        self.meta_list.blockSignals(True)
        self.meta_list.clear()
        self._meta_items = {}
        for column in columns:
            item = QListWidgetItem(column)
            item.setCheckState(
                Qt.CheckState.Checked if column in kept_meta else Qt.CheckState.Unchecked
            )
            self.meta_list.addItem(item)
            self._meta_items[column] = item
        self.meta_list.blockSignals(False)
        self._update_enabled()
        self.changed.emit()

    def clear(self) -> None:
        self._columns = []
        for combo in (self.text_combo, self.id_combo, self.label_combo, self.purpose_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.meta_list.clear()
        self._meta_items = {}
        self._update_enabled()

    # -- reading -------------------------------------------------------------------------

    def options(self) -> ImportOptions:
        """The choices as import options (file-reading options left at their defaults)."""
        text = self.text_combo.currentText() if self.text_combo.currentIndex() >= 0 else None
        label = self.label_combo.currentData()
        used = {text, self.id_combo.currentData(), label, self.purpose_combo.currentData()}
        meta = tuple(c for c in self._columns if c not in used and self._meta_checked(c))
        return ImportOptions(
            text_col=text,
            id_col=self.id_combo.currentData(),
            label_col=label,
            purpose_col=self.purpose_combo.currentData() if label else None,
            meta_cols=meta,
            on_duplicate=self.duplicate_combo.currentData(),
            coder=self.coder_edit.text().strip() or DEFAULT_CODER,
        )

    def roles(self) -> dict[str, str]:
        """Column -> what it becomes ("text", "id", "label", "purpose", "metadata")."""
        options = self.options()
        roles = {c: "metadata" for c in options.meta_cols}
        for role, column in (
            ("purpose", options.purpose_col),
            ("label", options.label_col),
            ("id", options.id_col),
            ("text", options.text_col),
        ):
            if column:
                roles[column] = role
        return roles

    def problem(self) -> str | None:
        """Why the choices cannot be imported yet, in words; None when they can."""
        if not self._columns:
            return "Choose a file first."
        if self.text_combo.currentIndex() < 0:
            return "Choose the column that holds the texts."
        if self.label_combo.currentData() and not self.coder_edit.text().strip():
            return "Name the coder the imported labels belong to."
        return None

    def _meta_checked(self, column: str) -> bool:
        item = self._meta_items.get(column)
        return item is not None and item.checkState() == Qt.CheckState.Checked

    # -- reacting ------------------------------------------------------------------------

    def _on_role_changed(self) -> None:
        self._update_enabled()
        self.changed.emit()

    def _on_edit(self) -> None:
        self.changed.emit()

    def _update_enabled(self) -> None:
        has_label = bool(self.label_combo.currentData())
        self.purpose_combo.setEnabled(has_label)
        self.coder_edit.setEnabled(has_label)
        roles = self.roles() if self._columns else {}
        self.meta_list.blockSignals(True)
        for column, item in self._meta_items.items():
            # A column used for the text, id, label or purpose is not offered as metadata.
            item.setHidden(roles.get(column, "metadata") != "metadata")
        self.meta_list.blockSignals(False)
        self.required_hint.setText(
            "Required." if self._columns and self.text_combo.currentIndex() < 0 else ""
        )
        self.required_hint.setVisible(bool(self.required_hint.text()))
