"""Start the window: ``labelloop [PROJECT] [--smoke]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from core.errors import LabelLoopError
from desktop_app.main_window import MainWindow


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="labelloop",
        description="Open the LabelLoop window. Run 'labelloop --help' for the commands.",
    )
    parser.add_argument("project", nargs="?", type=Path, help="project file to open")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="open the window (and the project), paint it once, and exit 0: a start-up check",
    )
    return parser.parse_args(list(argv))


def run_app(argv: Sequence[str]) -> int:
    args = _parse(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LabelLoop")
    app.setOrganizationName("LabelLoop")
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    if args.project is not None:
        try:
            window.open_project(args.project)
        except LabelLoopError as error:
            if args.smoke:
                print(f"labelloop: error: {error}", file=sys.stderr)
                return 1
            window.show_error(str(error))
    if args.smoke:
        app.processEvents()
        window.grab()  # paints every visible widget once
        window.close()
        return 0
    QTimer.singleShot(0, window.raise_)
    return app.exec()
