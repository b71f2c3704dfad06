"""The one interface every classifier implements, and the registry that builds them by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self

import numpy as np

from core.errors import LabelLoopError
from core.jobs import CancelCheck, ProgressCallback


class TooFewLabelsError(LabelLoopError):
    """Training cannot start: the message says what to label first."""


class MissingDependencyError(LabelLoopError):
    """A kind of classifier needs libraries that are not installed; says which and how."""


@dataclass(frozen=True)
class ClassifierConfig:
    """Settings shared by every classifier; each kind extends it with its own."""

    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The config :meth:`to_json` wrote (JSON lists back into the tuples it holds);
        settings this version does not know are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: _tuples(v) for k, v in data.items() if k in known})


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


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
    config: ClassifierConfig
    classes_: list[str]
    parameters: dict[str, Any]  # what fitting chose, saved with the model

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
    def load(cls, folder: Path) -> Classifier:
        """Read what :meth:`save` wrote; a damaged or foreign folder is a LabelLoopError."""
        ...

    def explain(self, text: str, top: int = 10) -> dict[str, list[tuple[str, float]]]:
        """Per class, the words of ``text`` that pushed the model toward it, strongest first."""
        ...


# -- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelKind:
    """Where a kind of classifier lives: its module, classifier class and config class.

    Names, not classes: the module is imported only when a classifier of the kind is made
    or loaded, since the transformer's imports torch (seconds) and the window and the CLI's
    ``info`` start without it.
    """

    module: str
    classifier: str
    config: str

    def classes(self) -> tuple[type[Classifier], type[ClassifierConfig]]:
        """The classifier and config classes, importing the module on first use."""
        import importlib

        try:
            module = importlib.import_module(self.module)
        except ModuleNotFoundError as error:
            if error.name is not None and error.name.split(".")[0] == "core":
                raise  # our own code is broken: not the user's to fix
            raise MissingDependencyError(str(error)) from error
        return getattr(module, self.classifier), getattr(module, self.config)


#: Every kind of classifier by name (ASReview's registry; see register_classifier).
MODEL_KINDS: dict[str, ModelKind] = {
    "baseline": ModelKind("core.models.baseline", "BaselineClassifier", "BaselineConfig"),
    "transformer": ModelKind(
        "core.models.transformer", "TransformerClassifier", "TransformerConfig"
    ),
}


def register_classifier(kind: str, module: str, classifier: str, config: str) -> None:
    """Make ``kind`` available: ``classifier`` and its ``config`` class in ``module``."""
    MODEL_KINDS[kind] = ModelKind(module, classifier, config)


def classifier_classes(kind: str) -> tuple[type[Classifier], type[ClassifierConfig]]:
    """The classifier and config classes of ``kind``.

    Raises :class:`~core.errors.LabelLoopError` for an unknown kind, and
    :class:`MissingDependencyError` (saying what to install) when its libraries are missing.
    """
    try:
        found = MODEL_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(MODEL_KINDS)) or "none"
        raise LabelLoopError(f"Unknown model '{kind}'. Known models: {known}.") from None
    return found.classes()


def make_classifier(kind: str, config: ClassifierConfig | None = None) -> Classifier:
    """A fresh, unfitted classifier of ``kind`` (its default configuration without ``config``)."""
    classifier, default = classifier_classes(kind)
    return classifier(config if config is not None else default())  # type: ignore[call-arg]


def load_classifier(kind: str, folder: Path) -> Classifier:
    """The fitted classifier of ``kind`` that :meth:`Classifier.save` wrote into ``folder``."""
    return classifier_classes(kind)[0].load(Path(folder))


def config_for(kind: str, **settings: Any) -> ClassifierConfig:
    """The default configuration of ``kind`` with ``settings`` changed (e.g. ``seed=3``)."""
    return classifier_classes(kind)[1](**settings)


def check_labels(labels: Sequence[str], *, minimum_per_class: int = 2) -> Counter[str]:
    """Refuse training data a model cannot learn from, saying what to label next."""
    counts = Counter(labels)
    if not counts:
        raise TooFewLabelsError(
            "Training needs labels in at least two categories, and there are no training "
            "labels yet: label at least 2 documents in each of two categories first, or "
            "import a file with a label column."
        )
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


def write_meta(
    folder: Path,
    file_name: str,
    classifier: Classifier,
    format_version: int,
    libraries: Sequence[str],
) -> None:
    """Write a saved model's description as JSON: kind, format, classes, config, chosen
    parameters and the versions of ``libraries``."""
    import json

    meta = {
        "kind": classifier.kind,
        "format": format_version,
        "classes": classifier.classes_,
        "config": classifier.config.to_json(),
        "parameters": classifier.parameters,
        "libraries": library_versions(*libraries),
    }
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
