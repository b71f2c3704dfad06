"""Simulation: replay active learning on a fully labelled file; learning curves."""
