"""Classifiers behind one interface, registered by name (small-text / ASReview style).

``make_classifier("baseline", config)`` returns a fresh, unfitted classifier; the baseline
(TF-IDF + logistic regression) and the transformer implement the same :class:`Classifier`
protocol, so training, prediction, evaluation and active learning never ask which one
they have.
"""

from core.models.base import (
    CLASSIFIERS,
    Classifier,
    ClassifierConfig,
    FitReport,
    TooFewLabelsError,
    check_labels,
    config_for,
    make_classifier,
    register_classifier,
)

__all__ = [
    "CLASSIFIERS",
    "Classifier",
    "ClassifierConfig",
    "FitReport",
    "TooFewLabelsError",
    "check_labels",
    "config_for",
    "make_classifier",
    "register_classifier",
]
