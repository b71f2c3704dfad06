"""The main window: a thin frame that swaps between the welcome page and a project."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QStackedWidget

from core.store.project import SUFFIX, Project
from desktop_app.overview_page import OverviewPage
from desktop_app.welcome_page import WelcomePage

_FILTER = f"LabelLoop projects (*{SUFFIX})"


class MainWindow(QMainWindow):
    """Holds the open project (at most one) and the pages that show it."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("LabelLoop")
        self.project: Project | None = None
        self.welcome = WelcomePage()
        self.overview = OverviewPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.overview)
        self.setCentralWidget(self.pages)
        self.welcome.new_requested.connect(self.ask_new_project)
        self.welcome.open_requested.connect(self.ask_open_project)
        self._build_menu()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&New project…", QKeySequence.StandardKey.New, self.ask_new_project),
            ("&Open project…", QKeySequence.StandardKey.Open, self.ask_open_project),
            ("&Close project", QKeySequence.StandardKey.Close, self.close_project),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

    def ask_new_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New project", "", _FILTER)
        if path:
            self.open_project(Path(path).with_suffix(SUFFIX), create=True)

    def ask_open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", _FILTER)
        if path:
            self.open_project(Path(path))

    def open_project(self, path: Path, *, create: bool = False) -> None:
        """Open ``path``; raises LabelLoopError (the caller shows it) if it cannot."""
        project = Project.open(path, create=create)
        self.close_project()
        self.project = project
        self.setWindowTitle(f"{path.stem} — LabelLoop")
        self.overview.show_project(project)
        self.pages.setCurrentWidget(self.overview)

    def close_project(self) -> None:
        if self.project is not None:
            self.project.close()
            self.project = None
        self.setWindowTitle("LabelLoop")
        self.pages.setCurrentWidget(self.welcome)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "LabelLoop", message)

    def closeEvent(self, event) -> None:
        self.close_project()
        super().closeEvent(event)
