"""Noticing what another program changed in a project file (core.store.changes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import codebook
from core.labelling.labels import set_label
from core.store.changes import Change, ChangeProbe
from core.store.project import Project
from core.store.schema import Document, ModelRun, ProjectInfo


@pytest.fixture
def probe(project: Project) -> Iterator[ChangeProbe]:
    with project.write() as session:
        session.add(Document(id=1, external_id="n1", text="Kabinet valt", content_hash="1"))
    codebook.add_category(project, "politiek")
    watching = ChangeProbe(project.path)
    yield watching
    watching.close()


@pytest.fixture
def other(project_path: Path, project: Project) -> Iterator[Project]:
    """The same file opened a second time: another program (the CLI, another coder)."""
    second = Project.open(project_path)
    yield second
    second.engine.dispose()


def test_nothing_is_reported_while_nothing_changes(probe: ChangeProbe) -> None:
    assert probe.poll() == Change.NONE
    assert probe.poll() == Change.NONE


def test_a_commit_by_another_program_is_reported_by_what_it_changed(
    probe: ChangeProbe, other: Project
) -> None:
    with other.write() as session:
        session.add(Document(id=2, external_id="n2", text="Ajax wint", content_hash="2"))
    assert probe.poll() == Change.DOCUMENTS
    set_label(other, 2, 1, "bert")
    assert probe.poll() == Change.LABELS
    codebook.add_category(other, "sport")
    assert probe.poll() == Change.CODEBOOK
    with other.write() as session:
        session.add(ModelRun(kind="baseline", status="running"))
    assert probe.poll() == Change.RUNS
    with other.write() as session:
        session.get_one(ModelRun, 1).status = "finished"
    assert probe.poll() == Change.RUNS
    assert probe.poll() == Change.NONE


def test_a_commit_that_changes_nothing_a_view_shows_is_not_reported(
    probe: ChangeProbe, other: Project
) -> None:
    with other.write() as session:
        session.add(ProjectInfo(key="heartbeat", value="1"))
    assert probe.poll() == Change.NONE


def test_a_change_the_window_announced_itself_is_not_reported_again(
    probe: ChangeProbe, project: Project
) -> None:
    set_label(project, 1, 1, "anna")
    probe.announced(Change.LABELS)
    assert probe.poll() == Change.NONE
    set_label(project, 1, 1, "bert")  # after the announcement: reported
    assert probe.poll() == Change.LABELS


def test_changes_announced_together_are_all_left_out_of_the_next_poll(
    probe: ChangeProbe, project: Project
) -> None:
    with project.write() as session:  # an import with a label column
        session.add(Document(id=2, external_id="n2", text="Ajax wint", content_hash="2"))
    set_label(project, 2, 1, "anna")
    codebook.add_category(project, "sport")
    probe.announced(Change.DOCUMENTS | Change.LABELS)
    assert probe.poll() == Change.CODEBOOK  # the one nobody announced


def test_a_poll_reads_only_the_version_when_nothing_changed(probe: ChangeProbe) -> None:
    probe.poll()
    statements: list[str] = []
    probe.connection.set_trace_callback(statements.append)
    probe.poll()
    assert statements == ["PRAGMA data_version"]
