"""Full-text search over document texts (SQLite FTS5, kept in step by triggers).

Users type words, not FTS5 syntax. :func:`fts_query` turns what they typed into a safe
query: every word must occur (in any order), ``"a phrase"`` must occur as written, and a
word ending in ``*`` matches as a prefix (``stem*`` finds stemmen, stemming). Case and
accents are ignored (``cafe`` finds café): the index's tokenizer removes diacritics
(migration 0002).

Callers never see FTS5: :data:`MATCHES` is a subquery of ``(id, rank)`` they join to
``documents`` like any table, lower rank meaning a better match (BM25), with the
parameters :func:`match` makes of what the user typed.
"""

from __future__ import annotations

import re

from sqlalchemy import Float, Integer, bindparam, column, func, select, table
from sqlalchemy.orm import Session

from core.store.dialect import require_sqlite

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')

# The external-content FTS5 table of migration 0002; the column named like the table is
# FTS5's hidden column that MATCH is applied to, ``rank`` its BM25 score.
_FTS = table(
    "documents_fts",
    column("rowid", Integer),
    column("rank", Float),
    column("documents_fts"),
)


def fts_query(typed: str) -> str:
    """The FTS5 MATCH expression for what a user typed; '' when nothing searchable."""
    parts = []
    for phrase, word in _TOKEN.findall(typed):
        if phrase.strip():
            parts.append('"' + phrase.strip().replace('"', '""') + '"')
        elif word:
            prefix = word.endswith("*")
            word = word.rstrip("*").replace('"', '""')
            if word:
                parts.append(f'"{word}"' + ("*" if prefix else ""))
    return " AND ".join(parts)


def is_searchable(typed: str) -> bool:
    """Whether ``typed`` holds anything to search for (not only spaces, quotes or stars)."""
    return bool(fts_query(typed))


#: The documents matching the query bound as ``fulltext`` (see :func:`match`): columns
#: ``id`` and ``rank``, lower rank a better match. Built once, so its compiled form is reused.
MATCHES = (
    select(_FTS.c.rowid.label("id"), _FTS.c.rank.label("rank"))
    .where(_FTS.c.documents_fts.op("MATCH")(bindparam("fulltext")))
    .subquery("matches")
)


def match(session: Session, typed: str) -> dict[str, str] | None:
    """The parameters with which :data:`MATCHES` finds what ``typed`` asks for; None when
    nothing searchable was typed."""
    require_sqlite(session)
    query = fts_query(typed)
    return {"fulltext": query} if query else None


def search_ids(session: Session, typed: str, *, limit: int | None = None) -> list[int]:
    """Ids of the documents matching ``typed``, best matches first."""
    parameters = match(session, typed)
    if parameters is None:
        return []
    query = select(MATCHES.c.id).order_by(MATCHES.c.rank).limit(limit)
    return list(session.scalars(query, parameters))


def count_matches(session: Session, typed: str) -> int:
    """How many documents match ``typed``."""
    parameters = match(session, typed)
    if parameters is None:
        return 0
    return int(session.scalar(_COUNT, parameters) or 0)


_COUNT = select(func.count()).select_from(MATCHES)
