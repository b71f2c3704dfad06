"""Saving a matplotlib chart as PNG or SVG, and asking where (Evaluate page, simulation)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from PySide6.QtWidgets import QFileDialog, QWidget

CHART_FILES = "PNG image (*.png);;SVG drawing (*.svg)"


def save_figure(figure: Figure, path: Path) -> Path:
    """Save ``figure``; the suffix (.png or .svg, else .png) picks the format."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_suffix(".png")
    figure.savefig(path, dpi=200 if path.suffix.lower() == ".png" else "figure")
    return path


def ask_chart_path(parent: QWidget, default: Path) -> Path | None:
    """Where to export a chart (None when cancelled); the chosen filter sets a missing
    suffix."""
    path, chosen = QFileDialog.getSaveFileName(parent, "Export chart", str(default), CHART_FILES)
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg"):
        target = target.with_suffix(".svg" if "svg" in chosen.lower() else ".png")
    return target
