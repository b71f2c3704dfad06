"""An open project: the Annotate, Documents, Codebook, Train and Evaluate tabs."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from desktop_app.annotate import AnnotateView
from desktop_app.browser.browser_view import DocumentsBrowser
from desktop_app.codebook_editor import CodebookEditor
from desktop_app.context import ProjectContext
from desktop_app.evaluate import EvaluatePage
from desktop_app.train_page import TrainPage


class Workspace(QTabWidget):
    """Assembles the pages of one project; each page talks to ``context`` only."""

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.annotate = AnnotateView(context)
        self.browser = DocumentsBrowser(context)
        self.codebook = CodebookEditor(context)
        self.train = TrainPage(context)
        self.evaluate = EvaluatePage(context)
        for page, title in (
            (self.annotate, "&Annotate"),
            (self.browser, "&Documents"),
            (self.codebook, "&Codebook"),
            (self.train, "&Train"),
            (self.evaluate, "&Evaluate"),
        ):
            self.addTab(page, title)
        context.open_document_requested.connect(lambda _: self.setCurrentWidget(self.annotate))

    def start(self) -> None:
        self.annotate.start()
        self.annotate.setFocus()
