"""LabelLoop's GUI-free domain logic, grouped by feature: the project store, import and
export, labelling, training, models, evaluation and simulation. Both front ends use it:
the window (``desktop_app``) and the command line (``cli``).

Nothing under ``core`` imports Qt (an import-linter contract in pyproject.toml checks it),
so every piece here runs on a headless GPU server as well as behind the desktop window.
"""

__version__ = "0.1.0"
