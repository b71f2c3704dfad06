"""Private copies of project files built once per module or session, and reads of what
a project file holds."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from core.store import Project
from core.store.schema import Skip


def open_copy(source: Path, folder: Path) -> Project:
    """Copy a project file, and its models folder when it has one, into ``folder``; open it."""
    target = folder / source.name
    shutil.copy(source, target)
    models = source.with_name(f"{source.stem}.models")
    if models.is_dir():
        shutil.copytree(models, target.with_name(models.name))
    return Project.open(target)


def skipped_count(project: Project, coder: str) -> int:
    """Rows in the ``skips`` table for ``coder``: the documents they skipped for good."""
    with project.read() as session:
        return session.scalar(select(func.count()).where(Skip.coder == coder)) or 0
