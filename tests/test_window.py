"""The main window: welcome page, opening projects, the demo, closing cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import skipped_count

from core import codebook
from core.store.project import Project
from core.store.schema import Document
from desktop_app import settings

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    from desktop_app.main_window import MainWindow

    main = MainWindow(default_coder="anna")
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()


def _small_project(path: Path) -> None:
    with Project.open(path, create=True) as project:
        with project.write() as session:
            session.add(
                Document(id=1, external_id="1", text="Kabinet valt", meta={}, content_hash="a")
            )
            session.add(
                Document(id=2, external_id="2", text="Ajax wint", meta={}, content_hash="b")
            )
        codebook.add_category(project, "politiek")


def test_window_starts_on_the_welcome_page(window) -> None:  # type: ignore[no-untyped-def]
    assert window.pages.currentWidget() is window.welcome
    assert window.windowTitle() == "LabelLoop"
    assert not window.import_action.isEnabled()


def test_opening_a_project_shows_the_first_document_and_remembers_it(
    window, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    window.open_project(project_path)
    annotate = window.workspace.annotate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=5000)
    assert window.pages.currentWidget() is window.workspace
    assert window.windowTitle().startswith("study")
    assert annotate.document.text.toPlainText() in ("Kabinet valt", "Ajax wint")
    assert window.import_action.isEnabled()
    assert settings.recent_projects() == [project_path]
    assert settings.coder_name() == "anna"
    window.close_project()
    assert window.pages.currentWidget() is window.welcome
    assert window.welcome.recent.count() == 1


def test_an_unreadable_project_gives_a_message_not_a_crash(
    window, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(window, "show_error", shown.append)
    bad = tmp_path / "bad.labelloop"
    bad.write_text("hello")
    window.try_open(bad)
    assert shown and "not an SQLite database" in shown[0]
    assert window.pages.currentWidget() is window.welcome


def test_the_demo_project_opens_with_labels_and_an_evaluation_sample(
    window, qtbot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    window.open_demo()
    annotate = window.workspace.annotate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=10_000)
    progress = annotate.last_state.progress
    assert progress.documents == 450
    assert progress.labelled == 200
    assert progress.evaluation_size == 100
    assert len(annotate.categories.buttons) == 5


def test_opening_a_document_from_the_browser_switches_to_annotate(
    window, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    window.open_project(project_path)
    workspace = window.workspace
    workspace.setCurrentWidget(workspace.browser)
    window.context.open_document_requested.emit(2)
    text = workspace.annotate.document.text
    qtbot.waitUntil(lambda: text.toPlainText() == "Ajax wint", timeout=5000)
    assert workspace.currentWidget() is workspace.annotate


def test_export_from_the_window_writes_the_file(
    window, qtbot, project_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    window.open_project(project_path)
    target = tmp_path / "out.csv"
    window.export_to(target)
    qtbot.waitUntil(target.exists, timeout=5000)
    assert "Kabinet valt" in target.read_text(encoding="utf-8")


def test_bring_back_returns_the_coders_skipped_documents(window, qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    window.open_project(project_path)
    annotate = window.workspace.annotate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=5000)
    shown = annotate.last_state.document.id
    annotate.skip()
    qtbot.waitUntil(lambda: annotate.last_state.document.id != shown, timeout=5000)
    assert skipped_count(window.context.project, "anna") == 1
    window.bring_back_action.trigger()
    qtbot.waitUntil(
        lambda: "1 skipped document back" in window.statusBar().currentMessage(), timeout=5000
    )
    assert skipped_count(window.context.project, "anna") == 0
