"""The project store: one SQLite file per project, read and written through SQLAlchemy 2.0.

``Project`` opens or creates a project file and owns its engine; ``schema`` holds the typed
table models; ``migrations`` upgrades files written by older versions.
"""

from core.store.project import Project

__all__ = ["Project"]
