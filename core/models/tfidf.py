"""The baseline's features: TF-IDF of word or character n-grams, counted once for every setting.

The numbers are those of scikit-learn's ``TfidfVectorizer`` (sublinear tf, ``min_df``, smooth
idf, l2 norm; word tokens of two or more letters or digits, ``char_wb`` character n-grams),
computed faster: texts are tokenised once, for all settings. Words become integer ids (one
dict lookup per token) and n-grams are integer codes built with numpy, so one pass gives the
counts of every n-gram of every document. A fold's TF-IDF matrix is then a row and column
selection of those counts (columns with ``min_df`` in the fold's training rows, idf from
those rows): exactly what ``TfidfVectorizer`` fitted on the fold would give, without
re-reading the text. The 1–1 and 1–2 gram settings share that matrix.

Prediction uses the same integer tokenisation (one dict lookup per token, n-grams looked up
with ``searchsorted``) in :class:`Vectorizer`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.errors import LabelLoopError

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

_TOKENISE_CHUNK = 5_000  # documents between progress reports while tokenising


# -- counting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureSetting:
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


class _Vocabulary(dict[str, int]):
    """Term -> column; a term not in it reads as -1. Looking tokens up with the dict's own
    ``__getitem__`` instead of a Python function around ``get`` took the training job's
    predicting and writing of 1,000,000 documents from 64.3 s to 45.8 s (BENCHMARKS.md)."""

    def __missing__(self, term: str) -> int:
        return -1


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
class NgramCounts:
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

    def columns(self, setting: FeatureSetting) -> np.ndarray:
        low, high = setting.ngram_range
        return np.flatnonzero((self.order >= low) & (self.order <= high))


def _word_counts(
    texts: Sequence[Any], max_n: int, stop: frozenset[str], after_chunk: Callable[[int], None]
) -> tuple[NgramCounts, list[str]]:
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
    order_all, prefix_all, last_all = map(np.concatenate, (order, prefix, last))
    counts = NgramCounts(matrix, order_all, prefix_all, last_all)
    return counts, words


def _char_counts(
    texts: Sequence[Any], ngram_range: tuple[int, int], after_chunk: Callable[[int], None]
) -> NgramCounts:
    vocabulary: dict[str, int] = {}

    def grow(gram: str) -> int:
        return vocabulary.setdefault(gram, len(vocabulary))

    ids, lengths = _feature_ids(texts, _char_analyzer(ngram_range), grow, after_chunk)
    names = list(vocabulary)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    matrix = _count_matrix([doc], [ids], (len(texts), len(names)))
    # One matrix per character setting: every column belongs to it.
    order = np.full(len(names), ngram_range[0], dtype=np.int64)
    return NgramCounts(matrix, order, names=names)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
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


def smooth_idf(df: np.ndarray, n_documents: int) -> np.ndarray:
    """Smooth idf, as scikit-learn computes it."""
    return np.log((1.0 + n_documents) / (1.0 + df)) + 1.0


def document_frequency(counts: sp.csr_matrix) -> np.ndarray:
    return np.bincount(counts.indices, minlength=counts.shape[1])


class Vectorizer:
    """The fitted features of the chosen setting: vocabulary, n-gram codes and idf.

    Word n-grams: ``terms`` are the kept words (column = position); ``codes[n-2]`` are the
    kept n-grams in column order, each ``column of its first n-1 words × len(terms) + id of
    its last word``, sorted, so lookups are a ``searchsorted``. Character n-grams: ``terms``
    are all the kept n-grams. Columns of the words come first, then pairs, triples...
    """

    def __init__(
        self,
        setting: FeatureSetting,
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
        self.index = _Vocabulary((term, i) for i, term in enumerate(terms))
        self._names: list[str] | None = None

    @property
    def n_features(self) -> int:
        return len(self.idf)

    def counts(self, texts: Sequence[Any]) -> sp.csr_matrix:
        lookup = self.index.__getitem__  # a C call per known token; -1 for unknown ones
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
        return tfidf(self.counts(texts), self.idf)

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

    # The arrays go to safetensors (skops in format 1); terms travel as one UTF-8 byte array.
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
        cls, state: dict[str, Any], setting: FeatureSetting, stop_words: str | None
    ) -> Vectorizer:
        text = np.asarray(state["terms"], dtype=np.uint8).tobytes().decode("utf-8")
        terms = text.split("\n") if state["n_terms"] else []
        if len(terms) != state["n_terms"]:
            raise LabelLoopError("The saved model's vocabulary is damaged; train it again.")
        codes = [np.asarray(c, dtype=np.int64) for c in state["codes"]]
        return cls(setting, stop_words, terms, codes, np.asarray(state["idf"], dtype=np.float64))


def compact(
    counts: NgramCounts, words: list[str] | None, kept: np.ndarray, setting: FeatureSetting
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


def reading_passes(settings: Sequence[FeatureSetting]) -> int:
    """How often :func:`count_ngrams` reads the texts: once for all word settings, once
    per character setting."""
    words = any(s.analyzer == "word" for s in settings)
    return int(words) + sum(s.analyzer != "word" for s in settings)


def count_ngrams(
    texts: Sequence[Any],
    settings: Sequence[FeatureSetting],
    stop_words: str | None,
    read: Callable[[float], None],
) -> tuple[dict[FeatureSetting, NgramCounts], list[str] | None]:
    """Counts for every setting, reading the texts once per analyzer: the word settings
    share one matrix (up to the longest n); each character setting has its own. Returns
    the counts and the words (None without word settings); ``read`` gets the passes done
    so far (a fraction within a pass) every few thousand texts."""
    stop = STOP_WORD_LISTS[stop_words] if stop_words else frozenset()
    matrices: dict[FeatureSetting, NgramCounts] = {}
    words: list[str] | None = None
    passes = 0

    def after_chunk(done: int) -> None:
        read(passes + done / max(1, len(texts)))

    word_settings = [s for s in settings if s.analyzer == "word"]
    if word_settings:
        max_n = max(s.ngram_range[1] for s in word_settings)
        counts, words = _word_counts(texts, max_n, stop, after_chunk)
        matrices.update(dict.fromkeys(word_settings, counts))
        passes += 1
    for setting in settings:
        if setting.analyzer != "word":
            matrices[setting] = _char_counts(texts, setting.ngram_range, after_chunk)
            passes += 1
    return matrices, words
