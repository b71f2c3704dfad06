"""LabelLoop's window: Qt widgets, views and the worker runner. All rules live in ``core``.

This package's ``__init__`` and the ``launcher`` shim import no Qt, so ``python -m
desktop_app.launcher COMMAND`` (the old way to start ``cli.launcher``) runs headless.
"""
