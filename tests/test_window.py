"""The window as it stands before the labelling views: welcome page, open a project."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import codebook
from core.labels import set_label
from core.store.project import Project
from core.store.schema import Document

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    from desktop_app.main_window import MainWindow

    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()


def test_window_starts_on_the_welcome_page(window) -> None:  # type: ignore[no-untyped-def]
    assert window.pages.currentWidget() is window.welcome
    assert window.windowTitle() == "LabelLoop"


def test_opening_a_project_shows_its_counts_and_categories(window, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Project.open(project_path, create=True) as project:
        with project.write() as session:
            session.add(Document(id=1, external_id="1", text="a", meta={}, content_hash="a"))
            session.add(Document(id=2, external_id="2", text="b", meta={}, content_hash="b"))
        politics = codebook.add_category(project, "politiek")
        set_label(project, 1, politics.id, "anna", purpose="eval")

    window.open_project(project_path)

    assert window.pages.currentWidget() is window.overview
    assert "study" in window.windowTitle()
    assert "2 documents: 1 labelled, 1 to go" in window.overview.counts.text()
    row = window.overview.categories.topLevelItem(0)
    assert [row.text(i) for i in range(4)] == ["1", "politiek", "0", "1"]
    window.close_project()
    assert window.pages.currentWidget() is window.welcome
