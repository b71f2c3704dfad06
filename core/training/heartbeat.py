"""Whether a training run's process is alive: the heartbeat a running job writes.

A training job that is killed (kill -9, a crash, a power cut) cannot mark its run, which
would say 'running' for ever. So while a run trains, a daemon thread of the job writes the
time into ``model_runs.heartbeat_at`` every :func:`heartbeat_interval` seconds, each in
its own short write transaction. The training loop itself is no reliable ticker (one BERT
batch on a CPU can take tens of seconds), and a process id would not do: training also runs
on other hosts (a GPU node, the file copied back) and under torchrun, where only rank 0
writes the project.

A 'running' run whose heartbeat is older than :func:`stale_after` is *interrupted*.
Readers (``info``, the Train and Evaluate pages) show it so without writing
(:func:`run_status`); the next training job marks it 'interrupted' in the file
(:func:`mark_interrupted_runs`) and cleans it up like a cancelled run.

A process that was only paused (a laptop asleep) may wake after another process marked
its run interrupted and removed its predictions. Marking is one ``UPDATE … WHERE status =
'running'``, and each later write of the job checks the status inside its own write
transaction (:func:`ensure_running`; ``BEGIN IMMEDIATE``, so nothing can slip between the
check and the write). Such a job stops with :class:`RunInterruptedError` and writes
nothing more; its heartbeat thread notices too and stops the job at its next cancel check.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.errors import LabelLoopError
from core.store.project import Project
from core.store.schema import ModelRun, utcnow

#: Seconds between two heartbeats of a running job.
HEARTBEAT_SECONDS = 5.0
#: A running run whose last heartbeat is older than this many seconds is interrupted.
#: A live job beats every 5 s; a beat may wait up to the 5 s busy timeout for the write
#: lock, and one that fails is written at the next tick, so a healthy job's heartbeat is
#: about 10 s old at most, more only while another process holds the write lock longer.
#: 120 s leaves a wide margin for a machine under heavy load (swapping, a long import),
#: because a wrong verdict costs a training (the job stops, its results discarded), while
#: a late one only shows a dead run as running for two minutes more.
STALE_AFTER_SECONDS = 120.0
#: Environment variables that change the two (tests; a slow shared machine).
STALE_AFTER_ENV = "LABELLOOP_RUN_STALE_SECONDS"
HEARTBEAT_ENV = "LABELLOOP_HEARTBEAT_SECONDS"

#: Run statuses that end a run without a result; their leftovers are cleaned up.
UNFINISHED = ("cancelled", "failed", "interrupted")


class RunInterruptedError(LabelLoopError):
    """Another process took this job's run for interrupted; the job must write no more."""

    def __init__(self, run_id: int) -> None:
        super().__init__(
            f"Run #{run_id} was marked interrupted by another LabelLoop process: it gave no "
            f"sign of life for over {stale_after():.0f} s (was the computer asleep?), so its "
            "predictions and saved model are discarded. Nothing more was written; train again."
        )
        self.run_id = run_id


def _seconds(variable: str, default: float) -> float:
    value = os.environ.get(variable)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also catches NaN
        raise LabelLoopError(f"{variable} must be a number of seconds (0 or more), not {value!r}.")
    return seconds


def stale_after() -> float:
    """Seconds without a heartbeat after which a running run counts as interrupted."""
    return _seconds(STALE_AFTER_ENV, STALE_AFTER_SECONDS)


def heartbeat_interval() -> float:
    """Seconds between two heartbeats."""
    seconds = _seconds(HEARTBEAT_ENV, HEARTBEAT_SECONDS)
    if seconds == 0:  # a beat without a pause would hold the write lock half the time
        raise LabelLoopError(f"{HEARTBEAT_ENV} must be more than 0 seconds.")
    return seconds


def last_seen(heartbeat_at: dt.datetime | None, started_at: dt.datetime) -> dt.datetime:
    """When a run last gave a sign of life (a run without a heartbeat: when it started)."""
    return heartbeat_at or started_at


def run_status(
    status: str,
    heartbeat_at: dt.datetime | None,
    started_at: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> str:
    """The status to show: 'interrupted' for a running run whose heartbeat is stale."""
    if status != "running":
        return status
    age = ((now or utcnow()) - last_seen(heartbeat_at, started_at)).total_seconds()
    return "interrupted" if age > stale_after() else status


def mark_interrupted_runs(project: Project) -> list[int]:
    """Mark every running run with a stale heartbeat 'interrupted' (finished at its last
    sign of life), in one short write; returns their ids."""
    cutoff = utcnow() - dt.timedelta(seconds=stale_after())
    stale = and_(
        ModelRun.status == "running",
        or_(
            ModelRun.heartbeat_at < cutoff,
            and_(ModelRun.heartbeat_at.is_(None), ModelRun.started_at < cutoff),
        ),
    )
    with project.write() as session:
        runs = session.execute(
            select(ModelRun.id, ModelRun.heartbeat_at, ModelRun.started_at).where(stale)
        ).all()
        for run in runs:
            session.execute(
                update(ModelRun)
                .where(ModelRun.id == run.id)
                .values(
                    status="interrupted", finished_at=last_seen(run.heartbeat_at, run.started_at)
                )
                .execution_options(synchronize_session=False)
            )
    return [run.id for run in runs]


def ensure_running(session: Session, run_id: int) -> None:
    """Inside a write transaction: raise :class:`RunInterruptedError` unless the run is
    still 'running' (another process may have marked it interrupted)."""
    status = session.scalar(select(ModelRun.status).where(ModelRun.id == run_id))
    if status != "running":
        raise RunInterruptedError(run_id)


class Heartbeat:
    """A daemon thread refreshing a running run's ``heartbeat_at``; use as a context manager.

    Each beat is one ``UPDATE`` in its own write transaction (well under a millisecond,
    so labels saved meanwhile hardly wait). A beat that fails (the write lock busy past
    the timeout) is retried at the next tick. A beat that finds the run no longer running
    sets :attr:`lost` and ends the thread; :meth:`check` then raises.
    """

    def __init__(self, project: Project, run_id: int, interval: float | None = None) -> None:
        self.project = project
        self.run_id = run_id
        self.interval = heartbeat_interval() if interval is None else interval
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat of run #{run_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End the thread and wait for a beat in progress (at most the busy timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def check(self) -> None:
        """Raise :class:`RunInterruptedError` if another process took the run over."""
        if self.lost:
            raise RunInterruptedError(self.run_id)

    def beat(self) -> bool:
        """Write one heartbeat; False when the run is no longer running."""
        with self.project.write() as session:
            result = session.execute(
                update(ModelRun)
                .where(ModelRun.id == self.run_id, ModelRun.status == "running")
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                alive = self.beat()
            except Exception:
                # Mostly the write lock busy past the timeout. Whatever it was, beat again
                # at the next tick: a ticker that died would get a live run taken over.
                continue
            if not alive:
                self.lost = True
                return
