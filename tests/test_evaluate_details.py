"""The Evaluate page's detail tabs: informative words and misclassified documents."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import open_copy
from PySide6.QtCore import Qt
from sqlalchemy import select

from core.demo import build_demo_project
from core.evaluation.run_details import misclassified
from core.store import Project
from core.store.schema import ModelRun
from core.training.job import train_model
from desktop_app.context import ProjectContext
from desktop_app.evaluate import EvaluatePage
from desktop_app.evaluate.evaluate_page import RunDetails
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui

CATEGORIES = ["politiek", "economie", "sport", "cultuur", "gezondheid"]


@pytest.fixture(scope="module")
def trained_twice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with two baseline runs (different seeds, so different models)."""
    from core.models import config_for

    path = tmp_path_factory.mktemp("details") / "d.labelloop"
    project = build_demo_project(path)
    train_model(project, "baseline")
    train_model(project, "baseline", config_for("baseline", c_values=(0.3,)))
    project.close()
    return path


@pytest.fixture
def demo(trained_twice: Path, tmp_path: Path) -> Iterator[Project]:
    project = open_copy(trained_twice, tmp_path)
    yield project
    project.close()


def run_ids(project: Project) -> list[int]:
    with project.read() as session:
        return list(session.scalars(select(ModelRun.id).order_by(ModelRun.id)))


def make_page(qtbot, project: Project) -> tuple[EvaluatePage, ProjectContext]:  # type: ignore[no-untyped-def]
    context = ProjectContext(project, JobRunner(), "tester")
    page = EvaluatePage(context)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    return page, context


def wait_for_details(qtbot, page: EvaluatePage, run_id: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: page.details_run_id == run_id, timeout=20_000)


def column(table, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(row, index).text() for row in range(table.rowCount())]


def test_informative_words_per_category(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    newest = run_ids(demo)[-1]
    wait_for_details(qtbot, page, newest)
    table = page.terms_table
    assert column(table, 0) == CATEGORIES
    for row in range(table.rowCount()):
        words = table.item(row, 1).text().split(", ")
        assert 1 <= len(words) <= 15 and all(words)
        tooltip = table.item(row, 1).toolTip().splitlines()
        assert len(tooltip) == len(words)
        assert tooltip[0].startswith(f"{words[0]}: ")
    assert "weigh most" in page.terms_note.text()


def test_misclassified_table_lists_the_wrong_evaluation_documents(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    newest = run_ids(demo)[-1]
    wait_for_details(qtbot, page, newest)
    wrong = misclassified(demo, newest)
    assert wrong, "the demo model should make a few mistakes"
    table = page.wrong_table
    assert table.rowCount() == len(wrong)
    assert column(table, 0) == [m.external_id for m in wrong]
    assert column(table, 1) == [m.preview for m in wrong]
    assert column(table, 2) == [m.label for m in wrong]
    assert column(table, 3) == [m.predicted for m in wrong]
    assert column(table, 4) == [f"{m.probability:.0%}" for m in wrong]
    assert [page.misclassified_document_id(r) for r in range(len(wrong))] == [
        m.document_id for m in wrong
    ]
    assert f"{len(wrong):,} evaluation documents" in page.wrong_note.text()


def test_enter_and_double_click_open_the_document(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, context = make_page(qtbot, demo)
    newest = run_ids(demo)[-1]
    wait_for_details(qtbot, page, newest)
    page.charts.setCurrentWidget(page.wrong_table.parentWidget())
    table = page.wrong_table
    assert table.rowCount() >= 1
    opened: list[int] = []
    context.open_document_requested.connect(opened.append)

    last = table.rowCount() - 1
    table.setFocus()
    table.setCurrentCell(last, 1)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened == [page.misclassified_document_id(last)]

    table.scrollToItem(table.item(0, 1))  # Enter on the last row scrolled down
    rect = table.visualItemRect(table.item(0, 1))
    # A real double-click starts with a press (QTest's double-click alone has none).
    qtbot.mousePress(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened[-1] == page.misclassified_document_id(0)


def test_selecting_another_run_shows_its_details_and_drops_outdated_ones(
    qtbot, demo: Project
) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    first, second = run_ids(demo)
    wait_for_details(qtbot, page, second)
    page.select_run(first)
    assert page.details_pending()
    page.select_run(second)  # the first run's job is now outdated
    page.select_run(first)
    wait_for_details(qtbot, page, first)
    # Let any outdated job finish: its result must not replace the first run's.
    qtbot.waitUntil(lambda: not page.context.runner.running(), timeout=20_000)
    assert page.details_run_id == first
    assert column(page.wrong_table, 0) == [m.external_id for m in misclassified(demo, first)]

    # A late result for a run that is not selected is ignored.
    before = page.terms_table.rowCount()
    page._details_ready(RunDetails(second, {}, []))
    assert page.details_run_id == first
    assert page.terms_table.rowCount() == before


def test_a_run_without_its_saved_model_still_lists_mistakes(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    newest = run_ids(demo)[-1]
    with demo.read() as session:
        shutil.rmtree(session.get(ModelRun, newest).artifact_path)
    page, _ = make_page(qtbot, demo)
    wait_for_details(qtbot, page, newest)
    assert page.terms_table.rowCount() == 0
    assert "no word weights" in page.terms_note.text()
    assert page.wrong_table.rowCount() == len(misclassified(demo, newest))


def test_chart_export_is_only_offered_on_chart_tabs(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    assert page.export_button.isEnabled()
    page.charts.setCurrentIndex(2)
    assert page.charts.tabText(2) == "Informative words"
    assert not page.export_button.isEnabled()
    page.charts.setCurrentIndex(3)
    assert page.charts.tabText(3) == "Misclassified"
    assert not page.export_button.isEnabled()
    page.charts.setCurrentIndex(1)
    assert page.export_button.isEnabled()
    wait_for_details(qtbot, page, run_ids(demo)[-1])  # no job left running
