"""What every page of an open project shares: the project, the job runner, the coder,
and the signals by which views follow the store (napari-style events).

Changes are announced here and only here. A page that writes says what it writes: a job
through :meth:`ProjectContext.run` with ``changes=Change.LABELS | ...``, a quick write on
the GUI thread through :meth:`ProjectContext.apply`; the context emits the matching
signals once the write is done, and every view that shows that data refreshes itself,
the one that wrote included. No view emits them. Changes made by other programs (the
CLI, another coder, a training elsewhere) are noticed by polling the file and announced
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance

from core.store.changes import Change, ChangeProbe
from core.store.project import Project
from desktop_app.worker import Job, JobHandle, JobRunner

T = TypeVar("T")

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
        self._closed = False
        self._poll_timer = QTimer(self)
        self._poll_timer.timeout.connect(self.poll_other_programs)

    def set_coder(self, coder: str) -> None:
        if coder and coder != self.coder:
            self.coder = coder
            self.coder_changed.emit(coder)

    # -- jobs and writes -----------------------------------------------------------------

    def run(self, name: str, job: Job, *, changes: Change = Change.NONE) -> JobHandle:
        """Start ``job`` (see ``desktop_app.worker``); ``changes``: what it writes.

        They are announced when the job returns, after the handle's own ``returned``
        slots (the page that started it has shown its result). A job that hands over
        partial results hands one per commit: the changes are announced after each, so
        the Evaluate page lists the baseline's run while BERT trains, and not again on
        return.
        """
        handle = self.runner.run(name, job)
        if changes:
            announced: list[bool] = []

            def after_partial(_: object) -> None:
                announced.append(True)
                self._announce(changes)

            def after_return(_: object) -> None:
                if not announced:
                    self._announce(changes)

            # Queued: runs after every slot connected to the handle, whenever connected.
            queued = Qt.ConnectionType.QueuedConnection
            handle.partial.connect(after_partial, queued)
            handle.returned.connect(after_return, queued)
        return handle

    def run_latest(self, key: Hashable, name: str, job: Job) -> JobHandle:
        """Start a read of which only the newest answer matters (see
        :meth:`JobRunner.run_latest`): the job started under ``key`` before is dropped."""
        return self.runner.run_latest(key, name, job)

    def apply(self, write: Callable[[], T], *, changes: Change) -> T:
        """Do a quick write on the GUI thread (a codebook change: a few ms), then announce
        ``changes``. Nothing is announced if ``write`` raises."""
        result = write()
        self._announce(changes)
        return result

    def close(self) -> None:
        """Stop watching the file and announcing: the project is being closed."""
        self.stop_watching()
        self._closed = True

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
        if self._probe is not None and not self._closed:
            self._emit(self._probe.poll())

    # -- announcing ----------------------------------------------------------------------

    def _announce(self, changes: Change) -> None:
        """This window changed ``changes``: stamp them before the views read the project
        (so the poll does not report them again, and a later commit by another program
        still is), then tell the views."""
        if self._closed:
            return
        if self._probe is not None:
            self._probe.announced(changes)
        self._emit(changes)

    def _emit(self, changes: Change) -> None:
        signals = self._signals()
        for change in changes:  # in Change's order: codebook first, views label with it
            signals[change].emit()

    def _signals(self) -> dict[Change, SignalInstance]:
        return {
            Change.CODEBOOK: self.codebook_changed,
            Change.DOCUMENTS: self.documents_changed,
            Change.LABELS: self.labels_changed,
            Change.RUNS: self.runs_changed,
            Change.SKIPS: self.skips_changed,
        }
