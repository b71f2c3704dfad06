"""The Train page: pick a model, see the labels it will learn from, train it in the background.

Models: the baseline, BERT, or the baseline then BERT in one job (the default when a GPU
is found). Training runs ``core.training.job.train_models`` through the project's job runner,
so labelling goes on meanwhile; the page only hears back through signals. The job hands
each run over as a partial result as soon as it is saved, and the context announces it
(``runs_changed``): the baseline's result shows while BERT still trains. The device BERT
would use, with its memory (or, on a CPU, a rough time estimate), is detected once in the
background, since importing torch takes seconds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
from core.evaluation.comparison import format_duration
from core.evaluation.metrics import describe_metric
from core.evaluation.reports import describe_cross_validation, describe_prevalence_note, model_name
from core.jobs import format_eta
from core.overview import (
    describe_unfinished_run,
    document_count,
    label_counts,
    unfinished_runs,
)
from core.store.changes import Change
from core.store.project import Project
from core.training.devices import DeviceInfo, detect_device
from core.training.job import SEQUENCES, TrainingResult, train_models
from core.wording import plural
from desktop_app.context import ProjectContext
from desktop_app.job_progress import JobProgress
from desktop_app.train.bert_settings import BertSettings
from desktop_app.worker import JobHandle

#: The models on offer: (kind or sequence in ``core.training.job``, what the user reads).
MODEL_CHOICES: list[tuple[str, str]] = [
    ("baseline", "Baseline: TF-IDF + logistic regression, tuned by cross-validation"),
    ("transformer", "BERT: fine-tune a pretrained language model (a GPU makes it fast)"),
    ("baseline-then-transformer", "Baseline, then BERT: both, compared side by side"),
]
#: The device, detected once per process (importing torch and asking CUDA takes seconds).
_device: DeviceInfo | None = None


def _facts_job(project: Project) -> Callable[..., tuple[DeviceInfo, int]]:
    """A job: the device (detected once per process) and the project's document count."""

    def job(*, progress: Any = None, should_cancel: Any = None) -> tuple[DeviceInfo, int]:
        return _device or detect_device(), document_count(project)

    return job


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
    model = model_name(result.kind, article=True)
    lines = [
        f"Run #{result.run_id} ({model}) finished in {format_duration(result.seconds)}, "
        f"trained on {plural(metrics.get('train_size', 0), 'labelled document')}."
    ]
    evaluation = metrics.get("evaluation")
    if evaluation:
        lines.append(
            f"Macro-F1 on the evaluation sample ({plural(evaluation['n'], 'document')}, "
            f"95% interval): {describe_metric(evaluation['macro_f1'])}."
        )
        prevalence = describe_prevalence_note(metrics)
        if prevalence:
            lines.append(prevalence)
    else:
        lines.append(
            "No evaluation sample labelled yet: draw one and label it to measure the model."
        )
    cv = describe_cross_validation(metrics)
    if cv:
        lines.append(cv)
    lines += [f"Note: {note}" for note in metrics.get("notes") or []]
    lines.append("See the Evaluate page for the details.")
    return "\n".join(lines)


class TrainPage(QWidget):
    """Model choice, label counts, a Train button with progress, and the last result."""

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._job: JobHandle | None = None
        self._results: list[TrainingResult] = []
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
        self.model_combo.activated.connect(self._user_chose_model)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self._user_chose = False
        self.train_button = QPushButton("Train")
        self.train_button.setMinimumHeight(32)
        self.train_button.clicked.connect(self.start_training)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Model:"))
        choice.addWidget(self.model_combo, 1)
        choice.addWidget(self.train_button)

        self.bert_settings = BertSettings()
        self.bert_settings.changed.connect(self._update_device_note)
        self.device_label = QLabel("Looking for a GPU…")
        self.device_label.setWordWrap(True)
        self._device_job: JobHandle | None = None
        self._documents = 0

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
        # Runs training in another process, or interrupted (their process is gone).
        self.unfinished_label = QLabel()
        self.unfinished_label.setWordWrap(True)
        self.unfinished_label.setStyleSheet("color: #8a5a00;")
        self.unfinished_label.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(explanation)
        layout.addSpacing(8)
        layout.addLayout(choice)
        layout.addWidget(self.bert_settings)
        layout.addWidget(self.device_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.result_label)
        layout.addWidget(self.unfinished_label)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Current labels per category:"))
        layout.addWidget(self.counts_table)
        layout.addStretch(1)

        context.labels_changed.connect(self._counts_changed)
        context.codebook_changed.connect(self._counts_changed)
        context.documents_changed.connect(self._counts_changed)
        context.runs_changed.connect(self.refresh_unfinished)
        self.refresh_counts()
        self.refresh_unfinished()
        self._model_changed()

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
        self.refresh_unfinished()
        self._detect_device()
        super().showEvent(event)

    # -- runs of other processes ----------------------------------------------------------

    def refresh_unfinished(self) -> None:
        """Say which runs train in another process or were interrupted (a read of a few
        rows). Left out while this page trains: its own run is running then."""
        runs = [] if self.is_training() else unfinished_runs(self.context.project)
        text = "\n".join(describe_unfinished_run(run) for run in runs)
        self.unfinished_label.setText(text)
        self.unfinished_label.setVisible(bool(text))

    # -- the device BERT would use ----------------------------------------------------------

    @property
    def device(self) -> DeviceInfo | None:
        return _device

    def _detect_device(self) -> None:
        if _device is not None:
            self._device_known((_device, self._documents))
        if self._device_job is None:  # the document count may have changed: ask again
            job = _facts_job(self.context.project)
            handle = self.context.run("Looking for a GPU", job)
            handle.returned.connect(self._device_known)
            handle.errored.connect(self._device_failed)
            handle.finished.connect(self._device_job_finished)
            self._device_job = handle

    def _device_known(self, facts: tuple[DeviceInfo, int]) -> None:
        global _device
        _device, self._documents = facts
        device = _device
        if device.is_gpu and not self._user_chose and not self.is_training():
            self.model_combo.setCurrentIndex(self.model_combo.findData("baseline-then-transformer"))
        self._update_device_note()

    def _device_failed(self, error: Exception) -> None:
        self.device_label.setText(
            f"BERT is not available here: {error}. The baseline works without it."
        )

    def _device_job_finished(self) -> None:
        self._device_job = None

    def _update_device_note(self) -> None:
        device = _device
        if device is None:
            return
        text = device.describe()
        if not device.is_gpu:
            train = self.counts().get("Total", (0, 0))[0]
            settings = self.bert_settings
            seconds = device.estimate_seconds(
                max(train, 1), settings.epochs(), tokens=settings.max_length()
            )
            predicting = device.estimate_prediction_seconds(
                self._documents, tokens=settings.max_length()
            )
            if seconds is not None and predicting is not None:
                text += (
                    f" Rough estimate for BERTje on {plural(train, 'label')}, at most "
                    f"{plural(settings.epochs(), 'epoch')} of up to "
                    f"{plural(settings.max_length(), 'token')}: "
                    f"training up to {format_eta(seconds)}, then predicting all "
                    f"{plural(self._documents, 'document')} up to {format_eta(predicting)}. "
                    "The baseline takes seconds."
                )
        self.device_label.setText(text)

    def _user_chose_model(self) -> None:
        self._user_chose = True

    def _model_changed(self) -> None:
        self.bert_settings.setVisible("transformer" in self.selected_kind())

    # -- training ------------------------------------------------------------------------

    def selected_kind(self) -> str:
        return str(self.model_combo.currentData())

    def is_training(self) -> bool:
        return self._job is not None

    def plan(self) -> list[tuple[str, dict[str, Any] | None]]:
        """The models the chosen option trains, in order, with their settings."""
        choice = self.selected_kind()
        kinds = SEQUENCES.get(choice, (choice,))
        return [
            (kind, self.bert_settings.settings() if kind == "transformer" else None)
            for kind in kinds
        ]

    def start_training(self) -> JobHandle | None:
        """Train the chosen model(s) in the background; returns the job (None if one runs)."""
        if self._job is not None:
            return None
        job = functools.partial(train_models, self.context.project, self.plan())
        name = "Training " + self.model_combo.currentText().split(":")[0].lower()
        handle = self.context.run(name, job, changes=Change.RUNS)
        self._job = handle
        self._results = []
        handle.partial.connect(self._on_run_saved)
        handle.returned.connect(self._on_trained)
        handle.errored.connect(self._on_failed)
        handle.cancelled.connect(self._on_cancelled)
        handle.finished.connect(self._on_finished)
        self.progress.track(handle)
        self.train_button.setEnabled(False)
        self.model_combo.setEnabled(False)
        self.bert_settings.setEnabled(False)
        self.message.hide()
        self.result_label.hide()
        self.unfinished_label.hide()
        return handle

    def cancel_training(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _on_run_saved(self, result: TrainingResult) -> None:
        """One run of the job is saved (the baseline's comes while BERT still trains)."""
        self._results.append(result)
        text = "\n\n".join(describe_result(r) for r in self._results)
        if self.is_training():
            text += "\n\nNext model training…"
        self.result_label.setText(text)
        self.result_label.show()

    def _on_trained(self, results: list[TrainingResult]) -> None:
        text = "\n\n".join(describe_result(r) for r in results)
        if len(results) > 1:
            text += "\n\nThe Evaluate page puts them side by side, with a recommendation."
        self.result_label.setText(text)

    def _on_failed(self, error: Exception) -> None:
        if isinstance(error, LabelLoopError):
            text = str(error)
        else:
            text = f"Training failed: {type(error).__name__}: {error}"
        self._show_message(text, error=True)

    def _on_cancelled(self) -> None:
        saved = [f"#{r.run_id}" for r in self._results]
        kept = f" Run {', '.join(saved)} finished before and is kept." if saved else ""
        self._show_message(
            "Training cancelled: the run in progress was not saved; earlier runs are "
            f"unchanged.{kept}"
        )

    def _on_finished(self) -> None:
        self._job = None
        self.train_button.setEnabled(True)
        self.model_combo.setEnabled(True)
        self.bert_settings.setEnabled(True)
        self.refresh_unfinished()

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.show()


def _number(value: Any) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, int(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
