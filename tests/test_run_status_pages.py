"""The Train and Evaluate pages say which runs were interrupted, and why a run estimated no
shares of the unlabelled documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_prevalence_report import GOLD, write_gold_corpus

from core.ingest import import_file
from core.store import Project
from core.store.schema import ModelRun, utcnow
from core.training.job import train_model
from desktop_app.context import ProjectContext
from desktop_app.evaluate import EvaluatePage
from desktop_app.train.train_page import TrainPage, describe_result
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui


def add_dead_run(project: Project, kind: str = "transformer") -> int:
    """A run left 'running' by a process killed two hours ago."""
    with project.write() as session:
        started = utcnow() - dt.timedelta(hours=2)
        run = ModelRun(kind=kind, status="running", started_at=started, heartbeat_at=started)
        session.add(run)
        session.flush()
        return run.id


def test_the_train_page_says_a_run_was_interrupted(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    run_id = add_dead_run(project)
    page = TrainPage(ProjectContext(project, JobRunner(), "tester"))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not page.context.runner.running())
    assert page.unfinished_label.isVisible()
    text = page.unfinished_label.text()
    assert f"Run #{run_id} (BERT), started " in text
    assert "was interrupted: its process stopped without finishing" in text


def test_the_evaluate_page_says_a_run_was_interrupted(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    run_id = add_dead_run(project, "baseline")
    page = EvaluatePage(ProjectContext(project, JobRunner(), "tester"))
    qtbot.addWidget(page)
    page.show()
    assert page.empty_label.isVisible()
    assert page.unfinished_label.isVisible()
    assert f"Run #{run_id} (baseline), started " in page.unfinished_label.text()
    assert "was interrupted" in page.unfinished_label.text()


@pytest.fixture
def trained_gold(tmp_path: Path) -> Project:
    project = Project.open(tmp_path / "gold.labelloop", create=True)
    import_file(project, write_gold_corpus(tmp_path / "gold.csv"), GOLD)
    return project


def test_the_pages_say_why_a_fully_labelled_project_has_no_shares(qtbot, trained_gold) -> None:  # type: ignore[no-untyped-def]
    result = train_model(trained_gold, "baseline")
    assert "Share of each category among unlabelled documents: not estimated, since every " in (
        describe_result(result)
    )
    page = EvaluatePage(ProjectContext(trained_gold, JobRunner(), "tester"))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.details_run_id == result.run_id, timeout=60_000)
    assert page.prevalence_title.isVisible()
    assert not page.prevalence_table.isVisible()
    assert page.prevalence_title.text().startswith(
        "Share of each category among the unlabelled documents: not estimated, since every "
        "document is labelled"
    )
    assert not page.unfinished_label.isVisible()
    trained_gold.close()
