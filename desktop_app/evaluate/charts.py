"""The Evaluate page's charts, drawn on a plain matplotlib ``Figure`` (no Qt, no pyplot).

Each function clears the figure and draws from a run's stored metrics, so the same code
could draw for a report; the page puts the figures in ``FigureCanvasQTAgg`` widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: One colour per model kind on the learning curve (then matplotlib's cycle).
_KIND_COLOURS = {"baseline": "#1f77b4", "bert": "#d62728"}


def draw_confusion(figure: Figure, evaluation: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """A heatmap of the evaluation sample's confusion matrix, counts written in each cell.

    Rows are the evaluation labels (true), columns the model's predictions.
    """
    figure.clear()
    ax = figure.add_subplot()
    matrix = np.asarray(evaluation["confusion"], dtype=int)
    labels = [names.get(c, c) for c in evaluation["classes"]]
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, column), count in np.ndenumerate(matrix):
        ax.text(
            column,
            row,
            str(count),
            ha="center",
            va="center",
            color="white" if count > threshold else "black",
        )
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("Predicted by the model")
    ax.set_ylabel("Label in the evaluation sample")
    ax.set_title(f"Confusion matrix ({evaluation['n']:,} evaluation documents)")
    figure.colorbar(image, ax=ax, label="documents")


def draw_learning_curve(
    figure: Figure, runs: Sequence[Mapping[str, Any]], selected: int | None = None
) -> None:
    """Macro-F1 on the evaluation sample (95% interval bars) against training labels.

    One line per model kind; ``selected`` (a run id) is circled.
    """
    figure.clear()
    ax = figure.add_subplot()
    by_kind: dict[str, list[tuple[int, float, float, float, int]]] = {}
    for run in runs:
        metrics = run.get("metrics") or {}
        macro = (metrics.get("evaluation") or {}).get("macro_f1") or {}
        value = macro.get("value")
        if value is None:
            continue
        low = value if macro.get("low") is None else macro["low"]
        high = value if macro.get("high") is None else macro["high"]
        point = (metrics.get("train_size", 0), value, low, high, run["id"])
        by_kind.setdefault(run["kind"], []).append(point)
    for kind, points in sorted(by_kind.items()):
        points.sort()
        x = [p[0] for p in points]
        y = [p[1] for p in points]
        errors = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        ax.errorbar(
            x, y, yerr=errors, marker="o", capsize=4, label=kind, color=_KIND_COLOURS.get(kind)
        )
        for p in points:
            if p[4] == selected:
                ax.plot(p[0], p[1], "o", markersize=14, fillstyle="none", color="black")
    if not by_kind:
        ax.text(0.5, 0.5, "No evaluated runs yet", ha="center", va="center")
    ax.set_ylim(0, 1)
    most = max((p[0] for points in by_kind.values() for p in points), default=0)
    ax.set_xlim(0, max(most, 1) * 1.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Training labels")
    ax.set_ylabel("Macro-F1 on the evaluation sample")
    ax.set_title("Learning curve (bars: 95% intervals)")
    ax.grid(True, alpha=0.3)
    if by_kind:
        ax.legend(loc="lower right")
