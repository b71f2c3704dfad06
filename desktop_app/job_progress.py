"""A progress bar with ETA and a Cancel button, bound to one running job."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from core.jobs import Progress, format_eta
from desktop_app.worker import JobHandle


class JobProgress(QWidget):
    """Shows the job's progress and ETA; Cancel asks the job to stop. Hidden when idle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.cancel_button)
        self._handle: JobHandle | None = None
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def track(self, handle: JobHandle) -> None:
        """Follow ``handle`` until it finishes."""
        self._handle = handle
        self.bar.setRange(0, 0)  # busy until the first report
        self.label.setText(handle.name)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        handle.progress.connect(self._on_progress)
        handle.finished.connect(self._on_finished)
        self.show()

    def _on_progress(self, progress: Progress) -> None:
        if progress.fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(progress.fraction * 1000))
        eta = format_eta(progress.eta_seconds)
        text = progress.message or (self._handle.name if self._handle else "")
        self.label.setText(f"{text} — about {eta} left" if eta else text)

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _on_finished(self) -> None:
        self._handle = None
        self.hide()
