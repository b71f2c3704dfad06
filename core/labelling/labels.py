"""Setting and removing labels, with every change kept in the label history.

A coder has at most one current label per document (table ``annotations``); each change
also appends a row to ``annotation_events``, so nothing a coder did is ever lost. Each
function is one short write transaction: when it returns, the label is on disk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
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


def resolve_label(labels: list[tuple[str, Any]]) -> str:
    """The label most coders gave; among equally common ones, the most recent.

    ``labels`` holds (category name, updated_at) for each coder's current label.
    """
    if not labels:
        return ""
    counts = Counter(name for name, _ in labels)
    top = max(counts.values())
    tied = [(when, name) for name, when in labels if counts[name] == top]
    return max(tied)[1]


def resolved_labels_query(where: ColumnElement[bool] | None = None) -> Select[tuple[int, int]]:
    """(document id, category id) of the resolved label of each document whose
    annotations pass ``where`` (a condition on ``Annotation``), in one query.

    Per document and category: how many coders gave it and when it was last given; then
    the first by (coders desc, latest desc, name desc), which is the order
    :func:`resolve_label` uses. Window functions: SQLite 3.25 or later.
    """
    per = select(
        Annotation.document_id,
        Annotation.category_id,
        func.count().label("coders"),
        func.max(Annotation.updated_at).label("latest"),
    )
    if where is not None:
        per = per.where(where)
    grouped = per.group_by(Annotation.document_id, Annotation.category_id).cte("per")
    place = func.row_number().over(
        partition_by=grouped.c.document_id,
        order_by=(grouped.c.coders.desc(), grouped.c.latest.desc(), Category.name.desc()),
    )
    ranked = (
        select(grouped.c.document_id, grouped.c.category_id, place.label("place"))
        .join(Category, Category.id == grouped.c.category_id)
        .subquery()
    )
    return select(ranked.c.document_id, ranked.c.category_id).where(ranked.c.place == 1)


def resolved_labels(session: Session, where: ColumnElement[bool] | None = None) -> dict[int, int]:
    """Document id -> category id of its resolved label, for annotations passing ``where``.

    The resolved label is the one most coders gave; among equally common ones, the most
    recently given (as :func:`resolve_label`).
    """
    return dict(session.execute(resolved_labels_query(where)).all())


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
