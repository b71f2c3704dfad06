"""Start the window: ``labelloop [PROJECT] [--demo] [--smoke]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QElapsedTimer
from PySide6.QtWidgets import QApplication

from core.errors import LabelLoopError
from desktop_app.main_window import MainWindow
from desktop_app.worker import live_jobs


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="labelloop",
        description="Open the LabelLoop window. Run 'labelloop --help' for the commands.",
    )
    parser.add_argument("project", nargs="?", type=Path, help="project file to open")
    parser.add_argument("--demo", action="store_true", help="open the demo project")
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
    window = MainWindow(default_coder="smoke" if args.smoke else None)
    window.resize(1280, 800)
    window.show()
    try:
        if args.demo:
            window.open_demo()
        elif args.project is not None:
            window.open_project(args.project)
    except LabelLoopError as error:
        if args.smoke:
            print(f"labelloop: error: {error}", file=sys.stderr)
            return 1
        window.show_error(str(error))
    if args.smoke:
        return _smoke(app, window)
    return app.exec()


def _smoke(app: QApplication, window: MainWindow) -> int:
    """Let the first document load, paint the window once, close it cleanly."""
    timer = QElapsedTimer()
    timer.start()
    while live_jobs() and timer.elapsed() < 20_000:
        app.processEvents()
    app.processEvents()
    window.grab()  # paints every visible widget
    window.close()
    app.processEvents()
    return 0 if not live_jobs() else 1
