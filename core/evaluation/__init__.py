"""Evaluation: metrics with intervals, two runs side by side, run details and reports."""
