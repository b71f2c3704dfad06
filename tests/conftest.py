"""Shared fixtures: real project files in temporary folders."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt tests run without a display; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from core.store import Project


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Point the window's settings at a temporary file: tests never touch a user's."""
    path = tmp_path_factory.mktemp("settings") / "labelloop.ini"
    monkeypatch.setenv("LABELLOOP_SETTINGS", str(path))


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return tmp_path / "study.labelloop"


@pytest.fixture
def project(project_path: Path) -> Iterator[Project]:
    """A fresh, empty project file, closed after the test."""
    opened = Project.open(project_path, create=True)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project, built once per test session; tests use a private copy (``demo``)."""
    from core.demo import build_demo_project

    path = tmp_path_factory.mktemp("demo") / "demo.labelloop"
    build_demo_project(path).close()
    return path


@pytest.fixture
def demo(demo_copy: Path, tmp_path: Path) -> Iterator[Project]:
    """A private copy of the demo project (450 texts, 100 train + 100 evaluation labels)."""
    from projects import open_copy

    project = open_copy(demo_copy, tmp_path)
    yield project
    project.close()


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT in a folder, loaded like BERTje would be (see tests/tiny_bert.py)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(autouse=True)
def no_job_left_running() -> Iterator[None]:
    """Fail any test that leaves a background job's QThread running (like napari's)."""
    yield
    worker = sys.modules.get("desktop_app.worker")
    if worker is None:  # no Qt in this test session (yet)
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    deadline = time.monotonic() + 5
    while worker.live_jobs() and time.monotonic() < deadline:
        if app is not None:
            app.processEvents()
        time.sleep(0.01)
    if worker.live_jobs():
        pytest.fail(f"jobs still running after the test: {worker.live_jobs()}")
