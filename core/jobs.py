"""What every long job in ``core`` shares: a progress callback, a cancel check and an ETA.

Long work (import, export, training, prediction) is a plain function taking
``progress`` and ``should_cancel`` arguments, in the style of Orange3's ``run(..., state)``:
the GUI's worker runner turns ``progress`` into a Qt signal and ``should_cancel`` into a
flag set by the Cancel button; the CLI prints progress to the terminal; tests pass nothing.
A job that finishes pieces of its result along the way (training several models) also
takes a ``partial`` callback and hands each piece to it (Orange3's ``set_partial_result``).
:func:`read_ahead` lets a job fetch its next piece of input in a thread while it works.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from core.errors import Cancelled

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report: ``done`` of ``total`` units (``total`` 0 when unknown)."""

    done: float
    total: float
    message: str = ""
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total > 0 else None


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]
#: Receives a finished piece of the result while the job goes on (a model run saved while
#: the next one trains): the window shows it at once, the CLI prints it.
PartialCallback = Callable[[Any], None]


def no_progress(_: Progress) -> None:
    """The progress callback used when the caller passes none."""


def never_cancel() -> bool:
    """The cancel check used when the caller passes none."""
    return False


class ProgressReporter:
    """Adds an ETA to progress reports and checks for cancellation at each one.

    ETA is linear extrapolation from the rate so far, which is what users expect from a
    progress bar; it is left out until 2% of the work or one second has passed, when the
    early rate says too little.
    """

    def __init__(
        self,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._progress = progress or no_progress
        self._should_cancel = should_cancel or never_cancel
        self._clock = clock
        self._start = clock()

    def check_cancel(self) -> None:
        """Raise :class:`Cancelled` if the user asked to stop."""
        if self._should_cancel():
            raise Cancelled()

    def report(self, done: float, total: float, message: str = "") -> None:
        """Send one progress report, then honour a pending cancel request."""
        elapsed = self._clock() - self._start
        eta = None
        if total > 0 and done > 0 and (done / total >= 0.02 or elapsed >= 1.0):
            eta = max(0.0, elapsed * (total - done) / done)
        self._progress(Progress(done, total, message, eta))
        self.check_cancel()


def with_eta(
    progress: ProgressCallback, *, clock: Callable[[], float] = time.monotonic
) -> ProgressCallback:
    """``progress`` with an ETA filled in where a report has none.

    A job made of stages (:func:`scaled`) reports its overall fraction without an ETA;
    this wrapper extrapolates from the rate since its first report, as
    :class:`ProgressReporter` does. The GUI's job runner and the CLI wrap every job with it.
    """
    first: list[tuple[float, float]] = []  # (time, fraction) of the first report

    def report(item: Progress) -> None:
        now = clock()
        fraction = item.fraction
        if fraction is not None and not first:
            first.append((now, fraction))
        if item.eta_seconds is None and fraction is not None and first:
            start, start_fraction = first[0]
            elapsed, gained = now - start, fraction - start_fraction
            if gained > 0 and (gained >= 0.02 or elapsed >= 1.0):
                eta = max(0.0, elapsed * (1 - fraction) / gained)
                item = Progress(item.done, item.total, item.message, eta)
        progress(item)

    return report


def format_eta(seconds: float | None) -> str:
    """Human ETA text: '' when unknown, else '12 s', '3 min 05 s' or '1 h 02 min'."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def scaled(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback:
    """A callback for one stage of a job, mapping its progress to ``start``–``end`` of 1.

    The stage's own message is kept; the ETA is left to the outer job's reporter.
    """
    outer = progress or no_progress

    def report(inner: Progress) -> None:
        fraction = inner.fraction if inner.fraction is not None else 0.0
        outer(Progress(start + (end - start) * fraction, 1.0, inner.message))

    return report


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items``, the next ``depth`` ones fetched in a worker thread while the caller uses
    this one.

    The importer uses it so that the next chunks are read and made ready while it writes
    this one to SQLite, and the training job so that the next batch of texts is read while
    it predicts this one (SQLite releases the GIL while it works): the two overlap on a
    second core. An error from ``items`` is raised in the caller's thread, at the
    item where it happened. Leaving early drops the fetches not yet started and waits for
    the one in flight, so ``items`` is never used by two threads at once, and is done with
    when this generator is. ``items`` must not yield None (it marks the end).
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
    try:
        # One worker runs the fetches in the order they were asked for.
        pending = deque(pool.submit(next, items, None) for _ in range(depth))
        while (item := pending.popleft().result()) is not None:
            pending.append(pool.submit(next, items, None))
            yield item
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
