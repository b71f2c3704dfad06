"""Classifiers behind one interface, registered by name (small-text / ASReview style).

``make_classifier("baseline", config)`` returns a fresh, unfitted classifier and
``load_classifier(kind, folder)`` a saved one; the baseline (TF-IDF + logistic regression)
and the transformer implement the same :class:`Classifier` protocol, so training,
prediction, evaluation and active learning never ask which one they have. The registry
(:data:`MODEL_KINDS`) names each kind's module, imported only when a classifier of that
kind is made or loaded: the transformer's imports torch.
"""

from core.models.base import (
    MODEL_KINDS,
    Classifier,
    ClassifierConfig,
    FitReport,
    MissingDependencyError,
    TooFewLabelsError,
    check_labels,
    classifier_classes,
    config_for,
    load_classifier,
    make_classifier,
    register_classifier,
)

__all__ = [
    "MODEL_KINDS",
    "Classifier",
    "ClassifierConfig",
    "FitReport",
    "MissingDependencyError",
    "TooFewLabelsError",
    "check_labels",
    "classifier_classes",
    "config_for",
    "load_classifier",
    "make_classifier",
    "register_classifier",
]
