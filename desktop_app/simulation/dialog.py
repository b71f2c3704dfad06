"""The "Active learning simulation" dialog: learning curves from a fully labelled file.

Choose a labelled file, its text and label columns, the strategies and the settings (the
command line's defaults at first), then Run: reading the file and
:func:`core.simulation.runner.simulate` are one background job (progress with ETA, Cancel).
Or open a curves file written by ``labelloop simulate --out``. Either way the dialog
draws mean macro-F1 ± sd per strategy against labels, with random sampling's final
macro-F1 as the target, and a plain-text summary. Reading a file's
columns and reading a curves file are jobs too: nothing slow runs in the GUI thread.
Closing the dialog cancels its job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.errors import LabelLoopError
from core.ingest.readers import FORMATS
from core.jobs import CancelCheck, ProgressCallback
from core.simulation.curves import StrategySummary
from core.simulation.plan import SimulationPlan
from core.simulation.runner import SimulationResult
from core.training.active_learning import strategy_choices
from desktop_app.chart_export import ask_chart_path, save_figure
from desktop_app.evaluate.charts import draw_simulation
from desktop_app.import_wizard.columns import LABEL_NAMES, TEXT_NAMES, guess_column
from desktop_app.job_progress import JobProgress
from desktop_app.worker import JobHandle, JobRunner

#: What the form shows when the dialog opens: the simulation's defaults, as on the command
#: line (its strategies include random, which gives the target).
DEFAULT_PLAN = SimulationPlan()
_LABELLED_FILES = (
    "Labelled files (" + " ".join(f"*{suffix}" for suffix in FORMATS) + ");;All files (*)"
)
_CURVES_FILES = "Curves CSV (*.csv);;All files (*)"


@dataclass(frozen=True)
class SimulationSettings:
    """Everything the simulation job needs, copied from the widgets before it starts."""

    path: Path
    text_col: str
    label_col: str
    plan: SimulationPlan


@dataclass(frozen=True)
class Curves:
    """What the chart and summary show; ``result`` is set after a run (Save curves)."""

    summary: dict[str, StrategySummary]
    target_f1: float | None
    n_seeds: int
    text: str
    result: SimulationResult | None = None


# -- jobs (plain functions, run in the worker thread) ------------------------------------


def read_columns(
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> tuple[Path, list[str]]:
    """The file's column names (an Excel workbook or a slow disk can take a while)."""
    from core.ingest.readers import open_reader

    return path, list(open_reader(path).columns)


def run_simulation(
    settings: SimulationSettings,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Curves:
    """Read the labelled file and simulate; one job, cancellable between rounds."""
    from core.simulation.runner import simulate_file

    result = simulate_file(
        settings.path,
        settings.text_col,
        settings.label_col,
        settings.plan,
        progress=progress,
        should_cancel=should_cancel,
    )
    return Curves(result.summary, result.target_f1, len(result.seeds), result.describe(), result)


def load_curves(
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Curves:
    """A curves file (``labelloop simulate --out``), summarised."""
    from core.simulation.curves import read_curves_csv, summarise_curves

    curves = summarise_curves(read_curves_csv(path))
    text = f"Curves from {path}.\n{curves.describe()}"
    return Curves(curves.summary, curves.target_f1, len(curves.seeds), text)


def describe_error(error: BaseException) -> str:
    """Plain text for the dialog: a LabelLoopError's message, else the exception in a line."""
    if isinstance(error, LabelLoopError):
        return str(error)
    return f"Unexpected error ({type(error).__name__}): {error}. Please report this."


# -- the dialog --------------------------------------------------------------------------


class SimulationDialog(QDialog):
    """Non-modal: settings and buttons on the left, the chart and its summary on the right."""

    #: A job of this dialog has finished (its result or error is shown).
    job_done = Signal()

    def __init__(self, runner: JobRunner | None = None, parent: QWidget | None = None) -> None:
        """``runner`` runs the jobs (the main window's, so closing it stops them); without
        one the dialog makes its own."""
        super().__init__(parent)
        self.setWindowTitle("Active learning simulation")
        self.setModal(False)
        self._runner = runner if runner is not None else JobRunner(self)
        self._job: JobHandle | None = None
        self._path: Path | None = None
        self.curves: Curves | None = None

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_inputs())
        splitter.addWidget(self._build_output())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 700])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.resize(1100, 700)
        draw_simulation(self.figure, {}, None, 0)
        self._update_buttons()

    def _build_inputs(self) -> QWidget:
        """The file, columns, strategies and settings; the buttons, progress and errors."""
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("No file chosen")
        self.choose_button = _button("Choose file…", "A file with a text and a label per row")
        self.choose_button.clicked.connect(self._choose_file)
        self.text_combo = QComboBox()
        self.label_combo = QComboBox()
        for combo in (self.text_combo, self.label_combo):
            combo.currentIndexChanged.connect(self._update_buttons)
        self.strategy_boxes: dict[str, QCheckBox] = {}
        strategies = QVBoxLayout()
        for name, title in strategy_choices():
            box = QCheckBox(title if name in title.lower() else f"{title} ({name})")
            box.setChecked(name in DEFAULT_PLAN.strategies)
            box.toggled.connect(self._update_buttons)
            self.strategy_boxes[name] = box
            strategies.addWidget(box)
        plan = DEFAULT_PLAN
        seeds = len(plan.seed_list())
        self.seeds_spin = _spin(1, 100, seeds, "Each seed draws its own test set and first labels")
        self.initial_spin = _spin(4, 1_000_000, plan.initial, "Random labels to start from")
        self.step_spin = _spin(1, 1_000_000, plan.step, "Labels each strategy adds per round")
        self.max_spin = _spin(4, 10_000_000, plan.max_labels, "Labels at the end of the simulation")
        self.test_spin = _spin(
            0,
            10_000_000,
            int(plan.test_size or 0),
            "Held-out documents the macro-F1 is measured on (never selectable). "
            "Automatic: 5,000, or a quarter of the documents when there are fewer than 20,000.",
        )
        self.test_spin.setSpecialValueText("automatic")
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow("Labelled file:", file_row)
        form.addRow("Text column:", self.text_combo)
        form.addRow("Label column:", self.label_combo)
        form.addRow("Strategies:", strategies)
        form.addRow("Seeds:", self.seeds_spin)
        form.addRow("Initial labels:", self.initial_spin)
        form.addRow("Labels per round:", self.step_spin)
        form.addRow("Maximum labels:", self.max_spin)
        form.addRow("Test set (documents):", self.test_spin)

        self.hint_label = _wrapping_label("#8a5a00")
        self.run_button = _button("Run", "Read the file and simulate (in the background)")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.open_button = _button(
            "Open curves file…", "Show curves saved by Save curves or labelloop simulate --out"
        )
        self.open_button.clicked.connect(self._choose_curves)
        self.save_button = _button("Save curves…", "Write the curves of the last run as CSV")
        self.save_button.clicked.connect(self._choose_save_curves)
        self.export_button = _button("Export chart…", "Save the chart as PNG or SVG")
        self.export_button.clicked.connect(self._choose_export_chart)
        close_button = _button("Close", "Close the dialog (a running simulation is cancelled)")
        close_button.clicked.connect(self.close)
        self.job_progress = JobProgress()
        self.error_label = _wrapping_label("#b00020")

        inputs = QWidget()
        column = QVBoxLayout(inputs)
        column.addLayout(form)
        column.addWidget(self.hint_label)
        column.addLayout(_row(self.run_button, self.open_button))
        column.addWidget(self.job_progress)
        column.addWidget(self.error_label)
        column.addStretch(1)
        column.addLayout(_row(self.save_button, self.export_button, None, close_button))
        return inputs

    def _build_output(self) -> QWidget:
        """The chart above its plain-text summary."""
        self.figure = Figure(figsize=(6, 4), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.summary_text = QPlainTextEdit()
        self.summary_text.setReadOnly(True)
        self.summary_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.summary_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.summary_text.setPlaceholderText(
            "Run a simulation or open a curves file to see the learning curves."
        )
        output = QSplitter(Qt.Orientation.Vertical)
        output.addWidget(self.canvas)
        output.addWidget(self.summary_text)
        output.setStretchFactor(0, 3)
        output.setStretchFactor(1, 1)
        output.setSizes([480, 200])
        return output

    # -- state ---------------------------------------------------------------------------

    def busy(self) -> bool:
        """True while one of this dialog's jobs runs."""
        return self._job is not None

    def chosen_strategies(self) -> list[str]:
        return [name for name, box in self.strategy_boxes.items() if box.isChecked()]

    def settings(self) -> SimulationSettings | None:
        """The simulation as set up in the form, or None while it cannot run."""
        text, label = self.text_combo.currentText(), self.label_combo.currentText()
        strategies = tuple(self.chosen_strategies())
        if self._path is None or not text or not label or text == label or not strategies:
            return None
        plan = replace(
            DEFAULT_PLAN,
            strategies=strategies,
            seeds=self.seeds_spin.value(),
            initial=self.initial_spin.value(),
            step=self.step_spin.value(),
            max_labels=self.max_spin.value(),
            test_size=self.test_spin.value() or None,
        )
        return SimulationSettings(self._path, text, label, plan)

    def _update_buttons(self) -> None:
        idle = not self.busy()
        for widget in (self.choose_button, self.open_button, self.text_combo, self.label_combo):
            widget.setEnabled(idle)
        self.run_button.setEnabled(idle and self.settings() is not None)
        self.save_button.setEnabled(
            idle and self.curves is not None and self.curves.result is not None
        )
        self.export_button.setEnabled(self.curves is not None)
        self.hint_label.setText(self._hint())
        self.hint_label.setVisible(bool(self.hint_label.text()))

    def _hint(self) -> str:
        if self._path is None or self.text_combo.count() == 0:
            return ""
        if self.text_combo.currentText() == self.label_combo.currentText():
            return "Choose different columns for the text and the label."
        strategies = self.chosen_strategies()
        if not strategies:
            return "Tick at least one strategy."
        if "random" not in strategies:
            return "Without random sampling there is no target to compare with."
        return ""

    # -- jobs ----------------------------------------------------------------------------

    def _start(
        self, name: str, job: Callable[..., Any], on_result: Callable[[Any], None]
    ) -> JobHandle:
        self.error_label.clear()
        handle = self._runner.run(name, job)
        handle.returned.connect(on_result)
        handle.errored.connect(self._show_error)
        handle.cancelled.connect(lambda: self.error_label.setText(f"{name}: cancelled."))
        handle.finished.connect(self._job_finished)
        self._job = handle
        self._update_buttons()
        return handle

    def _job_finished(self) -> None:
        self._job = None
        self._update_buttons()
        self.job_done.emit()

    def _show_error(self, error: BaseException) -> None:
        self.error_label.setText(describe_error(error))

    def load_file(self, path: Path) -> None:
        """Use ``path`` as the labelled file; its columns are read in a job."""
        if self.busy():
            return
        self._path = None
        self.file_edit.setText(str(path))
        self.text_combo.clear()
        self.label_combo.clear()
        self._start(
            "Reading the columns", functools.partial(read_columns, Path(path)), self._set_columns
        )

    def _set_columns(self, found: tuple[Path, list[str]]) -> None:
        path, columns = found
        self._path = path
        for combo, names in ((self.text_combo, TEXT_NAMES), (self.label_combo, LABEL_NAMES)):
            combo.blockSignals(True)
            combo.addItems(columns)
            guess = guess_column(columns, names)
            if guess is not None:
                combo.setCurrentText(guess)
            combo.blockSignals(False)
        if len(columns) > 1 and self.text_combo.currentText() == self.label_combo.currentText():
            self.label_combo.setCurrentIndex(1 if self.text_combo.currentIndex() == 0 else 0)

    def run(self) -> None:
        """Start the simulation set up in the form."""
        settings = self.settings()
        if settings is None or self.busy():
            return
        handle = self._start(
            "Simulating active learning",
            functools.partial(run_simulation, settings),
            self.show_curves,
        )
        self.job_progress.track(handle)

    def open_curves(self, path: Path) -> None:
        """Show a curves file (``labelloop simulate --out``); it is read in a job."""
        if not self.busy():
            self._start(
                "Reading curves", functools.partial(load_curves, Path(path)), self.show_curves
            )

    def show_curves(self, curves: Curves) -> None:
        """Draw ``curves`` and show their summary."""
        self.curves = curves
        draw_simulation(self.figure, curves.summary, curves.target_f1, curves.n_seeds)
        self.canvas.draw_idle()
        self.summary_text.setPlainText(curves.text)
        self._update_buttons()

    # -- files ---------------------------------------------------------------------------

    def save_curves(self, path: Path) -> Path | None:
        """Write the last run's curves as CSV; a failure is shown in the dialog."""
        if self.curves is None or self.curves.result is None:
            return None
        try:
            return self.curves.result.write_csv(path)
        except LabelLoopError as error:
            self._show_error(error)
            return None

    def save_chart(self, path: Path) -> Path:
        """Save the chart; the suffix (.png or .svg, else .png) picks the format."""
        return save_figure(self.figure, path)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labelled file", "", _LABELLED_FILES)
        if path:
            self.load_file(Path(path))

    def _choose_curves(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open curves file", "", _CURVES_FILES)
        if path:
            self.open_curves(Path(path))

    def _choose_save_curves(self) -> None:
        default = str(self._default_path("curves.csv"))
        path, _ = QFileDialog.getSaveFileName(self, "Save curves", default, _CURVES_FILES)
        if path:
            self.save_curves(Path(path))

    def _choose_export_chart(self) -> None:
        target = ask_chart_path(self, self._default_path("simulation.png"))
        if target is None:
            return
        try:
            self.save_chart(target)
        except OSError as error:
            self.error_label.setText(f"Cannot write {target}: {error.strerror or error}.")

    def _default_path(self, name: str) -> Path:
        return self._path.with_name(f"{self._path.stem}-{name}") if self._path else Path(name)

    def done(self, result: int) -> None:
        """Closing the dialog cancels its job (the dialog keeps its last chart)."""
        if self._job is not None:
            self._job.cancel()
        super().done(result)


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setGroupSeparatorShown(True)
    spin.setToolTip(tip)
    return spin


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


def _row(*widgets: QWidget | None) -> QHBoxLayout:
    """Widgets side by side; None is a stretch."""
    row = QHBoxLayout()
    for widget in widgets:
        if widget is None:
            row.addStretch(1)
        else:
            row.addWidget(widget)
    return row


def _wrapping_label(colour: str) -> QLabel:
    """Selectable plain text (never rich text: error messages hold file names)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(f"color: {colour};")
    return label
