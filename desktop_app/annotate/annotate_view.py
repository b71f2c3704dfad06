"""Label with the keyboard: press a category's key, the label is saved, the next appears.

The view is a small state machine (after Anki's reviewer): the next document is shown
only after the label is committed. Each step runs on a worker thread through the job
runner, so a slow disk or another writer never freezes the window. Keys pressed while a
step runs wait their turn, in order, and each applies to the document on screen when its
turn comes; a wait that lasts (another program writing) says so, with the keys pending,
and a key never goes unsaved without a message naming the document.
"""

from __future__ import annotations

import collections
import enum
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.codebook import list_categories
from core.labelling.evaluation_sample import DEFAULT_SAMPLE_SIZE, WHY, draw_evaluation_sample
from core.labelling.queues import make_queue
from core.labelling.session import WAIT_LIMIT_S, LabellingSession, SessionProgress, SessionState
from core.store.changes import Change, Stamp, read_stamp
from core.store.project import Project, ProjectBusyError
from core.training.active_learning import strategy_choices
from core.training.explain import Explanation, ModelCache, explain_document
from desktop_app.annotate.category_panel import CategoryPanel
from desktop_app.annotate.document_pane import DocumentPane
from desktop_app.context import ProjectContext
from desktop_app.worker import JobHandle

QUEUE_CHOICES = (
    ("random", "Unlabelled, random order"),
    ("file-order", "Unlabelled, file order"),
    ("search", "Unlabelled, matching search"),
    ("uncertain", "Most uncertain first"),
    ("predicted", "Check predictions for category"),
    ("evaluation", "Evaluation sample"),
)


#: A step slower than this says "Waiting for the project" (a step takes ~10 ms).
WAITING_AFTER_MS = 300

#: Keys still queued this long after the wait limit are dropped with a message. A step
#: that writes gives up at the limit itself (and drops the keys behind it); this is for a
#: step that never returns, e.g. a read stuck on an unreachable network drive.
GRACE_S = 2.0


class ViewState(enum.Enum):
    IDLE = "idle"  # no session yet
    READY = "ready"  # a document is shown; keys label it
    BUSY = "busy"  # a step is running; keys wait their turn
    WAITING = "waiting"  # a step is slow (another program writes): keys wait; it says so
    EMPTY = "empty"  # the queue has nothing left
    NEEDS_MODEL = "needs model"  # a model-based queue before the first model


@dataclass(slots=True)
class _Request:
    """One step to run in turn: a key press (label, skip, back, undo) or a navigation."""

    name: str  # the job's name
    #: Called on the GUI thread when its turn comes, with how long a write may wait for
    #: another program's lock; returns the session call to run on the worker thread.
    make: Callable[[float], Callable[[], SessionState]]
    key: str | None = None  # what the user pressed, for messages; None: not a key press
    needs_document: bool = False
    saves: bool = False
    asks_queue: bool = False  # asks the queue afresh for the next documents
    pressed_at: float = field(default_factory=time.monotonic)


class AnnotateView(QWidget):
    """Shows one document at a time and turns key presses into saved labels."""

    state_shown = Signal(object)  # the SessionState just shown (tests, benchmarks)

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.view_state = ViewState.IDLE
        self.session = LabellingSession(context.project, context.coder, make_queue("random"))
        self.last_state: SessionState | None = None
        #: How long a key press may wait for the project before it is dropped, named.
        self.wait_limit_s = WAIT_LIMIT_S
        self._shortcuts: list[QShortcut] = []
        self._running: _Request | None = None
        self._steps_started = 0
        self._counting_after = 0  # steps started when the running recount began
        self._queued: collections.deque[_Request] = collections.deque()
        self._notice = ""  # said with the next document shown (keys that were dropped)
        self._changed = Change.NONE  # announced and not followed yet (see _refresh)
        #: The labels' stamp that the counts shown and the queue's next documents follow:
        #: a labels change that leaves it as it is (this view's own label) needs nothing.
        self._seen_labels: Stamp | None = None
        self._explain_job: JobHandle | None = None
        self._names: dict[int, str] = {}
        self._wait_timer = QTimer(self)
        self._wait_timer.setInterval(WAITING_AFTER_MS)
        self._wait_timer.timeout.connect(self._on_wait_tick)
        self._refresh_timer = QTimer(self)  # coalesces the announcements of one change
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh)

        self.queue_box = QComboBox()
        for name, title in QUEUE_CHOICES:
            self.queue_box.addItem(title, name)
        self.queue_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search words for the queue…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.hide()
        self.predicted_box = QComboBox()
        self.predicted_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.predicted_box.hide()
        # Which query strategy orders 'Most uncertain first' (core's registry; margin
        # first, the default, read through an index).
        self.strategy_box = QComboBox()
        self.strategy_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.strategy_box.setToolTip("How 'most uncertain' is measured")
        for name, title in sorted(strategy_choices(), key=lambda c: c[0] != "margin"):
            if name != "random":  # random order has a queue of its own
                self.strategy_box.addItem(title, name)
        self.strategy_box.hide()
        self.suggestion_toggle = QCheckBox("Show model suggestion")
        self.suggestion_toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.suggestion_toggle.setToolTip(
            "Hidden by default: seeing the model's guess first pulls coders toward it."
        )
        self.explain_toggle = QCheckBox("Explain")
        self.explain_toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.explain_toggle.setToolTip(
            "Highlight the words that pushed the latest model toward each category."
        )
        self._models = ModelCache()
        self.suggestion = QLabel()
        self.suggestion.setTextFormat(Qt.TextFormat.PlainText)
        self.suggestion.setStyleSheet("color: #0072B2;")
        self.draw_button = QPushButton("Draw evaluation sample…")
        self.draw_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.progress_label = QLabel()
        self.message = QLabel()
        self.message.setStyleSheet("color: #8a4b00;")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.train_link = QPushButton("Go to the Train tab")
        self.train_link.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.train_link.setToolTip("This queue needs a trained model: train one there.")
        self.train_link.hide()
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.train_link)
        top = QHBoxLayout()
        top.addWidget(QLabel("Queue:"))
        top.addWidget(self.queue_box)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.predicted_box)
        top.addWidget(self.strategy_box)
        top.addWidget(self.draw_button)
        top.addWidget(self.suggestion_toggle)
        top.addWidget(self.explain_toggle)
        top.addStretch(1)
        top.addWidget(self.progress_label)

        self.document = DocumentPane()
        self.categories = CategoryPanel()
        splitter = QSplitter()
        splitter.addWidget(self.document)
        splitter.addWidget(self.categories)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.note = QLineEdit()
        self.note.setPlaceholderText("Note on this document (saved with the label)")
        self.back_button = QPushButton("◀ Back")
        self.skip_button = QPushButton("Skip ▶")
        self.undo_button = QPushButton("Undo")
        for button in (self.back_button, self.skip_button, self.undo_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_button.setToolTip("Show the previous document (Left arrow)")
        self.skip_button.setToolTip("Leave this one unlabelled (Right arrow or Space)")
        self.undo_button.setToolTip("Take back the last label (Ctrl+Z)")
        keys = QLabel("Keys: category key labels · Space/→ skip · ←/Backspace back · Ctrl+Z undo")
        keys.setStyleSheet("color: #666;")
        bottom = QHBoxLayout()
        bottom.addWidget(keys)
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.back_button)
        bottom.addWidget(self.skip_button)
        bottom.addWidget(self.undo_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(message_row)
        layout.addWidget(self.suggestion)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self.categories.chosen.connect(self.label)
        self.back_button.clicked.connect(self.back)
        self.skip_button.clicked.connect(self.skip)
        self.undo_button.clicked.connect(self.undo)
        self.draw_button.clicked.connect(self.ask_draw_sample)
        self.train_link.clicked.connect(lambda: context.show_page_requested.emit("train"))
        self.queue_box.currentIndexChanged.connect(self._on_queue_choice)
        self.search_box.returnPressed.connect(self._apply_queue)
        self.predicted_box.activated.connect(lambda _: self._apply_queue())
        self.strategy_box.activated.connect(lambda _: self._apply_queue())
        self.suggestion_toggle.toggled.connect(lambda _: self._show_suggestion())
        self.explain_toggle.toggled.connect(lambda _: self._explain())
        self.note.returnPressed.connect(self.setFocus)
        for keys, slot in (
            ((QKeySequence.StandardKey.Undo,), self.undo),
            ((Qt.Key.Key_Left, Qt.Key.Key_Backspace), self.back),
            ((Qt.Key.Key_Right, Qt.Key.Key_Space), self.skip),
        ):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        context.codebook_changed.connect(self.reload_codebook)
        context.coder_changed.connect(self._on_coder_changed)
        context.open_document_requested.connect(self.open_document)
        for signal, change in (
            (context.documents_changed, Change.DOCUMENTS),
            (context.labels_changed, Change.LABELS),
            (context.runs_changed, Change.RUNS),
            (context.skips_changed, Change.SKIPS),
        ):
            signal.connect(functools.partial(self._follow, change))
        self.reload_codebook()

    # -- public actions ----------------------------------------------------------------

    def start(self) -> None:
        """Show the first document of the current queue."""
        self._submit(_Request("Loading", lambda wait: self.session.start, asks_queue=True))

    def label(self, category_id: int) -> None:
        def make(wait: float) -> Callable[[], SessionState]:
            # The note and the session of the document on screen when its turn comes.
            note = self.note.text().strip()
            return functools.partial(self.session.label, category_id, note, wait_s=wait)

        key = self._names.get(category_id, str(category_id))
        self._submit(_Request("Saving label", make, key, needs_document=True, saves=True))

    def skip(self) -> None:
        make = lambda wait: functools.partial(self.session.skip, wait_s=wait)  # noqa: E731
        self._submit(_Request("Next document", make, "skip", needs_document=True))

    def back(self) -> None:
        self._submit(_Request("Previous document", lambda wait: self.session.back, "back"))

    def undo(self) -> None:
        make = lambda wait: functools.partial(self.session.undo, wait_s=wait)  # noqa: E731
        self._submit(_Request("Undo", make, "undo", saves=True))

    def open_document(self, document_id: int) -> None:
        """Show ``document_id`` (from the browser) so it can be (re)labelled."""
        self._submit(
            _Request(
                "Opening document",
                lambda wait: functools.partial(self.session.open_document, document_id),
            )
        )

    def set_queue(self, name: str, **config: Any) -> None:
        index = self.queue_box.findData(name)
        self.queue_box.blockSignals(True)
        self.queue_box.setCurrentIndex(index)
        self.queue_box.blockSignals(False)
        self.search_box.setVisible(name == "search")
        self.predicted_box.setVisible(name == "predicted")
        self.strategy_box.setVisible(name == "uncertain")
        if name == "search":
            self.search_box.setText(config.get("query", ""))
        if name == "predicted":
            self.predicted_box.setCurrentIndex(
                self.predicted_box.findData(config.get("category_id"))
            )
        if name == "uncertain":
            self.strategy_box.setCurrentIndex(
                max(0, self.strategy_box.findData(config.get("strategy", "margin")))
            )
        self._apply_queue()

    def reload_codebook(self) -> None:
        """Rebuild the category buttons and their key shortcuts from the codebook."""
        categories = list_categories(self.context.project)
        self.categories.set_categories(categories)
        self._names = {c.id: c.name for c in categories}
        chosen = self.predicted_box.currentData()
        self.predicted_box.clear()
        for category in categories:
            self.predicted_box.addItem(category.name, category.id)
        if chosen is not None and self.predicted_box.findData(chosen) >= 0:
            self.predicted_box.setCurrentIndex(self.predicted_box.findData(chosen))
        for shortcut in self._shortcuts:
            shortcut.setParent(None)
            shortcut.deleteLater()
        self._shortcuts = []
        for category in categories:
            if not category.shortcut:
                continue
            shortcut = QShortcut(QKeySequence(category.shortcut), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.setAutoRepeat(False)
            shortcut.activated.connect(functools.partial(self.label, category.id))
            self._shortcuts.append(shortcut)
        if self.last_state is not None:
            self._show(self.last_state, keep_note=True)

    def ask_draw_sample(self) -> None:
        size, ok = QInputDialog.getInt(
            self,
            "Draw an evaluation sample",
            f"{WHY}\n\nHow many documents should be drawn at random?",
            DEFAULT_SAMPLE_SIZE,
            1,
            100_000,
        )
        if ok:
            self.draw_sample(size)

    def draw_sample(self, size: int) -> None:
        handle = self.context.run(
            "Drawing the evaluation sample",
            functools.partial(draw_evaluation_sample, self.context.project, size),
        )
        handle.returned.connect(lambda _: self.set_queue("evaluation"))
        handle.errored.connect(lambda error: self._show_error(str(error)))

    # -- the state machine -------------------------------------------------------------

    def _submit(self, request: _Request) -> None:
        """Run ``request`` now, or after the steps before it (keys keep their order)."""
        if self._refresh_timer.isActive():  # a change announced just before: first
            self._refresh_timer.stop()
            self._refresh(before=request)
        if self.view_state in (ViewState.BUSY, ViewState.WAITING):
            self._queued.append(request)
            if self.view_state is ViewState.WAITING:
                self._say_waiting()
            return
        self._run(request)

    def _run(self, request: _Request) -> bool:
        """Start one step on a worker thread; False if it has nothing to act on (a label
        or skip with no document shown). The view is BUSY until the step is shown."""
        if request.needs_document and self.view_state is not ViewState.READY:
            return False
        action = request.make(self.wait_limit_s)
        project = self.context.project
        self.view_state = ViewState.BUSY
        self._running = request
        self._steps_started += 1
        self._wait_timer.start()
        stamped = project if request.saves or request.asks_queue else None
        handle = self.context.run(
            request.name,
            lambda progress, should_cancel: _step(action, stamped),
            changes=Change.LABELS if request.saves else Change.NONE,
        )
        handle.returned.connect(self._on_step_done)
        handle.errored.connect(self._on_step_failed)
        return True

    def _on_step_done(self, result: tuple[SessionState, Stamp | None, Stamp | None]) -> None:
        state, before, after = result
        request = self._finish_step()
        if request.asks_queue:  # the next documents and the counts were read after it
            self._seen_labels = before
        elif request.saves and before == self._seen_labels:
            # Nobody else saved a label since the view last followed them: its own save
            # is the only news (another program's save within the step's milliseconds
            # would pass unseen, as it would the probe).
            self._seen_labels = after
        self._show(state)
        self.view_state = self._resting_state(state)
        self.state_shown.emit(state)
        self._next()

    def _on_step_failed(self, error: Exception) -> None:
        """Nothing of the step was saved; the keys queued behind it are dropped, named."""
        request = self._finish_step()
        self.view_state = self._resting_state(self.last_state)
        dropped = self._dropped_text(self._drop_queued(), " after it")
        busy = isinstance(error, ProjectBusyError)  # the message names the document
        if busy:
            said = f"{error}{dropped}"
        elif dropped:
            said = f"{request.name} failed.{dropped}"
        else:
            said = self.last_state.message if self.last_state else ""
        self._say(" ".join(t for t in (self._notice, said) if t))
        self._notice = ""
        if not busy:
            self._show_error(str(error))
        self._next()

    def _finish_step(self) -> _Request:
        request, self._running = self._running, None
        assert request is not None
        self._wait_timer.stop()
        return request

    def _next(self) -> None:
        """After a step: follow what changed meanwhile, then run the next queued step."""
        if self._changed:
            self._refresh(before=self._queued[0] if self._queued else None)
        unused: list[str] = []
        while self._queued and self.view_state not in (ViewState.BUSY, ViewState.WAITING):
            request = self._queued.popleft()
            if self._run(request):
                break
            if request.key:
                unused.append(request.key)
        if unused:
            self._say(
                f"{self.message.text()} {_keys(len(unused))} ({', '.join(unused)}) "
                "had no document to apply to."
            )

    @staticmethod
    def _resting_state(state: SessionState | None) -> ViewState:
        if state is None:
            return ViewState.IDLE
        if state.document is not None:
            return ViewState.READY
        return ViewState.NEEDS_MODEL if state.needs_model else ViewState.EMPTY

    # -- waiting for the project ---------------------------------------------------------

    def _on_wait_tick(self) -> None:
        """A step is taking long: say so, with the keys pending; drop overdue keys."""
        if self.view_state is ViewState.BUSY:
            self.view_state = ViewState.WAITING
        keys = [r for r in self._queued if r.key]
        if keys and time.monotonic() - keys[0].pressed_at > self.wait_limit_s + GRACE_S:
            dropped = self._drop_queued()
            self._notice = (
                f"The project did not answer for {self.wait_limit_s:g} s:"
                f"{self._dropped_text(dropped, '')}"
            )
        self._say_waiting()

    def _say_waiting(self) -> None:
        running = self._running.key if self._running is not None else None
        pending = sum(1 for r in self._queued if r.key) + (1 if running else 0)
        text = "Waiting for the project"
        if pending:
            text += f" — {_keys(pending)} pending"
        text += " (another program or job is writing to it)…"
        self._say(f"{self._notice} {text}" if self._notice else text)

    def _drop_queued(self) -> list[str]:
        """Drop every queued step; returns the keys among them, for the message."""
        keys = [r.key for r in self._queued if r.key]
        self._queued.clear()
        return keys

    @staticmethod
    def _dropped_text(keys: list[str], where: str) -> str:
        if not keys:
            return ""
        were = "was" if len(keys) == 1 else "were"
        names = ", ".join(keys)
        return f" {_keys(len(keys))} pressed{where} {were} dropped ({names}): press again."

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- following the project -----------------------------------------------------------

    def _follow(self, change: Change) -> None:
        """Documents, labels, models or skips changed (by this view, another one or another
        program): refresh once, when the view is at rest (see :meth:`_refresh`)."""
        self._changed |= change
        self._refresh_timer.start()

    def _refresh(self, *, before: _Request | None = None) -> None:
        """Follow the changes announced: the queue picks its next documents afresh (a new
        model's order, new documents, documents brought back, labels given elsewhere) and
        the counts are read again. The document on screen, and the note being typed,
        stay; an empty queue may fill. A labels change that left the labels as the view
        last read them (its own label: the step read them after saving) does nothing, so
        the queue's next documents are not asked again after every key.

        ``before``: the request about to run; one that shows a document itself (a queue
        change, Back) makes refilling an empty queue first needless.
        """
        if self.view_state is ViewState.IDLE:
            self._changed = Change.NONE  # start() reads everything
            return
        if self.view_state in (ViewState.BUSY, ViewState.WAITING):
            return  # done after the step (before the keys queued behind it): see _next
        changed, self._changed = self._changed, Change.NONE
        if not changed:
            return
        labels = read_stamp(self.context.project, Change.LABELS)
        if changed == Change.LABELS and labels == self._seen_labels:
            return
        self._seen_labels = labels  # followed below: the counts and the next documents
        # No step is running: the session is ours.
        self.session.forget_upcoming(forget_served=Change.SKIPS in changed)
        if self.view_state is not ViewState.READY:
            if before is None or before.needs_document:
                self._run(_Request("Refreshing", lambda wait: self.session.refill, asks_queue=True))
            return
        # The counts on a worker, off the state machine: keys never wait for them.
        self._counting_after = self._steps_started
        session = self.session
        handle = self.context.run("Counting", lambda progress, should_cancel: session.progress())
        handle.returned.connect(self._on_counted)
        handle.errored.connect(lambda error: self._say(f"Could not count the labels: {error}"))

    def _on_counted(self, progress: SessionProgress) -> None:
        # A step started since shows counts read after the change too: leave it be.
        if self._steps_started != self._counting_after or self.last_state is None:
            return
        self.last_state = replace(self.last_state, progress=progress)
        self._show_progress(progress)

    # -- showing -------------------------------------------------------------------------

    def _show(self, state: SessionState, *, keep_note: bool = False) -> None:
        self.last_state = state
        document = state.document
        self.document.show_document(document)
        if not keep_note:
            self.note.setText(document.note if document else "")
        self.categories.set_current(document.label if document else None)
        self.back_button.setEnabled(state.can_go_back)
        self.undo_button.setEnabled(state.can_undo)
        self.skip_button.setEnabled(document is not None)
        self.train_link.setVisible(state.needs_model)
        self._show_progress(state.progress)
        self._say(" ".join(t for t in (self._notice, state.message) if t))
        self._notice = ""
        self._show_suggestion()
        self._explain()

    def _show_progress(self, progress: SessionProgress) -> None:
        self.categories.set_counts(progress.per_category)
        text = f"{progress.labelled:,} of {progress.documents:,} documents labelled"
        if progress.evaluation_size:
            text += (
                f" · evaluation sample {progress.evaluation_labelled:,}/"
                f"{progress.evaluation_size:,}"
            )
        self.progress_label.setText(text)

    def _explain(self) -> None:
        """Ask (on a worker thread) which words pushed the model, for the shown document."""
        document = self.last_state.document if self.last_state else None
        if not self.explain_toggle.isChecked() or document is None:
            if self._explain_job is not None:
                self._explain_job.discard()  # for a document no longer shown
            self.document.clear_explanation()
            return
        # Plain values for the worker; a newer document's explanation drops this one's.
        project, document_id, models = self.context.project, document.id, self._models
        self._explain_job = self.context.run_latest(
            (self, "explain"),
            "Explaining",
            lambda progress, should_cancel: explain_document(project, document_id, models),
        )
        self._explain_job.returned.connect(self._on_explained)
        self._explain_job.errored.connect(lambda error: self._show_error(str(error)))

    def _on_explained(self, explanation: Explanation | None) -> None:
        if explanation is None:
            self.message.setText("No trained model yet: train one to see explanations.")
            self.message.show()
            return
        colours = {c.id: c.colour for c in list_categories(self.context.project)}
        self.document.set_explanation(explanation.terms, self._names, colours)

    def _show_suggestion(self) -> None:
        document = self.last_state.document if self.last_state else None
        text = ""
        if self.suggestion_toggle.isChecked() and document and document.suggestion:
            name = self._names.get(document.suggestion, "a retired category")
            probability = document.suggestion_probability or 0.0
            text = f"The model suggests: {name} ({probability:.0%})"
        elif self.suggestion_toggle.isChecked() and document:
            text = "No model suggestion yet: train a model first."
        self.suggestion.setText(text)
        self.suggestion.setVisible(bool(text))

    def _show_error(self, message: str) -> None:
        QMessageBox.warning(self, "LabelLoop", message)

    def _on_queue_choice(self) -> None:
        name = self.queue_box.currentData()
        self.search_box.setVisible(name == "search")
        self.predicted_box.setVisible(name == "predicted")
        self.strategy_box.setVisible(name == "uncertain")
        if name == "search":
            self.search_box.setFocus()
            if not self.search_box.text().strip():
                return
        self._apply_queue()

    def _apply_queue(self) -> None:
        name = self.queue_box.currentData()
        config: dict[str, Any] = {}
        if name == "search":
            config = {"query": self.search_box.text()}
        elif name == "predicted":
            config = {"category_id": self.predicted_box.currentData()}
        elif name == "uncertain":
            config = {"strategy": self.strategy_box.currentData()}
        self.document.set_search_terms(config.get("query", ""))
        queue = make_queue(name, **config)
        self._submit(
            _Request(
                "Loading",
                lambda wait: functools.partial(self.session.set_queue, queue),
                asks_queue=True,
            )
        )
        self.setFocus()

    def _on_coder_changed(self, coder: str) -> None:
        def make(wait: float) -> Callable[[], SessionState]:
            self.session = LabellingSession(self.context.project, coder, self.session.queue)
            return self.session.start

        self._submit(_Request("Loading", make, asks_queue=True))


def _step(
    action: Callable[[], SessionState], project: Project | None
) -> tuple[SessionState, Stamp | None, Stamp | None]:
    """Run one session step on the worker thread; with ``project`` (a step that saves or
    asks the queue afresh), the labels' stamps just before and after it (_on_step_done)."""
    if project is None:
        return action(), None, None
    before = read_stamp(project, Change.LABELS)
    state = action()
    return state, before, read_stamp(project, Change.LABELS)


def _keys(count: int) -> str:
    return f"{count} key{'s' if count != 1 else ''}"
