"""The baseline classifier: TF-IDF features and logistic regression, tuned by cross-validation.

What it does
------------
* Features: TF-IDF of word 1–2 grams (sublinear tf, ``min_df``, smooth idf, l2 norm), the
  same numbers as scikit-learn's ``TfidfVectorizer``, counted once for every setting
  (:mod:`core.models.tfidf`); character n-grams (``char_wb``) can be added to the grid. No
  English stop words by default (corpora are often Dutch); a short Dutch list
  (:data:`~core.models.tfidf.DUTCH_STOP_WORDS`) is an option.
* Model: multinomial logistic regression (``saga``), L2 penalty.
* Tuning: a stratified k-fold grid search over ``C``, ``class_weight`` and the n-gram
  setting, scored by macro-F1; ``k = min(max_folds, smallest category)``, at least 2; the
  weaker candidates after the first folds skip the rest (racing, :mod:`core.models.tuning`,
  which also says why it is fast). The best candidate is refitted on all labels. The
  :class:`~core.models.base.FitReport` gives the chosen parameters, the seed and the best
  candidate's *cross-validated* macro-F1 (mean and standard deviation over folds): an
  estimate from the training labels, not the evaluation sample's metrics.

Prediction reads the texts in chunks, with progress and cancel between chunks.

Persistence: ``model.skops`` (skops, loaded with an explicit list of trusted types, never
pickle) plus ``meta.json`` (classes, config, chosen parameters, library versions).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from core.errors import LabelLoopError
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.models.base import ClassifierConfig, FitReport, encode_labels, read_meta, write_meta
from core.models.parallel import LinearPredictor
from core.models.tfidf import (
    DUTCH_STOP_WORDS,
    STOP_WORD_LISTS,
    FeatureSetting,
    Vectorizer,
    compact,
    count_ngrams,
    document_frequency,
    reading_passes,
    smooth_idf,
    tfidf,
)
from core.models.tuning import Candidate, GridSearch, Solver

__all__ = ["DUTCH_STOP_WORDS", "STOP_WORD_LISTS", "BaselineClassifier", "BaselineConfig"]

MODEL_FILE = "model.safetensors"
META_FILE = "meta.json"
#: 2: the vocabulary and the model's coefficients as safetensors arrays (no code can run
#: when they are read). 1: a skops file, still read: opening skops imports every
#: scikit-learn module, and through them PyTorch (0.2 GB and seconds, at every save).
FORMAT_VERSION = 2
SKOPS_FILE = "model.skops"  # format 1
# Types model.skops may hold beyond those skops trusts by default. It holds a dict of
# numpy arrays, ints, lists and one LogisticRegression, all trusted by default, so none.
TRUSTED_TYPES: list[str] = []
#: The logistic regression's settings kept with its coefficients (those predicting reads).
_MODEL_SETTINGS = ("solver", "C", "class_weight", "tol", "max_iter", "random_state")

_PASS_UNITS = 5  # progress units of one tokenising pass or of the final fit


@dataclass(frozen=True)
class BaselineConfig(ClassifierConfig):
    """Settings of the TF-IDF + logistic regression baseline; the grid is tuned by CV.

    ``ngram_ranges`` are word n-gram settings, each starting at 1 (``(1, 2)``: words and
    word pairs). ``char_ngram_ranges`` adds character n-gram settings (``char_wb``, e.g.
    ``((2, 5),)``) to the grid: slower to tokenise, useful for spelling variation and
    compounds. ``stop_words`` is ``None`` or ``"dutch"``.
    """

    c_values: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0)
    class_weights: tuple[str | None, ...] = (None, "balanced")
    ngram_ranges: tuple[tuple[int, int], ...] = ((1, 1), (1, 2))
    char_ngram_ranges: tuple[tuple[int, int], ...] = ()
    min_df: int = 2
    stop_words: str | None = None
    max_folds: int = 5
    tol: float | None = None  # saga's stopping tolerance; None: from the number of labels
    max_iter: int = 200
    racing: bool = True  # successive halving over folds (see GridSearch.rounds)
    n_jobs: int | None = None  # threads for the CV fits; None: one per core
    chunk_size: int = 20_000  # documents per chunk when predicting

    def __post_init__(self) -> None:
        if not self.c_values or not self.class_weights:
            raise ValueError("c_values and class_weights need at least one value each")
        if not self.ngram_ranges and not self.char_ngram_ranges:
            raise ValueError("the grid needs at least one word or character n-gram range")
        for low, high in self.ngram_ranges:
            if low != 1 or high < 1:
                raise ValueError(f"word n-gram ranges start at 1, got ({low}, {high})")
        for low, high in self.char_ngram_ranges:
            if not 1 <= low <= high:
                raise ValueError(f"bad character n-gram range ({low}, {high})")
        if self.stop_words is not None and self.stop_words not in STOP_WORD_LISTS:
            known = ", ".join(sorted(STOP_WORD_LISTS))
            raise ValueError(f"unknown stop-word list {self.stop_words!r}; known: {known}")
        if self.min_df < 1 or self.max_folds < 2:
            raise ValueError("min_df must be at least 1 and max_folds at least 2")


class BaselineClassifier:
    """TF-IDF + logistic regression with a fast cross-validated grid search."""

    kind: ClassVar[str] = "baseline"

    def __init__(self, config: BaselineConfig | None = None) -> None:
        self.config = config or BaselineConfig()
        self.classes_: list[str] = []
        self.parameters: dict[str, Any] = {}
        self._vectorizer: Vectorizer | None = None
        self._model: LogisticRegression | None = None

    # -- fitting -------------------------------------------------------------------------

    def _search(self, smallest: int) -> GridSearch:
        """The grid of the config, with ``k`` folds for a smallest category of ``smallest``."""
        config = self.config
        settings = [FeatureSetting("word", tuple(r)) for r in config.ngram_ranges]
        settings += [FeatureSetting("char_wb", tuple(r)) for r in config.char_ngram_ranges]
        return GridSearch(
            candidates=tuple(
                Candidate(s, w, c)
                for s in dict.fromkeys(settings)
                for w in config.class_weights
                for c in sorted(config.c_values)
            ),
            k=max(2, min(config.max_folds, smallest)),
            seed=config.seed,
            min_df=config.min_df,
            solver=Solver(config.max_iter, config.seed, config.tol),
            racing=config.racing,
            n_jobs=config.n_jobs,
        )

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> FitReport:
        """Tune by stratified k-fold CV, then refit the best candidate on all labels."""
        started = time.perf_counter()
        config = self.config
        classes, y, counts_per_class = encode_labels(texts, labels)
        reporter = ProgressReporter(progress, should_cancel)
        smallest = min(counts_per_class.values())
        search = self._search(smallest)
        settings = list(dict.fromkeys(c.setting for c in search.candidates))
        n_passes = reading_passes(settings)
        # Progress units: one per CV fit; reading the texts once, and the final fit, take
        # about as long as _PASS_UNITS fits each.
        total = (n_passes + 1) * _PASS_UNITS + search.n_fits

        # 1. Read the texts once per analyzer.
        def read(passes: float) -> None:
            reporter.report(passes * _PASS_UNITS, total, "Reading the labelled texts")

        read(0)
        matrices, words = count_ngrams(texts, settings, config.stop_words, read)

        # 2. The grid search (min_df=1 where min_df would leave a fold without features).
        done = n_passes * _PASS_UNITS
        tuned = search.run(matrices, y, len(classes), reporter, done, total)
        best, min_df, notes = tuned.best, tuned.min_df, list(tuned.notes)

        # 3. Refit the best candidate on all labels.
        reporter.report(done + search.n_fits, total, f"Fitting {best.describe()} on all labels")
        counts = matrices[best.setting]
        columns = counts.columns(best.setting)
        kept = columns[document_frequency(counts.matrix)[columns] >= min_df]
        idf = smooth_idf(document_frequency(counts.matrix[:, kept]), len(texts))
        terms, codes = compact(counts, words, kept, best.setting)
        model = search.solver.model(best.c, best.class_weight, len(texts))
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(tfidf(counts.matrix[:, kept], idf), y)
        if int(np.max(model.n_iter_)) >= config.max_iter:
            notes.append(f"The final fit stopped at max_iter={config.max_iter} epochs.")

        self.classes_ = classes
        self._vectorizer = Vectorizer(best.setting, config.stop_words, terms, codes, idf)
        self._model = model
        self.parameters = {
            **best.parameters(),
            "min_df": min_df,
            "sublinear_tf": True,
            "stop_words": config.stop_words,
            "solver": "saga",
            "tol": search.solver.tolerance(len(texts)),
            "max_iter": config.max_iter,
            "seed": config.seed,
            "n_features": len(kept),
            "n_train": len(texts),
        }
        if search.k < config.max_folds:
            notes.append(
                f"{search.k}-fold cross-validation: the smallest category has only "
                f"{smallest} labels."
            )
        racing = search.racing_note()
        if racing is not None:
            notes.append(racing)
        reporter.report(total, total, "Trained")
        return FitReport(
            parameters=dict(self.parameters),
            cv_scores=tuned.cv_scores(),
            seconds=time.perf_counter() - started,
            notes=notes,
        )

    # -- using the model -----------------------------------------------------------------

    def _fitted(self) -> tuple[Vectorizer, LogisticRegression]:
        if self._vectorizer is None or self._model is None:
            raise LabelLoopError("The model has not been trained yet.")
        return self._vectorizer, self._model

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        """Class probabilities, one row per text; columns follow ``classes_``."""
        vectorizer, model = self._fitted()
        reporter = ProgressReporter(progress, should_cancel)
        n = len(texts)
        out = np.empty((n, len(self.classes_)), dtype=np.float64)
        chunk = max(1, self.config.chunk_size)
        for start in range(0, n, chunk):
            end = min(n, start + chunk)
            out[start:end] = model.predict_proba(vectorizer.transform(texts[start:end]))
            reporter.report(end, n, f"Predicted {end:,} of {n:,} documents")
        return out

    def portable_predictor(self) -> LinearPredictor:
        """Its prediction without scikit-learn, for worker processes (prediction holds
        Python's lock while it tokenises: a large corpus is predicted on several cores,
        see core.models.parallel)."""
        vectorizer, model = self._fitted()
        return LinearPredictor(vectorizer, model.coef_, model.intercept_)

    def feature_names(self) -> list[str]:
        """The fitted model's features: words, word pairs or character n-grams."""
        return list(self._fitted()[0].feature_names())

    def explain(self, text: str, top: int = 10) -> dict[str, list[tuple[str, float]]]:
        """Per class, the n-grams of ``text`` with the largest positive tf-idf × coefficient."""
        vectorizer, model = self._fitted()
        row = vectorizer.transform([text])
        columns, values = row.indices, row.data
        coef = _class_coefficients(model)
        names = vectorizer.feature_names()
        explanation: dict[str, list[tuple[str, float]]] = {}
        for k, name in enumerate(self.classes_):
            contributions = values * coef[k, columns]
            ranked = np.argsort(-contributions, kind="stable")[:top]
            explanation[name] = [
                (names[columns[i]], float(contributions[i])) for i in ranked if contributions[i] > 0
            ]
        return explanation

    def top_terms(self, top: int = 15) -> dict[str, list[tuple[str, float]]]:
        """Per class, the features with the largest positive coefficients, largest first."""
        vectorizer, model = self._fitted()
        coef = _class_coefficients(model)
        names = vectorizer.feature_names()
        terms: dict[str, list[tuple[str, float]]] = {}
        for k, name in enumerate(self.classes_):
            ranked = np.argsort(-coef[k], kind="stable")[:top]
            terms[name] = [(names[i], float(coef[k, i])) for i in ranked if coef[k, i] > 0]
        return terms

    # -- persistence ---------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write ``model.safetensors`` (arrays only) and ``meta.json`` into ``folder``."""
        from safetensors.numpy import save_file

        vectorizer, model = self._fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = vectorizer.to_state()
        arrays = {
            "terms": state["terms"],
            "idf": np.ascontiguousarray(state["idf"], dtype=np.float64),
            "coef": np.ascontiguousarray(model.coef_, dtype=np.float64),
            "intercept": np.ascontiguousarray(model.intercept_, dtype=np.float64),
        }
        for n, codes in enumerate(state["codes"]):
            arrays[f"codes.{n}"] = np.ascontiguousarray(codes, dtype=np.int64)
        settings = {name: getattr(model, name) for name in _MODEL_SETTINGS}
        described = {
            "n_terms": str(state["n_terms"]),
            "n_codes": str(len(state["codes"])),
            "model_classes": json.dumps([str(c) for c in model.classes_]),
            "model_settings": json.dumps(settings),
        }
        save_file(arrays, str(folder / MODEL_FILE), metadata=described)
        libraries = ("scikit-learn", "numpy", "scipy", "safetensors")
        write_meta(folder, META_FILE, self, FORMAT_VERSION, libraries)

    @classmethod
    def load(cls, folder: Path) -> BaselineClassifier:
        """Read a folder written by :meth:`save` (or a format-1 skops file, trusting only
        :data:`TRUSTED_TYPES`)."""
        folder = Path(folder)
        meta = read_meta(folder, META_FILE, cls.kind, FORMAT_VERSION)
        try:
            if meta.get("format", 1) >= 2:
                state, model = _read_arrays(folder / MODEL_FILE)
            else:
                import skops.io

                state = skops.io.load(folder / SKOPS_FILE, trusted=TRUSTED_TYPES)
                model = state["model"]
        except LabelLoopError:
            raise
        except Exception as error:  # untrusted types, damaged or missing file
            raise LabelLoopError(f"Cannot load the saved model in {folder}: {error}") from None
        classifier = cls(BaselineConfig.from_json(meta["config"]))
        parameters = meta.get("parameters", {})
        setting = FeatureSetting(parameters["analyzer"], tuple(parameters["ngram_range"]))
        classifier._vectorizer = Vectorizer.from_state(
            state.get("vectorizer", state),
            setting,
            parameters.get("stop_words"),
        )
        classifier._model = model
        classifier.classes_ = list(meta["classes"])
        classifier.parameters = parameters
        return classifier


def _read_arrays(path: Path) -> tuple[dict[str, Any], LogisticRegression]:
    """The vectorizer state and the fitted logistic regression in a format-2 file."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as source:
        described = source.metadata() or {}
        arrays = {name: source.get_tensor(name) for name in source.keys()}  # noqa: SIM118
    n_codes = int(described["n_codes"])
    state = {
        "terms": arrays["terms"],
        "n_terms": int(described["n_terms"]),
        "codes": [arrays[f"codes.{n}"] for n in range(n_codes)],
        "idf": arrays["idf"],
    }
    model = LogisticRegression(**json.loads(described["model_settings"]))
    model.classes_ = np.asarray(json.loads(described["model_classes"]))
    model.coef_ = arrays["coef"]
    model.intercept_ = arrays["intercept"]
    model.n_features_in_ = arrays["coef"].shape[1]
    return state, model


def _class_coefficients(model: LogisticRegression) -> np.ndarray:
    """One row of coefficients per class (a binary model has one row, for the second class:
    the first class's is its negation)."""
    coef = model.coef_
    if coef.shape[0] == 1:
        coef = np.vstack([-coef[0], coef[0]])
    return coef
