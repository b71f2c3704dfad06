"""The main window: a thin frame that opens projects and assembles the pages.

It owns the job runner and the open project's context; the pages do the work. Closing
the window (or the project) cancels running jobs and waits for their threads.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QStackedWidget,
)

from core.demo import open_demo_project
from core.errors import LabelLoopError
from core.export import EXPORT_FORMATS, export_documents
from core.labelling.skips import bring_back
from core.store.changes import Change
from core.store.project import SUFFIX, Project, needs_upgrade
from desktop_app import settings
from desktop_app.context import ProjectContext
from desktop_app.job_progress import JobProgress
from desktop_app.welcome_page import WelcomePage
from desktop_app.worker import JobRunner
from desktop_app.workspace import Workspace

if TYPE_CHECKING:
    from desktop_app.simulation.dialog import SimulationDialog

_PROJECTS = f"LabelLoop projects (*{SUFFIX})"
_EXPORTS = "CSV (*.csv);;Excel (*.xlsx);;Parquet (*.parquet);;Stata (*.dta)"


class MainWindow(QMainWindow):
    """Holds at most one open project and swaps between the welcome page and it."""

    def __init__(self, *, default_coder: str | None = None) -> None:
        """``default_coder`` is used instead of asking, when no coder name is saved yet
        (start-up checks and tests, which must not wait for a dialog)."""
        super().__init__()
        self.setWindowTitle("LabelLoop")
        self._default_coder = default_coder
        self.setAcceptDrops(True)
        self.runner = JobRunner(self)
        #: Jobs that need no project (the simulation): opening or closing one leaves them.
        self.tool_runner = JobRunner(self)
        self.context: ProjectContext | None = None
        self.workspace: Workspace | None = None
        self.simulation_dialog: SimulationDialog | None = None
        self.upgrade_dialog: QProgressDialog | None = None  # while an old project upgrades
        self.welcome = WelcomePage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.setCentralWidget(self.pages)
        self.job_progress = JobProgress()
        self.coder_label = QLabel()
        self.statusBar().addPermanentWidget(self.job_progress, 1)
        self.statusBar().addPermanentWidget(self.coder_label)
        self.runner.job_started.connect(self._track_long_job)
        self.welcome.new_requested.connect(self.ask_new_project)
        self.welcome.open_requested.connect(self.ask_open_project)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.recent_requested.connect(self.try_open)
        self.welcome.set_recent(settings.recent_projects())
        self._build_menus()
        self._update_actions()
        geometry = settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)

    # -- menus -----------------------------------------------------------------------

    def _action(self, menu: QMenu, text: str, slot, shortcut=None) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&New project…", self.ask_new_project, QKeySequence.StandardKey.New)
        self._action(file, "&Open project…", self.ask_open_project, QKeySequence.StandardKey.Open)
        self._action(file, "Open &demo project", self.open_demo)
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        self.import_action = self._action(
            file, "&Import documents…", lambda: self.ask_import(), QKeySequence("Ctrl+I")
        )
        self.export_action = self._action(
            file, "&Export labels and predictions…", self.ask_export, QKeySequence("Ctrl+E")
        )
        file.addSeparator()
        self.close_action = self._action(
            file, "&Close project", self.close_project, QKeySequence.StandardKey.Close
        )
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        coder = self.menuBar().addMenu("&Coder")
        self._action(coder, "&Switch coder…", self.ask_coder)
        self.bring_back_action = self._action(
            coder, "&Bring back the documents I skipped", self.bring_back_skipped
        )
        tools = self.menuBar().addMenu("&Tools")
        self._action(tools, "Simulate &active learning…", self.show_simulation)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About LabelLoop", self._about)

    def _update_actions(self) -> None:
        is_open = self.context is not None
        for action in (
            self.import_action,
            self.export_action,
            self.close_action,
            self.bring_back_action,
        ):
            action.setEnabled(is_open)
        coder = self.context.coder if self.context else settings.coder_name()
        self.coder_label.setText(f"Coder: {coder}" if coder else "")

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_projects():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(functools.partial(self.try_open, path))

    # -- projects --------------------------------------------------------------------

    def ask_new_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New project", "", _PROJECTS)
        if path:
            self.try_open(Path(path).with_suffix(SUFFIX), create=True)

    def ask_open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", _PROJECTS)
        if path:
            self.try_open(Path(path))

    def open_demo(self) -> None:
        folder = Path(platformdirs.user_data_dir("LabelLoop", "LabelLoop"))
        try:
            self.set_project(open_demo_project(folder))
        except LabelLoopError as error:
            self.show_error(str(error))

    def try_open(self, path: Path, *, create: bool = False) -> None:
        """Open ``path`` and show a clear message if it cannot be opened."""
        try:
            self.open_project(path, create=create)
        except LabelLoopError as error:
            self.show_error(str(error))

    def open_project(self, path: Path, *, create: bool = False) -> None:
        """Open ``path``; raises LabelLoopError if it cannot.

        A project written by an older LabelLoop is upgraded first (a backup copy, then
        the migrations): seconds to a minute, so on a worker thread while a dialog says
        what is happening; the project opens when it is done. Others open at once.
        """
        if needs_upgrade(path):
            self._open_after_upgrade(Path(path))
            return
        self.set_project(Project.open(path, create=create))

    def _open_after_upgrade(self, path: Path) -> None:
        self.close_project()
        dialog = QProgressDialog(
            f"Upgrading {path.name} to this version of LabelLoop: a backup copy is made "
            "first, then the project is converted. This happens once and can take a "
            "minute for a large project.",
            "",
            0,
            0,
            self,
        )
        label = QLabel(dialog.labelText())
        label.setWordWrap(True)
        dialog.setLabel(label)
        dialog.setMinimumWidth(420)
        dialog.setWindowTitle("Upgrading project")
        dialog.setCancelButton(None)  # a migration is one transaction: it cannot stop halfway
        dialog.setMinimumDuration(0)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.upgrade_dialog = dialog
        handle = self.runner.run(
            f"Upgrading {path.name}", lambda progress, should_cancel: Project.open(path)
        )

        def done() -> None:
            dialog.close()
            self.upgrade_dialog = None

        handle.returned.connect(lambda project: (done(), self.set_project(project)))
        handle.errored.connect(lambda error: (done(), self.show_error(str(error))))
        dialog.show()

    def set_project(self, project: Project) -> None:
        self.close_project()
        coder = settings.coder_name() or self._default_coder or self._ask_coder_name() or "coder"
        settings.set_coder_name(coder)
        self.context = ProjectContext(project, self.runner, coder)
        self.context.watch_other_programs()  # the CLI, another coder, a training elsewhere
        self.workspace = Workspace(self.context)
        self.pages.addWidget(self.workspace)
        self.pages.setCurrentWidget(self.workspace)
        self.setWindowTitle(f"{project.path.stem} — LabelLoop")
        settings.remember_project(project.path)
        self._update_actions()
        self.workspace.start()

    def close_project(self) -> None:
        """Cancel running jobs, wait for them, and close the project file."""
        self.runner.cancel_all_and_wait()
        if self.workspace is not None:
            self.pages.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        if self.context is not None:
            self.context.close()
            self.context.project.close()
            self.context = None
        self.setWindowTitle("LabelLoop")
        self.welcome.set_recent(settings.recent_projects())
        self.pages.setCurrentWidget(self.welcome)
        self._update_actions()

    # -- coder -----------------------------------------------------------------------

    def _ask_coder_name(self) -> str:
        name, ok = QInputDialog.getText(
            self,
            "Who is labelling?",
            "Your name or initials. It is stored with every label you give, so that "
            "labels by different coders can be compared.",
        )
        return name.strip() if ok else ""

    def ask_coder(self) -> None:
        name = self._ask_coder_name()
        if name:
            settings.set_coder_name(name)
            if self.context is not None:
                self.context.set_coder(name)
            self._update_actions()

    def bring_back_skipped(self) -> None:
        """Return the documents this coder skipped to their training queues."""
        if self.context is None:
            return
        project, coder = self.context.project, self.context.coder
        handle = self.context.run(
            "Bringing back skipped documents",
            lambda progress, should_cancel: bring_back(project, coder),
            changes=Change.SKIPS,  # the annotate queue refills
        )
        handle.returned.connect(self._on_brought_back)
        handle.errored.connect(lambda error: self.show_error(str(error)))

    def _on_brought_back(self, count: int) -> None:
        self.statusBar().showMessage(
            f"{count:,} skipped document{'s' if count != 1 else ''} back in your queues.",
            10_000,
        )

    # -- import and export -------------------------------------------------------------

    def ask_import(self, path: Path | None = None) -> None:
        if self.context is None:
            return
        from desktop_app.import_wizard import ImportDialog

        dialog = ImportDialog(self.context, path, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def ask_export(self) -> None:
        if self.context is None:
            return
        default = str(self.context.project.path.with_suffix(".csv"))
        path, chosen = QFileDialog.getSaveFileName(self, "Export", default, _EXPORTS)
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in EXPORT_FORMATS:
            target = target.with_suffix(chosen.split("*")[1].rstrip(")"))
        self.export_to(target)

    def export_to(self, target: Path) -> None:
        assert self.context is not None
        handle = self.context.run(
            "Exporting", functools.partial(export_documents, self.context.project, target)
        )
        handle.returned.connect(
            lambda summary: self.statusBar().showMessage(summary.describe(), 10_000)
        )
        handle.errored.connect(lambda error: self.show_error(str(error)))

    def _track_long_job(self, handle) -> None:  # type: ignore[no-untyped-def]
        # Labelling steps take milliseconds; a progress bar would only flicker.
        if handle.name in ("Exporting", "Drawing the evaluation sample"):
            self.job_progress.track(handle)

    # -- tools -----------------------------------------------------------------------

    def show_simulation(self) -> None:
        """Show the (one) active-learning simulation dialog; it needs no project."""
        if self.simulation_dialog is None:
            from desktop_app.simulation.dialog import SimulationDialog

            self.simulation_dialog = SimulationDialog(self.tool_runner, self)
        self.simulation_dialog.show()
        self.simulation_dialog.raise_()
        self.simulation_dialog.activateWindow()

    # -- window ----------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "LabelLoop", message)

    def _about(self) -> None:
        from core import __version__

        QMessageBox.about(
            self,
            "About LabelLoop",
            f"LabelLoop {__version__}\nLabel texts, train models, evaluate honestly.",
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.context is not None and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls and self.context is not None:
            event.acceptProposedAction()
            self.ask_import(Path(urls[0].toLocalFile()))

    def changeEvent(self, event: QEvent) -> None:
        # Back in the window (after the CLI ran in a terminal, say): look at once.
        if (
            event.type() == QEvent.Type.ActivationChange
            and self.isActiveWindow()
            and self.context is not None
        ):
            self.context.poll_other_programs()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings.save_window_geometry(self.saveGeometry())
        self.close_project()
        self.tool_runner.cancel_all_and_wait()
        super().closeEvent(event)
