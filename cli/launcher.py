"""The ``labelloop`` console script: a command runs the headless CLI, none opens the window.

Qt is imported only when the window opens, so ``labelloop import ...`` works on a GPU
server with no display and no Qt libraries loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from cli.commands import COMMANDS

    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help", "--version")):
        from cli.commands import main as cli_main

        return cli_main(args)
    from desktop_app.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
