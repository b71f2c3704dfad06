"""The project store: one SQLite file per project, read and written through SQLAlchemy 2.0.

``Project`` opens or creates a project file and owns its engine; ``schema`` holds the typed
table models; ``migrations`` upgrades files written by older versions.

All SQL that is not portable SQLAlchemy lives here, one module per concern: ``bulk``
(the import's multi-row writes), ``upserts``, ``predictions`` (the training job's writer,
the purge, probabilities read back as arrays) with ``probabilities`` (their packed form),
``fulltext`` (FTS5), ``ids`` (id arrays), ``browsing`` (a page of the browser),
``metadata`` (JSON metadata for the export), and ``counts``, the shared reads every page
shows. ``dialect`` marks what is SQLite-only.
"""

from core.store.project import Project

__all__ = ["Project"]
