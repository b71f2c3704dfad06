"""``python -m cli …`` is ``labelloop …`` (used by torchrun and accelerate, see README)."""

from __future__ import annotations

import sys

from cli.launcher import main

sys.exit(main())
