"""Two runs side by side (by default the latest baseline and the latest BERT run).

Both are measured on the same evaluation documents (``core.evaluation.comparison``): per-category
precision, recall and F1 with intervals, the difference in macro-F1 with a paired interval,
McNemar's test, training time and device, and one sentence saying which to use. The
comparison is computed by a background job (a bootstrap over the evaluation documents);
choosing another pair drops the job before (``run_latest``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.evaluation.comparison import RunComparison, better, compare_runs, describe_cost
from core.evaluation.metrics import describe_metric
from core.evaluation.reports import model_name
from core.jobs import CancelCheck
from core.store.project import Project
from core.wording import plural
from desktop_app.context import ProjectContext
from desktop_app.worker import Job, JobHandle

EMPTY = (
    "Train the baseline and BERT (Train page: 'Baseline then BERT') to compare them here "
    "on the same evaluation documents."
)


def _comparison_job(project: Project, first: int, second: int) -> Job:
    def job(*, progress: Any = None, should_cancel: CancelCheck | None = None) -> RunComparison:
        return compare_runs(project, first, second)

    return job


class ComparisonView(QWidget):
    """Choose two runs; see them side by side with a recommendation."""

    #: Emitted when a comparison is shown (first run id, second run id).
    compared = Signal(int, int)

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.comparison: RunComparison | None = None
        self._wanted: tuple[int, int] | None = None
        self._job: JobHandle | None = None
        self._newest: int | None = None

        self.first_combo = QComboBox()
        self.second_combo = QComboBox()
        for combo in (self.first_combo, self.second_combo):
            combo.currentIndexChanged.connect(self._choice_changed)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Compare"))
        choose.addWidget(self.first_combo, 1)
        choose.addWidget(QLabel("with"))
        choose.addWidget(self.second_combo, 1)

        self.message = QLabel(EMPTY)
        self.message.setWordWrap(True)
        self.recommendation = QLabel()
        self.recommendation.setWordWrap(True)
        self.recommendation.setTextFormat(Qt.TextFormat.PlainText)
        self.recommendation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.recommendation.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.recommendation.setFont(font)
        self.recommendation.setStyleSheet(
            "background: #eef5ee; border: 1px solid #b9d6b9; padding: 8px; border-radius: 4px;"
        )

        self.table = QTableWidget(0, 7)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addWidget(self.message)
        layout.addWidget(self.recommendation)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        self._show_result(None)

    # -- choosing runs -------------------------------------------------------------------

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        """The finished runs (oldest first). The user's pair is kept until a new run
        finishes; then the latest baseline and the latest other run are compared."""
        keep = self.chosen()
        ids = [run["id"] for run in runs]
        newest = ids[-1] if ids else None
        new_run, self._newest = newest != self._newest, newest
        for combo in (self.first_combo, self.second_combo):
            combo.blockSignals(True)
            combo.clear()
            for run in reversed(runs):
                combo.addItem(f"#{run['id']} {model_name(run['kind'])}", run["id"])
            combo.blockSignals(False)
        pair = keep if keep and not new_run and set(keep) <= set(ids) else default_pair(runs)
        self._select(self.first_combo, pair[0] if pair else None)
        self._select(self.second_combo, pair[1] if pair else None)
        self._choice_changed()

    def chosen(self) -> tuple[int, int] | None:
        first, second = self.first_combo.currentData(), self.second_combo.currentData()
        if first is None or second is None:
            return None
        return int(first), int(second)

    def choose(self, first: int, second: int) -> None:
        self._select(self.first_combo, first)
        self._select(self.second_combo, second)
        self._choice_changed()

    def labels_changed(self) -> None:
        """Relabelled evaluation documents change the comparison: compute it again, now
        if it is on screen, else when it is shown."""
        self._wanted = None
        if self._job is not None:
            self._job.discard()  # it compared the labels as they were
        if self.isVisible():
            self._choice_changed()

    def showEvent(self, event: QShowEvent) -> None:
        if self._wanted is None and self.chosen() is not None:
            self._choice_changed()
        super().showEvent(event)

    @staticmethod
    def _select(combo: QComboBox, run_id: int | None) -> None:
        combo.blockSignals(True)
        index = combo.findData(run_id) if run_id is not None else -1
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def pending(self) -> bool:
        return self._job is not None and self._job.is_running()

    def _choice_changed(self) -> None:
        pair = self.chosen()
        if pair is None or pair[0] == pair[1]:
            self._wanted = None
            if self._job is not None:
                self._job.discard()  # its answer is no longer asked for
            self._show_result(None, EMPTY if pair is None else "Choose two different runs.")
            return
        if pair == self._wanted:
            return
        self._wanted = pair
        self.message.setText(f"Comparing run #{pair[0]} with run #{pair[1]}…")
        self.message.show()
        handle = self.context.run_latest(
            (self, "comparison"),
            f"compare runs #{pair[0]} and #{pair[1]}",
            _comparison_job(self.context.project, *pair),
        )
        handle.returned.connect(lambda comparison: self._comparison_ready(pair, comparison))
        handle.errored.connect(lambda error: self._comparison_ready(pair, str(error)))
        self._job = handle

    def _comparison_ready(self, pair: tuple[int, int], value: RunComparison | str) -> None:
        """Show the comparison of ``pair``, or the message saying why there is none."""
        if isinstance(value, str):
            self._show_result(None, value)
        else:
            self._show_result(value)
        self.compared.emit(*pair)

    # -- showing -------------------------------------------------------------------------

    def _show_result(self, comparison: RunComparison | None, message: str = EMPTY) -> None:
        self.comparison = comparison
        shown = comparison is not None
        self.message.setVisible(not shown)
        self.message.setText(message)
        for widget in (self.recommendation, self.table, self.details):
            widget.setVisible(shown)
        if comparison is None:
            return
        self.recommendation.setText(comparison.recommendation)
        self._fill_table(comparison)
        a, b = comparison.first, comparison.second
        diff = comparison.macro_f1_difference
        test = comparison.mcnemar
        interval = (
            f"{diff['low']:+.3f} to {diff['high']:+.3f}"
            if diff["low"] is not None and diff["high"] is not None
            else "undefined"
        )
        self.details.setText(
            "\n".join(
                [
                    f"Both measured on the same {plural(comparison.n, 'evaluation document')} "
                    "(95% bootstrap intervals).",
                    f"Macro-F1 of run #{b.run_id} minus run #{a.run_id}: {diff['value']:+.3f} "
                    f"(paired 95% interval {interval}).",
                    f"McNemar's test ({test['method']}): run #{a.run_id} alone right on "
                    f"{plural(test['b'], 'document')}, run #{b.run_id} alone right on "
                    f"{test['c']:,}; "
                    f"p = {test['p_value']:.3g}.",
                    f"Training: run #{a.run_id} {describe_cost(a)}; "
                    f"run #{b.run_id} {describe_cost(b)}.",
                ]
                + (
                    []
                    if any(better(comparison))
                    else [
                        "To tell them apart, label more evaluation documents: the intervals "
                        "narrow with the square root of their number (four times as many "
                        "halve them)."
                    ]
                )
            )
        )

    def _fill_table(self, comparison: RunComparison) -> None:
        a, b = comparison.first, comparison.second
        table = self.table
        left, right = (f"{model_name(r.kind, heading=True)} #{r.run_id}" for r in (a, b))
        table.setHorizontalHeaderLabels(
            ["Category"]
            + [f"{left}\n{m}" for m in ("precision", "recall", "F1")]
            + [f"{right}\n{m}" for m in ("precision", "recall", "F1")]
        )
        table.horizontalHeaderItem(1).setToolTip(a.title)
        table.horizontalHeaderItem(4).setToolTip(b.title)
        names = comparison.category_names
        classes = comparison.first_eval.classes
        table.setRowCount(len(classes) + 1)
        for row, cls in enumerate(classes):
            left = comparison.first_eval.per_class[cls]
            right = comparison.second_eval.per_class[cls]
            cells = [names.get(cls, cls)] + [
                describe_metric(side[key])
                for side in (left, right)
                for key in ("precision", "recall", "f1")
            ]
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        last = len(classes)
        total = ["Macro-F1", "", "", describe_metric(comparison.first_eval.macro_f1)]
        total += ["", "", describe_metric(comparison.second_eval.macro_f1)]
        for column, text in enumerate(total):
            item = QTableWidgetItem(text)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            table.setItem(last, column, item)


def default_pair(runs: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The latest baseline run and the latest run of another kind; else the two newest."""
    baseline = next((r["id"] for r in reversed(runs) if r["kind"] == "baseline"), None)
    other = next((r["id"] for r in reversed(runs) if r["kind"] != "baseline"), None)
    if baseline is not None and other is not None:
        return baseline, other
    if len(runs) >= 2:
        return runs[-2]["id"], runs[-1]["id"]
    return None
