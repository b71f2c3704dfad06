"""Full-text search over document texts (SQLite FTS5, kept in step by triggers).

Users type words, not FTS5 syntax. ``fts_query`` turns what they typed into a safe query:
every word must occur (in any order), ``"a phrase"`` must occur as written, and a word
ending in ``*`` matches as a prefix (``stem*`` finds stemmen, stemming). Case and accents
are ignored (``cafe`` finds café).
"""

from __future__ import annotations

import re

from sqlalchemy import text

from core.store.project import Project

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


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


def search_documents(project: Project, typed: str, *, limit: int | None = None) -> list[int]:
    """Ids of the documents matching ``typed``, best matches first (BM25)."""
    query = fts_query(typed)
    if not query:
        return []
    sql = "SELECT rowid FROM documents_fts WHERE documents_fts MATCH :q ORDER BY rank"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with project.read() as session:
        return list(session.scalars(text(sql), {"q": query}))


def count_matches(project: Project, typed: str) -> int:
    """How many documents match ``typed``."""
    query = fts_query(typed)
    if not query:
        return 0
    with project.read() as session:
        return int(
            session.scalar(
                text("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH :q"),
                {"q": query},
            )
            or 0
        )
