"""The first thing a user sees: start a new project or open one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    new_requested = Signal()
    open_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("<h1>LabelLoop</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blurb = QLabel(
            "Label texts with the keyboard, train a baseline and a BERT model, "
            "and see honestly how well they do."
        )
        blurb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blurb.setWordWrap(True)
        new = QPushButton("New project…")
        open_ = QPushButton("Open project…")
        new.clicked.connect(self.new_requested)
        open_.clicked.connect(self.open_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (title, blurb, new, open_):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
