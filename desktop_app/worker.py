"""One generic runner for every long job: a plain ``core`` function on a QThread.

A job is any callable that takes ``progress`` and ``should_cancel`` keyword arguments
(see ``core.jobs``). ``run_job`` starts it on its own QThread and returns a
:class:`JobHandle` that lives in the GUI thread and re-emits what the job reports:
``progress(Progress)``, then exactly one of ``returned(result)``, ``errored(exception)``
or ``cancelled()``, and finally ``finished()`` once the thread has stopped. Widgets only
ever see results through these signals (modelled on superqt's ``thread_worker``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import Cancelled
from core.jobs import Progress, with_eta

#: Every job whose thread has not finished yet; tests check it is empty after each test.
_live: set[JobHandle] = set()


def live_jobs() -> list[str]:
    """Names of the jobs whose threads are still running."""
    return sorted(handle.name for handle in _live)


class _Worker(QObject):
    """Runs the job in the worker thread and reports through (queued) signals."""

    progress = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, job: Callable[..., Any], cancel: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(
                progress=with_eta(self.progress.emit), should_cancel=self._cancel.is_set
            )
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
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str, job: Callable[..., Any]) -> None:
        # No Qt parent: a parent deleted early (a closed dialog) would delete the handle
        # while its thread runs. The module's ``_live`` set keeps it alive until then.
        super().__init__()
        self.name = name
        self.last_progress: Progress | None = None
        self._cancel = threading.Event()
        self._thread: QThread | None = QThread()
        self._thread.setObjectName(f"job: {name}")
        self._worker: _Worker | None = _Worker(job, self._cancel)
        self._worker.moveToThread(self._thread)
        # The handle lives in the GUI thread, so these connections are queued: the
        # handle's own signals are always emitted in the GUI thread.
        self._worker.progress.connect(self._on_progress)
        self._worker.returned.connect(self.returned)
        self._worker.errored.connect(self.errored)
        self._worker.cancelled.connect(self.cancelled)
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
        self.last_progress = progress
        self.progress.emit(progress)

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

    def run(self, name: str, job: Callable[..., Any]) -> JobHandle:
        handle = JobHandle(name, job)
        self._running.add(handle)
        handle.finished.connect(lambda: self._forget(handle))
        handle.start()
        self.job_started.emit(handle)
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
