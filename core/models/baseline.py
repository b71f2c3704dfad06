"""The baseline classifier: TF-IDF features and logistic regression, tuned by cross-validation.

What it does
------------
* Features: TF-IDF of word 1–2 grams (sublinear tf, ``min_df``, smooth idf, l2 norm), the
  same numbers as scikit-learn's ``TfidfVectorizer``; character n-grams (``char_wb``) can be
  added to the grid. No English stop words by default (corpora are often Dutch); a short
  Dutch list (:data:`DUTCH_STOP_WORDS`) is an option.
* Model: multinomial logistic regression (``saga``), L2 penalty.
* Tuning: a stratified k-fold grid search over ``C``, ``class_weight`` and the n-gram
  setting, scored by macro-F1; ``k = min(max_folds, smallest category)``, at least 2;
  the weaker candidates after the first folds skip the rest (racing, below). The
  best candidate is refitted on all labels. The :class:`~core.models.base.FitReport` gives
  the chosen parameters, the seed and the best candidate's *cross-validated* macro-F1
  (mean and standard deviation over folds): an estimate from the training labels, not
  the evaluation sample's metrics.

Why it is fast
--------------
A naive ``GridSearchCV(Pipeline([TfidfVectorizer(), LogisticRegression()]))`` tokenises
the texts again for every candidate and fold and fits every candidate on every fold with
``lbfgs``, whose BLAS threads oversubscribe small machines. Here:

1. Texts are tokenised once, for all settings: words become integer ids (one dict
   lookup per token) and n-grams are integer codes built with numpy, so one pass gives
   the counts of every n-gram of every document. A fold's TF-IDF matrix is then a row
   and column selection of those counts (columns with ``min_df`` in the fold's training
   rows, idf from those rows): exactly what ``TfidfVectorizer`` fitted on the fold would
   give, without re-reading the text. The 1–1 and 1–2 gram settings share that matrix.
2. ``saga`` with a tolerance that loosens as the training set grows (see
   ``_tolerance``) converges in a few epochs on l2-normalised TF-IDF rows. Warm starts
   along the C path were measured and dropped: with ``saga`` they saved at most 8% (its
   gradient memory starts afresh each fit); with ``lbfgs`` the C path only moved with a
   tolerance so tight that each fit took 5–10 times longer than ``saga``'s.
3. Racing (successive halving over folds, ``BaselineConfig.racing``): all candidates run
   on two folds, the best half on a third, the best quarter on the rest.
4. The fits run on ``n_jobs`` threads (``saga`` releases the GIL) with BLAS limited to one
   thread by threadpoolctl, so threads never oversubscribe the cores.

Prediction uses the same integer tokenisation (one dict lookup per token, n-grams looked
up with ``searchsorted``) in chunks, with progress and cancel between chunks.

Persistence: ``model.skops`` (skops, loaded with an explicit list of trusted types, never
pickle) plus ``meta.json`` (classes, config, chosen parameters, library versions).
"""

from __future__ import annotations

import math
import os
import queue
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from core.errors import LabelLoopError
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.models.base import (
    ClassifierConfig,
    FitReport,
    TooFewLabelsError,
    encode_labels,
    library_versions,
    read_meta,
    register_classifier,
    write_meta,
)

# The Snowball stemmer's Dutch stop-word list (101 words). It contains negations ('niet',
# 'geen', 'niets') that carry meaning for sentiment and stance, one reason it is off by
# default.
# fmt: off
DUTCH_STOP_WORDS: frozenset[str] = frozenset((
    "de", "en", "van", "ik", "te", "dat", "die", "in", "een", "hij", "het", "niet", "zijn", "is",
    "was", "op", "aan", "met", "als", "voor", "had", "er", "maar", "om", "hem", "dan", "zou", "of",
    "wat", "mijn", "men", "dit", "zo", "door", "over", "ze", "zich", "bij", "ook", "tot", "je",
    "mij", "uit", "der", "daar", "haar", "naar", "heb", "hoe", "heeft", "hebben", "deze", "u",
    "want", "nog", "zal", "me", "zij", "nu", "ge", "geen", "omdat", "iets", "worden", "toch", "al",
    "waren", "veel", "meer", "doen", "toen", "moet", "ben", "zonder", "kan", "hun", "dus", "alles",
    "onder", "ja", "eens", "hier", "wie", "werd", "altijd", "doch", "wordt", "wezen", "kunnen",
    "ons", "zelf", "tegen", "na", "reeds", "wil", "kon", "niets", "uw", "iemand", "geweest",
    "andere",
))
# fmt: on
STOP_WORD_LISTS: dict[str, frozenset[str]] = {"dutch": DUTCH_STOP_WORDS}

# scikit-learn's default token pattern: words of two or more letters or digits.
TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")
_WHITE_SPACES = re.compile(r"\s\s+")

MODEL_FILE = "model.skops"
META_FILE = "meta.json"
FORMAT_VERSION = 1
# Types model.skops may hold beyond those skops trusts by default. It holds a dict of
# numpy arrays, ints, lists and one LogisticRegression, all trusted by default, so none.
TRUSTED_TYPES: list[str] = []

_TOKENISE_CHUNK = 5_000  # documents between progress reports while tokenising
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
    racing: bool = True  # successive halving over folds (see BaselineClassifier._rounds)
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BaselineConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: _tuples(v) for k, v in data.items() if k in known})


def _tuples(value: Any) -> Any:
    """JSON lists back into the tuples the frozen config holds."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


# -- features ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setting:
    """One feature setting of the grid: an analyzer and its n-gram range."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]

    def describe(self) -> str:
        low, high = self.ngram_range
        unit = "word" if self.analyzer == "word" else "character"
        return f"{unit} {low}–{high} grams" if low != high else f"{unit} {low}-grams"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer (after lowercasing): n-grams inside padded words."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        word = f" {word} "
        length = len(word)
        for n in range(low, high + 1):
            offset = 0
            grams.append(word[0:n])
            while offset + n < length:
                offset += 1
                grams.append(word[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


def _word_analyzer(stop: frozenset[str]) -> Callable[[str], list[str]]:
    """scikit-learn's word tokens (lowercased, two or more word characters), stop words out."""
    find = TOKEN_PATTERN.findall
    if not stop:
        return lambda text: find(text.lower())
    return lambda text: [t for t in find(text.lower()) if t not in stop]


def _char_analyzer(ngram_range: tuple[int, int]) -> Callable[[str], list[str]]:
    low, high = ngram_range
    return lambda text: _char_wb_ngrams(text.lower(), low, high)


def _feature_ids(
    texts: Sequence[Any],
    analyze: Callable[[str], list[str]],
    lookup: Callable[[str], int],
    after_chunk: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Ids of every token or n-gram (``lookup``: -1 for unknown) and their count per text."""
    ids: list[int] = []
    lengths = np.empty(len(texts), dtype=np.int64)
    for start in range(0, len(texts), _TOKENISE_CHUNK):
        end = min(start + _TOKENISE_CHUNK, len(texts))
        for i in range(start, end):
            features = analyze(_text(texts[i]))
            lengths[i] = len(features)
            ids.extend(map(lookup, features))
        if after_chunk is not None:
            after_chunk(end)
    return np.asarray(ids, dtype=np.int64), lengths


def _count_matrix(rows: list[np.ndarray], cols: list[np.ndarray], shape: tuple[int, int]):
    rows_all = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    cols_all = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    data = np.ones(len(rows_all), dtype=np.float64)
    matrix = sp.csr_matrix((data, (rows_all, cols_all)), shape=shape)
    matrix.sum_duplicates()
    return matrix


@dataclass
class _Counts:
    """Counts of every n-gram of one analyzer in every training text, before pruning.

    Word n-grams: columns ``0..V-1`` are the words (ids in order of first appearance);
    a longer n-gram's column has ``prefix`` (the column of its first n-1 words) and
    ``last`` (its last word's id). Character n-grams: ``names`` holds every column's text.
    """

    matrix: sp.csr_matrix
    order: np.ndarray  # n of each column (word n-grams); the range's low end (characters)
    prefix: np.ndarray | None = None
    last: np.ndarray | None = None
    names: list[str] | None = None

    def columns(self, setting: _Setting) -> np.ndarray:
        low, high = setting.ngram_range
        return np.flatnonzero((self.order >= low) & (self.order <= high))


def _word_counts(
    texts: Sequence[Any], max_n: int, stop: frozenset[str], after_chunk: Callable[[int], None]
) -> tuple[_Counts, list[str]]:
    vocabulary: dict[str, int] = {}

    def grow(word: str) -> int:
        return vocabulary.setdefault(word, len(vocabulary))

    ids, lengths = _feature_ids(texts, _word_analyzer(stop), grow, after_chunk)
    words = list(vocabulary)
    n_words = len(words)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    rows, cols = [doc], [ids]
    order = [np.ones(n_words, dtype=np.int64)]
    prefix = [np.full(n_words, -1, dtype=np.int64)]
    last = [np.arange(n_words, dtype=np.int64)]
    level = ids  # column of the n-gram that starts at each token, -1 where none
    n_cols = n_words
    for n in range(2, max_n + 1):
        m = len(ids) - n + 1
        if m <= 0:
            break
        valid = (level[:m] >= 0) & (doc[:m] == doc[n - 1 : n - 1 + m])
        codes = level[:m][valid] * n_words + ids[n - 1 : n - 1 + m][valid]
        unique, inverse = np.unique(codes, return_inverse=True)
        level = np.full(len(ids), -1, dtype=np.int64)
        level[np.flatnonzero(valid)] = n_cols + inverse
        rows.append(doc[np.flatnonzero(valid)])
        cols.append(n_cols + inverse)
        order.append(np.full(len(unique), n, dtype=np.int64))
        prefix.append(unique // n_words)
        last.append(unique % n_words)
        n_cols += len(unique)
    matrix = _count_matrix(rows, cols, (len(texts), n_cols))
    counts = _Counts(matrix, np.concatenate(order), np.concatenate(prefix), np.concatenate(last))
    return counts, words


def _char_counts(
    texts: Sequence[Any], ngram_range: tuple[int, int], after_chunk: Callable[[int], None]
) -> _Counts:
    vocabulary: dict[str, int] = {}

    def grow(gram: str) -> int:
        return vocabulary.setdefault(gram, len(vocabulary))

    ids, lengths = _feature_ids(texts, _char_analyzer(ngram_range), grow, after_chunk)
    names = list(vocabulary)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    matrix = _count_matrix([doc], [ids], (len(texts), len(names)))
    # One matrix per character setting: every column belongs to it.
    order = np.full(len(names), ngram_range[0], dtype=np.int64)
    return _Counts(matrix, order, names=names)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf × idf, rows scaled to unit length (``TfidfVectorizer(sublinear_tf=True)``)."""
    matrix = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    np.log(matrix.data, out=matrix.data)
    matrix.data += 1.0
    matrix.data *= idf[matrix.indices]
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, lengths)
    return matrix


def _idf(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """Smooth idf, as scikit-learn computes it."""
    return np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0


def _document_frequency(counts: sp.csr_matrix) -> np.ndarray:
    return np.bincount(counts.indices, minlength=counts.shape[1])


class _Vectorizer:
    """The fitted features of the chosen setting: vocabulary, n-gram codes and idf.

    Word n-grams: ``terms`` are the kept words (column = position); ``codes[n-2]`` are the
    kept n-grams in column order, each ``column of its first n-1 words × len(terms) + id of
    its last word``, sorted, so lookups are a ``searchsorted``. Character n-grams: ``terms``
    are all the kept n-grams. Columns of the words come first, then pairs, triples...
    """

    def __init__(
        self,
        setting: _Setting,
        stop_words: str | None,
        terms: list[str],
        codes: list[np.ndarray],
        idf: np.ndarray,
    ) -> None:
        self.setting = setting
        self.stop = STOP_WORD_LISTS[stop_words] if stop_words else frozenset()
        self.terms = terms
        self.codes = codes
        self.idf = idf
        self.index = {term: i for i, term in enumerate(terms)}
        self._names: list[str] | None = None

    @property
    def n_features(self) -> int:
        return len(self.idf)

    def counts(self, texts: Sequence[Any]) -> sp.csr_matrix:
        get = self.index.get

        def lookup(term: str) -> int:
            return get(term, -1)

        if self.setting.analyzer != "word":
            ids, lengths = _feature_ids(texts, _char_analyzer(self.setting.ngram_range), lookup)
            doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
            known = ids >= 0
            return _count_matrix([doc[known]], [ids[known]], (len(texts), self.n_features))
        n_words = len(self.terms)
        ids, lengths = _feature_ids(texts, _word_analyzer(self.stop), lookup)
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        known = ids >= 0
        rows, cols = [doc[known]], [ids[known]]
        level = ids  # column of the n-gram that starts at each token, -1 where none
        offset = n_words
        for n, codes in enumerate(self.codes, start=2):
            m = len(ids) - n + 1
            if m <= 0:
                break
            tail = ids[n - 1 : n - 1 + m]
            valid = np.flatnonzero((level[:m] >= 0) & (tail >= 0) & (doc[:m] == doc[n - 1 :][:m]))
            wanted = level[valid] * n_words + tail[valid]
            position = np.minimum(np.searchsorted(codes, wanted), max(0, len(codes) - 1))
            found = codes[position] == wanted if len(codes) else np.zeros(len(wanted), bool)
            level = np.full(len(ids), -1, dtype=np.int64)
            level[valid[found]] = offset + position[found]
            rows.append(doc[valid[found]])
            cols.append(offset + position[found])
            offset += len(codes)
        return _count_matrix(rows, cols, (len(texts), self.n_features))

    def transform(self, texts: Sequence[Any]) -> sp.csr_matrix:
        return _tfidf(self.counts(texts), self.idf)

    def feature_names(self) -> list[str]:
        """The text of every column: a word, word pair (``"niet goed"``) or character n-gram."""
        if self._names is None:
            names = list(self.terms)
            if self.setting.analyzer == "word":
                n_words = len(self.terms)
                for codes in self.codes:
                    names.extend(
                        f"{names[p]} {self.terms[w]}"
                        for p, w in zip(
                            (codes // n_words).tolist(), (codes % n_words).tolist(), strict=True
                        )
                    )
            self._names = names
        return self._names

    # skops holds the arrays; terms travel as one UTF-8 byte array (no token has a newline).
    def to_state(self) -> dict[str, Any]:
        joined = "\n".join(self.terms)
        if joined.count("\n") != max(0, len(self.terms) - 1):
            raise LabelLoopError("A feature contains a line break; the model cannot be saved.")
        return {
            "terms": np.frombuffer(joined.encode("utf-8"), dtype=np.uint8),
            "n_terms": len(self.terms),
            "codes": list(self.codes),
            "idf": self.idf,
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], setting: _Setting, stop_words: str | None
    ) -> _Vectorizer:
        text = np.asarray(state["terms"], dtype=np.uint8).tobytes().decode("utf-8")
        terms = text.split("\n") if state["n_terms"] else []
        if len(terms) != state["n_terms"]:
            raise LabelLoopError("The saved model's vocabulary is damaged; train it again.")
        codes = [np.asarray(c, dtype=np.int64) for c in state["codes"]]
        return cls(setting, stop_words, terms, codes, np.asarray(state["idf"], dtype=np.float64))


def _compact(
    counts: _Counts, words: list[str] | None, kept: np.ndarray, setting: _Setting
) -> tuple[list[str], list[np.ndarray]]:
    """Terms and n-gram codes of the ``kept`` columns (sorted) of ``counts``."""
    if setting.analyzer != "word":
        assert counts.names is not None
        return [counts.names[c] for c in kept.tolist()], []
    assert words is not None and counts.prefix is not None and counts.last is not None
    new = np.full(counts.matrix.shape[1], -1, dtype=np.int64)
    new[kept] = np.arange(len(kept))
    kept_order = counts.order[kept]
    unigrams = kept[kept_order == 1]
    terms = [words[c] for c in unigrams.tolist()]
    n_words = len(terms)
    codes: list[np.ndarray] = []
    for n in range(2, setting.ngram_range[1] + 1):
        level = kept[kept_order == n]
        # An n-gram's first n-1 words and its last word are at least as frequent, so kept.
        code = new[counts.prefix[level]] * n_words + new[counts.last[level]]
        codes.append(code)
    return terms, codes


# -- the classifier ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    setting: _Setting
    class_weight: str | None
    c: float

    def parameters(self) -> dict[str, Any]:
        return {
            "analyzer": self.setting.analyzer,
            "ngram_range": list(self.setting.ngram_range),
            "class_weight": self.class_weight,
            "C": self.c,
        }

    def describe(self) -> str:
        weight = "balanced classes" if self.class_weight == "balanced" else "unweighted"
        return f"{self.setting.describe()}, C={self.c:g}, {weight}"


@dataclass
class _Problem:
    """What every CV fit needs: the counts, the folds and their document frequencies."""

    matrices: dict[_Setting, _Counts]
    folds: list[tuple[np.ndarray, np.ndarray]]
    fold_df: dict[int, list[np.ndarray]]  # by id() of the _Counts, per fold
    y: np.ndarray
    n_classes: int
    min_df: int


def _read(
    texts: Sequence[Any],
    settings: list[_Setting],
    stop_words: str | None,
    reporter: ProgressReporter,
    total: float,
) -> tuple[dict[_Setting, _Counts], list[str] | None]:
    """Counts for every setting, reading the texts once per analyzer: the word settings
    share one matrix (up to the longest n); each character setting has its own."""
    stop = STOP_WORD_LISTS[stop_words] if stop_words else frozenset()
    matrices: dict[_Setting, _Counts] = {}
    words: list[str] | None = None
    passes = 0

    def read(done: int) -> None:
        fraction = passes + done / max(1, len(texts))
        reporter.report(fraction * _PASS_UNITS, total, "Reading the labelled texts")

    reporter.report(0, total, "Reading the labelled texts")
    word_settings = [s for s in settings if s.analyzer == "word"]
    if word_settings:
        max_n = max(s.ngram_range[1] for s in word_settings)
        counts, words = _word_counts(texts, max_n, stop, read)
        matrices.update(dict.fromkeys(word_settings, counts))
        passes += 1
    for setting in settings:
        if setting.analyzer != "word":
            matrices[setting] = _char_counts(texts, setting.ngram_range, read)
            passes += 1
    return matrices, words


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    confusion = np.bincount(truth * n_classes + predicted, minlength=n_classes * n_classes)
    confusion = confusion.reshape(n_classes, n_classes)
    hits = np.diag(confusion).astype(np.float64)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    f1 = np.divide(2 * hits, denominator, out=np.zeros(n_classes), where=denominator > 0)
    return float(f1.mean())


@register_classifier
class BaselineClassifier:
    """TF-IDF + logistic regression with a fast cross-validated grid search."""

    kind: ClassVar[str] = "baseline"

    def __init__(self, config: BaselineConfig | None = None) -> None:
        self.config = config or BaselineConfig()
        self.classes_: list[str] = []
        self.parameters: dict[str, Any] = {}
        self._vectorizer: _Vectorizer | None = None
        self._model: LogisticRegression | None = None

    # -- fitting -------------------------------------------------------------------------

    def _settings(self) -> list[_Setting]:
        settings = [_Setting("word", tuple(r)) for r in self.config.ngram_ranges]
        settings += [_Setting("char_wb", tuple(r)) for r in self.config.char_ngram_ranges]
        return list(dict.fromkeys(settings))

    def _tolerance(self, n_train: int) -> float:
        """saga's tolerance: the configured one, else looser as the training set grows.

        saga stops when an epoch changes the coefficients by less than ``tol`` (relative).
        With many texts one epoch is many updates, so a loose tolerance already lands near
        the optimum: on 24,000 tweets tol=0.1 gave CV macro-F1 within 0.005 of tol=0.001 in
        a sixth of the time, while on 300 it was 0.03 off. Hence n/300,000 within
        [0.001, 0.1].
        """
        if self.config.tol is not None:
            return self.config.tol
        return min(0.1, max(0.001, n_train / 300_000))

    def _new_model(self, c: float, class_weight: str | None, tol: float) -> LogisticRegression:
        return LogisticRegression(
            C=c,
            class_weight=class_weight,
            solver="saga",
            tol=tol,
            max_iter=self.config.max_iter,
            random_state=self.config.seed,
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
        k = max(2, min(config.max_folds, smallest))
        settings = self._settings()
        candidates = [
            _Candidate(s, w, c)
            for s in settings
            for w in config.class_weights
            for c in sorted(config.c_values)
        ]
        rounds = self._rounds(k, len(candidates))
        n_fits = sum(len(folds) * kept for folds, kept in rounds)
        n_passes = any(s.analyzer == "word" for s in settings) + sum(
            s.analyzer != "word" for s in settings
        )
        # Progress units: one per CV fit; reading the texts once, and the final fit, take
        # about as long as _PASS_UNITS fits each.
        total = (n_passes + 1) * _PASS_UNITS + n_fits
        notes: list[str] = []

        # 1. Read the texts once per analyzer.
        matrices, words = _read(texts, settings, config.stop_words, reporter, total)

        # 2. Folds; min_df=1 where min_df would leave a fold without features.
        folds = list(
            StratifiedKFold(n_splits=k, shuffle=True, random_state=config.seed).split(
                np.zeros(len(y)), y
            )
        )
        distinct = {id(c): c for c in matrices.values()}  # word settings share one
        fold_df = {
            key: [_document_frequency(c.matrix[train]) for train, _ in folds]
            for key, c in distinct.items()
        }

        def features_left(minimum: int) -> bool:
            return all(
                np.any(df[matrices[s].columns(s)] >= minimum)
                for s in settings
                for df in fold_df[id(matrices[s])]
            )

        if not features_left(1):
            raise TooFewLabelsError(
                "The labelled texts contain no words the model can use; "
                "label some documents with more text first."
            )
        min_df = config.min_df
        if not features_left(min_df):
            notes.append(f"min_df={min_df} left a fold without features; used min_df=1.")
            min_df = 1
        problem = _Problem(matrices, folds, fold_df, y, len(classes), min_df)

        # 3. The grid search.
        done = n_passes * _PASS_UNITS
        scores = self._cross_validate(problem, candidates, rounds, reporter, done, total)
        evaluated = [c for c in candidates if not np.isnan(scores[c]).any()]
        means = {c: float(np.nanmean(scores[c])) for c in candidates}
        best = max(evaluated, key=lambda c: means[c])  # the first of equals: smaller C
        best_scores = scores[best]

        # 4. Refit the best candidate on all labels.
        reporter.report(done + n_fits, total, f"Fitting {best.describe()} on all labels")
        counts = matrices[best.setting]
        columns = counts.columns(best.setting)
        kept = columns[_document_frequency(counts.matrix)[columns] >= min_df]
        idf = _idf(_document_frequency(counts.matrix[:, kept]), len(texts))
        terms, codes = _compact(counts, words, kept, best.setting)
        tol = self._tolerance(len(texts))
        model = self._new_model(best.c, best.class_weight, tol)
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(_tfidf(counts.matrix[:, kept], idf), y)
        if int(np.max(model.n_iter_)) >= config.max_iter:
            notes.append(f"The final fit stopped at max_iter={config.max_iter} epochs.")

        self.classes_ = classes
        self._vectorizer = _Vectorizer(best.setting, config.stop_words, terms, codes, idf)
        self._model = model
        self.parameters = {
            **best.parameters(),
            "min_df": min_df,
            "sublinear_tf": True,
            "stop_words": config.stop_words,
            "solver": "saga",
            "tol": tol,
            "max_iter": config.max_iter,
            "seed": config.seed,
            "n_features": len(kept),
            "n_train": len(texts),
        }
        cv_scores = {
            "metric": "macro_f1",
            "cv_folds": k,
            "cv_macro_f1_mean": float(np.mean(best_scores)),
            "cv_macro_f1_std": float(np.std(best_scores)),
            "cv_macro_f1_per_fold": [float(s) for s in best_scores],
            "cv_candidates": [
                {
                    **c.parameters(),
                    "cv_folds_evaluated": int(np.sum(~np.isnan(scores[c]))),
                    "cv_macro_f1_mean": means[c],
                    "cv_macro_f1_std": float(np.nanstd(scores[c])),
                }
                for c in candidates
            ],
        }
        if k < config.max_folds:
            notes.append(
                f"{k}-fold cross-validation: the smallest category has only {smallest} labels."
            )
        if len(rounds) > 1:
            notes.append(
                f"Tuning compared {len(candidates)} settings by {k}-fold cross-validation, "
                "dropping the weaker ones early (the best half after 2 folds, the best "
                "quarter after 3)."
            )
        reporter.report(total, total, "Trained")
        return FitReport(
            parameters=dict(self.parameters),
            cv_scores=cv_scores,
            seconds=time.perf_counter() - started,
            notes=notes,
        )

    def _rounds(self, k: int, n_candidates: int) -> list[tuple[list[int], int]]:
        """Which folds each round runs, and on how many of the best candidates so far.

        Racing (successive halving over folds): every candidate runs on folds 1–2, the
        best half on fold 3, the best quarter on the rest. The best candidate's score is
        always over all k folds. On 1,000–30,000 tweets (six samples) it chose the same
        candidate as the full grid with 48 fits instead of 80.
        """
        if not self.config.racing or k < 4 or n_candidates < 4:
            return [(list(range(k)), n_candidates)]
        return [
            ([0, 1], n_candidates),
            ([2], math.ceil(n_candidates / 2)),
            (list(range(3, k)), math.ceil(n_candidates / 4)),
        ]

    def _cross_validate(
        self,
        problem: _Problem,
        candidates: list[_Candidate],
        rounds: list[tuple[list[int], int]],
        reporter: ProgressReporter,
        done: float,
        total: float,
    ) -> dict[_Candidate, np.ndarray]:
        """Macro-F1 of the candidates on the folds, round by round (NaN: not run).

        A task is one (fold, setting): it builds that fold's TF-IDF matrices once and fits
        every candidate of the setting on them. Tasks run on worker threads; this thread
        reports each finished fit and checks for cancellation at least every 0.1 s, and a
        cancel stops the workers before their next fit.
        """
        n_folds = len(problem.folds)
        scores = {c: np.full(n_folds, np.nan) for c in candidates}
        results: queue.Queue[tuple[_Candidate, int, float] | BaseException] = queue.Queue()
        stop = threading.Event()
        n_fits = sum(len(folds) * kept for folds, kept in rounds)
        received = 0

        def run(fold: int, setting: _Setting, alive: list[_Candidate]) -> None:
            if stop.is_set():
                return
            try:
                for candidate, score in self._fold_scores(problem, fold, setting, alive, stop):
                    results.put((candidate, fold, score))
            except BaseException as error:  # handed to the calling thread
                results.put(error)

        n_jobs = max(1, self.config.n_jobs or _cpu_count())
        with (
            threadpool_limits(1),
            warnings.catch_warnings(),
            ThreadPoolExecutor(n_jobs, thread_name_prefix="baseline-cv") as pool,
        ):
            warnings.simplefilter("ignore", ConvergenceWarning)
            futures = []
            try:
                alive = candidates
                for folds, kept in rounds:
                    if kept < len(alive):
                        # The best so far on the same folds; ties keep the earlier order.
                        alive = sorted(alive, key=lambda c: -np.nanmean(scores[c]))[:kept]
                    settings = list(dict.fromkeys(c.setting for c in alive))
                    # Largest settings first, so the last tasks to finish are short ones.
                    tasks = sorted(
                        ((f, s) for f in folds for s in settings),
                        key=lambda t: -problem.matrices[t[1]].columns(t[1]).size,
                    )
                    futures = [
                        pool.submit(run, f, s, [c for c in alive if c.setting == s])
                        for f, s in tasks
                    ]
                    expected = received + len(folds) * len(alive)
                    while received < expected:
                        try:
                            item = results.get(timeout=0.1)
                        except queue.Empty:
                            reporter.check_cancel()
                            continue
                        if isinstance(item, BaseException):
                            raise item
                        candidate, fold, score = item
                        scores[candidate][fold] = score
                        received += 1
                        reporter.report(
                            done + received,
                            total,
                            f"Cross-validating ({received} of {n_fits} fits): "
                            f"{candidate.describe()}, fold {fold + 1}",
                        )
            finally:  # on cancel or error: drop queued tasks, stop running ones early
                stop.set()
                for future in futures:
                    future.cancel()
        return scores

    def _fold_scores(
        self,
        problem: _Problem,
        fold: int,
        setting: _Setting,
        candidates: list[_Candidate],
        stop: threading.Event,
    ) -> Iterator[tuple[_Candidate, float]]:
        """Fit each candidate on the fold's training rows; macro-F1 on its test rows."""
        train, test = problem.folds[fold]
        counts = problem.matrices[setting]
        df = problem.fold_df[id(counts)][fold]
        columns = counts.columns(setting)
        kept = columns[df[columns] >= problem.min_df]
        idf = _idf(df[kept], len(train))
        x_train = _tfidf(counts.matrix[train][:, kept], idf)
        x_test = _tfidf(counts.matrix[test][:, kept], idf)
        tol = self._tolerance(len(train))
        for candidate in candidates:
            if stop.is_set():
                return
            model = self._new_model(candidate.c, candidate.class_weight, tol)
            model.fit(x_train, problem.y[train])
            predicted = model.predict(x_test)
            yield candidate, _macro_f1(problem.y[test], predicted, problem.n_classes)

    # -- using the model -----------------------------------------------------------------

    def _fitted(self) -> tuple[_Vectorizer, LogisticRegression]:
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
        """Write ``model.skops`` and ``meta.json`` into ``folder``."""
        import skops.io

        vectorizer, model = self._fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {"format": FORMAT_VERSION, "vectorizer": vectorizer.to_state(), "model": model}
        skops.io.dump(state, folder / MODEL_FILE)
        meta = {
            "kind": self.kind,
            "format": FORMAT_VERSION,
            "classes": self.classes_,
            "config": self.config.to_json(),
            "parameters": self.parameters,
            "libraries": library_versions("scikit-learn", "numpy", "scipy", "skops"),
        }
        write_meta(folder, META_FILE, meta)

    @classmethod
    def load(cls, folder: Path) -> BaselineClassifier:
        """Read a folder written by :meth:`save`, trusting only :data:`TRUSTED_TYPES`."""
        import skops.io

        folder = Path(folder)
        meta = read_meta(folder, META_FILE, cls.kind, FORMAT_VERSION)
        try:
            state = skops.io.load(folder / MODEL_FILE, trusted=TRUSTED_TYPES)
        except Exception as error:  # untrusted types, damaged or missing file
            raise LabelLoopError(f"Cannot load the saved model in {folder}: {error}") from None
        classifier = cls(BaselineConfig.from_json(meta["config"]))
        parameters = meta.get("parameters", {})
        setting = _Setting(parameters["analyzer"], tuple(parameters["ngram_range"]))
        classifier._vectorizer = _Vectorizer.from_state(
            state["vectorizer"], setting, parameters.get("stop_words")
        )
        classifier._model = state["model"]
        classifier.classes_ = list(meta["classes"])
        classifier.parameters = parameters
        return classifier


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _class_coefficients(model: LogisticRegression) -> np.ndarray:
    """One row of coefficients per class (a binary model has one row, for the second class:
    the first class's is its negation)."""
    coef = model.coef_
    if coef.shape[0] == 1:
        coef = np.vstack([-coef[0], coef[0]])
    return coef
