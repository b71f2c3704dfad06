"""What the documents' metadata holds: its keys, their JSON types, their largest numbers.

Metadata is a JSON object per document (``documents.meta``). Its types are named as
SQLite's ``json_each`` names them: 'null', 'true', 'false', 'integer', 'real', 'text',
'array', 'object'.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.store.dialect import require_sqlite


def metadata_types(session: Session) -> dict[str, set[str]]:
    """Every metadata key (in no particular order) with the types of its values, 'null'
    left out: a key that is null everywhere maps to an empty set."""
    require_sqlite(session)
    kinds: dict[str, set[str]] = {}
    for key, kind in session.execute(
        text("SELECT DISTINCT j.key, j.type FROM documents, json_each(documents.meta) AS j")
    ):
        kinds.setdefault(key, set())
        if kind != "null":
            kinds[key].add(kind)
    return kinds


def largest_whole_numbers(session: Session) -> dict[str, int]:
    """The largest absolute whole number of each metadata key that holds any."""
    require_sqlite(session)
    return {
        key: max(abs(int(low)), abs(int(high)))
        for key, low, high in session.execute(
            text(
                "SELECT j.key, min(j.value), max(j.value) FROM documents, "
                "json_each(documents.meta) AS j WHERE j.type = 'integer' GROUP BY j.key"
            )
        )
    }


def first_document_with_key(session: Session, key: str) -> int | None:
    """The lowest id of a document whose metadata has ``key``; scans in id order and stops
    there (often at once)."""
    require_sqlite(session)
    return session.scalar(
        text(
            "SELECT id FROM documents WHERE EXISTS (SELECT 1 FROM json_each(documents.meta) "
            "AS j WHERE j.key = :key) ORDER BY id LIMIT 1"
        ),
        {"key": key},
    )
