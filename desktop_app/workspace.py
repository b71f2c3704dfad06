"""An open project: the Annotate, Documents and Codebook tabs side by side."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from desktop_app.annotate import AnnotateView
from desktop_app.context import ProjectContext


class Workspace(QTabWidget):
    """Assembles the pages of one project; each page talks to ``context`` only."""

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.annotate = AnnotateView(context)
        self.addTab(self.annotate, "&Annotate")
        self.browser: QWidget | None = None
        self.codebook: QWidget | None = None
        self._add_optional_pages()
        context.open_document_requested.connect(lambda _: self.setCurrentWidget(self.annotate))

    def _add_optional_pages(self) -> None:
        from desktop_app.browser.browser_view import DocumentsBrowser
        from desktop_app.codebook_editor import CodebookEditor

        self.browser = DocumentsBrowser(self.context)
        self.addTab(self.browser, "&Documents")
        self.codebook = CodebookEditor(self.context)
        self.addTab(self.codebook, "&Codebook")

    def start(self) -> None:
        self.annotate.start()
        self.annotate.setFocus()
