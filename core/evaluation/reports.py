"""Plain-text reports of a training run, as the CLI prints them."""

from __future__ import annotations

from typing import Any

from core.evaluation.metrics import describe_metric
from core.wording import plural

#: How people are told which kind of model a run is.
MODEL_NAMES = {"baseline": "baseline", "transformer": "BERT"}


def model_name(kind: str, *, article: bool = False, heading: bool = False) -> str:
    """``"baseline"`` / ``"BERT"``; ``article`` gives "the baseline", ``heading`` a capital."""
    name = MODEL_NAMES.get(kind, kind)
    if article and kind == "baseline":
        name = f"the {name}"
    return name[:1].upper() + name[1:] if heading else name


def describe_cross_validation(metrics: dict[str, Any]) -> str | None:
    """The cross-validated estimate in one sentence, named as such; None without one."""
    cv = metrics.get("cross_validation") or {}
    if "cv_macro_f1_mean" not in cv:
        return None
    folds = f"{cv['cv_folds']}-fold " if "cv_folds" in cv else ""
    spread = f" ± {cv['cv_macro_f1_std']:.2f}" if "cv_macro_f1_std" in cv else ""
    return (
        f"Cross-validated estimate on the training labels ({folds}cross-validation, "
        f"not the evaluation): macro-F1 {cv['cv_macro_f1_mean']:.2f}{spread}."
    )


def describe_training(run_id: int, kind: str, metrics: dict[str, Any]) -> str:
    """What a run learned and how well it does, with intervals, in a few lines."""
    names = metrics.get("category_names", {})
    lines = [
        f"Run #{run_id}: {kind} trained on {plural(metrics.get('train_size', 0), 'label')} "
        f"in {metrics.get('seconds', 0):.1f} s."
    ]
    lines += [f"Note: {note}" for note in metrics.get("notes") or []]
    cv = describe_cross_validation(metrics)
    if cv:
        lines.append(cv)
    evaluation = metrics.get("evaluation")
    if not evaluation:
        lines.append(
            "No evaluation sample labelled yet: draw one (Draw evaluation sample… in the window, "
            "or labelloop sample PROJECT) and label it to measure the model."
        )
        return "\n".join(lines)
    lines.append(
        f"On the evaluation sample ({plural(evaluation['n'], 'document')}, 95% intervals): "
        f"macro-F1 {describe_metric(evaluation['macro_f1'])}, "
        f"accuracy {describe_metric(evaluation['accuracy'])}."
    )
    table = [["category", "precision", "recall", "F1", "n"]]
    for cls in evaluation["classes"]:
        row = evaluation["per_class"][cls]
        table.append(
            [
                names.get(cls, cls),
                describe_metric(row["precision"]),
                describe_metric(row["recall"]),
                describe_metric(row["f1"]),
                f"{row['support']:,}",
            ]
        )
    lines += _aligned(table)
    width = max(len(row[0]) for row in table)
    prevalence = metrics.get("prevalence") or {}
    note = describe_prevalence_note(metrics)
    if note:
        lines.append(note)
    elif prevalence:
        lines.append("Share of each category among unlabelled documents (adjusted, 95% interval):")
        for cls, estimate in prevalence.items():
            adjusted = estimate.get("adjusted")
            if adjusted is None:
                continue
            lines.append(
                f"  {names.get(cls, cls):<{width}}  {adjusted:.1%} "
                f"({estimate['low']:.1%}–{estimate['high']:.1%}); "
                f"unadjusted {estimate['classify_and_count']:.1%}"
            )
    lines.extend(evaluation.get("warnings", []))
    return "\n".join(lines)


def _aligned(rows: list[list[str]]) -> list[str]:
    """Rows as lines of columns two spaces apart, each as wide as its widest cell (the
    last, a count, right-aligned), indented by two."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=False))
        + "  "
        + row[-1].rjust(widths[-1])
        for row in rows
    ]


def describe_prevalence_note(metrics: dict[str, Any]) -> str | None:
    """Why a run estimated no shares of the unlabelled documents, in one sentence; None
    when it did (or when it predates the note)."""
    note = metrics.get("prevalence_note")
    if not note:
        return None
    return f"Share of each category among unlabelled documents: {note[:1].lower()}{note[1:]}"
