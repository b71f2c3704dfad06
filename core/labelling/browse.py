"""Browse a project's documents: filter and search to a list of ids, read rows a page at a time.

A project can hold a million documents, so the browser never holds its rows.
:func:`filtered_ids` returns the ids of the matching documents, in document order, as one
numpy array; :func:`fetch_rows` reads the few rows a table shows at once.

Every filter matches what the browser's columns show, so what you filter is what you see:

- ``label``: the resolved label (the label most coders gave; among equally common ones,
  the most recent; :func:`core.labelling.labels.resolve_label`) is this category;
- ``unlabelled_only``: no coder has labelled the document;
- ``coder``: this coder has labelled the document (whatever label the others gave);
- ``purpose``: 'eval' when any coder's label is for evaluation, 'train' when the document
  is labelled and none of its labels is for evaluation;
- ``search``: full-text search over the texts (``core.labelling.search``).

Filters combine with AND. Each one is answered by one query that yields ids in id order,
read as an array (``core.store.ids``); the arrays are combined with numpy (binary search
of the smaller in the larger), so no Python code runs per document.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, select

from core.labelling.labels import resolve_label, resolved_labels_query
from core.store import counts, fulltext
from core.store.browsing import read_page
from core.store.ids import all_document_ids, id_array, intersect, without
from core.store.project import Project
from core.store.schema import Annotation

PURPOSE_FILTERS = ("train", "eval")
PREVIEW_CHARS = 200
EXCERPT_CHARS = 1_000

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class BrowseFilter:
    """Which documents to show; the defaults show all of them."""

    label: int | None = None  # category id of the resolved label
    unlabelled_only: bool = False
    coder: str | None = None
    purpose: str | None = None  # 'train' | 'eval' | None
    search: str = ""

    def __post_init__(self) -> None:
        if self.purpose is not None and self.purpose not in PURPOSE_FILTERS:
            raise ValueError(f"purpose must be 'train', 'eval' or None, not {self.purpose!r}")

    @property
    def is_empty(self) -> bool:
        """True when every document matches (no filter, nothing searchable typed)."""
        return (
            self.label is None
            and not self.unlabelled_only
            and not self.coder
            and self.purpose is None
            and not fulltext.is_searchable(self.search)
        )


@dataclass(frozen=True, slots=True)
class BrowseRow:
    """One document as the browser shows it."""

    id: int
    external_id: str
    preview: str  # the first PREVIEW_CHARS characters, whitespace and newlines folded
    excerpt: str  # the first EXCERPT_CHARS characters, as written (for a tooltip)
    label: str  # resolved label name, '' when unlabelled
    coders: str  # comma-joined, in alphabetical order
    purpose: str  # 'eval' | 'train' | ''
    prediction: str  # label of the latest finished run, '' when none
    confidence: float | None  # that run's highest probability for the document


# -- filtering -------------------------------------------------------------------------


def filtered_ids(project: Project, browse_filter: BrowseFilter) -> np.ndarray:
    """Ids (int64, ascending) of the documents that pass every part of ``browse_filter``."""
    with project.read() as session:  # one snapshot for every query
        required: list[np.ndarray] = []
        search = fulltext.match(session, browse_filter.search)
        if search is not None:
            required.append(id_array(session, _SEARCHED, search))
        if browse_filter.label is not None:
            required.append(id_array(session, _WITH_LABEL, {"category": browse_filter.label}))
        if browse_filter.coder:
            required.append(id_array(session, _BY_CODER, {"coder": browse_filter.coder}))
        if browse_filter.purpose is not None:
            evaluation = id_array(session, _FOR_EVALUATION)
            if browse_filter.purpose == "eval":
                required.append(evaluation)
            else:
                required.append(without(id_array(session, _LABELLED), evaluation))
        if required:
            required.sort(key=len)
            result = required[0]
            for other in required[1:]:
                result = intersect(result, other)
        else:
            result = all_document_ids(session)
        if browse_filter.unlabelled_only:
            result = without(result, id_array(session, _LABELLED))
        return result


def document_count(project: Project) -> int:
    """How many documents the project holds."""
    with project.read() as session:
        return counts.document_total(session)


def coders(project: Project) -> list[str]:
    """Everyone who has a current label on some document, in alphabetical order."""
    with project.read() as session:
        return list(session.scalars(select(Annotation.coder).distinct().order_by(Annotation.coder)))


# The filters' queries, built once (compiled once): documents matching the search, ...
_SEARCHED = select(fulltext.MATCHES.c.id).order_by(fulltext.MATCHES.c.id)
# ... with a label, in id order, ...
_LABELLED = select(Annotation.document_id).distinct().order_by(Annotation.document_id)
_BY_CODER = _LABELLED.where(Annotation.coder == bindparam("coder"))  # ... by this coder
_FOR_EVALUATION = _LABELLED.where(Annotation.purpose == "eval")  # ... for evaluation
# ... whose resolved label is this category. Only documents with at least one such label
# can resolve to it (index on category_id).
_RESOLVED = resolved_labels_query(
    Annotation.document_id.in_(
        select(Annotation.document_id).where(Annotation.category_id == bindparam("category"))
    )
).subquery()
_WITH_LABEL = (
    select(_RESOLVED.c.document_id)
    .where(_RESOLVED.c.category_id == bindparam("category"))
    .order_by(_RESOLVED.c.document_id)
)


# -- rows --------------------------------------------------------------------------------


def fetch_rows(project: Project, ids: Sequence[int] | np.ndarray) -> list[BrowseRow]:
    """The rows for ``ids`` (one page, a few hundred), in the order given.

    Ids of documents that no longer exist are left out.
    """
    wanted = [int(i) for i in ids]
    if not wanted:
        return []
    with project.read() as session:
        page = read_page(session, wanted, EXCERPT_CHARS)
    names = page.category_names
    given: dict[int, list[tuple[str, str]]] = defaultdict(list)  # (label name, when)
    coders_of: dict[int, list[str]] = defaultdict(list)
    purposes: dict[int, set[str]] = defaultdict(set)
    for doc_id, coder, category_id, purpose, updated_at in page.labels:
        given[doc_id].append((names.get(category_id, ""), updated_at))
        coders_of[doc_id].append(coder)
        purposes[doc_id].add(purpose)
    rows = []
    for doc_id in wanted:
        document = page.documents.get(doc_id)
        if document is None:
            continue
        external_id, excerpt = document
        purpose = purposes.get(doc_id, set())
        predicted, confidence = page.predictions.get(doc_id, (None, None))
        rows.append(
            BrowseRow(
                id=doc_id,
                external_id=external_id,
                preview=_fold(excerpt[: PREVIEW_CHARS * 2])[:PREVIEW_CHARS],
                excerpt=excerpt,
                label=resolve_label(given.get(doc_id, [])),
                coders=", ".join(sorted(coders_of.get(doc_id, []))),
                purpose="eval" if "eval" in purpose else "train" if purpose else "",
                prediction=names.get(predicted, "") if predicted is not None else "",
                confidence=confidence,
            )
        )
    return rows


def _fold(text: str) -> str:
    """Text on one line: runs of whitespace (newlines, tabs) become one space."""
    return _WHITESPACE.sub(" ", text).strip()
