"""The ``labelloop`` console script: a command runs the headless CLI, none opens the window.

Qt is imported only when the window opens, so ``labelloop import ...`` works on a GPU
server with no display and no Qt libraries loaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

NO_DISPLAY = (
    "labelloop: error: no display found: the window needs a desktop session (X11 or "
    "Wayland). On a server, use the commands instead (labelloop --help); for a start-up "
    "check without a screen, set QT_QPA_PLATFORM=offscreen."
)


def has_display() -> bool:
    """Whether Qt can open a window here. On Linux without DISPLAY or WAYLAND_DISPLAY (an
    SSH session, a compute node) Qt would abort the process with a message about missing
    xcb libraries, which sends users reinstalling what is there."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from cli.commands import COMMANDS

    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help", "--version")):
        from cli.commands import main as cli_main

        return cli_main(args)
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 1
    from desktop_app.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
