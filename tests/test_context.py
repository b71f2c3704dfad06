"""Changes are announced in one place: the project context, after the write that made them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import codebook
from core.errors import Cancelled, CodebookError
from core.labelling.labels import set_label
from core.store.changes import Change
from core.store.project import Project
from core.store.schema import Document
from desktop_app.context import ProjectContext
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def context(project: Project) -> Iterator[ProjectContext]:
    with project.write() as session:
        session.add(Document(id=1, external_id="n1", text="Kabinet valt", content_hash="1"))
    codebook.add_category(project, "politiek")
    made = ProjectContext(project, JobRunner(), "anna")
    yield made
    made.close()


def _record(context: ProjectContext) -> list[str]:
    """The context's data signals, in the order they are emitted."""
    heard: list[str] = []
    for name in ("codebook", "documents", "labels", "runs", "skips"):
        signal = getattr(context, f"{name}_changed")
        signal.connect(lambda name=name: heard.append(name))
    return heard


def test_a_job_announces_what_it_declared_after_the_page_has_its_result(context, qtbot) -> None:  # type: ignore[no-untyped-def]
    heard = _record(context)
    handle = context.run(
        "Importing",
        lambda progress, should_cancel: "imported",
        changes=Change.LABELS | Change.DOCUMENTS | Change.CODEBOOK,
    )
    handle.returned.connect(lambda result: heard.append(result))
    qtbot.waitUntil(lambda: len(heard) == 4, timeout=5000)
    # The page's own slot first; the codebook first among the signals (views label with it).
    assert heard == ["imported", "codebook", "documents", "labels"]


def test_a_job_that_fails_or_is_cancelled_announces_nothing(context, qtbot) -> None:  # type: ignore[no-untyped-def]
    heard = _record(context)

    def fails(progress, should_cancel):  # type: ignore[no-untyped-def]
        raise ValueError("row 7")

    def cancelled(progress, should_cancel):  # type: ignore[no-untyped-def]
        raise Cancelled()

    for job in (fails, cancelled):
        handle = context.run("Writing", job, changes=Change.LABELS)
        qtbot.waitUntil(lambda handle=handle: not handle.is_running(), timeout=5000)
    qtbot.wait(50)  # an announcement would be queued behind the outcome
    assert heard == []


def test_each_partial_result_is_announced_after_the_page_shows_it_and_not_again(
    context, qtbot
) -> None:  # type: ignore[no-untyped-def]
    baseline_listed = threading.Event()

    def train(progress, should_cancel, partial):  # type: ignore[no-untyped-def]
        partial("baseline run")
        assert baseline_listed.wait(5)  # BERT trains meanwhile
        partial("bert run")
        return ["baseline run", "bert run"]

    heard = _record(context)
    context.runs_changed.connect(baseline_listed.set)
    handle = context.run("Training", train, changes=Change.RUNS)
    handle.partial.connect(heard.append)
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=5000)
    qtbot.waitUntil(lambda: len(heard) == 4, timeout=5000)
    qtbot.wait(50)
    assert heard == ["baseline run", "runs", "bert run", "runs"]


def test_what_the_window_announced_is_not_reported_again_by_the_poll(
    context, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    context.watch_other_programs(interval_ms=3_600_000)  # polled by hand below
    heard = _record(context)
    project = context.project
    handle = context.run(
        "Saving label",
        lambda progress, should_cancel: set_label(project, 1, 1, "anna"),
        changes=Change.LABELS,
    )
    qtbot.waitUntil(lambda: heard == ["labels"] and not handle.is_running(), timeout=5000)
    context.poll_other_programs()
    assert heard == ["labels"]  # not echoed
    other = Project.open(project_path)  # another coder's window
    try:
        set_label(other, 1, 1, "bert")
    finally:
        other.engine.dispose()
    context.poll_other_programs()
    assert heard == ["labels", "labels"]


def test_a_quick_write_on_the_gui_thread_is_announced_unless_it_fails(context) -> None:  # type: ignore[no-untyped-def]
    heard = _record(context)
    project = context.project
    info = context.apply(lambda: codebook.add_category(project, "sport"), changes=Change.CODEBOOK)
    assert info.name == "sport"
    assert heard == ["codebook"]
    with pytest.raises(CodebookError):
        context.apply(lambda: codebook.add_category(project, "sport"), changes=Change.CODEBOOK)
    assert heard == ["codebook"]


def test_a_closed_context_announces_nothing(context, qtbot) -> None:  # type: ignore[no-untyped-def]
    heard = _record(context)
    handle = context.run("Writing", lambda progress, should_cancel: None, changes=Change.LABELS)
    context.close()  # the window closes the project before the job's return is delivered
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=5000)
    qtbot.wait(50)
    assert heard == []
