"""Label with the keyboard: press a category's key, the label is saved, the next appears.

The view is a small state machine (Anki's reviewer works the same way): while a label is
being saved, key presses are ignored; the next document is shown only after the label is
committed. Each step runs on a worker thread through the job runner, so a slow disk or
another writer never freezes the window.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
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
from core.explain import Explanation, ModelCache, explain_document
from core.labelling import LabellingSession, SessionState
from core.queues import make_queue
from core.sampling import DEFAULT_SAMPLE_SIZE, WHY, draw_evaluation_sample
from desktop_app.annotate.category_panel import CategoryPanel
from desktop_app.annotate.document_pane import DocumentPane
from desktop_app.context import ProjectContext

QUEUE_CHOICES = (
    ("random", "Unlabelled, random order"),
    ("file-order", "Unlabelled, file order"),
    ("search", "Unlabelled, matching search"),
    ("uncertain", "Most uncertain first"),
    ("predicted", "Check predictions for category"),
    ("evaluation", "Evaluation sample"),
)


class ViewState(enum.Enum):
    IDLE = "idle"  # no session yet
    READY = "ready"  # a document is shown; keys label it
    BUSY = "busy"  # a step is running; keys are ignored
    EMPTY = "empty"  # the queue has nothing left


class AnnotateView(QWidget):
    """Shows one document at a time and turns key presses into saved labels."""

    state_shown = Signal(object)  # the SessionState just shown (tests, benchmarks)

    def __init__(self, context: ProjectContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.view_state = ViewState.IDLE
        self.session = LabellingSession(context.project, context.coder, make_queue("random"))
        self.last_state: SessionState | None = None
        self._shortcuts: list[QShortcut] = []
        self._pending: tuple[str, Callable[[], SessionState], bool] | None = None
        self._names: dict[int, str] = {}

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
        top = QHBoxLayout()
        top.addWidget(QLabel("Queue:"))
        top.addWidget(self.queue_box)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.predicted_box)
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
        layout.addWidget(self.message)
        layout.addWidget(self.suggestion)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self.categories.chosen.connect(self.label)
        self.back_button.clicked.connect(self.back)
        self.skip_button.clicked.connect(self.skip)
        self.undo_button.clicked.connect(self.undo)
        self.draw_button.clicked.connect(self.ask_draw_sample)
        self.queue_box.currentIndexChanged.connect(self._on_queue_choice)
        self.search_box.returnPressed.connect(self._apply_queue)
        self.predicted_box.activated.connect(lambda _: self._apply_queue())
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
        self.reload_codebook()

    # -- public actions ----------------------------------------------------------------

    def start(self) -> None:
        """Show the first document of the current queue."""
        self._step("Loading", self.session.start)

    def label(self, category_id: int) -> None:
        note = self.note.text().strip()
        action = functools.partial(self.session.label, category_id, note)
        self._step("Saving label", action, needs_document=True, saves=True)

    def skip(self) -> None:
        self._step("Next document", self.session.skip, needs_document=True)

    def back(self) -> None:
        self._step("Previous document", self.session.back)

    def undo(self) -> None:
        self._step("Undo", self.session.undo, saves=True)

    def open_document(self, document_id: int) -> None:
        """Show ``document_id`` (from the browser) so it can be (re)labelled."""
        self._step("Opening document", functools.partial(self.session.open_document, document_id))

    def set_queue(self, name: str, **config: Any) -> None:
        index = self.queue_box.findData(name)
        self.queue_box.blockSignals(True)
        self.queue_box.setCurrentIndex(index)
        self.queue_box.blockSignals(False)
        self.search_box.setVisible(name == "search")
        self.predicted_box.setVisible(name == "predicted")
        if name == "search":
            self.search_box.setText(config.get("query", ""))
        if name == "predicted":
            self.predicted_box.setCurrentIndex(
                self.predicted_box.findData(config.get("category_id"))
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
            self._show(self.last_state)

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
        handle = self.context.runner.run(
            "Drawing the evaluation sample",
            functools.partial(draw_evaluation_sample, self.context.project, size),
        )
        handle.returned.connect(lambda _: self.set_queue("evaluation"))
        handle.errored.connect(lambda error: self._show_error(str(error)))

    # -- the state machine -------------------------------------------------------------

    def _step(
        self,
        name: str,
        action: Callable[[], SessionState],
        *,
        needs_document: bool = False,
        saves: bool = False,
    ) -> None:
        """Run one session step on a worker thread; the view is BUSY until it is shown.

        While BUSY, key presses (label, skip) are dropped, as in Anki's reviewer; a
        navigation request (open a document, change queue) waits for the step to end.
        """
        if self.view_state is ViewState.BUSY:
            if not needs_document:
                self._pending = (name, action, saves)
            return
        if needs_document and self.view_state is not ViewState.READY:
            return
        self.view_state = ViewState.BUSY
        handle = self.context.runner.run(name, lambda progress, should_cancel: action())
        handle.returned.connect(self._on_step_done)
        handle.errored.connect(self._on_step_failed)
        if saves:
            handle.returned.connect(lambda _: self.context.labels_changed.emit())
        handle.finished.connect(self._run_pending)

    def _run_pending(self) -> None:
        if self._pending is not None and self.view_state is not ViewState.BUSY:
            name, action, saves = self._pending
            self._pending = None
            self._step(name, action, saves=saves)

    def _on_step_done(self, state: SessionState) -> None:
        self._show(state)
        self.view_state = ViewState.READY if state.document is not None else ViewState.EMPTY
        self.state_shown.emit(state)

    def _on_step_failed(self, error: Exception) -> None:
        self.view_state = (
            ViewState.READY if self.last_state and self.last_state.document else ViewState.EMPTY
        )
        self._show_error(str(error))

    def _show(self, state: SessionState) -> None:
        self.last_state = state
        document = state.document
        self.document.show_document(document)
        self.note.setText(document.note if document else "")
        self.categories.set_current(document.label if document else None)
        self.categories.set_counts(state.progress.per_category)
        self.back_button.setEnabled(state.can_go_back)
        self.undo_button.setEnabled(state.can_undo)
        self.skip_button.setEnabled(document is not None)
        progress = state.progress
        text = f"{progress.labelled:,} of {progress.documents:,} documents labelled"
        if progress.evaluation_size:
            text += (
                f" · evaluation sample {progress.evaluation_labelled:,}/"
                f"{progress.evaluation_size:,}"
            )
        self.progress_label.setText(text)
        self.message.setText(state.message)
        self.message.setVisible(bool(state.message))
        self._show_suggestion()
        self._explain()

    def _explain(self) -> None:
        """Ask (on a worker thread) which words pushed the model, for the shown document."""
        document = self.last_state.document if self.last_state else None
        if not self.explain_toggle.isChecked() or document is None:
            self.document.clear_explanation()
            return
        handle = self.context.runner.run(
            "Explaining",
            lambda progress, should_cancel: explain_document(
                self.context.project, document.id, self._models
            ),
        )
        handle.returned.connect(self._on_explained)
        handle.errored.connect(lambda error: self._show_error(str(error)))

    def _on_explained(self, explanation: Explanation | None) -> None:
        current = self.last_state.document if self.last_state else None
        if explanation is None:
            self.message.setText("No trained model yet: train one to see explanations.")
            self.message.show()
            return
        if current is None or explanation.document_id != current.id:
            return  # the user has moved on
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
        self.document.set_search_terms(config.get("query", ""))
        queue = make_queue(name, **config)
        self._step("Loading", functools.partial(self.session.set_queue, queue))
        self.setFocus()

    def _on_coder_changed(self, coder: str) -> None:
        self.session = LabellingSession(self.context.project, coder, self.session.queue)
        self.start()
