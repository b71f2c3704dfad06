"""Insert-or-update and insert-if-missing, which every database spells its own way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from core.store.dialect import require_sqlite
from core.store.schema import Annotation, Skip


def upsert_annotations(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each coder the label of their row (``Annotation`` columns as keys): a new
    annotation, or their existing one on that document with the row's category, purpose
    and ``updated_at`` (its note and ``created_at`` kept)."""
    require_sqlite(session)
    upsert = insert(Annotation)
    upsert = upsert.on_conflict_do_update(
        index_elements=["document_id", "coder"],
        set_={
            "category_id": upsert.excluded.category_id,
            "purpose": upsert.excluded.purpose,
            "updated_at": upsert.excluded.updated_at,
        },
    )
    session.connection().execute(upsert, rows)


def add_skip(session: Session, document_id: int, coder: str, at: dt.datetime) -> None:
    """Record that ``coder`` skipped ``document_id`` (a second skip changes nothing)."""
    require_sqlite(session)
    session.execute(
        insert(Skip)
        .values(document_id=document_id, coder=coder, skipped_at=at)
        .on_conflict_do_nothing()
    )
