"""Private copies of project files built once per module or session."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.store import Project


def open_copy(source: Path, folder: Path) -> Project:
    """Copy a project file, and its models folder when it has one, into ``folder``; open it."""
    target = folder / source.name
    shutil.copy(source, target)
    models = source.with_name(f"{source.stem}.models")
    if models.is_dir():
        shutil.copytree(models, target.with_name(models.name))
    return Project.open(target)
