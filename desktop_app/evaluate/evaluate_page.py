"""The Evaluate page: every finished run, and for the one selected how well it does.

Everything shown is read from ``model_runs`` (a quick SQLite read, done in the GUI
thread) and was measured on the evaluation sample when the run finished; the page
refreshes itself when ``context.runs_changed`` announces a new run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
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

from core.metrics import describe_metric
from core.overview import finished_runs
from desktop_app.context import ProjectContext
from desktop_app.evaluate.charts import draw_confusion, draw_learning_curve

CONFUSION = "confusion"
LEARNING_CURVE = "learning_curve"
_CHART_FILES = "PNG image (*.png);;SVG drawing (*.svg)"


class EvaluatePage(QWidget):
    """Run history on top; the selected run's metrics, prevalence and charts below."""

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.runs: list[dict[str, Any]] = []
        self._stale = True

        self.empty_label = QLabel("No finished runs yet: train a model on the Train page.")
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
        self.prevalence_title.setText(
            "Share of each category among the unlabelled documents, estimated from the "
            "model's predictions adjusted for its errors on the evaluation sample:"
        )
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

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Finished runs (select one to see its evaluation):"))
        layout.addWidget(self.empty_label)
        layout.addWidget(self.runs_table)
        layout.addWidget(self.splitter, 1)

        context.runs_changed.connect(self._runs_changed)
        self.refresh()

    # -- runs ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the finished runs again; select the newest (or keep the selection)."""
        self._stale = False
        keep = self.selected_run_id()
        newest_before = self.runs[-1]["id"] if self.runs else None
        self.runs = finished_runs(self.context.project)
        table = self.runs_table
        table.blockSignals(True)
        table.setRowCount(len(self.runs))
        for row, run in enumerate(reversed(self.runs)):  # newest first
            metrics = run["metrics"] or {}
            macro = (metrics.get("evaluation") or {}).get("macro_f1")
            finished = run["finished_at"] or run["started_at"]
            cells = [
                _number(run["id"]),
                QTableWidgetItem(run["kind"]),
                QTableWidgetItem(finished.strftime("%Y-%m-%d %H:%M")),
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
        self.splitter.setVisible(has_runs)
        self.export_button.setEnabled(has_runs)
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

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self.refresh()
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
        self._fill_prevalence(metrics.get("prevalence") or {}, names)
        if evaluation:
            draw_confusion(self.confusion_figure, evaluation, names)
        else:
            self.confusion_figure.clear()
        draw_learning_curve(self.curve_figure, self.runs, selected=run["id"])
        self.confusion_canvas.draw_idle()
        self.curve_canvas.draw_idle()

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

    def _fill_prevalence(self, prevalence: dict[str, Any], names: dict[str, str]) -> None:
        table = self.prevalence_table
        self.prevalence_title.setVisible(bool(prevalence))
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

    def figure(self, chart: str | None = None) -> Figure:
        """The confusion matrix's or the learning curve's figure (default: the one shown)."""
        if chart is None:
            chart = CONFUSION if self.charts.currentIndex() == 0 else LEARNING_CURVE
        return self.confusion_figure if chart == CONFUSION else self.curve_figure

    def save_chart(self, path: Path, chart: str | None = None) -> Path:
        """Save a chart to ``path``; the suffix (.png or .svg, else .png) picks the format."""
        path = Path(path)
        if path.suffix.lower() not in (".png", ".svg"):
            path = path.with_suffix(".png")
        self.figure(chart).savefig(path, dpi=200 if path.suffix.lower() == ".png" else "figure")
        return path

    def _export_chart(self) -> None:
        run_id = self.selected_run_id()
        chart = CONFUSION if self.charts.currentIndex() == 0 else LEARNING_CURVE
        stem = f"run-{run_id}-confusion" if chart == CONFUSION else "learning-curve"
        default = str(self.context.project.path.with_name(f"{stem}.png"))
        path, chosen = QFileDialog.getSaveFileName(self, "Export chart", default, _CHART_FILES)
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_suffix(".svg" if "svg" in chosen.lower() else ".png")
        self.save_chart(target, chart)


def _summary(run: dict[str, Any], metrics: dict[str, Any]) -> str:
    lines = [
        f"Run #{run['id']} ({run['kind']}), trained on {metrics.get('train_size', 0):,} labels "
        f"in {metrics.get('seconds', 0):.1f} s."
    ]
    evaluation = metrics.get("evaluation")
    if evaluation:
        lines.append(
            f"On the evaluation sample ({evaluation['n']:,} documents, 95% intervals): "
            f"macro-F1 {describe_metric(evaluation['macro_f1'])}, "
            f"weighted F1 {describe_metric(evaluation['weighted_f1'])}, "
            f"accuracy {describe_metric(evaluation['accuracy'])}."
        )
    else:
        lines.append("This run had no evaluation sample, so it could not be measured.")
    cv = metrics.get("cross_validation") or {}
    if "cv_macro_f1_mean" in cv:
        spread = f" ± {cv['cv_macro_f1_std']:.2f}" if "cv_macro_f1_std" in cv else ""
        lines.append(
            f"Cross-validated estimate on the training labels (not the evaluation): "
            f"macro-F1 {cv['cv_macro_f1_mean']:.2f}{spread}."
        )
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
