"""The Train page: pick a model, see the labels it will learn from, train it in the background.

Training runs ``core.training.train_model`` through the project's job runner, so labelling
goes on meanwhile; the page only hears back through the job's signals. When a run
finishes the page says how well it did and announces ``context.runs_changed``.
"""

from __future__ import annotations

import functools
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import LabelLoopError
from core.metrics import describe_metric
from core.overview import label_counts
from core.training import TrainingResult, train_model
from desktop_app.context import ProjectContext
from desktop_app.job_progress import JobProgress
from desktop_app.worker import JobHandle

#: The models on offer: (kind registered in ``core.models``, what the user reads).
MODEL_CHOICES: list[tuple[str, str]] = [
    ("baseline", "Baseline: TF-IDF + logistic regression, tuned by cross-validation"),
]

EXPLANATION = (
    "Training teaches a model to recognise your categories from the documents you labelled "
    "for training. The model then labels every document in the project. "
    "The evaluation sample is never trained on: it is kept apart to measure honestly how "
    "well the model does on documents it has not seen. You can keep labelling while a "
    "model trains; train again later to use the new labels."
)


def describe_result(result: TrainingResult) -> str:
    """A finished run in a few plain sentences (the evaluation first, then the CV estimate)."""
    metrics = result.metrics
    lines = [
        f"Run #{result.run_id} finished in {result.seconds:.1f} s, "
        f"trained on {metrics.get('train_size', 0):,} labelled documents."
    ]
    evaluation = metrics.get("evaluation")
    if evaluation:
        lines.append(
            f"Macro-F1 on the evaluation sample ({evaluation['n']:,} documents, 95% interval): "
            f"{describe_metric(evaluation['macro_f1'])}."
        )
    else:
        lines.append(
            "No evaluation sample labelled yet: draw one and label it to measure the model."
        )
    cv = metrics.get("cross_validation") or {}
    if "cv_macro_f1_mean" in cv:
        folds = f"{cv['cv_folds']}-fold " if "cv_folds" in cv else ""
        spread = f" ± {cv['cv_macro_f1_std']:.2f}" if "cv_macro_f1_std" in cv else ""
        lines.append(
            f"Cross-validated estimate on the training labels ({folds}cross-validation, "
            f"not the evaluation): macro-F1 {cv['cv_macro_f1_mean']:.2f}{spread}."
        )
    lines.append("See the Evaluate page for the details.")
    return "\n".join(lines)


class TrainPage(QWidget):
    """Model choice, label counts, a Train button with progress, and the last result."""

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._job: JobHandle | None = None
        self._counts_stale = True

        title = QLabel("Train a model")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)

        self.model_combo = QComboBox()
        for kind, text in MODEL_CHOICES:
            self.model_combo.addItem(text, kind)
        self.train_button = QPushButton("Train")
        self.train_button.setMinimumHeight(32)
        self.train_button.clicked.connect(self.start_training)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Model:"))
        choice.addWidget(self.model_combo, 1)
        choice.addWidget(self.train_button)

        self.counts_table = QTableWidget(0, 3)
        self.counts_table.setHorizontalHeaderLabels(
            ["Category", "Labels for training", "Labels for evaluation"]
        )
        self.counts_table.verticalHeader().hide()
        self.counts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.counts_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.progress = JobProgress()
        self.message = QLabel()  # errors and "cancelled"
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(explanation)
        layout.addSpacing(8)
        layout.addLayout(choice)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.result_label)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Current labels per category:"))
        layout.addWidget(self.counts_table)
        layout.addStretch(1)

        context.labels_changed.connect(self._counts_changed)
        context.codebook_changed.connect(self._counts_changed)
        context.documents_changed.connect(self._counts_changed)
        self.refresh_counts()

    # -- label counts --------------------------------------------------------------------

    def refresh_counts(self) -> None:
        """Read the label counts again (one grouped query) and show them."""
        self._counts_stale = False
        categories = [c for c in label_counts(self.context.project) if not c["retired"]]
        rows = [(c["name"], c["labels"]["train"], c["labels"]["eval"]) for c in categories]
        rows.append(("Total", sum(r[1] for r in rows), sum(r[2] for r in rows)))
        self.counts_table.setRowCount(len(rows))
        for row, (name, train, evaluation) in enumerate(rows):
            cells = [QTableWidgetItem(name), _number(train), _number(evaluation)]
            for column, item in enumerate(cells):
                if row == len(rows) - 1:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.counts_table.setItem(row, column, item)
        # As tall as its rows (a codebook has a handful of categories), scrolling past 15.
        table = self.counts_table
        shown = min(len(rows), 15)
        height = table.horizontalHeader().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(row) for row in range(shown))
        table.setFixedHeight(height)

    def counts(self) -> dict[str, tuple[int, int]]:
        """What the counts table shows: category -> (training, evaluation) labels."""
        table = self.counts_table
        return {
            table.item(row, 0).text(): (
                int(table.item(row, 1).data(Qt.ItemDataRole.DisplayRole)),
                int(table.item(row, 2).data(Qt.ItemDataRole.DisplayRole)),
            )
            for row in range(table.rowCount())
        }

    def _counts_changed(self) -> None:
        # Labels are saved every few seconds while annotating; read again only when seen.
        if self.isVisible():
            self.refresh_counts()
        else:
            self._counts_stale = True

    def showEvent(self, event: QShowEvent) -> None:
        if self._counts_stale:
            self.refresh_counts()
        super().showEvent(event)

    # -- training ------------------------------------------------------------------------

    def selected_kind(self) -> str:
        return str(self.model_combo.currentData())

    def is_training(self) -> bool:
        return self._job is not None

    def start_training(self) -> JobHandle | None:
        """Train the chosen model in the background; returns the job (None if one runs)."""
        if self._job is not None:
            return None
        kind = self.selected_kind()
        job = functools.partial(train_model, self.context.project, kind)
        handle = self.context.runner.run(f"Training {self.model_combo.currentText()}", job)
        self._job = handle
        handle.returned.connect(self._on_trained)
        handle.errored.connect(self._on_failed)
        handle.cancelled.connect(self._on_cancelled)
        handle.finished.connect(self._on_finished)
        self.progress.track(handle)
        self.train_button.setEnabled(False)
        self.model_combo.setEnabled(False)
        self.message.hide()
        self.result_label.hide()
        return handle

    def cancel_training(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _on_trained(self, result: TrainingResult) -> None:
        self.result_label.setText(describe_result(result))
        self.result_label.show()
        self.context.runs_changed.emit()

    def _on_failed(self, error: Exception) -> None:
        if isinstance(error, LabelLoopError):
            text = str(error)
        else:
            text = f"Training failed: {type(error).__name__}: {error}"
        self._show_message(text, error=True)

    def _on_cancelled(self) -> None:
        self._show_message("Training cancelled: nothing was saved; earlier runs are unchanged.")

    def _on_finished(self) -> None:
        self._job = None
        self.train_button.setEnabled(True)
        self.model_combo.setEnabled(True)

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.show()


def _number(value: Any) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, int(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
