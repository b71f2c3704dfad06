"""Setting and removing labels, with every change kept in the label history.

A coder has at most one current label per document (table ``annotations``); each change
also appends a row to ``annotation_events``, so nothing a coder did is ever lost. Each
function is one short write transaction: when it returns, the label is on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import LabelLoopError
from core.store.project import Project
from core.store.schema import (
    PURPOSES,
    Annotation,
    AnnotationEvent,
    Category,
    Document,
    EvaluationSample,
    utcnow,
)

# The resolved label of each document whose annotations pass ``{where}``, in one query:
# per document and category, how many coders gave it and when it was last given; then the
# first by (coders desc, latest desc, name desc), which is the order resolve_label uses.
# ``updated_at`` is stored as 'YYYY-MM-DD HH:MM:SS.ffffff', so text order is time order.
RESOLVED_LABELS_SQL = """
WITH per AS (
    SELECT a.document_id AS document_id, a.category_id AS category_id,
           count(*) AS coders, max(a.updated_at) AS latest
    FROM annotations AS a
    WHERE {where}
    GROUP BY a.document_id, a.category_id
)
SELECT document_id, category_id FROM (
    SELECT per.document_id AS document_id, per.category_id AS category_id,
           row_number() OVER (
               PARTITION BY per.document_id
               ORDER BY per.coders DESC, per.latest DESC, c.name DESC
           ) AS place
    FROM per JOIN categories AS c ON c.id = per.category_id
)
WHERE place = 1
"""


def resolved_labels(session: Session, where: str = "1") -> dict[int, int]:
    """Document id -> category id of its resolved label, for annotations passing ``where``.

    The resolved label is the one most coders gave; among equally common ones, the most
    recently given (as :func:`core.export.resolve_label`).
    """
    sql = RESOLVED_LABELS_SQL.format(where=where)
    return dict(session.connection().exec_driver_sql(sql).fetchall())


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: str
    coder: str
    action: str
    category: str | None
    previous_category: str | None
    purpose: str | None
    note: str


def set_label(
    project: Project,
    document_id: int,
    category_id: int,
    coder: str,
    *,
    purpose: str | None = None,
    note: str = "",
) -> None:
    """Give ``document_id`` the label ``category_id`` from ``coder`` (replacing theirs).

    ``purpose`` defaults to 'eval' for documents in the evaluation sample, else 'train'.
    """
    with project.write() as session:
        write_label(session, document_id, category_id, coder, purpose=purpose, note=note)


def write_label(
    session: Session,
    document_id: int,
    category_id: int,
    coder: str,
    *,
    purpose: str | None = None,
    note: str = "",
    action: str = "set",
) -> None:
    """:func:`set_label` inside a write transaction the caller holds."""
    if purpose is None:
        in_sample = session.get(EvaluationSample, document_id) is not None
        purpose = "eval" if in_sample else "train"
    if purpose not in PURPOSES:
        raise LabelLoopError(f"Purpose must be 'train' or 'eval', not '{purpose}'.")
    coder = coder.strip()
    if not coder:
        raise LabelLoopError("A label needs a coder name.")
    category = session.get(Category, category_id)
    if category is None or category.retired:
        raise LabelLoopError("That category is retired or unknown; pick an active one.")
    if session.get(Document, document_id) is None:
        raise LabelLoopError(f"Document {document_id} does not exist.")
    now = utcnow()
    current = session.scalars(
        select(Annotation).where(Annotation.document_id == document_id, Annotation.coder == coder)
    ).one_or_none()
    previous = current.category_id if current else None
    if current is None:
        session.add(
            Annotation(
                document_id=document_id,
                category_id=category_id,
                coder=coder,
                purpose=purpose,
                note=note,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        current.category_id = category_id
        current.purpose = purpose
        current.note = note
        current.updated_at = now
    session.add(
        AnnotationEvent(
            document_id=document_id,
            coder=coder,
            action=action,
            category_id=category_id,
            previous_category_id=previous,
            purpose=purpose,
            note=note,
            at=now,
        )
    )


def remove_label(project: Project, document_id: int, coder: str) -> bool:
    """Take back ``coder``'s label on a document; the history keeps it. False if none."""
    with project.write() as session:
        current = session.scalars(
            select(Annotation).where(
                Annotation.document_id == document_id, Annotation.coder == coder
            )
        ).one_or_none()
        if current is None:
            return False
        delete_label(session, current, action="remove")
        return True


def delete_label(session: Session, annotation: Annotation, *, action: str) -> None:
    """Delete a current label inside the caller's write transaction, keeping its history."""
    session.add(
        AnnotationEvent(
            document_id=annotation.document_id,
            coder=annotation.coder,
            action=action,
            category_id=None,
            previous_category_id=annotation.category_id,
            purpose=annotation.purpose,
            note=annotation.note,
            at=utcnow(),
        )
    )
    session.delete(annotation)


def label_history(project: Project, document_id: int) -> list[HistoryEntry]:
    """Every label change on a document, oldest first."""
    with project.read() as session:
        names = dict(session.execute(select(Category.id, Category.name)).all())
        events = session.scalars(
            select(AnnotationEvent)
            .where(AnnotationEvent.document_id == document_id)
            .order_by(AnnotationEvent.id)
        )
        return [
            HistoryEntry(
                at=e.at.isoformat(timespec="seconds"),
                coder=e.coder,
                action=e.action,
                category=names.get(e.category_id) if e.category_id else None,
                previous_category=(
                    names.get(e.previous_category_id) if e.previous_category_id else None
                ),
                purpose=e.purpose,
                note=e.note,
            )
            for e in events
        ]
