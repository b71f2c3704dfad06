"""Learning curves: points, summary, and the CSV file ``labelloop simulate --out`` writes.

The file is CSV with a header naming ``strategy``, ``seed``, ``labels`` and ``macro_f1``
(in any order; other columns are ignored), one row per strategy, seed and labelled count.
:func:`summarise_curves` is the one summary, of a simulation that just ran
(:mod:`core.simulation.runner`) and of a file read back alike: per strategy the mean ± sd
macro-F1 at each labelled count, the target (random sampling's final mean macro-F1) and the
labels each strategy needs to reach it.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from core.errors import LabelLoopError
from core.wording import plural

COLUMNS = ("strategy", "seed", "labels", "macro_f1")


class CurvesFileError(LabelLoopError):
    """A learning-curves file cannot be read."""


@dataclass(frozen=True, slots=True)
class CurvePoint:
    strategy: str
    seed: int
    labels: int
    macro_f1: float


@dataclass
class StrategySummary:
    """One strategy over all seeds. ``sd`` is the sample standard deviation (0 for one seed)."""

    strategy: str
    labels: list[int]
    mean_f1: list[float]
    sd_f1: list[float]
    final_mean_f1: float
    final_sd_f1: float
    #: Per seed: the first labelled count whose macro-F1 reaches the target, or None.
    labels_to_target_per_seed: list[int | None] = field(default_factory=list)
    labels_to_target_mean: float | None = None
    seeds_reached: int = 0


@dataclass
class CurvesSummary:
    """Every strategy's summary over its seeds, and the target they are measured against."""

    summary: dict[str, StrategySummary]
    seeds: list[int]
    #: Random sampling's final mean macro-F1 (None when the curves have no random strategy).
    target_f1: float | None

    def describe(self) -> str:
        """A plain-text table: final macro-F1 and labels to reach the target."""
        target = f"{self.target_f1:.3f}" if self.target_f1 is not None else "n/a"
        lines = [
            f"{plural(len(self.summary), 'strategy', 'strategies')} × "
            f"{plural(len(self.seeds), 'seed')}.",
            f"Target: random sampling's final macro-F1 = {target}.",
            "",
        ]
        rows = [
            (
                name,
                f"{s.final_mean_f1:.3f} ± {s.final_sd_f1:.3f} @ {s.labels[-1]:,}",
                describe_reach(s, self.target_f1, len(self.seeds), "n/a (no random strategy)"),
            )
            for name, s in self.summary.items()
        ]
        header = ("strategy", "final macro-F1", "labels to reach target")
        return "\n".join([*lines, *table(header, rows)])


def describe_reach(summary: StrategySummary, target: float | None, n_seeds: int, none: str) -> str:
    """The labels ``summary``'s strategy needs to reach ``target``, over how many of the
    ``n_seeds`` seeds; ``none`` without a target."""
    if target is None:
        return none
    seeds = len(summary.labels_to_target_per_seed) or n_seeds
    if summary.labels_to_target_mean is None:
        return f"not reached (0/{seeds} seeds)"
    return f"{summary.labels_to_target_mean:,.0f} ({summary.seeds_reached}/{seeds} seeds)"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Plain-text lines: the header and rows in left-aligned columns."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def read_curves_csv(path: str | Path) -> list[CurvePoint]:
    """The points of a curves file, in file order; :class:`CurvesFileError` if it is bad."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _parse(path, handle)
    except OSError as error:
        raise CurvesFileError(f"{path}: cannot be read ({error.strerror or error}).") from None
    except UnicodeDecodeError:
        raise CurvesFileError(
            f"{path}: is not UTF-8 text; expected a CSV written by labelloop simulate --out."
        ) from None
    except csv.Error as error:
        raise CurvesFileError(f"{path}: is not a valid CSV file ({error}).") from None


def _parse(path: Path, handle: TextIO) -> list[CurvePoint]:
    reader = csv.reader(handle)
    header = next(reader, None)
    expected = ", ".join(COLUMNS)
    if header is None:
        raise CurvesFileError(f"{path}: the file is empty; expected a header line {expected}.")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        which = ", ".join(repr(c) for c in missing)
        raise CurvesFileError(
            f"{path}, line 1: no column {which}; a curves file (labelloop simulate --out) "
            f"has the columns {expected}."
        )
    at = {c: names.index(c) for c in COLUMNS}
    points: list[CurvePoint] = []
    seen: set[tuple[str, int, int]] = set()
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}, line {reader.line_num}"
        if len(row) <= max(at.values()):
            raise CurvesFileError(f"{where}: {len(row)} fields, expected {len(header)}.")
        strategy = row[at["strategy"]].strip()
        if not strategy:
            raise CurvesFileError(f"{where}: the strategy is empty.")
        seed = _integer(row[at["seed"]], "seed", where)
        labels = _integer(row[at["labels"]], "labels", where)
        f1 = _number(row[at["macro_f1"]], where)
        if labels < 0:
            raise CurvesFileError(f"{where}: labels {labels} is negative.")
        key = (strategy, seed, labels)
        if key in seen:
            raise CurvesFileError(
                f"{where}: a second row for strategy {strategy}, seed {seed}, "
                f"{plural(labels, 'label')}."
            )
        seen.add(key)
        points.append(CurvePoint(strategy, seed, labels, f1))
    if not points:
        raise CurvesFileError(f"{path}: the file has a header but no rows.")
    return points


def _integer(text: str, column: str, where: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        value = text.strip()
        raise CurvesFileError(f"{where}: {column} {value!r} is not a whole number.") from None


def _number(text: str, where: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise CurvesFileError(f"{where}: macro_f1 {text.strip()!r} is not a number.") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise CurvesFileError(f"{where}: macro_f1 {text.strip()} is not between 0 and 1.")
    return value


def summarise_curves(points: Iterable[CurvePoint]) -> CurvesSummary:
    """Mean ± sd (sample sd, 0 for one seed) per strategy and labelled count, the target
    (random's final mean) and labels to reach it.

    Strategies and seeds keep the order in which they first appear. A labelled count that
    only some seeds reached is averaged over those seeds.
    """
    curves: dict[str, dict[int, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for p in points:
        curves[p.strategy][p.seed].append((p.labels, p.macro_f1))
    summary: dict[str, StrategySummary] = {}
    for name, by_seed in curves.items():
        at: dict[int, list[float]] = defaultdict(list)
        for pairs in by_seed.values():
            pairs.sort()
            for labels, f1 in pairs:
                at[labels].append(f1)
        xs = sorted(at)
        means = [float(np.mean(at[x])) for x in xs]
        sds = [float(np.std(at[x], ddof=1)) if len(at[x]) > 1 else 0.0 for x in xs]
        summary[name] = StrategySummary(name, xs, means, sds, means[-1], sds[-1])
    target = summary["random"].final_mean_f1 if "random" in summary else None
    seeds = list(dict.fromkeys(seed for by_seed in curves.values() for seed in by_seed))
    if target is not None:
        for name, s in summary.items():
            reached = [
                next((x for x, f1 in curves[name][seed] if f1 >= target), None)
                for seed in curves[name]
            ]
            hits = [x for x in reached if x is not None]
            s.labels_to_target_per_seed = reached
            s.seeds_reached = len(hits)
            s.labels_to_target_mean = float(np.mean(hits)) if hits else None
    return CurvesSummary(summary, seeds, target)


__all__ = [
    "COLUMNS",
    "CurvePoint",
    "CurvesFileError",
    "CurvesSummary",
    "StrategySummary",
    "read_curves_csv",
    "summarise_curves",
]
