"""A labelling session: show a document, take a label, show the next — with Back and Undo.

The session is plain Python over the store; the window drives it from a worker thread
and shows the :class:`SessionState` each call returns. Every label is committed before
the call returns, so what the window shows as saved is on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.labelling.labels import delete_label, write_label
from core.labelling.queues import QueueRequest, QueueStrategy, why_empty
from core.labelling.skips import record_skip
from core.store import counts
from core.store.project import Project, ProjectBusyError
from core.store.schema import (
    Annotation,
    Document,
    EvaluationSample,
    ModelRun,
    Prediction,
)

PREFETCH = 20

#: How long a label, skip or undo waits for another program's write lock (seconds)
#: before it gives up with a message naming the document. A CLI import holds the lock
#: for its whole run (2.5 s for 38,000 tweets); the engine's busy_timeout is 5 s.
WAIT_LIMIT_S = 10.0


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
    needs_model: bool = False  # empty because a model-based queue has no model yet


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
        self.lock_wait_s = WAIT_LIMIT_S
        # (newest document id, count): counting a million rows takes tens of ms, so the
        # count is kept while the newest id stays the same (documents are never deleted).
        self._document_count: tuple[int | None, int] | None = None

    # -- steps -------------------------------------------------------------------------

    def start(self) -> SessionState:
        """Show the first document of the queue."""
        return self._advance()

    def set_queue(self, queue: QueueStrategy) -> SessionState:
        """Switch queue; what was shown stays reachable with Back."""
        self.queue = queue
        self._upcoming = []
        self._served = set()
        return self._advance()

    def label(
        self, category_id: int, note: str | None = None, *, wait_s: float | None = None
    ) -> SessionState:
        """Save ``category_id`` for the shown document, then show the next one.

        Waits up to ``wait_s`` (default :attr:`lock_wait_s`) for another program's write
        lock, then raises :class:`ProjectBusyError` naming the document, saving nothing.
        """
        current = self._current_id()
        if current is None:
            return self._state(None, "Nothing to label.")
        with self._write(current, wait_s, "The label for {} was not saved") as session:
            before = self._coder_annotation(session, current)
            if note is None:
                note = before.note if before else ""
            write_label(session, current, category_id, self.coder, note=note)
        self._undo.append(_Undo(current, before))
        return self._forward()

    def skip(self, *, wait_s: float | None = None) -> SessionState:
        """Leave the shown document unlabelled and show the next one. An unlabelled
        training document is recorded as skipped by this coder, so their training queues
        leave it out from now on (``core.labelling.skips``). Waits for the lock as :meth:`label`."""
        current = self._current_id()
        if current is not None:
            with self._write(current, wait_s, "{} was not skipped") as session:
                if self._coder_annotation(session, current) is None:
                    record_skip(session, current, self.coder)
        return self._forward()

    def back(self) -> SessionState:
        """Show the previous document again (to check or change its label)."""
        if self._position > 0:
            self._position -= 1
        return self._show(self._current_id())

    def undo(self, *, wait_s: float | None = None) -> SessionState:
        """Take back the last label given in this session and show that document.
        Waits for the lock as :meth:`label`."""
        if not self._undo:
            return self._show(self._current_id(), "Nothing to undo.")
        step = self._undo[-1]  # popped once the change is committed
        failed = "The label for {} was not taken back"
        with self._write(step.document_id, wait_s, failed) as session:
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
        self._undo.pop()
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

    def refill(self, *, forget_served: bool = False) -> SessionState:
        """Ask the queue again after the project changed (an import, a new model, skipped
        documents brought back): the document shown stays; an empty queue may refill.

        ``forget_served``: documents this queue served before may come again (after
        Bring back; the document shown is not served twice).
        """
        self.forget_upcoming(forget_served=forget_served)
        current = self._current_id()
        return self._advance() if current is None else self._show(current)

    def forget_upcoming(self, *, forget_served: bool = False) -> None:
        """Ask the queue afresh for the next documents (see :meth:`refill`)."""
        self._upcoming = []
        if forget_served:
            current = self._current_id()
            self._served = {current} if current is not None else set()

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def _write(self, document_id: int, wait_s: float | None, failed: str) -> Iterator[Session]:
        """A write transaction that waits for another program's lock; if it cannot get
        it in time, ProjectBusyError says which document was left as it was."""
        wait = self.lock_wait_s if wait_s is None else wait_s
        try:
            with self.project.write_waiting(wait) as session:
                yield session
        except ProjectBusyError as error:
            with self.project.read() as session:
                document = session.get(Document, document_id)
                name = document.external_id if document else str(document_id)
            message = failed.format(name)
            raise ProjectBusyError(
                f"{message}: another program kept the project busy for {wait:g} s."
            ) from error

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
            empty = why_empty(self.queue, self.project, self.coder)
            return self._state(None, empty.message, needs_model=empty.needs_model)
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

    def _state(
        self, document: ShownDocument | None, message: str = "", *, needs_model: bool = False
    ) -> SessionState:
        return SessionState(
            document=document,
            progress=self.progress(),
            queue=self.queue.name,
            can_go_back=self._position > 0,
            can_undo=bool(self._undo),
            message=message,
            needs_model=needs_model,
        )

    def progress(self) -> SessionProgress:
        """Counts for the status line; runs after every step, so a few cheap queries."""
        with self.project.read() as session:
            newest = counts.newest_document_id(session)
            if self._document_count is None or self._document_count[0] != newest:
                self._document_count = (newest, counts.document_total(session))
            labels = counts.label_progress(session)
            per_category = counts.labelled_documents_per_category(session)
        return SessionProgress(
            documents=self._document_count[1],
            labelled=labels.labelled,
            per_category=per_category,
            evaluation_size=labels.evaluation_size,
            evaluation_labelled=labels.evaluation_labelled,
        )
