"""One generic runner for every long job: a plain ``core`` function on a QThread.

A job is any callable that takes ``progress`` and ``should_cancel`` keyword arguments
(see ``core.jobs``), and ``partial`` too if it hands over pieces of its result while it
runs. :meth:`JobRunner.run` starts it on its own QThread and returns a :class:`JobHandle`
that lives in the GUI thread and re-emits what the job reports: ``progress(Progress)``
(at most ``PROGRESS_PER_SECOND``, the newest winning, the last never dropped),
``partial(piece)``, then exactly one of ``returned(result)``, ``errored(exception)`` or
``cancelled()``, and finally ``finished()`` once the thread has stopped.
:meth:`JobRunner.run_latest` runs the newest of one kind of job (a filter, the details of
the selected run): the job started before under the same key is cancelled and nothing
it reports reaches the widgets. Widgets only ever see results through these signals
(modelled on superqt's ``thread_worker`` and Orange3's ``ConcurrentWidgetMixin``).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from core.errors import Cancelled
from core.jobs import Progress, with_eta

#: A job: called with ``progress``, ``should_cancel`` (and ``partial`` if it takes one).
Job = Callable[..., Any]

#: Progress reports that reach the widgets per second, at most. A job may report
#: thousands (one per batch); a progress bar needs about 20, and each repaint takes GUI
#: time that key presses need.
PROGRESS_PER_SECOND = 20

#: Every job whose thread has not finished yet; tests check it is empty after each test.
_live: set[JobHandle] = set()


def live_jobs() -> list[str]:
    """Names of the jobs whose threads are still running."""
    return sorted(handle.name for handle in _live)


def _takes_partial(job: Job) -> bool:
    """Whether ``job`` has a ``partial`` parameter (``core.jobs.PartialCallback``)."""
    try:
        return "partial" in inspect.signature(job).parameters
    except (TypeError, ValueError):  # a callable without a signature (a builtin)
        return False


class _Worker(QObject):
    """Runs the job in the worker thread and reports through (queued) signals."""

    progress = Signal(object)
    partial = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, job: Job, cancel: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel
        self._takes_partial = _takes_partial(job)

    @Slot()
    def run(self) -> None:
        callbacks: dict[str, Any] = {
            "progress": with_eta(self.progress.emit),
            "should_cancel": self._cancel.is_set,
        }
        if self._takes_partial:
            callbacks["partial"] = self.partial.emit
        try:
            result = self._job(**callbacks)
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # the GUI shows it; nothing may escape a thread
            self.errored.emit(error)
        else:
            self.returned.emit(result)
        finally:
            self.done.emit()


class JobHandle(QObject):
    """The GUI thread's view of one running job: its signals, Cancel, and wait."""

    progress = Signal(object)
    partial = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str, job: Job) -> None:
        # No Qt parent: a parent deleted early (a closed dialog) would delete the handle
        # while its thread runs. The module's ``_live`` set keeps it alive until then.
        super().__init__()
        self.name = name
        #: The newest report received (perhaps not yet emitted: see ``progress``).
        self.last_progress: Progress | None = None
        self._cancel = threading.Event()
        self._discarded = False
        self._unshown: Progress | None = None
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(1000 // PROGRESS_PER_SECOND)
        self._throttle.timeout.connect(self._show_progress)
        self._thread: QThread | None = QThread()
        self._thread.setObjectName(f"job: {name}")
        self._worker: _Worker | None = _Worker(job, self._cancel)
        self._worker.moveToThread(self._thread)
        # The handle lives in the GUI thread, so these connections are queued: the
        # handle's own signals are always emitted in the GUI thread.
        self._worker.progress.connect(self._on_progress)
        self._worker.partial.connect(self._on_partial)
        self._worker.returned.connect(self._on_returned)
        self._worker.errored.connect(self._on_errored)
        self._worker.cancelled.connect(self._on_cancelled)
        # Direct: quit() is thread-safe, and must not wait for a GUI event loop that may
        # itself be blocked in wait() during shutdown.
        self._worker.done.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.started.connect(self._worker.run)
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        assert self._thread is not None
        _live.add(self)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop; it rolls back and emits ``cancelled`` soon after."""
        self._cancel.set()

    def discard(self) -> None:
        """Cancel the job and drop whatever it reports from now on: it ends with
        ``cancelled`` even if its work was done (a newer job took its place)."""
        self._discarded = True
        self._unshown = None
        self.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def is_running(self) -> bool:
        return self._thread is not None

    def wait(self, milliseconds: int = 30_000) -> bool:
        """Block until the thread has stopped (only for shutdown, never from a job slot)."""
        if self._thread is None:
            return True
        return self._thread.wait(milliseconds)

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        if self._discarded:
            return
        self.last_progress = self._unshown = progress
        if not self._throttle.isActive():
            self._show_progress()

    @Slot()
    def _show_progress(self) -> None:
        """Emit the newest report not emitted yet; the next waits for the interval's end."""
        progress, self._unshown = self._unshown, None
        if progress is not None:
            self.progress.emit(progress)
            self._throttle.start()

    @Slot(object)
    def _on_partial(self, piece: object) -> None:
        if not self._discarded:
            self._show_progress()  # what came before it, first
            self.partial.emit(piece)

    @Slot(object)
    def _on_returned(self, result: object) -> None:
        if self._end():
            self.returned.emit(result)

    @Slot(object)
    def _on_errored(self, error: Exception) -> None:
        if self._end():
            self.errored.emit(error)

    @Slot()
    def _on_cancelled(self) -> None:
        if self._end():
            self.cancelled.emit()

    def _end(self) -> bool:
        """Emit the last progress report (never dropped) before the job's outcome; False
        for a discarded job, which is reported as cancelled here instead."""
        if self._discarded:
            self._throttle.stop()
            self.cancelled.emit()
            return False
        self._show_progress()
        self._throttle.stop()
        return True

    @Slot()
    def _on_thread_finished(self) -> None:
        # References are dropped only once the thread has really stopped.
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._worker = None
        self._thread = None
        _live.discard(self)
        self.finished.emit()


class JobRunner(QObject):
    """Starts jobs and keeps the running ones, so closing the window can stop them all."""

    job_started = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: set[JobHandle] = set()
        self._latest: dict[Hashable, JobHandle] = {}

    def run(self, name: str, job: Job) -> JobHandle:
        handle = JobHandle(name, job)
        self._running.add(handle)
        handle.finished.connect(lambda: self._forget(handle))
        handle.start()
        self.job_started.emit(handle)
        return handle

    def run_latest(self, key: Hashable, name: str, job: Job) -> JobHandle:
        """Run ``job`` as the newest of its kind: the job started under ``key`` before is
        discarded (cancelled; its result, error and progress never arrive). A page uses
        one key per widget and question it asks: ``(self, "filter")``."""
        previous = self._latest.get(key)
        if previous is not None:
            previous.discard()
        handle = self.run(name, job)
        self._latest[key] = handle
        handle.finished.connect(functools.partial(self._forget_latest, key, handle))
        return handle

    def running(self) -> list[JobHandle]:
        return [h for h in self._running if h.is_running()]

    def cancel_all_and_wait(self, milliseconds: int = 30_000) -> bool:
        """Cancel every job and wait for its thread; True when all have stopped."""
        handles = list(self._running)
        for handle in handles:
            handle.cancel()
        return all(handle.wait(milliseconds) for handle in handles)

    def _forget(self, handle: JobHandle) -> None:
        self._running.discard(handle)

    def _forget_latest(self, key: Hashable, handle: JobHandle) -> None:
        if self._latest.get(key) is handle:
            del self._latest[key]
