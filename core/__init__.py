"""LabelLoop's GUI-free domain logic: the project store, import and export, models, the CLI.

Nothing under ``core`` imports Qt (an import-linter contract in pyproject.toml checks it),
so every piece here runs on a headless GPU server as well as behind the desktop window.
"""

__version__ = "0.1.0"
