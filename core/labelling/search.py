"""Full-text search over document texts, as the search box and ``labelloop search`` use it.

Users type words: every word must occur (in any order), ``"a phrase"`` must occur as
written, and a word ending in ``*`` matches as a prefix (``stem*`` finds stemmen,
stemming). Case and accents are ignored (``cafe`` finds café). Whatever else they type
(quotes, brackets, operators) is searched for as words, never an error.
``core.store.fulltext`` holds the index and the query syntax.
"""

from __future__ import annotations

from core.store import fulltext
from core.store.project import Project


def search_documents(project: Project, typed: str, *, limit: int | None = None) -> list[int]:
    """Ids of the documents matching ``typed``, best matches first (BM25)."""
    with project.read() as session:
        return fulltext.search_ids(session, typed, limit=limit)


def count_matches(project: Project, typed: str) -> int:
    """How many documents match ``typed``."""
    with project.read() as session:
        return fulltext.count_matches(session, typed)
