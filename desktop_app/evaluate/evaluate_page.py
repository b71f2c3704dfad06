"""The Evaluate page: every finished run, and for the one selected how well it does.

Everything shown is read from ``model_runs`` (a quick SQLite read, done in the GUI
thread) and was measured on the evaluation sample when the run finished; the page
refreshes itself when ``context.runs_changed`` announces a new run.

Two more tabs beside the charts show the selected run's details: its most informative
words per category (which needs the saved model loaded) and the evaluation documents it
got wrong. Both are computed by one background job per selection
(``core.evaluation.run_details``); selecting another run drops the job before
(``run_latest``), and a result for a run no longer selected is not shown. Double-click or
Enter on a misclassified document opens it in the Annotate tab.

A second tab puts two runs side by side (``comparison_view``): by default the latest
baseline and the latest BERT run, with a recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import Cancelled
from core.evaluation.metrics import describe_metric
from core.evaluation.reports import describe_cross_validation, model_name
from core.evaluation.run_details import Misclassified, informative_terms, misclassified
from core.jobs import CancelCheck
from core.overview import describe_unfinished_run, finished_runs, unfinished_runs
from core.store.project import Project
from core.wording import local_time, plural
from desktop_app.chart_export import ask_chart_path, save_figure
from desktop_app.context import ProjectContext
from desktop_app.evaluate.charts import draw_confusion, draw_learning_curve, draw_message
from desktop_app.evaluate.comparison_view import ComparisonView
from desktop_app.worker import Job, JobHandle

CONFUSION = "confusion"
#: In the confusion-matrix tab of a run measured on no evaluation sample.
NO_CONFUSION = (
    "No confusion matrix: this run was not measured on an evaluation sample.\n"
    "Draw one on the Annotate tab (Draw evaluation sample…), label it, and train again."
)
LEARNING_CURVE = "learning_curve"
TOP_TERMS = 15
PREVALENCE_TITLE = (
    "Share of each category among the unlabelled documents, estimated from the "
    "model's predictions adjusted for its errors on the evaluation sample:"
)


@dataclass(frozen=True, slots=True)
class RunDetails:
    """What the details job computed for one run (plain data, made in the worker thread)."""

    run_id: int
    terms: dict[str, list[tuple[str, float]]]
    wrong: list[Misclassified]


def _details_job(project: Project, run_id: int) -> Job:
    """A job (see ``desktop_app.worker``) computing both detail tabs of ``run_id``."""

    def job(*, progress: Any = None, should_cancel: CancelCheck | None = None) -> RunDetails:
        wrong = misclassified(project, run_id)
        if should_cancel is not None and should_cancel():
            raise Cancelled()
        return RunDetails(run_id, informative_terms(project, run_id, top=TOP_TERMS), wrong)

    return job


class EvaluatePage(QWidget):
    """Run history on top; the selected run's metrics, prevalence and charts below."""

    #: The detail tabs now show this run (emitted when the background job's result is in).
    details_shown = Signal(int)

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.runs: list[dict[str, Any]] = []
        self._stale = True
        self.details_run_id: int | None = None  # the run the detail tabs show
        self._details_wanted: int | None = None  # the run the latest job computes
        self._details_job: JobHandle | None = None

        self.empty_label = QLabel("No finished runs yet: train a model on the Train page.")
        # Runs not listed because they have not finished: training elsewhere, interrupted.
        self.unfinished_label = _wrapping_label()
        self.unfinished_label.setStyleSheet("color: #8a5a00;")
        self.runs_table = _table(
            ["Run", "Model", "Finished", "Training labels", "Macro-F1 (95% interval)"]
        )
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs_table.setMaximumHeight(130)
        self.runs_table.itemSelectionChanged.connect(self._show_selected)

        self.summary_label = _wrapping_label()
        self.metrics_table = _table(["Category", "Precision", "Recall", "F1", "Support"])
        self.warnings_label = _wrapping_label()
        self.warnings_label.setStyleSheet("color: #8a5a00;")
        self.prevalence_title = _wrapping_label()
        self.prevalence_title.setText(PREVALENCE_TITLE)
        self.prevalence_table = _table(
            ["Category", "Adjusted share (95% interval)", "Unadjusted", "Note"]
        )

        details = QWidget()
        column = QVBoxLayout(details)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.summary_label)
        column.addWidget(self.metrics_table, 3)
        column.addWidget(self.warnings_label)
        column.addWidget(self.prevalence_title)
        column.addWidget(self.prevalence_table, 2)

        self.confusion_figure = Figure(figsize=(5, 4), layout="constrained")
        self.curve_figure = Figure(figsize=(5, 4), layout="constrained")
        self.confusion_canvas = FigureCanvasQTAgg(self.confusion_figure)
        self.curve_canvas = FigureCanvasQTAgg(self.curve_figure)
        self.charts = QTabWidget()
        self.charts.addTab(self.confusion_canvas, "Confusion matrix")
        self.charts.addTab(self.curve_canvas, "Learning curve")
        self.terms_note = _wrapping_label()
        self.terms_table = _table(["Category", "Most informative words (strongest first)"])
        self.terms_table.setWordWrap(True)
        self.wrong_note = _wrapping_label()
        self.wrong_table = _table(["Id", "Text", "Label", "Predicted", "Probability"])
        self.wrong_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.wrong_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.wrong_table.setWordWrap(False)
        self.wrong_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.wrong_table.horizontalHeader().setStretchLastSection(False)
        self.wrong_table.setToolTip("Double-click or press Enter to open a document")
        self.wrong_table.itemActivated.connect(self._open_misclassified)
        self.charts.addTab(_with_note(self.terms_note, self.terms_table), "Informative words")
        self.charts.addTab(_with_note(self.wrong_note, self.wrong_table), "Misclassified")
        self.charts.currentChanged.connect(self._tab_changed)
        self.export_button = QPushButton("Export chart…")
        self.export_button.setToolTip("Save the chart shown as a PNG image or SVG drawing")
        self.export_button.clicked.connect(self._export_chart)
        charts = QWidget()
        chart_column = QVBoxLayout(charts)
        chart_column.setContentsMargins(0, 0, 0, 0)
        chart_column.addWidget(self.charts, 1)
        export_row = QHBoxLayout()
        export_row.addStretch(1)
        export_row.addWidget(self.export_button)
        chart_column.addLayout(export_row)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(details)
        self.splitter.addWidget(charts)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 600])  # the tables need about half the width

        self.comparison_view = ComparisonView(context)
        self.views = QTabWidget()
        self.views.addTab(self.splitter, "Selected run")
        self.views.addTab(self.comparison_view, "Side by side (baseline vs BERT)")

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Finished runs (select one to see its evaluation):"))
        layout.addWidget(self.empty_label)
        layout.addWidget(self.unfinished_label)
        layout.addWidget(self.runs_table)
        layout.addWidget(self.views, 1)

        context.runs_changed.connect(self._runs_changed)
        context.labels_changed.connect(self._labels_changed)
        self.refresh()

    # -- runs ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the finished runs again; select the newest (or keep the selection)."""
        self._stale = False
        keep = self.selected_run_id()
        newest_before = self.runs[-1]["id"] if self.runs else None
        self.runs = finished_runs(self.context.project)
        unfinished = "\n".join(
            describe_unfinished_run(run) for run in unfinished_runs(self.context.project)
        )
        self.unfinished_label.setText(unfinished)
        self.unfinished_label.setVisible(bool(unfinished))
        table = self.runs_table
        table.blockSignals(True)
        table.setRowCount(len(self.runs))
        for row, run in enumerate(reversed(self.runs)):  # newest first
            metrics = run["metrics"] or {}
            macro = (metrics.get("evaluation") or {}).get("macro_f1")
            finished = run["finished_at"] or run["started_at"]
            cells = [
                _number(run["id"]),
                QTableWidgetItem(model_name(run["kind"])),
                QTableWidgetItem(local_time(finished)),
                _number(metrics.get("train_size", sum((run["label_counts"] or {}).values()))),
                QTableWidgetItem(describe_metric(macro) if macro else "not evaluated"),
            ]
            cells[0].setData(Qt.ItemDataRole.UserRole, run["id"])
            for column, item in enumerate(cells):
                table.setItem(row, column, item)
        table.blockSignals(False)
        has_runs = bool(self.runs)
        self.empty_label.setVisible(not has_runs)
        self.runs_table.setVisible(has_runs)
        self.views.setVisible(has_runs)
        self.export_button.setEnabled(has_runs and self._shown_chart() is not None)
        self.comparison_view.set_runs(self.runs)
        if not has_runs:
            return
        newest = self.runs[-1]["id"]
        ids = {run["id"] for run in self.runs}
        target = newest if keep is None or keep not in ids or newest != newest_before else keep
        self.select_run(target)

    def selected_run_id(self) -> int | None:
        rows = self.runs_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.runs_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def selected_run(self) -> dict[str, Any] | None:
        run_id = self.selected_run_id()
        return next((run for run in self.runs if run["id"] == run_id), None)

    def select_run(self, run_id: int) -> None:
        for row in range(self.runs_table.rowCount()):
            if self.runs_table.item(row, 0).data(Qt.ItemDataRole.UserRole) == run_id:
                self.runs_table.selectRow(row)
                self._show_selected()
                return

    def _runs_changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _labels_changed(self) -> None:
        # Relabelled evaluation documents change the misclassified list.
        self.details_run_id = self._details_wanted = None
        if self._details_job is not None:
            self._details_job.discard()  # it read the labels as they were
        self.comparison_view.labels_changed()
        if self.isVisible():
            self._request_details()

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self.refresh()
        elif self.details_run_id is None:
            self._request_details()
        super().showEvent(event)

    # -- the selected run ----------------------------------------------------------------

    def _show_selected(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        metrics = run["metrics"] or {}
        names: dict[str, str] = metrics.get("category_names", {})
        evaluation = metrics.get("evaluation")
        self.summary_label.setText(_summary(run, metrics))
        self._fill_metrics(evaluation, names)
        warnings = (evaluation or {}).get("warnings") or []
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))
        self._fill_prevalence(metrics.get("prevalence") or {}, names, metrics)
        if evaluation:
            draw_confusion(self.confusion_figure, evaluation, names)
        else:
            draw_message(self.confusion_figure, NO_CONFUSION)
        draw_learning_curve(self.curve_figure, self.runs, selected=run["id"])
        self.confusion_canvas.draw_idle()
        self.curve_canvas.draw_idle()
        self._request_details()

    # -- informative words and misclassified documents (background job) -----------------

    def details_pending(self) -> bool:
        """True while the detail tabs wait for the selected run's job."""
        return self._details_wanted is not None and self._details_wanted != self.details_run_id

    def _request_details(self) -> None:
        run_id = self.selected_run_id()
        if run_id is None or run_id in (self.details_run_id, self._details_wanted):
            return
        self._details_wanted = run_id
        note = f"Loading run #{run_id}…"
        self.terms_note.setText(note)
        self.wrong_note.setText(note)
        handle = self.context.run_latest(
            (self, "details"), f"run #{run_id} details", _details_job(self.context.project, run_id)
        )
        handle.returned.connect(self._details_ready)
        handle.errored.connect(
            lambda error: self._details_ready(RunDetails(run_id, {}, []), error=error)
        )
        self._details_job = handle

    def _details_ready(self, details: RunDetails, *, error: Exception | None = None) -> None:
        """Show ``details`` (empty, with ``error`` saying why, when the job failed)."""
        if details.run_id != self.selected_run_id():
            return  # the selection went back to the run shown before this job ended
        self.details_run_id = details.run_id
        self._fill_terms(details.terms)
        self._fill_misclassified(details.wrong)
        if error is not None:
            reason = str(error) or type(error).__name__
            text = f"Could not load the details of run #{details.run_id}: {reason}"
            self.terms_note.setText(text)
            self.wrong_note.setText(text)
        self.details_shown.emit(details.run_id)

    def _fill_terms(self, terms: dict[str, list[tuple[str, float]]]) -> None:
        table = self.terms_table
        table.setRowCount(len(terms))
        for row, (category, pairs) in enumerate(terms.items()):
            words = QTableWidgetItem(", ".join(term for term, _ in pairs))
            words.setToolTip("\n".join(f"{term}: {weight:.2f}" for term, weight in pairs))
            table.setItem(row, 0, QTableWidgetItem(category))
            table.setItem(row, 1, words)
        table.resizeRowsToContents()
        self.terms_note.setText(
            "The words and word pairs that weigh most toward each category in this model."
            if terms
            else "This run has no word weights to show (its kind of model has none, or its "
            "saved model is gone)."
        )

    def _fill_misclassified(self, wrong: list[Misclassified]) -> None:
        table = self.wrong_table
        table.setRowCount(len(wrong))
        for row, item in enumerate(wrong):
            cells = [
                QTableWidgetItem(item.external_id),
                QTableWidgetItem(item.preview),
                QTableWidgetItem(item.label),
                QTableWidgetItem(item.predicted),
                QTableWidgetItem(f"{item.probability:.0%}"),
            ]
            cells[0].setData(Qt.ItemDataRole.UserRole, item.document_id)
            cells[1].setToolTip(item.preview)
            cells[4].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)
        self.wrong_note.setText(
            f"{plural(len(wrong), 'evaluation document')} whose label differs from the "
            "prediction, "
            "most confident mistakes first. Double-click or press Enter to open one."
            if wrong
            else "The model predicted every evaluation document correctly (or there is no "
            "evaluation sample)."
        )

    def misclassified_document_id(self, row: int) -> int:
        return int(self.wrong_table.item(row, 0).data(Qt.ItemDataRole.UserRole))

    def _open_misclassified(self, item: QTableWidgetItem) -> None:
        self.context.open_document_requested.emit(self.misclassified_document_id(item.row()))

    def _fill_metrics(self, evaluation: dict[str, Any] | None, names: dict[str, str]) -> None:
        table = self.metrics_table
        classes = (evaluation or {}).get("classes", [])
        table.setRowCount(len(classes))
        for row, cls in enumerate(classes):
            values = evaluation["per_class"][cls]  # type: ignore[index]
            cells = [
                QTableWidgetItem(names.get(cls, cls)),
                QTableWidgetItem(describe_metric(values["precision"])),
                QTableWidgetItem(describe_metric(values["recall"])),
                QTableWidgetItem(describe_metric(values["f1"])),
                _number(values["support"]),
            ]
            for column, item in enumerate(cells):
                table.setItem(row, column, item)

    def _fill_prevalence(
        self, prevalence: dict[str, Any], names: dict[str, str], metrics: dict[str, Any]
    ) -> None:
        table = self.prevalence_table
        note = metrics.get("prevalence_note")  # why this run estimated no shares
        self.prevalence_title.setText(
            f"Share of each category among the unlabelled documents: {note[:1].lower()}{note[1:]}"
            if note
            else PREVALENCE_TITLE
        )
        self.prevalence_title.setVisible(bool(prevalence or note))
        table.setVisible(bool(prevalence))
        table.setRowCount(len(prevalence))
        for row, (cls, estimate) in enumerate(prevalence.items()):
            cells = [
                QTableWidgetItem(names.get(cls, cls)),
                QTableWidgetItem(_share(estimate)),
                QTableWidgetItem(_percent(estimate.get("classify_and_count"))),
                QTableWidgetItem(estimate.get("note") or ""),
            ]
            cells[3].setToolTip(estimate.get("note") or "")
            for column, item in enumerate(cells):
                table.setItem(row, column, item)

    # -- charts --------------------------------------------------------------------------

    def _shown_chart(self) -> str | None:
        """CONFUSION or LEARNING_CURVE, or None while a table tab is shown."""
        return {0: CONFUSION, 1: LEARNING_CURVE}.get(self.charts.currentIndex())

    def _tab_changed(self) -> None:
        self.export_button.setEnabled(bool(self.runs) and self._shown_chart() is not None)

    def figure(self, chart: str | None = None) -> Figure:
        """The confusion matrix's or the learning curve's figure (default: the one shown)."""
        if chart is None:
            chart = self._shown_chart() or CONFUSION
        return self.confusion_figure if chart == CONFUSION else self.curve_figure

    def save_chart(self, path: Path, chart: str | None = None) -> Path:
        """Save a chart to ``path``; the suffix (.png or .svg, else .png) picks the format."""
        return save_figure(self.figure(chart), path)

    def _export_chart(self) -> None:
        run_id = self.selected_run_id()
        chart = self._shown_chart()
        if chart is None:
            return
        stem = f"run-{run_id}-confusion" if chart == CONFUSION else "learning-curve"
        target = ask_chart_path(self, self.context.project.path.with_name(f"{stem}.png"))
        if target is not None:
            self.save_chart(target, chart)


def _summary(run: dict[str, Any], metrics: dict[str, Any]) -> str:
    model = model_name(run["kind"])
    lines = [
        f"Run #{run['id']} ({model}), trained on {plural(metrics.get('train_size', 0), 'label')} "
        f"in {metrics.get('seconds', 0):.1f} s."
    ]
    evaluation = metrics.get("evaluation")
    if evaluation:
        lines.append(
            f"On the evaluation sample ({plural(evaluation['n'], 'document')}, 95% intervals): "
            f"macro-F1 {describe_metric(evaluation['macro_f1'])}, "
            f"weighted F1 {describe_metric(evaluation['weighted_f1'])}, "
            f"accuracy {describe_metric(evaluation['accuracy'])}."
        )
    else:
        lines.append("This run had no evaluation sample, so it could not be measured.")
    lines += [f"Note: {note}" for note in metrics.get("notes") or []]
    cv = describe_cross_validation(metrics)
    if cv:
        lines.append(cv)
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _share(estimate: dict[str, Any]) -> str:
    adjusted = estimate.get("adjusted")
    if adjusted is None:
        return "undefined"
    low, high = estimate.get("low"), estimate.get("high")
    if low is None or high is None:
        return _percent(adjusted)
    return f"{adjusted:.1%} ({low:.1%}–{high:.1%})"


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _with_note(note: QLabel, table: QTableWidget) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(note)
    column.addWidget(table, 1)
    return page


def _wrapping_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _number(value: int) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, int(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
