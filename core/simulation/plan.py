"""What a simulation runs: one plan, one set of defaults for the command line and the window.

Plain data, cheap to import (the command line builds its parser from these defaults); the
simulation checks a plan when it starts (:func:`core.simulation.runner.simulate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The strategy compared with random sampling by default (see benchmarks/bench_active_learning.py).
DEFAULT_STRATEGY = "margin"

Tuning = Literal["fixed", "grid"]


@dataclass(frozen=True)
class SimulationPlan:
    """The strategies, seeds, labelling schedule, test set and model of a simulation.

    ``seeds`` is a count (seeds 0 … N−1) or the seeds themselves. Labelling starts from
    ``initial`` random labels and adds ``step`` per round up to ``max_labels``.
    ``test_size`` is a number of documents or a fraction below 1; ``None`` means 5,000, or a
    quarter of the documents when there are fewer than 20,000. ``tuning`` is the
    baseline's: one fixed configuration, or its grid search in every round.
    """

    strategies: tuple[str, ...] = ("random", DEFAULT_STRATEGY)
    seeds: int | tuple[int, ...] = 5
    initial: int = 50
    step: int = 50
    max_labels: int = 1000
    test_size: float | None = None
    model: str = "baseline"
    tuning: Tuning = "fixed"

    def seed_list(self) -> list[int]:
        """The seeds, in order."""
        if isinstance(self.seeds, int):
            return list(range(self.seeds))
        return [int(s) for s in self.seeds]
