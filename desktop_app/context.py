"""What every page of an open project shares: the project, the job runner, the coder,
and the signals by which views follow the store (napari-style events).

Whoever changes the project announces it here; the views that care refresh themselves.
No page reaches into another page.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.store.project import Project
from desktop_app.worker import JobRunner


class ProjectContext(QObject):
    documents_changed = Signal()  # documents imported
    codebook_changed = Signal()  # categories added, renamed, merged, retired, reordered
    labels_changed = Signal()  # labels saved, changed or taken back
    coder_changed = Signal(str)
    runs_changed = Signal()  # a model run finished (trained, evaluated, saved)
    open_document_requested = Signal(int)  # e.g. double-click in the browser -> annotate

    def __init__(self, project: Project, runner: JobRunner, coder: str) -> None:
        super().__init__()
        self.project = project
        self.runner = runner
        self.coder = coder

    def set_coder(self, coder: str) -> None:
        if coder and coder != self.coder:
            self.coder = coder
            self.coder_changed.emit(coder)
