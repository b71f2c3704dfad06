"""Labelling: the session and its queues, labels, skips, the evaluation sample, search."""
