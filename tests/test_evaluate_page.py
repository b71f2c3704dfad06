"""The Evaluate page: run history, metrics with intervals, charts and their export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from projects import open_copy

from core.demo import build_demo_project
from core.evaluation.comparison import better
from core.evaluation.metrics import describe_metric
from core.store import Project
from core.store.schema import ModelRun
from core.training.job import train_model
from desktop_app.context import ProjectContext
from desktop_app.evaluate import EvaluatePage
from desktop_app.evaluate.evaluate_page import CONFUSION, LEARNING_CURVE
from desktop_app.worker import JobRunner

pytestmark = pytest.mark.gui

INTERVAL = re.compile(r"^\d\.\d\d \(\d\.\d\d–\d\.\d\d\)$")


@pytest.fixture(scope="module")
def trained_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project after one baseline run (trained once for the whole module)."""
    path = tmp_path_factory.mktemp("trained") / "demo.labelloop"
    project = build_demo_project(path)
    train_model(project)
    project.close()
    return path


@pytest.fixture
def demo(trained_demo: Path, tmp_path: Path) -> Iterator[Project]:
    """A private copy of the trained demo (with its models folder)."""
    project = open_copy(trained_demo, tmp_path)
    yield project
    project.close()


def make_page(qtbot, project: Project) -> tuple[EvaluatePage, ProjectContext]:  # type: ignore[no-untyped-def]
    context = ProjectContext(project, JobRunner(), "tester")
    page = EvaluatePage(context)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    return page, context


def column(table, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(row, index).text() for row in range(table.rowCount())]


def test_the_run_is_listed_and_selected(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    assert page.runs_table.rowCount() == 1
    run = page.runs[0]
    assert page.selected_run_id() == run["id"]
    assert column(page.runs_table, 0) == [str(run["id"])]
    assert column(page.runs_table, 1) == ["baseline"]
    assert column(page.runs_table, 3) == ["100"]
    assert INTERVAL.match(column(page.runs_table, 4)[0])
    assert not page.empty_label.isVisible()


def test_per_category_metrics_have_intervals(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    evaluation = page.runs[0]["metrics"]["evaluation"]
    table = page.metrics_table
    assert column(table, 0) == ["politiek", "economie", "sport", "cultuur", "gezondheid"]
    for index in (1, 2, 3):  # precision, recall, F1
        assert all(INTERVAL.match(text) for text in column(table, index)), column(table, index)
    assert sum(int(n) for n in column(table, 4)) == 100
    summary = page.summary_label.text()
    assert f"macro-F1 {describe_metric(evaluation['macro_f1'])}" in summary
    assert f"weighted F1 {describe_metric(evaluation['weighted_f1'])}" in summary
    assert f"accuracy {describe_metric(evaluation['accuracy'])}" in summary
    assert "Cross-validated estimate" in summary
    assert page.warnings_label.isVisible() == bool(evaluation["warnings"])


def test_prevalence_shows_adjusted_share_with_interval_and_unadjusted(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    table = page.prevalence_table
    assert table.rowCount() == 5
    share = re.compile(r"^\d+\.\d% \(\d+\.\d%–\d+\.\d%\)$")
    assert all(share.match(text) for text in column(table, 1)), column(table, 1)
    assert all(re.match(r"^\d+\.\d%$", text) for text in column(table, 2))


def test_the_confusion_matrix_is_drawn(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    evaluation = page.runs[0]["metrics"]["evaluation"]
    ax = page.confusion_figure.axes[0]
    np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), evaluation["confusion"])
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "politiek",
        "economie",
        "sport",
        "cultuur",
        "gezondheid",
    ]


def test_the_learning_curve_has_one_point_per_run(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    ax = page.curve_figure.axes[0]
    macro = page.runs[0]["metrics"]["evaluation"]["macro_f1"]
    line = ax.lines[0]
    assert list(line.get_xdata()) == [100]
    assert list(line.get_ydata()) == pytest.approx([macro["value"]])


def test_charts_export_as_png_and_svg(qtbot, demo: Project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, demo)
    saved = [
        page.save_chart(tmp_path / "confusion.png", CONFUSION),
        page.save_chart(tmp_path / "confusion.svg", CONFUSION),
        page.save_chart(tmp_path / "curve.png", LEARNING_CURVE),
        page.save_chart(tmp_path / "curve.svg", LEARNING_CURVE),
        page.save_chart(tmp_path / "shown"),  # no suffix: PNG of the chart shown
    ]
    assert saved[-1] == tmp_path / "shown.png"
    for path in saved:
        assert path.exists()
        assert path.stat().st_size > 1000
    assert saved[0].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in saved[1].read_bytes()[:1000]


def test_a_new_run_is_listed_and_selected(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    page, context = make_page(qtbot, demo)
    first = page.runs[0]["id"]
    second = train_model(demo).run_id
    context.runs_changed.emit()
    assert column(page.runs_table, 0) == [str(second), str(first)]  # newest first
    assert page.selected_run_id() == second
    assert len(page.curve_figure.axes[0].lines[0].get_xdata()) == 2
    page.select_run(first)
    assert page.selected_run_id() == first
    assert page.summary_label.text().startswith(f"Run #{first} ")


def test_a_project_without_runs_says_what_to_do(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    page, _ = make_page(qtbot, project)
    assert page.runs_table.rowCount() == 0
    assert page.empty_label.isVisible()
    assert "train a model" in page.empty_label.text()
    assert not page.splitter.isVisible()


def test_two_runs_side_by_side_with_a_recommendation(qtbot, demo: Project) -> None:  # type: ignore[no-untyped-def]
    from core.models.base import config_for

    # A second, differently configured baseline stands in for BERT (the comparison does
    # not care which kind made the predictions; the tiny-BERT flow is in test_comparison).
    second = train_model(demo, "baseline", config_for("baseline", c_values=(0.05,)))
    page, _ = make_page(qtbot, demo)
    view = page.comparison_view
    page.views.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.comparison is not None and not view.pending())
    first_id = page.runs[0]["id"]
    assert view.chosen() == (first_id, second.run_id)  # the two newest runs
    assert view.recommendation.isVisible()
    assert view.recommendation.text().startswith("Use the baseline (run #")
    table = view.table
    assert column(table, 0) == [
        "politiek",
        "economie",
        "sport",
        "cultuur",
        "gezondheid",
        "Macro-F1",
    ]
    for index in range(1, 7):
        assert all(INTERVAL.match(text) for text in column(table, index)[:-1]), index
    comparison = view.comparison
    assert column(table, 3)[-1] == describe_metric(comparison.first_eval.macro_f1)
    assert column(table, 6)[-1] == describe_metric(comparison.second_eval.macro_f1)
    details = view.details.text()
    assert "Both measured on the same 100 evaluation documents" in details
    assert f"p = {comparison.mcnemar['p_value']:.3g}" in details
    assert ("label more evaluation documents" in details) == (not any(better(comparison)))
    # Choosing the same run twice asks for two different runs instead of comparing.
    view.choose(first_id, first_id)
    assert view.message.text() == "Choose two different runs."
    assert not view.recommendation.isVisible()


def test_a_run_without_an_evaluation_sample_says_why_it_has_no_confusion_matrix(  # type: ignore[no-untyped-def]
    qtbot, project: Project
) -> None:
    with project.write() as session:
        session.add(
            ModelRun(
                kind="baseline", status="finished", metrics={"train_size": 12}, label_counts={}
            )
        )
    page, _ = make_page(qtbot, project)
    assert page.runs_table.rowCount() == 1
    shown = [text.get_text() for text in page.confusion_figure.texts]
    assert shown and shown[0].startswith("No confusion matrix: this run was not measured")
    assert not page.confusion_figure.axes  # no empty axes drawn
