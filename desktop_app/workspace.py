"""An open project: the Annotate, Documents, Codebook, Train and Evaluate tabs."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from desktop_app.annotate import AnnotateView
from desktop_app.browser.browser_view import DocumentsBrowser
from desktop_app.codebook_editor import CodebookEditor
from desktop_app.context import ProjectContext
from desktop_app.evaluate import EvaluatePage
from desktop_app.train.train_page import TrainPage


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
        self._pages: dict[str, QWidget] = {
            "annotate": self.annotate,
            "documents": self.browser,
            "codebook": self.codebook,
            "train": self.train,
            "evaluate": self.evaluate,
        }
        for page, title in zip(
            self._pages.values(),
            ("&Annotate", "&Documents", "&Codebook", "&Train", "&Evaluate"),
            strict=True,
        ):
            self.addTab(page, title)
        context.open_document_requested.connect(lambda _: self.setCurrentWidget(self.annotate))
        context.show_page_requested.connect(self.show_page)

    def show_page(self, name: str) -> None:
        """Show the page called ``name`` ("annotate", "documents", "codebook", "train",
        "evaluate"): how one page leads the user to another without knowing it."""
        self.setCurrentWidget(self._pages[name])

    def start(self) -> None:
        self.annotate.start()
        self.annotate.setFocus()
