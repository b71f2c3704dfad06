"""The "Active learning simulation" dialog: run on a labelled file, show and save curves."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.collections import PathCollection
from topic_corpus import write_labelled_csv

from core.simulation.curves import read_curves_csv
from core.simulation.plan import SimulationPlan
from desktop_app.simulation import dialog as simulation_dialog
from desktop_app.simulation.dialog import SimulationDialog
from desktop_app.worker import live_jobs

pytestmark = pytest.mark.gui

JOB_MS = 20_000


@pytest.fixture
def dialog(qtbot):  # type: ignore[no-untyped-def]
    shown = SimulationDialog()
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    shown.close()


@pytest.fixture
def choose(monkeypatch):  # type: ignore[no-untyped-def]
    """Answer the next file dialog with ``path`` (open and save alike)."""

    def answer(path: Path) -> None:
        reply = staticmethod(lambda *args, **kwargs: (str(path), ""))
        monkeypatch.setattr(simulation_dialog.QFileDialog, "getOpenFileName", reply)
        monkeypatch.setattr(simulation_dialog.QFileDialog, "getSaveFileName", reply)

    return answer


def choose_file(dialog, qtbot, choose, path: Path) -> None:  # type: ignore[no-untyped-def]
    choose(path)
    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.choose_button.click()


def small_settings(dialog) -> None:  # type: ignore[no-untyped-def]
    for name, box in dialog.strategy_boxes.items():
        box.setChecked(name in ("random", "margin"))
    dialog.seeds_spin.setValue(2)
    dialog.initial_spin.setValue(20)
    dialog.step_spin.setValue(20)
    dialog.max_spin.setValue(80)
    dialog.test_spin.setValue(60)


def plotted(dialog) -> list[str]:  # type: ignore[no-untyped-def]
    """The labels of the chart's lines (strategies, then the target)."""
    (ax,) = dialog.figure.axes
    return [line.get_label() for line in ax.get_lines()]


def test_the_form_opens_on_the_command_lines_defaults(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    choose_file(dialog, qtbot, choose, write_labelled_csv(tmp_path / "labelled.csv"))

    settings = dialog.settings()

    assert settings.plan == SimulationPlan()  # what `labelloop simulate` runs by default
    assert dialog.seeds_spin.value() == 5
    assert dialog.chosen_strategies() == ["random", "margin"]
    dialog.seeds_spin.setValue(2)  # fewer seeds are a choice, not the default
    assert dialog.settings().plan == SimulationPlan(seeds=2)


def test_run_draws_curves_summarises_and_saves_them(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    source = write_labelled_csv(tmp_path / "labelled.csv")
    assert not dialog.run_button.isEnabled()  # no file yet
    choose_file(dialog, qtbot, choose, source)
    assert dialog.text_combo.currentText() == "text"
    assert dialog.label_combo.currentText() == "label"
    assert [dialog.text_combo.itemText(i) for i in range(3)] == ["id", "text", "label"]
    assert dialog.strategy_boxes["random"].isChecked()
    assert dialog.strategy_boxes["margin"].isChecked()
    assert not dialog.save_button.isEnabled()
    small_settings(dialog)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.run_button.click()
        assert dialog.job_progress.isVisible()
        assert not dialog.run_button.isEnabled()

    assert dialog.error_label.text() == ""
    assert not dialog.job_progress.isVisible()
    result = dialog.curves.result
    labels = plotted(dialog)
    assert labels[:2] == ["random", "margin"]
    assert len(labels) == 3 and labels[2].startswith("target")
    target_line = dialog.figure.axes[0].get_lines()[2]
    assert list(target_line.get_ydata()) == pytest.approx([result.target_f1] * 2)
    assert "2 seeds" in dialog.figure.axes[0].get_title()
    summary = dialog.summary_text.toPlainText()
    assert "random" in summary and "margin" in summary
    assert "labels to reach target" in summary
    assert f"{result.target_f1:.3f}" in summary

    assert dialog.save_button.isEnabled()
    saved = tmp_path / "curves.csv"
    choose(saved)
    dialog.save_button.click()
    points = read_curves_csv(saved)
    assert len(points) == 2 * 2 * 4  # strategies × seeds × (20, 40, 60, 80)
    assert {p.strategy for p in points} == {"random", "margin"}

    chart = tmp_path / "chart.svg"
    choose(chart)
    dialog.export_button.click()
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_cancel_stops_the_run_and_says_so(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    choose_file(dialog, qtbot, choose, write_labelled_csv(tmp_path / "labelled.csv"))
    small_settings(dialog)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.run_button.click()
        dialog.job_progress.cancel_button.click()

    assert "cancelled" in dialog.error_label.text()
    assert dialog.curves is None
    assert live_jobs() == []


def test_closing_the_dialog_cancels_its_run(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    choose_file(dialog, qtbot, choose, write_labelled_csv(tmp_path / "labelled.csv"))
    small_settings(dialog)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.run_button.click()
        dialog.close()

    assert not dialog.isVisible()
    assert "cancelled" in dialog.error_label.text()
    assert live_jobs() == []


def test_a_column_gone_from_the_file_is_shown_as_plain_text(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    source = write_labelled_csv(tmp_path / "labelled.csv", n=60)
    choose_file(dialog, qtbot, choose, source)
    # The file is changed after its columns were read: "label" is now "category".
    source.write_text(source.read_text().replace("id,text,label", "id,text,category", 1))
    small_settings(dialog)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.run_button.click()

    message = dialog.error_label.text()
    assert "no column 'label'" in message
    assert "Traceback" not in message
    assert dialog.curves is None and dialog.summary_text.toPlainText() == ""
    assert not dialog.busy() and live_jobs() == []
    assert dialog.run_button.isEnabled()  # fix the file and run again


def test_a_file_with_one_category_is_explained(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    choose_file(dialog, qtbot, choose, write_labelled_csv(tmp_path / "one.csv", n=60, topics=1))
    small_settings(dialog)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.run_button.click()

    assert "fewer than two categories" in dialog.error_label.text()
    assert not dialog.busy() and live_jobs() == []


def test_an_unreadable_labelled_file_is_explained(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    choose_file(dialog, qtbot, choose, tmp_path / "gone.csv")

    assert "no such file" in dialog.error_label.text()
    assert dialog.text_combo.count() == 0
    assert not dialog.run_button.isEnabled()


def test_open_curves_file_plots_it(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    path = tmp_path / "curves.csv"
    rows = ["strategy,seed,labels,macro_f1"]
    for seed, shift in ((0, 0.0), (1, 0.1)):
        for labels, random_f1, margin_f1 in ((50, 0.4, 0.5), (100, 0.5, 0.7), (150, 0.6, 0.8)):
            rows.append(f"random,{seed},{labels},{random_f1 + shift:.2f}")
            rows.append(f"margin,{seed},{labels},{margin_f1 + shift:.2f}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    choose(path)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.open_button.click()

    assert dialog.error_label.text() == ""
    assert plotted(dialog)[:2] == ["random", "margin"] and len(plotted(dialog)) == 3
    (ax,) = dialog.figure.axes
    assert list(ax.get_lines()[2].get_ydata()) == pytest.approx([0.65, 0.65])
    assert list(ax.get_lines()[1].get_ydata()) == pytest.approx([0.55, 0.75, 0.85])
    # Circles where each mean curve first reaches the target: margin at 100, random at 150.
    circles = [c.get_offsets()[0].tolist() for c in ax.collections if type(c) is PathCollection]
    assert circles == [pytest.approx([150, 0.65]), pytest.approx([100, 0.75])]
    summary = dialog.summary_text.toPlainText()
    assert "random" in summary and "margin" in summary
    assert "0.650" in summary  # the target
    assert not dialog.save_button.isEnabled()  # nothing was run
    assert dialog.export_button.isEnabled()


def test_a_bad_curves_file_names_the_line(  # type: ignore[no-untyped-def]
    dialog, qtbot, choose, tmp_path: Path
) -> None:
    path = tmp_path / "curves.csv"
    path.write_text("strategy,seed,labels,macro_f1\nrandom,0,50,0.4\nrandom,0,100,n/a\n")
    choose(path)

    with qtbot.waitSignal(dialog.job_done, timeout=JOB_MS):
        dialog.open_button.click()

    assert "line 3" in dialog.error_label.text()
    assert "'n/a' is not a number" in dialog.error_label.text()
    assert dialog.curves is None


def test_tools_menu_opens_one_dialog_without_a_project(qtbot) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.main_window import MainWindow

    window = MainWindow(default_coder="anna")
    qtbot.addWidget(window)
    window.show()
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    (action,) = [a for a in menus["&Tools"].actions() if "Simulate" in a.text()]
    assert action.isEnabled()

    action.trigger()
    first = window.simulation_dialog
    assert first is not None and first.isVisible() and not first.isModal()
    first.close()
    action.trigger()
    assert window.simulation_dialog is first and first.isVisible()
    window.close()
