"""Skipped documents: what a coder passed over stays out of their training queues.

Skipping (Space or →) records the document for that coder, so the most uncertain
documents a coder found too ambiguous to label do not come back at the top of *Most
uncertain first* after every retraining (the simulation benchmark found a third or more
of those documents ambiguous to crowd coders too). Other coders still get them, and
:func:`bring_back` returns a coder's skipped documents to their queues. Documents in the
evaluation sample are never recorded: the sample must be labelled in full to measure
models honestly.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.store.project import Project
from core.store.schema import EvaluationSample, Skip, utcnow
from core.store.upserts import add_skip


def record_skip(session: Session, document_id: int, coder: str) -> bool:
    """Record that ``coder`` skipped ``document_id``, inside the caller's write
    transaction; False (nothing recorded) for a document in the evaluation sample."""
    if session.get(EvaluationSample, document_id) is not None:
        return False
    add_skip(session, document_id, coder, utcnow())
    return True


def bring_back(project: Project, coder: str) -> int:
    """Put every document ``coder`` skipped back in their queues; returns how many."""
    with project.write() as session:
        return session.execute(delete(Skip).where(Skip.coder == coder)).rowcount
