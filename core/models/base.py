"""The one interface every classifier implements, and the registry that builds them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from core.errors import LabelLoopError
from core.jobs import CancelCheck, ProgressCallback


class TooFewLabelsError(LabelLoopError):
    """Training cannot start: the message says what to label first."""


@dataclass(frozen=True)
class ClassifierConfig:
    """Settings shared by every classifier; each kind extends it with its own."""

    seed: int = 0


@dataclass
class FitReport:
    """What fitting found out: chosen parameters and cross-validated scores.

    ``cv_scores`` are estimates from cross-validation on the training labels, reported
    as such, never as the evaluation sample's metrics.
    """

    parameters: dict[str, Any] = field(default_factory=dict)
    cv_scores: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class Classifier(Protocol):
    """Fit on texts and labels; give class probabilities; save and load; explain."""

    kind: ClassVar[str]
    classes_: list[str]

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> FitReport: ...

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        """An (n_texts, n_classes) array; columns follow ``classes_``."""
        ...

    def save(self, folder: Path) -> None:
        """Write the fitted model into ``folder`` (never as a pickle)."""
        ...

    @classmethod
    def load(cls, folder: Path) -> Classifier: ...

    def explain(self, text: str, top: int = 10) -> dict[str, list[tuple[str, float]]]:
        """Per class, the words of ``text`` that pushed the model toward it, strongest first."""
        ...


CLASSIFIERS: dict[str, Callable[..., Classifier]] = {}


def register_classifier(cls: type) -> type:
    """Class decorator: make a classifier available by its ``kind``."""
    CLASSIFIERS[cls.kind] = cls
    return cls


def make_classifier(kind: str, config: ClassifierConfig | None = None) -> Classifier:
    """A fresh, unfitted classifier of ``kind``."""
    if kind not in CLASSIFIERS:
        # Importing the module registers it; the transformer is optional and heavy.
        import importlib

        for module in ("core.models.baseline", "core.models.transformer"):
            try:
                importlib.import_module(module)
            except ModuleNotFoundError:
                continue
    try:
        factory = CLASSIFIERS[kind]
    except KeyError:
        known = ", ".join(sorted(CLASSIFIERS)) or "none"
        raise LabelLoopError(f"Unknown model '{kind}'. Known models: {known}.") from None
    return factory(config) if config is not None else factory()


def check_labels(labels: Sequence[str], *, minimum_per_class: int = 2) -> Counter[str]:
    """Refuse training data a model cannot learn from, saying what to label next."""
    counts = Counter(labels)
    if len(counts) < 2:
        only = f" (only '{next(iter(counts))}' so far)" if counts else ""
        raise TooFewLabelsError(
            f"Training needs labels in at least two categories{only}. "
            "Label some documents of another category first."
        )
    short = sorted(name for name, n in counts.items() if n < minimum_per_class)
    if short:
        raise TooFewLabelsError(
            f"Each category needs at least {minimum_per_class} training labels; "
            f"label more documents as {', '.join(repr(s) for s in short)} "
            "(or retire the category if you do not need it)."
        )
    return counts


def encode_labels(
    texts: Sequence[str], labels: Sequence[str]
) -> tuple[list[str], np.ndarray, Counter[str]]:
    """Check training data and number its classes: (sorted classes, label indices, counts).

    Raises :class:`TooFewLabelsError` (via :func:`check_labels`) when a model cannot learn.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    counts = check_labels(labels)
    classes = sorted(counts)
    index = {name: i for i, name in enumerate(classes)}
    y = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
    return classes, y, counts


def library_versions(*names: str) -> dict[str, str]:
    """Python's version and the installed versions of ``names`` (the missing ones left out)."""
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_meta(folder: Path, file_name: str, meta: dict[str, Any]) -> None:
    """Write a saved model's description (kind, format, classes, config...) as JSON."""
    import json

    (folder / file_name).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def read_meta(folder: Path, file_name: str, kind: str, format_version: int) -> dict[str, Any]:
    """Read what :func:`write_meta` wrote, refusing another kind or a newer format."""
    import json

    try:
        meta: dict[str, Any] = json.loads((folder / file_name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LabelLoopError(f"Cannot read the saved model in {folder}: {error}") from None
    if meta.get("kind") != kind or meta.get("format", 0) > format_version:
        raise LabelLoopError(
            f"{folder} does not hold a {kind} model this version of LabelLoop can read."
        )
    return meta


def config_for(kind: str, **settings: Any) -> ClassifierConfig:
    """The default configuration of ``kind`` with ``settings`` changed (e.g. ``seed=3``)."""
    from dataclasses import replace

    default = getattr(make_classifier(kind), "config", None) or ClassifierConfig()
    return replace(default, **settings)
