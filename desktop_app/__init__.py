"""LabelLoop's window: Qt widgets, views and the worker runner. All rules live in ``core``.

This package's ``__init__`` and ``launcher`` import no Qt, so ``labelloop COMMAND`` runs the
headless CLI on machines without a display.
"""
