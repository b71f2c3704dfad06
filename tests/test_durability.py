"""A label the user saw being saved survives the process being killed (kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from core import codebook
from core.store.project import Project
from core.store.schema import Annotation, Document

pytestmark = pytest.mark.gui

# The child labels document after document by key press, printing the id of each
# document whose label the window has confirmed (the next document is on screen).
CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from core.store.project import Project
    from desktop_app.annotate import AnnotateView
    from desktop_app.context import ProjectContext
    from desktop_app.worker import JobRunner

    app = QApplication([])
    view = AnnotateView(ProjectContext(Project.open(sys.argv[1]), JobRunner(), "anna"))
    view.show()
    shown = []

    def on_state(state):
        if shown:
            print(f"saved {shown[-1]}", flush=True)
        if state.document is not None:
            shown.append(state.document.id)
            QTest.keyClick(view, Qt.Key.Key_1)

    view.state_shown.connect(on_state)
    view.set_queue("file-order")
    app.exec()
    """
)


def test_labels_shown_as_saved_survive_kill_9(project_path: Path) -> None:
    with Project.open(project_path, create=True) as project:
        with project.write() as session:
            for i in range(1, 2001):
                session.add(
                    Document(
                        id=i, external_id=str(i), text=f"tekst {i}", meta={}, content_hash=str(i)
                    )
                )
        codebook.add_category(project, "politiek")

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    confirmed: list[int] = []
    assert child.stdout is not None
    for line in child.stdout:
        confirmed.append(int(line.split()[1]))
        if len(confirmed) == 40:
            os.kill(child.pid, signal.SIGKILL)  # mid-stream: the next label is in flight
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""

    with Project.open(project_path) as project, project.read() as session:
        saved = set(session.scalars(select(Annotation.document_id)))
    assert set(confirmed) <= saved
    assert len(confirmed) == 40
