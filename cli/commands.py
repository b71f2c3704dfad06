"""The headless command line: ``labelloop import | info | export | codebook``.

Runs without Qt (a GPU server has no display). Bad input ends with a non-zero exit status
and one line on stderr that says what is wrong and what to do. ``--json`` output has a
stable, documented shape (README, "Output for scripts").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core import __version__, codebook
from core.errors import Cancelled, LabelLoopError
from core.jobs import Progress, format_eta, with_eta
from core.store.project import Project, needs_upgrade

COMMANDS = ("import", "info", "export", "codebook", "sample", "train", "predict", "simulate")
EXIT_INPUT_ERROR = 1
EXIT_CANCELLED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labelloop",
        description="Label texts, train classifiers, evaluate honestly. "
        "Without a command, labelloop opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"LabelLoop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("import", help="import documents (creates the project if missing)")
    p.add_argument("project", type=Path, help="project file (.labelloop)")
    p.add_argument("file", type=Path, help="CSV, TSV, XLSX, JSONL, Parquet, or a folder of .txt")
    p.add_argument("--text-col", help="column with the texts (not needed for a .txt folder)")
    p.add_argument("--id-col", help="column with each document's id")
    p.add_argument("--label-col", help="column with labels (they become annotations)")
    p.add_argument("--purpose-col", help="column saying train or eval for each label")
    p.add_argument("--meta-col", action="append", default=[], help="column to keep (repeat)")
    p.add_argument(
        "--on-duplicate",
        choices=("skip", "replace", "fail"),
        default="skip",
        help="what to do with an id already in the project (default: skip)",
    )
    p.add_argument("--coder", default="imported", help="coder name for imported labels")
    p.add_argument("--encoding", help="text encoding, if detection gets it wrong (e.g. cp1252)")
    p.add_argument("--delimiter", help="CSV delimiter, if sniffing gets it wrong")
    p.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = commands.add_parser("info", help="documents, labels per category and purpose, runs")
    p.add_argument("project", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON (see README for its shape)")

    p = commands.add_parser("export", help="export documents, labels and predictions")
    p.add_argument("project", type=Path)
    p.add_argument("out", type=Path, help="OUT.csv, OUT.xlsx, OUT.parquet or OUT.dta")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = commands.add_parser("train", help="train a model; measure it on the evaluation sample")
    p.add_argument("project", type=Path)
    p.add_argument(
        "--model",
        default="baseline",
        help="baseline, transformer or baseline-then-transformer (default: baseline)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (recorded with the run)")
    p.add_argument(
        "--model-name", help="transformer: Hugging Face model id or local folder (default BERTje)"
    )
    p.add_argument("--epochs", type=int, help="transformer: training epochs")
    p.add_argument("--max-length", type=int, help="transformer: tokens per document")
    p.add_argument("--json", action="store_true", help="print the run's metrics as JSON")

    p = commands.add_parser(
        "sample", help="draw a random evaluation sample (label it in the window)"
    )
    p.add_argument("project", type=Path)
    p.add_argument(
        "--size", type=int, default=200, help="documents to add to the sample (default 200)"
    )
    p.add_argument("--seed", type=int, help="random seed, to draw the same sample again")
    p.add_argument("--json", action="store_true", help="print the ids drawn and the totals")

    p = commands.add_parser("predict", help="predict every document with the latest model")
    p.add_argument("project", type=Path)
    p.add_argument("--run", type=int, help="use this run's model (default: the latest)")

    from core.simulation.plan import SimulationPlan  # plain data, cheap to import

    plan = SimulationPlan()  # the defaults, shared with the window's simulation dialog
    p = commands.add_parser(
        "simulate", help="replay active learning on a fully labelled file (learning curves)"
    )
    p.add_argument("file", type=Path, help="CSV, TSV, XLSX, JSONL or Parquet with labels")
    p.add_argument("--text-col", required=True, help="column with the texts")
    p.add_argument("--label-col", required=True, help="column with the labels")
    p.add_argument(
        "--strategy",
        action="append",
        help=f"query strategy (repeat; default: {' and '.join(plan.strategies)})",
    )
    p.add_argument(
        "--model",
        default=plan.model,
        help=f"the classifier of every round: baseline or transformer (default: {plan.model})",
    )
    p.add_argument(
        "--tuning",
        choices=("fixed", "grid"),
        default=plan.tuning,
        help="baseline: one fixed configuration or a grid search every round "
        f"(default: {plan.tuning})",
    )
    p.add_argument(
        "--seeds", type=int, default=plan.seeds, help=f"number of seeds (default: {plan.seeds})"
    )
    p.add_argument(
        "--initial",
        type=int,
        default=plan.initial,
        help=f"random labels to start from (default: {plan.initial})",
    )
    p.add_argument(
        "--step", type=int, default=plan.step, help=f"labels added per round (default: {plan.step})"
    )
    p.add_argument(
        "--max-labels",
        type=int,
        default=plan.max_labels,
        help=f"labels at the end (default: {plan.max_labels})",
    )
    p.add_argument(
        "--test-size",
        type=float,
        default=plan.test_size,
        help="held-out documents (a count, or a fraction below 1; default 5000 or a quarter)",
    )
    p.add_argument("--out", type=Path, help="write the learning curves to this CSV")
    p.add_argument("--encoding", help="text encoding, if detection gets it wrong")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = commands.add_parser("codebook", help="list or change the categories")
    p.add_argument("project", type=Path)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="list the categories").add_argument(
        "--json", action="store_true"
    )
    a = actions.add_parser("add", help="add a category")
    a.add_argument("name")
    a.add_argument("--definition", default="", help="what belongs in this category")
    a.add_argument("--key", help="shortcut key (default: the next free 1-9)")
    a.add_argument("--colour", help="colour as #RRGGBB")
    a = actions.add_parser("rename", help="rename a category (its labels follow)")
    a.add_argument("old")
    a.add_argument("new")
    a = actions.add_parser("merge", help="move all labels of SOURCE to INTO, retire SOURCE")
    a.add_argument("source")
    a.add_argument("into")
    actions.add_parser("retire", help="hide a category; its labels stay").add_argument("name")
    actions.add_parser("restore", help="bring a retired category back").add_argument("name")
    a = actions.add_parser("edit", help="change a definition, key or colour")
    a.add_argument("name")
    a.add_argument("--definition")
    a.add_argument("--key")
    a.add_argument("--colour")
    a = actions.add_parser("reorder", help="put these categories first, in this order")
    a.add_argument("names", nargs="+")
    a = actions.add_parser("export", help="write the codebook to .md or .csv")
    a.add_argument("out", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = {
        "import": _import,
        "info": _info,
        "export": _export,
        "codebook": _codebook,
        "train": _train,
        "predict": _predict,
        "sample": _sample,
        "simulate": _simulate,
    }[args.command]
    try:
        return handler(args)
    except Cancelled as error:
        _clear_progress()
        print(f"labelloop: {error}", file=sys.stderr)
        return EXIT_CANCELLED
    except LabelLoopError as error:
        _clear_progress()
        print(f"labelloop: error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        _clear_progress()
        print("labelloop: interrupted; nothing was changed.", file=sys.stderr)
        return EXIT_CANCELLED


# -- commands ----------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    from core.ingest import ImportOptions, import_file, new_project

    options = ImportOptions(
        text_col=args.text_col,
        id_col=args.id_col,
        label_col=args.label_col,
        purpose_col=args.purpose_col,
        meta_cols=tuple(args.meta_col),
        on_duplicate=args.on_duplicate,
        coder=args.coder,
        encoding=args.encoding,
        delimiter=_delimiter(args.delimiter),
        sheet=args.sheet,
    )
    # A new project appears only when its first import has committed: a failed, cancelled
    # or killed first import leaves no project file behind (core.ingest.new_project).
    opened = _open(args.project) if args.project.exists() else new_project(args.project)
    with opened as project:
        summary = import_file(project, args.file, options, progress=_terminal_progress())
    _clear_progress()
    _print(summary.as_dict() if args.json else summary.describe(), args.json)
    return 0


def _info(args: argparse.Namespace) -> int:
    from core.overview import describe_overview, project_overview

    with _open(args.project) as project:
        overview = project_overview(project)
    _print(overview if args.json else describe_overview(overview), args.json)
    return 0


def _export(args: argparse.Namespace) -> int:
    from core.export import export_documents

    with _open(args.project) as project:
        summary = export_documents(project, args.out, progress=_terminal_progress())
    _clear_progress()
    if args.json:
        _print(
            {
                "path": summary.path,
                "rows": summary.rows,
                "columns": summary.columns,
                "prediction_run": summary.prediction_run,
                "notes": summary.notes,
                "original_names": summary.original_names,
            },
            True,
        )
    else:
        _print(summary.describe(), False)
    return 0


def _train(args: argparse.Namespace) -> int:
    from core.evaluation.reports import describe_training
    from core.models.base import config_for
    from core.models.distributed import is_main_process
    from core.training.job import SEQUENCES, TrainingResult, train_models

    settings = {
        key: value
        for key, value in (
            ("model_name", args.model_name),
            ("epochs", args.epochs),
            ("max_length", args.max_length),
        )
        if value is not None
    }
    kinds = SEQUENCES.get(args.model, (args.model,))
    if settings and "transformer" not in kinds:
        raise LabelLoopError(
            "--model-name, --epochs and --max-length go with --model transformer "
            "or baseline-then-transformer."
        )
    plan = [
        (kind, config_for(kind, seed=args.seed, **(settings if kind == "transformer" else {})))
        for kind in kinds
    ]

    main = is_main_process()  # with torchrun / accelerate launch only rank 0 reports

    def show(result: TrainingResult) -> None:  # each run as soon as it is saved
        if main and not args.json:
            _clear_progress()
            _print(describe_training(result.run_id, result.kind, result.metrics), False)
            print()

    with _open(args.project) as project:
        progress = _terminal_progress() if main else None
        results = train_models(project, plan, progress=progress, partial=show)
        if not main:
            return 0
        comparison = _compare(project, results)
    _clear_progress()
    runs = [{"run": r.run_id, "kind": r.kind, "metrics": r.metrics} for r in results]
    if args.json:
        if len(runs) == 1:
            _print(runs[0], True)
        else:
            from core.evaluation.comparison import comparison_as_dict

            compared = comparison_as_dict(comparison) if comparison else None
            _print({"runs": runs, "comparison": compared}, True)
    elif comparison is not None:
        print(comparison.recommendation)
    return 0


def _compare(project: Project, results: list[Any]) -> Any:
    """Baseline against BERT when one job trained both and an evaluation set exists."""
    from core.evaluation.comparison import compare_runs

    if len(results) != 2 or not all(r.metrics.get("evaluation") for r in results):
        return None
    return compare_runs(project, results[0].run_id, results[1].run_id)


def _sample(args: argparse.Namespace) -> int:
    from core.labelling.evaluation_sample import (
        draw_evaluation_sample,
        evaluation_sample_status,
        external_ids,
    )
    from core.wording import plural

    with _open(args.project) as project:
        drawn = draw_evaluation_sample(project, args.size, seed=args.seed)
        status = evaluation_sample_status(project)
        ids = external_ids(project, drawn)
    if args.json:
        _print({"drawn": ids, **status}, True)
        return 0
    short = "" if len(drawn) == args.size else f" (only {len(drawn):,} documents were left)"
    print(
        f"Drew {plural(len(drawn), 'document')} into the evaluation sample{short}; it holds "
        f"{status['size']:,}, {status['labelled']:,} of them labelled. Label them in the "
        "window (queue 'Evaluation sample'), or import their labels with purpose eval."
    )
    return 0


def _predict(args: argparse.Namespace) -> int:
    from core.training.job import predict_with_run
    from core.wording import plural

    with _open(args.project) as project:
        count = predict_with_run(project, args.run, progress=_terminal_progress())
    _clear_progress()
    print(f"Predicted {plural(count, 'document')}.")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from core.simulation.runner import SimulationPlan, simulate_file

    strategies = {"strategies": tuple(args.strategy)} if args.strategy else {}
    plan = SimulationPlan(
        seeds=args.seeds,
        initial=args.initial,
        step=args.step,
        max_labels=args.max_labels,
        test_size=args.test_size,
        model=args.model,
        tuning=args.tuning,
        **strategies,
    )
    result = simulate_file(
        args.file,
        args.text_col,
        args.label_col,
        plan,
        reader_options={"encoding": args.encoding} if args.encoding else None,
        progress=_terminal_progress(),
    )
    _clear_progress()
    if args.out:
        result.write_csv(args.out)
    if args.json:
        _print(result.as_dict(), True)
    else:
        print(result.describe())
        if args.out:
            print(f"Wrote the learning curves to {args.out}.")
    return 0


def _codebook(args: argparse.Namespace) -> int:
    from core.wording import plural

    with _open(args.project) as project:
        action = args.action
        if action == "list":
            categories = codebook.list_categories(project, include_retired=True)
            if args.json:
                _print([asdict(c) for c in categories], True)
            else:
                for c in categories:
                    status = " (merged)" if c.merged_into else " (retired)" if c.retired else ""
                    key = f"[{c.shortcut}]" if c.shortcut else "   "
                    print(f"{key} {c.name}{status}  {c.definition}".rstrip())
        elif action == "add":
            c = codebook.add_category(
                project,
                args.name,
                definition=args.definition,
                shortcut=args.key,
                colour=args.colour,
            )
            print(f"Added '{c.name}' (key {c.shortcut or 'none'}).")
        elif action == "rename":
            c = codebook.rename_category(project, args.old, args.new)
            print(f"Renamed '{args.old}' to '{c.name}'; its labels kept.")
        elif action == "merge":
            moved = codebook.merge_categories(project, args.source, args.into)
            print(
                f"Moved {plural(moved, 'label')} from '{args.source}' to '{args.into}'; "
                f"'{args.source}' is retired."
            )
        elif action == "retire":
            codebook.retire_category(project, args.name)
            print(f"Retired '{args.name}'; its labels stay in the project.")
        elif action == "restore":
            codebook.restore_category(project, args.name)
            print(f"Restored '{args.name}'.")
        elif action == "edit":
            codebook.update_category(
                project,
                args.name,
                definition=args.definition,
                shortcut=args.key,
                colour=args.colour,
            )
            print(f"Updated '{args.name}'.")
        elif action == "reorder":
            order = codebook.reorder_categories(project, args.names)
            print("Order: " + ", ".join(c.name for c in order))
        elif action == "export":
            codebook.export_codebook(project, args.out)
            print(f"Wrote the codebook to {args.out}.")
    return 0


# -- output ----------------------------------------------------------------------------


def _open(path: Path) -> Project:
    """Open a project, saying so first when its format is upgraded (a backup, then the
    migrations: up to a minute for a large project, once)."""
    if needs_upgrade(path):
        print(
            f"Upgrading {path.name} to this version of LabelLoop (a backup copy is made "
            "first; once, up to a minute for a large project)…",
            file=sys.stderr,
        )
    return Project.open(path)


def _print(payload: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    else:
        print(payload)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _delimiter(value: str | None) -> str | None:
    names = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return names.get(value.lower(), value) if value else None


_progress_shown = False


def _terminal_progress() -> Callable[[Progress], None] | None:
    """A progress line on stderr, redrawn in place; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(progress: Progress) -> None:
        global _progress_shown
        _progress_shown = True
        percent = f"{progress.fraction:4.0%}" if progress.fraction is not None else "    "
        eta = format_eta(progress.eta_seconds)
        line = f"{percent} {progress.message}" + (f", about {eta} left" if eta else "")
        sys.stderr.write("\r" + line[:100].ljust(100))
        sys.stderr.flush()

    return with_eta(show)


def _clear_progress() -> None:
    global _progress_shown
    if _progress_shown:
        sys.stderr.write("\r" + " " * 100 + "\r")
        sys.stderr.flush()
        _progress_shown = False
