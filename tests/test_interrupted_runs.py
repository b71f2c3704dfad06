"""A training run whose process is gone (kill -9, a power cut) is recognised by its stopped
heartbeat, shown as interrupted, and cleaned up by the next training run; a job whose run
another process took for interrupted (a laptop that slept) writes nothing more."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.jobs import Progress
from core.overview import project_overview, unfinished_runs
from core.store import Project
from core.store.schema import ModelRun, Prediction, utcnow
from core.training import job as training
from core.training.heartbeat import (
    STALE_AFTER_ENV,
    Heartbeat,
    RunInterruptedError,
    mark_interrupted_runs,
    run_status,
)
from core.training.job import clean_up_unfinished_runs, models_folder, train_model

pytestmark = pytest.mark.slow

#: Generous: only a real hang should reach it.
HANG = 120.0

# `labelloop train` as the user runs it (cli.commands), with one change: once the model is
# saved (every prediction written, the model folder there, the run still 'running'), it
# says so and waits, to be killed there.
CHILD = textwrap.dedent(
    """
    import sys
    import threading

    from cli.commands import main
    from core.models.baseline import BaselineClassifier

    save = BaselineClassifier.save

    def save_then_wait(self, folder):
        save(self, folder)
        print("saved", flush=True)
        threading.Event().wait()

    BaselineClassifier.save = save_then_wait
    sys.exit(main(["train", sys.argv[1]]))
    """
)


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Poll ``condition`` until it holds; fail only after a generous time (a real hang)."""
    deadline = time.monotonic() + HANG
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def labelloop(*args: str | Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def read(path: Path, query: str) -> list[tuple]:  # type: ignore[type-arg]
    """A read through a separate connection, as another process (or sqlite3) sees it."""
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_a_killed_training_is_shown_interrupted_then_cleaned_up_by_the_next(
    demo: Project,
) -> None:
    path = demo.path
    folder = models_folder(demo)
    demo.close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LABELLOOP_HEARTBEAT_SECONDS": "0.1"},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "saved\n", child.stderr.read() if child.stderr else ""
        # Alive: the job's heartbeat moves on while it waits, and info says running.
        ((first,),) = read(path, "SELECT heartbeat_at FROM model_runs")
        wait_for(
            lambda: read(path, "SELECT heartbeat_at FROM model_runs")[0][0] > first,
            "the heartbeat to advance",
        )
        assert [r["status"] for r in json.loads(labelloop("info", path, "--json"))["runs"]] == [
            "running"
        ]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=HANG)
    assert child.returncode == -signal.SIGKILL

    # Left behind: the row says running, with every prediction and the model folder.
    assert read(path, "SELECT id, status FROM model_runs") == [(1, "running")]
    assert read(path, "SELECT count(*) FROM predictions WHERE run_id = 1") == [(450,)]
    assert (folder / "run-1").is_dir()

    # Within the stale limit it may still be alive, so it is shown running; past it
    # (shortened to 1 s here), interrupted.
    assert json.loads(labelloop("info", path, "--json"))["runs"][0]["status"] == "running"
    ((last,),) = read(path, "SELECT heartbeat_at FROM model_runs")
    last_beat = dt.datetime.fromisoformat(last)
    wait_for(lambda: (utcnow() - last_beat).total_seconds() > 1.5, "the heartbeat to go stale")
    stale = {STALE_AFTER_ENV: "1"}
    info = json.loads(labelloop("info", path, "--json", env=stale))
    assert info["runs"][0]["status"] == "interrupted"
    assert info["runs"][0]["heartbeat_at"] == last_beat.isoformat(timespec="seconds")
    text = labelloop("info", path, env=stale)
    assert "#1 baseline interrupted" in text
    assert "Interrupted: its process stopped without finishing" in text
    assert "the next training run removes what it left" in text
    assert read(path, "SELECT status FROM model_runs") == [("running",)]  # info only reads

    # The next training run marks it, removes its predictions and folder, and finishes.
    labelloop("train", path, env=stale)
    assert read(path, "SELECT id, status FROM model_runs") == [
        (1, "interrupted"),
        (2, "finished"),
    ]
    assert read(path, "SELECT run_id, count(*) FROM predictions GROUP BY run_id") == [(2, 450)]
    assert not (folder / "run-1").exists()
    assert (folder / "run-2").is_dir()
    # An interrupted run is finished at its last sign of life.
    assert read(path, "SELECT finished_at FROM model_runs WHERE id = 1") == [(last,)]
    # And info no longer promises a clean-up that has happened.
    text = labelloop("info", path, env=stale)
    assert "what it left has been removed" in text
    assert "the next training run removes" not in text
    assert json.loads(labelloop("info", path, "--json"))["runs"][0]["cleaned_up"] is True


def test_a_job_whose_run_was_taken_for_interrupted_writes_nothing_more(
    demo: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The laptop slept mid-prediction; meanwhile another process found the heartbeat
    # stale, marked the run interrupted and removed its predictions. Then it wakes.
    monkeypatch.setattr(training, "PREDICT_BATCH", 100)
    taken: list[list[int]] = []

    def another_process_takes_over(report: Progress) -> None:
        if report.message.startswith("Predicted") and not taken:
            monkeypatch.setenv(STALE_AFTER_ENV, "0")
            taken.append(clean_up_unfinished_runs(demo))
            monkeypatch.delenv(STALE_AFTER_ENV)

    with pytest.raises(RunInterruptedError, match="marked interrupted by another LabelLoop"):
        train_model(demo, "baseline", progress=another_process_takes_over)
    assert taken == [[1]]
    with demo.read() as session:
        assert session.get_one(ModelRun, 1).status == "interrupted"  # not overwritten
        assert session.scalar(select(func.count()).select_from(Prediction)) == 0
    assert not (models_folder(demo) / "run-1").exists()
    assert unfinished_runs(demo)[0]["status"] == "interrupted"


def test_the_heartbeat_notices_a_takeover_and_stops_the_job(demo: Project) -> None:
    run_id = training._start_run(demo, "baseline", {}, 0)
    with demo.read() as session:
        started = session.get_one(ModelRun, run_id).heartbeat_at
    with Heartbeat(demo, run_id, interval=0.01) as heartbeat:

        def beat() -> dt.datetime | None:
            with demo.read() as session:
                return session.get_one(ModelRun, run_id).heartbeat_at

        wait_for(lambda: (beat() or started) > started, "a heartbeat")
        heartbeat.check()  # still its own run: no error
        with demo.write() as session:
            session.get_one(ModelRun, run_id).status = "interrupted"
        wait_for(lambda: heartbeat.lost, "the heartbeat to notice")
        with pytest.raises(RunInterruptedError, match=f"Run #{run_id} was marked interrupted"):
            heartbeat.check()


def test_a_running_run_counts_as_interrupted_only_past_the_stale_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = dt.datetime(2026, 11, 27, 12, 0, 0)
    started = now - dt.timedelta(hours=1)
    monkeypatch.setenv(STALE_AFTER_ENV, "60")
    beat = now - dt.timedelta(seconds=59)
    assert run_status("running", beat, started, now=now) == "running"
    assert run_status("running", now - dt.timedelta(seconds=61), started, now=now) == (
        "interrupted"
    )
    assert run_status("running", None, started, now=now) == "interrupted"
    assert run_status("finished", now - dt.timedelta(days=9), started, now=now) == "finished"


def test_a_bad_stale_limit_is_refused_with_its_variable_named(
    demo: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import LabelLoopError

    monkeypatch.setenv(STALE_AFTER_ENV, "two minutes")
    with pytest.raises(LabelLoopError, match=f"{STALE_AFTER_ENV} must be a number of seconds"):
        mark_interrupted_runs(demo)


def test_info_and_the_pages_read_without_marking(demo: Project) -> None:
    with demo.write() as session:
        old = utcnow() - dt.timedelta(hours=2)
        session.add(ModelRun(kind="transformer", status="running", started_at=old))
    assert project_overview(demo)["runs"][0]["status"] == "interrupted"
    [run] = unfinished_runs(demo)
    assert (run["status"], run["kind"]) == ("interrupted", "transformer")
    with demo.read() as session:
        assert session.scalars(select(ModelRun.status)).all() == ["running"]
