"""Kept so that ``python -m desktop_app.launcher …`` (older scripts, Slurm jobs) still works:
the ``labelloop`` entry point lives in :mod:`cli.launcher`."""

from __future__ import annotations

import sys

from cli.launcher import main

if __name__ == "__main__":
    sys.exit(main())
