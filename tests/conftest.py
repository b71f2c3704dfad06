"""Shared fixtures: real project files in temporary folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt tests run without a display; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from core.store import Project


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return tmp_path / "study.labelloop"


@pytest.fixture
def project(project_path: Path) -> Iterator[Project]:
    """A fresh, empty project file, closed after the test."""
    opened = Project.open(project_path, create=True)
    yield opened
    opened.close()
