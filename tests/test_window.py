"""The main window: welcome page, opening projects, the demo, closing cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from projects import older_project, skipped_count
from PySide6.QtCore import Qt

from core import codebook
from core.labelling.labels import set_label
from core.store.project import Project
from core.store.schema import Document
from desktop_app import settings
from desktop_app.annotate.annotate_view import ViewState

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
    annotate = open_and_wait(window, qtbot, project_path)
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
    annotate = open_and_wait(window, qtbot, project_path)
    shown = annotate.last_state.document.id
    annotate.skip()
    qtbot.waitUntil(lambda: annotate.last_state.document.id != shown, timeout=5000)
    assert skipped_count(window.context.project, "anna") == 1
    window.bring_back_action.trigger()
    qtbot.waitUntil(
        lambda: "1 skipped document back" in window.statusBar().currentMessage(), timeout=5000
    )
    assert skipped_count(window.context.project, "anna") == 0


def test_bring_back_refills_an_annotate_queue_that_skipping_emptied(
    window, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    annotate = open_and_wait(window, qtbot, project_path)
    for _ in range(2):
        annotate.skip()
        qtbot.waitUntil(lambda: annotate.view_state is not ViewState.BUSY, timeout=5000)
    assert annotate.last_state.document is None
    assert "Bring back" in annotate.message.text()
    window.bring_back_action.trigger()
    qtbot.waitUntil(lambda: annotate.last_state.document is not None, timeout=5000)
    assert annotate.view_state is ViewState.READY


def test_most_uncertain_first_before_any_model_leads_to_the_train_tab(
    window, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    annotate = open_and_wait(window, qtbot, project_path)
    annotate.set_queue("uncertain")
    qtbot.waitUntil(lambda: annotate.view_state is ViewState.NEEDS_MODEL, timeout=5000)
    qtbot.mouseClick(annotate.train_link, Qt.MouseButton.LeftButton)
    assert window.workspace.currentWidget() is window.workspace.train


def test_documents_imported_by_the_cli_in_another_process_show_in_the_annotate_header(
    window, qtbot, project_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    annotate = open_and_wait(window, qtbot, project_path)
    assert "0 of 2 documents labelled" in annotate.progress_label.text()
    source = tmp_path / "meer.csv"
    source.write_text("id,text,label\nm1,Kabinet valt weer,politiek\nm2,Ajax verliest,\n")
    import_with_the_cli(project_path, source)
    # No user action: the window notices the other program's commit by itself.
    qtbot.waitUntil(
        lambda: "1 of 4 documents labelled" in annotate.progress_label.text(), timeout=10_000
    )


def test_labels_given_by_another_coder_elsewhere_show_in_the_annotate_header(
    window, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _small_project(project_path)
    annotate = open_and_wait(window, qtbot, project_path)
    other = Project.open(project_path)  # another coder's window on a shared drive
    try:
        set_label(other, 1, 1, "bert")
    finally:
        other.engine.dispose()
    qtbot.waitUntil(
        lambda: "1 of 2 documents labelled" in annotate.progress_label.text(), timeout=10_000
    )


# -- "1 of 0 documents labelled": the header follows imports into an empty project ------

IMPORTED = "id,text,label\nm1,Kabinet valt weer,politiek\nm2,Ajax verliest,\n"


def test_an_import_with_the_dialog_shows_its_documents_in_the_annotate_header(
    window, qtbot, project_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.import_wizard import ImportDialog, Stage

    window.open_project(project_path, create=True)
    annotate = window.workspace.annotate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=5000)
    assert "0 of 0 documents labelled" in annotate.progress_label.text()
    # Only the import job's own announcement may tell the view: no polling for others.
    window.context.stop_watching()
    source = tmp_path / "meer.csv"
    source.write_text(IMPORTED)
    window.ask_import(source)
    dialog = window.findChild(ImportDialog)
    qtbot.waitUntil(lambda: dialog.stage is Stage.READY, timeout=10_000)
    assert dialog.columns.label_combo.currentData() == "label"
    dialog.start_import()
    qtbot.waitUntil(
        lambda: "1 of 2 documents labelled" in annotate.progress_label.text(), timeout=10_000
    )
    assert annotate.view_state is ViewState.READY  # the empty queue filled
    # The category the labels brought along has its button, with its one label.
    assert [b.text() for b in annotate.categories.buttons.values()] == ["[1]  politiek   ·  1"]
    dialog.close()


def test_an_import_by_the_cli_into_an_empty_project_shows_in_the_annotate_header(
    window, qtbot, project_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    Project.open(project_path, create=True).close()
    annotate = open_and_wait(window, qtbot, project_path)
    assert "0 of 0 documents labelled" in annotate.progress_label.text()
    source = tmp_path / "meer.csv"
    source.write_text(IMPORTED)
    import_with_the_cli(project_path, source)
    qtbot.waitUntil(
        lambda: "1 of 2 documents labelled" in annotate.progress_label.text(), timeout=10_000
    )
    assert annotate.view_state is ViewState.READY


def import_with_the_cli(project_path: Path, source: Path) -> None:
    """Import ``source`` as another program would: the command line, in its own process."""
    result = subprocess.run(
        [sys.executable, "-m", "cli", "import", str(project_path),
         str(source), "--text-col", "text", "--id-col", "id", "--label-col", "label"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_project_from_an_older_version_is_upgraded_off_the_gui_thread_then_opened(
    window, qtbot, project_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Upgrading takes up to a minute at a million documents: the window shows what is
    happening and stays responsive; the project opens when the upgrade is done."""
    from sqlalchemy import text

    from core.store.project import HEAD_REVISION

    with older_project(project_path, "0005") as connection:
        connection.execute(
            text(
                "INSERT INTO documents (id, external_id, text, meta, content_hash) "
                "VALUES (1, 'a', 'Het kabinet valt', '{}', 'h')"
            )
        )

    window.open_project(project_path)
    assert window.upgrade_dialog is not None and window.upgrade_dialog.isVisible()
    assert "Upgrading" in window.upgrade_dialog.labelText()
    qtbot.waitUntil(lambda: window.context is not None, timeout=30_000)
    assert window.upgrade_dialog is None
    assert window.context.project.schema_revision() == HEAD_REVISION
    annotate = window.workspace.annotate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=5000)
    assert annotate.document.text.toPlainText() == "Het kabinet valt"
    assert list(project_path.parent.glob(f"{project_path.name}.bak-0005-*"))


def open_and_wait(window, qtbot, path: Path):  # type: ignore[no-untyped-def]
    """Open ``path`` in the window and wait for the Annotate view's first state."""
    window.open_project(path)
    annotate = window.workspace.annotate
    qtbot.waitUntil(lambda: annotate.last_state is not None, timeout=5000)
    return annotate
