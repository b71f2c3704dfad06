"""The import dialog: choose a file, check how it is read, say what the columns mean, import.

Both the preview and the import run on the job runner, so the window never waits on a
file: even a 20-row preview can be slow (a workbook's first open, a folder of 100,000
texts, a network drive). The dialog is a small state machine (:class:`Stage`); every
widget's enabled state follows from the stage. Closing the dialog cancels its jobs and
waits for their threads.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import logging
from dataclasses import replace
from enum import Enum, auto
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.errors import Cancelled, EncodingUnclearError, LabelLoopError
from core.ingest import ImportOptions, ImportSummary, Preview, import_file, preview_file
from core.ingest.readers import FORMATS
from core.jobs import CancelCheck, ProgressCallback
from core.store.changes import Change
from core.wording import verb
from desktop_app.context import ProjectContext
from desktop_app.import_wizard.columns import ColumnChoices
from desktop_app.import_wizard.preview_table import PreviewTable
from desktop_app.job_progress import JobProgress
from desktop_app.worker import JobHandle

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
ENCODINGS = ("utf-8", "cp1252", "latin-1", "cp1250", "cp1251", "utf-16")
#: How the question about an unclear encoding names each reading.
READINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
FORMAT_NAMES = {
    "csv": "CSV file",
    "tsv": "Tab-separated file",
    "excel": "Excel workbook",
    "jsonl": "JSON Lines file",
    "parquet": "Parquet file",
    "txt-folder": "Folder of .txt files",
}
FILE_FILTER = (
    "Data files ("
    + " ".join(f"*{suffix}" for suffix in FORMATS)
    + ");;CSV and text (*.csv *.txt *.tsv *.tab);;Excel (*.xlsx *.xlsm)"
    ";;JSON Lines (*.jsonl *.ndjson);;Parquet (*.parquet *.pq);;All files (*)"
)
FOLDER_ENCODING = "detect for each file"


class Stage(Enum):
    """Where the dialog is; it decides what can be clicked."""

    NO_FILE = auto()
    READING = auto()  # the preview job runs
    UNREADABLE = auto()  # the preview failed; the message says why
    ENCODING_UNCLEAR = auto()  # UTF-8 or Windows-1252? the user is asked which reading is right
    READY = auto()  # preview shown; columns can be chosen and imported
    IMPORTING = auto()
    IMPORTED = auto()  # the summary is shown
    FAILED = auto()  # nothing was imported; the message says why; may try again
    CANCELLED = auto()  # nothing was imported; may try again


#: How the preview's rows are numbered, said in its caption: as messages name them.
ROW_NUMBERS = {
    "csv": " (numbered as in the file: row 1 is the header)",
    "tsv": " (numbered as in the file: row 1 is the header)",
    "excel": " (numbered as in the sheet: row 1 is the header)",
    "jsonl": " (numbered by line in the file)",
}

_CAN_IMPORT = (Stage.READY, Stage.FAILED, Stage.CANCELLED)


def read_preview(
    path: Path,
    reader_options: dict[str, str],
    *,
    progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> Preview:
    """The preview as a job: it cannot stop halfway, but skips the work if cancelled first."""
    del progress  # a 20-row read has nothing to report
    if should_cancel():
        raise Cancelled()
    return preview_file(path, rows=PREVIEW_ROWS, **reader_options)


def same_codec(a: str | None, b: str | None) -> bool:
    """Whether two encoding names mean the same codec ("latin-1" and "iso8859_1")."""
    if a is None or b is None:
        return a is b
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return a == b


class ImportDialog(QDialog):
    """Import a file (or a folder of .txt files) into the context's project.

    Signals: ``preview_loaded(Preview)`` each time a preview is shown, and
    ``imported(ImportSummary)`` after a successful import (``context.documents_changed``
    and, when categories were created, ``context.codebook_changed`` are emitted too).
    """

    preview_loaded = Signal(object)
    imported = Signal(object)

    #: Rows per import step; the import checks for Cancel after each step.
    chunk_size: int = ImportOptions.chunk_size

    def __init__(
        self, context: ProjectContext, path: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Import documents")
        self.setAcceptDrops(True)
        self._path: Path | None = None
        self._preview: Preview | None = None
        self._encoding: str | None = None  # the user's choice; None: detected
        self._delimiter: str | None = None
        self._sheet: str | None = None  # a workbook's sheet; None: the first
        self._detected: dict[str, str] = {}
        self._import_job: JobHandle | None = None
        self._jobs: set[JobHandle] = set()  # started here and not finished: waited on close
        self._format: str | None = None  # "csv", "excel"… as read, or guessed from the name
        self._stage = Stage.NO_FILE
        self._build()
        self._set_stage(Stage.NO_FILE)
        self._show_message(
            "Choose a file to import: CSV, TSV, Excel (.xlsx), JSON Lines or Parquet, "
            "or a folder of .txt files (one document each). You can also drop a file here."
        )
        if path is not None:
            self.set_path(Path(path))

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("No file chosen")
        self.path_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.file_button = QPushButton("Choose &file…")
        self.folder_button = QPushButton("Choose f&older of .txt files…")
        self.format_label = QLabel()
        self.format_label.setTextFormat(Qt.TextFormat.PlainText)
        self.encoding_combo = QComboBox()
        self.encoding_combo.setToolTip(
            "How the file's bytes become letters. If letters like é or ë look wrong in "
            "the preview, try another encoding (files saved by Excel on Windows are "
            "often cp1252)."
        )
        self.delimiter_combo = QComboBox()
        self.delimiter_combo.setToolTip("The character between the columns of a row.")
        for combo in (self.encoding_combo, self.delimiter_combo):
            combo.setPlaceholderText("detecting…")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sheet_combo = QComboBox()
        self.sheet_combo.setToolTip("The workbook's sheet to import.")
        self.sheet_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sheet_label = QLabel("S&heet:")
        self.sheet_label.setBuddy(self.sheet_combo)
        self.encoding_label = QLabel("&Encoding:")
        self.encoding_label.setBuddy(self.encoding_combo)
        self.delimiter_label = QLabel("&Delimiter:")
        self.delimiter_label.setBuddy(self.delimiter_combo)
        self.encoding_note = QLabel()  # how the encoding was decided, and what was replaced
        self.encoding_note.setTextFormat(Qt.TextFormat.PlainText)
        self.encoding_note.setWordWrap(True)
        self.encoding_note.setAccessibleName("Encoding used")
        for button in (self.file_button, self.folder_button):
            button.setAutoDefault(False)  # Enter means Import wherever the focus is

        file_grid = QGridLayout()
        file_grid.addWidget(QLabel("File:"), 0, 0)
        file_grid.addWidget(self.path_edit, 0, 1)
        file_grid.addWidget(self.file_button, 0, 2)
        file_grid.addWidget(self.folder_button, 0, 3)
        reading = QHBoxLayout()
        reading.addWidget(self.format_label)
        reading.addSpacing(16)
        reading.addWidget(self.sheet_label)
        reading.addWidget(self.sheet_combo)
        reading.addWidget(self.encoding_label)
        reading.addWidget(self.encoding_combo)
        reading.addSpacing(12)
        reading.addWidget(self.delimiter_label)
        reading.addWidget(self.delimiter_combo)
        reading.addStretch(1)
        file_grid.addLayout(reading, 1, 1, 1, 3)
        file_grid.addWidget(self.encoding_note, 2, 1, 1, 3)
        file_grid.setColumnStretch(1, 1)

        # Asked when a file could be UTF-8 or Windows-1252: each button shows one reading.
        self.reading_buttons: dict[str, QPushButton] = {}
        self.encoding_question = QWidget()
        question = QHBoxLayout(self.encoding_question)
        question.setContentsMargins(0, 0, 0, 0)
        question.addWidget(QLabel("Which reading is right?"))
        for encoding in READINGS:
            button = QPushButton()
            button.setAutoDefault(False)
            button.clicked.connect(functools.partial(self.choose_reading, encoding))
            self.reading_buttons[encoding] = button
            question.addWidget(button)
        question.addStretch(1)
        self.encoding_question.hide()

        self.table = PreviewTable()
        self.table_caption = QLabel()
        self.table_caption.setTextFormat(Qt.TextFormat.PlainText)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table_caption)
        left_layout.addWidget(self.table, 1)

        self.columns = ColumnChoices()
        self.columns_box = QGroupBox("What the columns mean")
        box_layout = QVBoxLayout(self.columns_box)
        box_layout.addWidget(self.columns)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.columns_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([700, 380])

        self.message_icon = QLabel()
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("Import status")
        message_row = QHBoxLayout()
        message_row.addWidget(self.message_icon, 0, Qt.AlignmentFlag.AlignTop)
        message_row.addWidget(self.message, 1)

        self.progress = JobProgress()

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "&Import", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setAutoDefault(False)
        self.import_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addLayout(file_grid)
        layout.addWidget(splitter, 1)
        layout.addLayout(message_row)
        layout.addWidget(self.encoding_question)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

        self.file_button.clicked.connect(self.choose_file)
        self.folder_button.clicked.connect(self.choose_folder)
        self.encoding_combo.activated.connect(self._on_encoding_chosen)
        self.delimiter_combo.activated.connect(self._on_delimiter_chosen)
        self.sheet_combo.activated.connect(self._on_sheet_chosen)
        self.columns.changed.connect(self._on_columns_changed)
        self.import_button.clicked.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)

        c = self.columns
        order = [
            self.file_button,
            self.folder_button,
            self.sheet_combo,
            self.encoding_combo,
            self.delimiter_combo,
            c.text_combo,
            c.id_combo,
            c.label_combo,
            c.purpose_combo,
            c.coder_edit,
            c.duplicate_combo,
            c.meta_list,
            self.table,
            self.progress.cancel_button,
            self.import_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.resize(1100, 680)

    # -- public API ----------------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        return self._stage

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def preview(self) -> Preview | None:
        return self._preview

    @property
    def import_job(self) -> JobHandle | None:
        """The running import, if any."""
        return self._import_job

    def set_path(self, path: Path) -> None:
        """Read ``path`` (a file or a folder of .txt files) afresh and preview it."""
        if self._stage is Stage.IMPORTING:
            return
        path = Path(path)
        if path != self._path:
            self.columns.clear()  # guess the roles afresh for another file
        self._path = path
        self._format = "txt-folder" if path.is_dir() else FORMATS.get(path.suffix.lower())
        self._encoding = self._delimiter = self._sheet = None
        self._detected = {}
        self._preview = None
        self.encoding_note.setText("")
        self.path_edit.setText(str(path))
        self._fill_reading_options()
        self._load_preview()

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import documents", self._start_folder(), FILE_FILTER
        )
        if path:
            self.set_path(Path(path))

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Import a folder of .txt files", self._start_folder()
        )
        if path:
            self.set_path(Path(path))

    def choose_reading(self, encoding: str) -> None:
        """Read the file with ``encoding``: the user's answer to an unclear encoding."""
        if self._stage is not Stage.ENCODING_UNCLEAR:
            return
        self._encoding = encoding
        self.encoding_question.hide()
        self._load_preview()

    def can_import(self) -> bool:
        return self._stage in _CAN_IMPORT and self.columns.problem() is None

    def start_import(self) -> None:
        """Import with the options shown; does nothing unless they are complete."""
        if not self.can_import():
            return
        assert self._path is not None
        options = replace(
            self.columns.options(),
            encoding=self._encoding,
            delimiter=self._delimiter,
            sheet=self._sheet,
            chunk_size=self.chunk_size,
        )
        job = functools.partial(import_file, self.context.project, self._path, options)
        changes = Change.DOCUMENTS
        if options.label_col:  # labels, and the categories they name if new
            changes |= Change.CODEBOOK | Change.LABELS
        handle = self.context.run(f"Importing {self._path.name}", job, changes=changes)
        self._import_job = handle
        self._keep(handle)
        handle.returned.connect(self._on_imported)
        handle.errored.connect(self._on_import_failed)
        handle.cancelled.connect(self._on_import_cancelled)
        self.progress.track(handle)
        self._set_stage(Stage.IMPORTING)
        self._show_message(f"Importing {self._path.name}…")

    def stop_jobs(self) -> None:
        """Cancel this dialog's jobs and wait for their threads (called on close)."""
        handles = list(self._jobs)
        if not handles:
            return
        for handle in handles:
            handle.cancel()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            for handle in handles:
                handle.wait()
                # Deliver what the job reported last (cancelled, or a result that beat the
                # cancel) now, while the dialog still exists, and let the handle finish.
                QCoreApplication.sendPostedEvents(handle)
        finally:
            QGuiApplication.restoreOverrideCursor()

    def done(self, result: int) -> None:  # Close, Esc and the window's close button
        self.stop_jobs()
        super().done(result)

    # -- preview -------------------------------------------------------------------------

    def _load_preview(self) -> None:
        if self._path is None:
            return
        reader_options = {}
        if self._encoding:
            reader_options["encoding"] = self._encoding
        if self._delimiter:
            reader_options["delimiter"] = self._delimiter
        if self._sheet:
            reader_options["sheet"] = self._sheet
        for combo in (self.encoding_combo, self.delimiter_combo):
            combo.setPlaceholderText("detecting…")
        job = functools.partial(read_preview, self._path, reader_options)
        # The newest reading wins: another encoding chosen meanwhile drops this one.
        handle = self.context.run_latest((self, "preview"), f"Reading {self._path.name}", job)
        self._keep(handle)
        handle.returned.connect(self._on_preview_loaded)
        handle.errored.connect(self._on_preview_failed)
        self._set_stage(Stage.READING)
        self._show_message(f"Reading {self._path.name}…")

    def _on_preview_loaded(self, preview: Preview) -> None:
        self._preview = preview
        self._format = preview.file_format
        if not self._encoding and "encoding" in preview.details:
            self._detected["encoding"] = preview.details["encoding"]
        if not self._delimiter and "delimiter" in preview.details:
            self._detected["delimiter"] = preview.details["delimiter"]
        self._fill_reading_options()
        note = preview.details.get("encoding_note", "")
        self.encoding_note.setText(f"Encoding: {note}." if note else "")
        self.table.show_preview(preview)
        count = self.table.row_count()
        numbered = ROW_NUMBERS.get(preview.file_format, "")
        self.table_caption.setText(
            f"The first {count} rows as LabelLoop reads them{numbered}:"
            if count == PREVIEW_ROWS
            else f"All {count} rows as LabelLoop reads them{numbered}:"
        )
        self.columns.set_columns(preview.columns, folder=preview.file_format == "txt-folder")
        self._set_stage(Stage.READY)
        self._show_ready_message()
        focus = self.focusWidget()
        if focus is None or focus in (self.file_button, self.folder_button):
            self.columns.text_combo.setFocus()
        self.preview_loaded.emit(preview)

    def _on_preview_failed(self, error: Exception) -> None:
        # The column choices stay (greyed out): another encoding or delimiter may fix it.
        self._preview = None
        self.table.show_preview(None)
        self.table_caption.setText("")
        self.encoding_note.setText("")
        if isinstance(error, EncodingUnclearError):
            self._ask_for_reading(error)
            return
        for combo in (self.encoding_combo, self.delimiter_combo):
            combo.setPlaceholderText("–")  # nothing was detected: the file was not read
        self._set_stage(Stage.UNREADABLE)
        if isinstance(error, UnicodeError) and self._encoding:
            # A codec that cannot even start on these bytes (utf-16 without a BOM).
            message = (
                f"The file cannot be read as {self._encoding} ({error}). Choose another encoding."
            )
        else:
            message = self._explain(error, "The file cannot be read")
        self._show_message(message, error=True)

    def _ask_for_reading(self, error: EncodingUnclearError) -> None:
        """Show the file read both ways and let the user pick the right reading."""
        self._set_stage(Stage.ENCODING_UNCLEAR)
        for encoding, button in self.reading_buttons.items():
            button.setText(f"{READINGS[encoding]}: {error.readings.get(encoding, '')}")
        self.encoding_question.show()
        self._fill_reading_options()  # every encoding offered, none chosen yet
        self.encoding_combo.setPlaceholderText("unclear: choose")
        self.delimiter_combo.setPlaceholderText("–")
        self._show_message(
            f"The file's encoding is unclear: {error.valid:,} of its "
            f"{error.valid + error.invalid:,} non-ASCII characters {verb(error.valid)} valid "
            f"UTF-8 and {error.invalid:,} {verb(error.invalid)} not, as when UTF-8 and "
            "Windows-1252 texts are mixed. "
            "Below, the same words read both ways: choose the reading that is right "
            "(read as UTF-8, the bytes that are not UTF-8 become �). Other encodings are "
            "under Encoding.",
            icon=QStyle.StandardPixmap.SP_MessageBoxQuestion,
        )
        self.reading_buttons["utf-8"].setFocus()

    def _fill_reading_options(self) -> None:
        """Format, encoding and delimiter as last read (detected ones marked)."""
        file_format = self._format
        details = self._preview.details if self._preview is not None else {}
        words = [FORMAT_NAMES.get(file_format or "", "Unknown kind of file")]
        sheets = self._preview.sheets if self._preview is not None else []
        if "sheet" in details and len(sheets) <= 1:
            words.append(f"sheet '{details['sheet']}'")
        self.sheet_combo.clear()
        for name in sheets:
            self.sheet_combo.addItem(name, name)
        self.sheet_combo.setCurrentIndex(self.sheet_combo.findData(details.get("sheet")))
        if "rows" in details:
            words.append(f"{int(details['rows']):,} rows")
        if "files" in details:
            words.append(f"{int(details['files']):,} files")
        self.format_label.setText(", ".join(words))

        folder = file_format == "txt-folder"
        self.encoding_combo.clear()
        detected = self._detected.get("encoding")
        if folder:
            self.encoding_combo.addItem(FOLDER_ENCODING, None)
        names = list(ENCODINGS)
        if detected and not any(same_codec(detected, n) for n in names):
            names.append(detected)
        for name in names:
            mark = " (detected)" if same_codec(name, detected) else ""
            self.encoding_combo.addItem(name + mark, name)
        current = self._encoding or detected
        self.encoding_combo.setCurrentIndex(-1)  # shows the placeholder until detected
        for index in range(self.encoding_combo.count()):
            if same_codec(self.encoding_combo.itemData(index), current):
                self.encoding_combo.setCurrentIndex(index)
                break

        self.delimiter_combo.clear()
        detected_name = self._detected.get("delimiter")
        for name, character in DELIMITERS.items():
            mark = " (detected)" if name == detected_name else ""
            self.delimiter_combo.addItem(name + mark, character)
        current_char = self._delimiter or DELIMITERS.get(detected_name or "")
        self.delimiter_combo.setCurrentIndex(self.delimiter_combo.findData(current_char))
        self._update_reading_widgets()

    def _update_reading_widgets(self) -> None:
        file_format = self._format
        busy = self._stage is Stage.IMPORTING
        shows_encoding = file_format in ("csv", "tsv", "jsonl", "txt-folder")
        shows_delimiter = file_format in ("csv", "tsv")
        self.format_label.setVisible(self._path is not None)
        for widget in (self.encoding_label, self.encoding_combo):
            widget.setVisible(shows_encoding)
        for widget in (self.delimiter_label, self.delimiter_combo):
            widget.setVisible(shows_delimiter)
        for widget in (self.sheet_label, self.sheet_combo):
            widget.setVisible(self.sheet_combo.count() > 1)
        self.sheet_combo.setEnabled(not busy)
        # JSON Lines is UTF-8 by definition: shown, not changeable.
        self.encoding_combo.setEnabled(not busy and file_format != "jsonl")
        self.delimiter_combo.setEnabled(not busy)
        self.file_button.setEnabled(not busy)
        self.folder_button.setEnabled(not busy)

    def _on_encoding_chosen(self, index: int) -> None:
        chosen = self.encoding_combo.itemData(index)
        detected = self._detected.get("encoding")
        value = None if chosen is None or same_codec(chosen, detected) else chosen
        if value != self._encoding:
            self._encoding = value
            self._load_preview()

    def _on_sheet_chosen(self, index: int) -> None:
        chosen = self.sheet_combo.itemData(index)
        if chosen != (self._preview.details.get("sheet") if self._preview else None):
            self._sheet = chosen
            self.columns.clear()  # another sheet, other columns: guess the roles afresh
            self._load_preview()

    def _on_delimiter_chosen(self, index: int) -> None:
        chosen = self.delimiter_combo.itemData(index)
        detected = DELIMITERS.get(self._detected.get("delimiter", ""))
        value = None if chosen == detected else chosen
        if value != self._delimiter:
            self._delimiter = value
            self._load_preview()

    # -- import --------------------------------------------------------------------------

    def _on_imported(self, summary: ImportSummary) -> None:
        self._set_stage(Stage.IMPORTED)
        self._show_message(summary.describe(), icon=QStyle.StandardPixmap.SP_DialogApplyButton)
        self.imported.emit(summary)

    def _on_import_failed(self, error: Exception) -> None:
        self._set_stage(Stage.FAILED)
        message = self._explain(error, "The import stopped")
        self._show_message(f"{message}\nNothing was imported.", error=True)

    def _on_import_cancelled(self) -> None:
        self._set_stage(Stage.CANCELLED)
        self._show_message("Import cancelled. Nothing was imported.")

    # -- state ---------------------------------------------------------------------------

    def _keep(self, handle: JobHandle) -> None:
        self._jobs.add(handle)
        handle.finished.connect(functools.partial(self._forget, handle))

    def _forget(self, handle: JobHandle) -> None:
        self._jobs.discard(handle)
        if handle is self._import_job:
            self._import_job = None

    def _set_stage(self, stage: Stage) -> None:
        self._stage = stage
        if stage is not Stage.ENCODING_UNCLEAR:
            self.encoding_question.hide()
        self._update_reading_widgets()
        self.columns_box.setEnabled(stage in _CAN_IMPORT)
        done = stage is Stage.IMPORTED
        self.close_button.setDefault(done)
        self.import_button.setDefault(not done)
        self._update_import_button()

    def _update_import_button(self) -> None:
        self.import_button.setEnabled(self.can_import())
        problem = self.columns.problem() if self._stage in _CAN_IMPORT else None
        self.import_button.setToolTip(problem or "")

    def _on_columns_changed(self) -> None:
        self.table.mark_roles(self.columns.roles())
        self._update_import_button()
        if self._stage is Stage.READY:
            self._show_ready_message()

    def _show_ready_message(self) -> None:
        problem = self.columns.problem()
        if problem:
            self._show_message(problem)
        else:
            self._show_message("Check the preview and the columns, then press Import.")

    def _show_message(
        self,
        text: str,
        *,
        error: bool = False,
        icon: QStyle.StandardPixmap | None = None,
    ) -> None:
        self.message.setText(text)
        if error:
            icon = QStyle.StandardPixmap.SP_MessageBoxWarning
        if icon is None:
            self.message_icon.clear()
            self.message_icon.hide()
        else:
            size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
            self.message_icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
            self.message_icon.show()

    @staticmethod
    def _explain(error: Exception, what: str) -> str:
        if isinstance(error, LabelLoopError):
            return str(error)
        log.error("%s: unexpected error", what, exc_info=error)
        return f"{what} because of an unexpected error ({type(error).__name__}: {error})."

    def _start_folder(self) -> str:
        if self._path is not None:
            return str(self._path if self._path.is_dir() else self._path.parent)
        return str(self.context.project.path.parent)

    # -- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._stage is not Stage.IMPORTING and any(
            url.isLocalFile() for url in event.mimeData().urls()
        ):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [url for url in event.mimeData().urls() if url.isLocalFile()]
        if urls and self._stage is not Stage.IMPORTING:
            event.acceptProposedAction()
            self.set_path(Path(urls[0].toLocalFile()))
