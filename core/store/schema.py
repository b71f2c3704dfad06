"""The project file's tables, as SQLAlchemy 2.0 typed models.

The file is plain SQLite: any SQLite tool (``sqlite3``, DB Browser, R's ``RSQLite``)
can read it. The schema is documented table by table in docs/project-file.md; keep the
two in step. Changes to these models need a new migration in ``core/store/migrations``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.store.probabilities import StoredProbabilities


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


PURPOSES = ("train", "eval")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ProjectInfo(Base):
    """Key/value facts about the project (its id, the codebook version, who created it)."""

    __tablename__ = "project_info"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ImportBatch(Base):
    """One completed import: where the documents came from and what happened to each row."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    file_format: Mapped[str] = mapped_column(String)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Document(Base):
    """A text to classify. ``external_id`` is the id from the source file (or one we made)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(Text, unique=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A fingerprint of the text, to find exact duplicates; not indexed (migration 0008).
    content_hash: Mapped[str] = mapped_column(String)


class EvaluationSample(Base):
    """A document drawn at random into the evaluation sample (``draw`` numbers each draw)."""

    __tablename__ = "evaluation_sample"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    draw: Mapped[int] = mapped_column(Integer)
    drawn_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Skip(Base):
    """A coder passed over a training document: their training queues leave it out.

    Label Studio's "skip" works the same way: other coders still get the document, and
    the coder can bring their skipped documents back. Documents in the evaluation
    sample are never recorded here: the sample must be labelled in full.
    """

    __tablename__ = "skips"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    coder: Mapped[str] = mapped_column(Text, primary_key=True)
    skipped_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Category(Base):
    """A codebook category. Categories are retired or merged, never deleted with labels."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    shortcut: Mapped[str | None] = mapped_column(String)
    colour: Mapped[str] = mapped_column(String, default="#0072B2")
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Annotation(Base):
    """A coder's current label for a document (one per document and coder)."""

    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("document_id", "coder"),
        CheckConstraint("purpose IN ('train', 'eval')", name="purpose_is_train_or_eval"),
        # Counting labelled documents per category (every labelling step) reads this
        # index alone, without a temporary B-tree.
        Index("ix_annotations_category_document", "category_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    coder: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String, default="train")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AnnotationEvent(Base):
    """Append-only history of every label change: set, removed, or moved by a merge.

    ``category_id`` is the label after the event (NULL when it was removed);
    ``previous_category_id`` the label before it (NULL when there was none).
    """

    __tablename__ = "annotation_events"
    __table_args__ = (Index("ix_annotation_events_document", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    coder: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    previous_category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    purpose: Mapped[str | None] = mapped_column(String)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ModelRun(Base):
    """One training run: what was trained on what, how, and how well it did.

    ``status`` is 'running', 'finished', 'cancelled', 'failed' or 'interrupted' (its
    process stopped without a word: killed, crashed, switched off). While a run is
    running its job refreshes ``heartbeat_at`` every few seconds (``core.training.heartbeat``).
    """

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default="running")
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    library_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seed: Mapped[int | None] = mapped_column(Integer)
    label_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    codebook_version: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    artifact_path: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Prediction(Base):
    """A run's prediction for one document: label, per-category probabilities, uncertainty.

    ``probabilities`` maps category id (as a string) to probability; it is stored as a
    compact binary array (``core.store.probabilities``).
    """

    __tablename__ = "predictions"
    # No index on (run, uncertainty): the queues rank a run's values in one pass
    # (migration 0009).

    run_id: Mapped[int] = mapped_column(
        ForeignKey("model_runs.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    probabilities: Mapped[dict[str, float]] = mapped_column(StoredProbabilities, default=dict)
    uncertainty: Mapped[float] = mapped_column(Float)
