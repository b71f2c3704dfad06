"""What the window remembers between runs: coder name, recent projects, geometry.

Stored with QSettings (per user). ``LABELLOOP_SETTINGS`` points it at a file instead,
which the tests use so they never touch a real user's settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8


def _settings() -> QSettings:
    path = os.environ.get("LABELLOOP_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("LabelLoop", "LabelLoop")


def coder_name() -> str:
    return str(_settings().value("coder", "") or "")


def set_coder_name(name: str) -> None:
    _settings().setValue("coder", name.strip())


def recent_projects() -> list[Path]:
    value = _settings().value("recent", []) or []
    paths = [value] if isinstance(value, str) else list(value)
    return [Path(p) for p in paths if Path(p).exists()]


def remember_project(path: Path) -> None:
    paths = [str(path)] + [str(p) for p in recent_projects() if p != path]
    _settings().setValue("recent", paths[:MAX_RECENT])


def window_geometry() -> QByteArray | None:
    value = _settings().value("geometry")
    return value if isinstance(value, QByteArray) else None


def save_window_geometry(geometry: QByteArray) -> None:
    _settings().setValue("geometry", geometry)
