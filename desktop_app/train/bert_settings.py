"""BERT's settings on the Train page: which language model, epochs, maximum length.

The model is any Hugging Face id (BERTje by default; RobBERT and multilingual BERT are
suggested) or a local folder holding one, chosen with "Folder…". The settings travel to
the training job as a plain dict (``core.training.job.train_models`` builds the config in the
worker thread, so the window never imports torch).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

#: Suggested language models; any Hugging Face id or a local folder can be typed in.
BERT_MODELS = [
    "GroNLP/bert-base-dutch-cased",
    "pdelobelle/robbert-v2-dutch-base",
    "bert-base-multilingual-cased",
]
DEFAULT_EPOCHS = 10  # at most: early stopping ends sooner (core TransformerConfig)
DEFAULT_MAX_LENGTH = 256


class BertSettings(QWidget):
    """Language model, epochs and maximum length for BERT; ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_name = QComboBox()
        self.model_name.setEditable(True)
        self.model_name.addItems(BERT_MODELS)
        self.model_name.setToolTip(
            "A Hugging Face model id (downloaded once into the Hugging Face cache) or a "
            "folder with a downloaded model"
        )
        self.model_name.currentTextChanged.connect(self.changed)
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Use a model saved in a folder on this computer")
        self.folder_button.clicked.connect(self._choose_folder)
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, 20)
        self.epochs_box.setValue(DEFAULT_EPOCHS)
        self.epochs_box.setToolTip("Passes over the labels; early stopping may end sooner")
        self.length_box = QSpinBox()
        self.length_box.setRange(16, 512)
        self.length_box.setSingleStep(32)
        self.length_box.setValue(DEFAULT_MAX_LENGTH)
        self.length_box.setToolTip("Tokens per document; longer documents are cut")
        for box in (self.epochs_box, self.length_box):
            box.valueChanged.connect(self.changed)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Language model:"))
        row.addWidget(self.model_name, 1)
        row.addWidget(self.folder_button)
        row.addWidget(QLabel("Max. epochs:"))
        row.addWidget(self.epochs_box)
        row.addWidget(QLabel("Max. tokens:"))
        row.addWidget(self.length_box)

    def epochs(self) -> int:
        return self.epochs_box.value()

    def max_length(self) -> int:
        return self.length_box.value()

    def settings(self) -> dict[str, Any]:
        """``TransformerConfig`` fields, as ``core.training.job.train_models`` takes them."""
        return {
            "model_name": self.model_name.currentText().strip() or BERT_MODELS[0],
            "epochs": self.epochs(),
            "max_length": self.max_length(),
        }

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with a downloaded model")
        if folder:
            self.model_name.setCurrentText(folder)
