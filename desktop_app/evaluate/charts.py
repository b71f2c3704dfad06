"""The Evaluate page's charts, drawn on a plain matplotlib ``Figure`` (no Qt, no pyplot).

Each function clears the figure and draws from a run's stored metrics, so the same code
could draw for a report; the page puts the figures in ``FigureCanvasQTAgg`` widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from core.evaluation.reports import model_name
from core.wording import plural

if TYPE_CHECKING:
    from core.simulation.runner import StrategySummary

#: One colour per model kind on the learning curve (then matplotlib's cycle).
_KIND_COLOURS = {"baseline": "#1f77b4", "transformer": "#d62728"}


def draw_message(figure: Figure, message: str) -> None:
    """An empty chart that says why it is empty, centred, instead of a blank pane."""
    figure.clear()
    figure.text(0.5, 0.5, message, ha="center", va="center", wrap=True, color="0.35")


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
    ax.set_title(f"Confusion matrix ({plural(evaluation['n'], 'evaluation document')})")
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
            x,
            y,
            yerr=errors,
            marker="o",
            capsize=4,
            label=model_name(kind),
            color=_KIND_COLOURS.get(kind),
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


def draw_simulation(
    figure: Figure,
    summary: Mapping[str, StrategySummary],
    target_f1: float | None,
    n_seeds: int,
) -> None:
    """Mean macro-F1 per strategy against labels (band: ±1 sd over the seeds).

    A dashed line marks the target (random sampling's final mean macro-F1), and a circle
    where each strategy's mean curve first reaches it. The axes hold one ``Line2D`` per
    strategy (labelled with its name) plus the target line; the circles are a scatter.
    """
    figure.clear()
    ax = figure.add_subplot()
    if not summary:
        ax.text(0.5, 0.5, "No simulation yet", ha="center", va="center")
        ax.set_axis_off()
        return
    lowest, highest = 1.0, 0.0
    reached = False
    for index, (name, s) in enumerate(summary.items()):
        colour = "0.35" if name == "random" else f"C{index}"
        mean, sd = np.asarray(s.mean_f1), np.asarray(s.sd_f1)
        ax.plot(s.labels, mean, marker=".", color=colour, label=name)
        ax.fill_between(s.labels, mean - sd, mean + sd, color=colour, alpha=0.15, linewidth=0)
        lowest = min(lowest, float((mean - sd).min()))
        highest = max(highest, float((mean + sd).max()))
        first = None if target_f1 is None else np.flatnonzero(mean >= target_f1)[:1]
        if first is not None and first.size:
            x, y = s.labels[first[0]], mean[first[0]]
            ax.scatter([x], [y], s=90, facecolors="none", edgecolors=colour, linewidths=2, zorder=3)
            reached = True
    if target_f1 is not None:
        ax.axhline(
            target_f1,
            linestyle="--",
            color="black",
            linewidth=1,
            label=f"target: random's final macro-F1 ({target_f1:.3f})",
        )
        lowest, highest = min(lowest, target_f1), max(highest, target_f1)
    handles, _ = ax.get_legend_handles_labels()
    if reached:  # a legend entry for the circles, not drawn on the axes
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markersize=9,
                fillstyle="none",
                linestyle="none",
                color="black",
                label="first reaches the target",
            )
        )
    ax.set_ylim(max(0.0, lowest - 0.05), min(1.0, highest + 0.05))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.set_xlabel("Labelled documents")
    ax.set_ylabel("Macro-F1 on the held-out test set")
    seeds = f"{n_seeds} seed" if n_seeds == 1 else f"{n_seeds} seeds"
    ax.set_title(f"Learning curves: mean of {seeds} (band: ±1 sd)")
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, loc="lower right", fontsize="small")
