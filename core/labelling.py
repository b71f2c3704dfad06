"""A labelling session: show a document, take a label, show the next — with Back and Undo.

The session is plain Python over the store; the window drives it from a worker thread
and shows the :class:`SessionState` each call returns. Every label is committed before
the call returns, so what the window shows as saved is on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text

from core.labels import delete_label, write_label
from core.queues import QueueRequest, QueueStrategy
from core.skips import record_skip
from core.store.project import Project
from core.store.schema import (
    Annotation,
    Document,
    EvaluationSample,
    ModelRun,
    Prediction,
)

PREFETCH = 20


@dataclass(frozen=True, slots=True)
class ShownDocument:
    """A document as the annotate view shows it, with this coder's current label."""

    id: int
    external_id: str
    text: str
    source: str
    meta: dict[str, Any]
    in_evaluation_sample: bool
    label: int | None
    note: str
    suggestion: int | None = None  # the latest model's predicted category
    suggestion_probability: float | None = None


@dataclass(frozen=True, slots=True)
class SessionProgress:
    documents: int
    labelled: int
    per_category: dict[int, int] = field(default_factory=dict)
    evaluation_size: int = 0
    evaluation_labelled: int = 0


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything the view needs after one step; ``document`` None means queue is empty."""

    document: ShownDocument | None
    progress: SessionProgress
    queue: str
    can_go_back: bool
    can_undo: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class _Undo:
    document_id: int
    previous: Annotation | None  # a detached copy of the coder's label before the change


class LabellingSession:
    def __init__(self, project: Project, coder: str, queue: QueueStrategy) -> None:
        self.project = project
        self.coder = coder
        self.queue = queue
        self._upcoming: list[int] = []
        self._served: set[int] = set()  # served by the current queue: not served again
        self._history: list[int] = []  # documents shown, in order
        self._position = -1  # index in _history of the document shown
        self._undo: list[_Undo] = []
        self._total_documents: int | None = None

    # -- steps -------------------------------------------------------------------------

    def start(self) -> SessionState:
        """Show the first document of the queue."""
        self._total_documents = None
        return self._advance()

    def set_queue(self, queue: QueueStrategy) -> SessionState:
        """Switch queue; what was shown stays reachable with Back."""
        self.queue = queue
        self._upcoming = []
        self._served = set()
        return self._advance()

    def label(self, category_id: int, note: str | None = None) -> SessionState:
        """Save ``category_id`` for the shown document, then show the next one."""
        current = self._current_id()
        if current is None:
            return self._state(None, "Nothing to label.")
        with self.project.write() as session:
            before = self._coder_annotation(session, current)
            if note is None:
                note = before.note if before else ""
            write_label(session, current, category_id, self.coder, note=note)
        self._undo.append(_Undo(current, before))
        return self._forward()

    def skip(self) -> SessionState:
        """Leave the shown document unlabelled and show the next one. An unlabelled
        training document is recorded as skipped by this coder, so their training queues
        leave it out from now on (``core.skips``)."""
        current = self._current_id()
        if current is not None:
            with self.project.write() as session:
                if self._coder_annotation(session, current) is None:
                    record_skip(session, current, self.coder)
        return self._forward()

    def back(self) -> SessionState:
        """Show the previous document again (to check or change its label)."""
        if self._position > 0:
            self._position -= 1
        return self._show(self._current_id())

    def undo(self) -> SessionState:
        """Take back the last label given in this session and show that document."""
        if not self._undo:
            return self._show(self._current_id(), "Nothing to undo.")
        step = self._undo.pop()
        with self.project.write() as session:
            now = self._coder_annotation(session, step.document_id, detach=False)
            if step.previous is None:
                if now is not None:
                    delete_label(session, now, action="undo")
            else:
                write_label(
                    session,
                    step.document_id,
                    step.previous.category_id,
                    self.coder,
                    purpose=step.previous.purpose,
                    note=step.previous.note,
                    action="undo",
                )
        self._history.append(step.document_id)
        self._position = len(self._history) - 1
        return self._show(step.document_id, "Label taken back.")

    def save_note(self, note: str) -> SessionState:
        """Store a note on the shown document's label (kept until it is labelled)."""
        current = self._current_id()
        if current is None:
            return self._state(None)
        with self.project.write() as session:
            annotation = self._coder_annotation(session, current)
            if annotation is not None:
                write_label(
                    session, current, annotation.category_id, self.coder,
                    purpose=annotation.purpose, note=note, action="note",
                )  # fmt: skip
        return self._show(current)

    def open_document(self, document_id: int) -> SessionState:
        """Show a chosen document (from the browser) to label or relabel it."""
        self._history.append(document_id)
        self._position = len(self._history) - 1
        return self._show(document_id)

    def refresh(self) -> SessionState:
        return self._show(self._current_id())

    # -- navigation ----------------------------------------------------------------------

    def _current_id(self) -> int | None:
        return self._history[self._position] if 0 <= self._position < len(self._history) else None

    def _forward(self) -> SessionState:
        if self._position + 1 < len(self._history):  # we had gone back: replay forward
            self._position += 1
            return self._show(self._history[self._position])
        return self._advance()

    def _advance(self) -> SessionState:
        if not self._upcoming:
            request = QueueRequest(self.coder, frozenset(self._served), PREFETCH)
            self._upcoming = self.queue.next_ids(self.project, request)
        if not self._upcoming:
            self._position = len(self._history)
            return self._state(None, "This queue is empty: every document in it is labelled.")
        next_id = self._upcoming.pop(0)
        self._served.add(next_id)
        self._history.append(next_id)
        self._position = len(self._history) - 1
        return self._show(next_id)

    # -- reading -------------------------------------------------------------------------

    def _coder_annotation(
        self, session: Any, document_id: int, *, detach: bool = True
    ) -> Annotation | None:
        annotation = session.scalars(
            select(Annotation).where(
                Annotation.document_id == document_id, Annotation.coder == self.coder
            )
        ).one_or_none()
        if annotation is not None and detach:
            session.expunge(annotation)  # a snapshot (for undo), not a live row
        return annotation

    def _show(self, document_id: int | None, message: str = "") -> SessionState:
        if document_id is None:
            return self._state(None, message)
        with self.project.read() as session:
            document = session.get(Document, document_id)
            if document is None:
                return self._state(None, "That document no longer exists.")
            annotation = self._coder_annotation(session, document_id)
            prediction = session.execute(
                select(Prediction.category_id, Prediction.probabilities)
                .join(ModelRun, ModelRun.id == Prediction.run_id)
                .where(Prediction.document_id == document_id, ModelRun.status == "finished")
                .order_by(Prediction.run_id.desc())
                .limit(1)
            ).first()
            shown = ShownDocument(
                id=document.id,
                external_id=document.external_id,
                text=document.text,
                source=document.source or "",
                meta=dict(document.meta or {}),
                in_evaluation_sample=session.get(EvaluationSample, document_id) is not None,
                label=annotation.category_id if annotation else None,
                note=annotation.note if annotation else "",
                suggestion=prediction.category_id if prediction else None,
                suggestion_probability=(
                    prediction.probabilities.get(str(prediction.category_id))
                    if prediction
                    else None
                ),
            )
        return self._state(shown, message)

    def _state(self, document: ShownDocument | None, message: str = "") -> SessionState:
        return SessionState(
            document=document,
            progress=self.progress(),
            queue=self.queue.name,
            can_go_back=self._position > 0,
            can_undo=bool(self._undo),
            message=message,
        )

    def progress(self) -> SessionProgress:
        """Counts for the status line; runs after every step, so two cheap queries."""
        with self.project.read() as session:
            if self._total_documents is None:
                self._total_documents = (
                    session.scalar(select(func.count()).select_from(Document)) or 0
                )
            labelled, sample, sample_labelled = session.execute(
                text(
                    "SELECT (SELECT count(DISTINCT document_id) FROM annotations), "
                    "(SELECT count(*) FROM evaluation_sample), "
                    "(SELECT count(DISTINCT e.document_id) FROM evaluation_sample AS e "
                    "JOIN annotations AS a ON a.document_id = e.document_id)"
                )
            ).one()
            per_category = dict(
                session.execute(
                    text(
                        "SELECT category_id, count(DISTINCT document_id) FROM annotations "
                        "GROUP BY category_id"
                    )
                ).all()
            )
        return SessionProgress(
            documents=self._total_documents,
            labelled=labelled,
            per_category=per_category,
            evaluation_size=sample,
            evaluation_labelled=sample_labelled,
        )
