"""The Evaluate page: run history, per-category metrics with intervals, charts, prevalence."""

from desktop_app.evaluate.evaluate_page import EvaluatePage

__all__ = ["EvaluatePage"]
