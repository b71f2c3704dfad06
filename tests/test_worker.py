"""The generic job runner: results, errors and cancellation arrive in the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from core.errors import Cancelled
from core.jobs import Progress, ProgressReporter
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui


def counting_job(steps: int, delay: float = 0.0):  # type: ignore[no-untyped-def]
    def job(progress, should_cancel):  # type: ignore[no-untyped-def]
        reporter = ProgressReporter(progress, should_cancel)
        for step in range(1, steps + 1):
            time.sleep(delay)
            reporter.report(step, steps, f"step {step}")
        return "done"

    return job


def test_result_and_progress_arrive_in_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    seen: list[Progress] = []
    threads: list[bool] = []
    handle = runner.run("count", counting_job(5))
    handle.progress.connect(lambda p: (seen.append(p), threads.append(_in_gui_thread())))
    with qtbot.waitSignal(handle.returned, timeout=5000) as blocker:
        pass
    assert blocker.args == ["done"]
    qtbot.waitUntil(lambda: not runner.running())
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert all(threads)


def test_an_exception_in_the_job_is_reported_not_raised(qtbot) -> None:  # type: ignore[no-untyped-def]
    def failing(progress, should_cancel):  # type: ignore[no-untyped-def]
        raise ValueError("bad row 7")

    handle = JobRunner().run("fail", failing)
    with qtbot.waitSignal(handle.errored, timeout=5000) as blocker:
        pass
    assert str(blocker.args[0]) == "bad row 7"
    qtbot.waitUntil(lambda: not handle.is_running())


def test_cancel_stops_a_job_that_checks_for_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    started = threading.Event()

    def slow(progress, should_cancel):  # type: ignore[no-untyped-def]
        started.set()
        while True:
            time.sleep(0.01)
            if should_cancel():
                raise Cancelled()

    runner = JobRunner()
    handle = runner.run("slow", slow)
    assert started.wait(5)
    # The job checks should_cancel every 10 ms; how fast a real job stops is measured in
    # benchmarks/bench_cancel.py, not asserted against the clock here.
    with qtbot.waitSignal(handle.cancelled, timeout=10_000):
        handle.cancel()
    qtbot.waitUntil(lambda: not runner.running())


def test_cancel_all_and_wait_stops_every_job(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    handles = [runner.run(f"job {i}", counting_job(1000, 0.005)) for i in range(3)]
    assert runner.cancel_all_and_wait(5000)
    assert all(h.cancel_requested for h in handles)
    qtbot.waitUntil(lambda: not runner.running())


def _in_gui_thread() -> bool:
    from PySide6.QtWidgets import QApplication

    return QThread.currentThread() is QApplication.instance().thread()


def test_progress_is_coalesced_the_newest_winning_and_the_last_never_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    shown: list[float] = []
    outcome: list[str] = []
    handle = runner.run("count", counting_job(1000))
    handle.progress.connect(lambda p: shown.append(p.done))
    handle.returned.connect(lambda result: outcome.append(result))
    # All 1,000 reports are queued before the GUI thread looks at any of them, and
    # delivered in one go: no interval ends between them, whatever the machine's speed.
    assert handle.wait(10_000)
    QCoreApplication.sendPostedEvents(handle)
    assert shown == [1, 1000]  # the first at once; the newest when the job ends
    assert outcome == ["done"]
    qtbot.waitUntil(lambda: not runner.running())


def test_a_job_that_takes_partial_hands_over_pieces_before_its_result(qtbot) -> None:  # type: ignore[no-untyped-def]
    def job(progress, should_cancel, partial):  # type: ignore[no-untyped-def]
        partial("baseline")
        partial("bert")
        return ["baseline", "bert"]

    seen: list[tuple[str, object, bool]] = []
    handle = JobRunner().run("train", job)
    handle.partial.connect(lambda piece: seen.append(("partial", piece, _in_gui_thread())))
    handle.returned.connect(lambda result: seen.append(("returned", result, _in_gui_thread())))
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=5000)
    assert seen == [
        ("partial", "baseline", True),
        ("partial", "bert", True),
        ("returned", ["baseline", "bert"], True),
    ]


def test_run_latest_cancels_the_job_it_replaces_and_drops_what_it_reports(qtbot) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()

    def old(progress, should_cancel):  # type: ignore[no-untyped-def]
        release.wait(10)  # a query that cannot stop midway
        progress(Progress(1, 1, "old"))
        return "old"

    runner = JobRunner()
    first = runner.run_latest("filter", "filter a", old)
    second = runner.run_latest("filter", "filter ab", lambda progress, should_cancel: "new")
    other = runner.run_latest("details", "details", lambda progress, should_cancel: "other")
    seen: list[tuple[str, object]] = []
    first.progress.connect(lambda p: seen.append(("old progress", p.message)))
    first.returned.connect(lambda result: seen.append(("old returned", result)))
    first.cancelled.connect(lambda: seen.append(("old cancelled", None)))
    second.returned.connect(lambda result: seen.append(("new returned", result)))
    other.returned.connect(lambda result: seen.append(("other returned", result)))
    assert first.cancel_requested and not second.cancel_requested
    qtbot.waitUntil(lambda: ("new returned", "new") in seen, timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: not runner.running(), timeout=5000)
    assert sorted(seen) == [
        ("new returned", "new"),
        ("old cancelled", None),  # its work was done, but a newer filter took its place
        ("other returned", "other"),  # another key: not replaced
    ]
