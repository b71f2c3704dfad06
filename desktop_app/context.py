"""What every page of an open project shares: the project, the job runner, the coder,
and the signals by which views follow the store (napari-style events).

Whoever changes the project announces it here; the views that care refresh themselves.
No page reaches into another page. Changes made by other programs (the CLI, another
coder, a training elsewhere) are noticed by polling the file and announced the same way.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from core.store.changes import Change, ChangeProbe
from core.store.project import Project
from desktop_app.worker import JobRunner

#: How often the window looks for commits by other programs. A poll that finds nothing
#: reads one PRAGMA (about 10 µs); one that finds a commit reads four index-only stamps.
POLL_INTERVAL_MS = 1000


class ProjectContext(QObject):
    documents_changed = Signal()  # documents imported
    codebook_changed = Signal()  # categories added, renamed, merged, retired, reordered
    labels_changed = Signal()  # labels saved, changed or taken back
    skips_changed = Signal()  # a coder's skipped documents brought back to their queues
    coder_changed = Signal(str)
    runs_changed = Signal()  # a model run finished (trained, evaluated, saved)
    open_document_requested = Signal(int)  # e.g. double-click in the browser -> annotate
    show_page_requested = Signal(str)  # a page asks the window to show another ("train")

    def __init__(self, project: Project, runner: JobRunner, coder: str) -> None:
        super().__init__()
        self.project = project
        self.runner = runner
        self.coder = coder
        self._probe: ChangeProbe | None = None
        self._reporting = False
        self._poll_timer = QTimer(self)
        self._poll_timer.timeout.connect(self.poll_other_programs)
        # Connected before any view connects, so an announcement is stamped before the
        # views read the project: a later commit by another program is still reported.
        for change, signal in self._signals().items():
            signal.connect(functools.partial(self._announced, change))

    def set_coder(self, coder: str) -> None:
        if coder and coder != self.coder:
            self.coder = coder
            self.coder_changed.emit(coder)

    # -- changes by other programs -----------------------------------------------------

    def watch_other_programs(self, interval_ms: int = POLL_INTERVAL_MS) -> None:
        """Poll the project file for other programs' commits until :meth:`stop_watching`."""
        if self._probe is None:
            self._probe = ChangeProbe(self.project.path)
        self._poll_timer.start(interval_ms)

    def stop_watching(self) -> None:
        self._poll_timer.stop()
        if self._probe is not None:
            self._probe.close()
            self._probe = None

    def poll_other_programs(self) -> None:
        """Announce what other programs changed since the last poll (on the GUI thread:
        it reads one PRAGMA when nothing changed)."""
        if self._probe is None:
            return
        changes = self._probe.poll()
        signals = self._signals()
        self._reporting = True
        try:
            for change in Change:  # codebook first: views label with its categories
                if change in changes:
                    signals[change].emit()
        finally:
            self._reporting = False

    def _signals(self) -> dict[Change, SignalInstance]:
        return {
            Change.CODEBOOK: self.codebook_changed,
            Change.DOCUMENTS: self.documents_changed,
            Change.LABELS: self.labels_changed,
            Change.RUNS: self.runs_changed,
        }

    def _announced(self, change: Change) -> None:
        if self._probe is not None and not self._reporting:
            self._probe.announced(change)
