"""The baseline classifier (TF-IDF + logistic regression) on small hand-written Dutch texts."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from sklearn.feature_extraction.text import TfidfVectorizer

from core.errors import Cancelled, LabelLoopError
from core.jobs import Progress
from core.models import TooFewLabelsError, load_classifier, make_classifier
from core.models.baseline import (
    DUTCH_STOP_WORDS,
    MODEL_FILE,
    BaselineClassifier,
    BaselineConfig,
)


def words(text: str) -> list[str]:
    return text.split()


TOPICS = {
    "sport": words(
        "voetbal wedstrijd doelpunt scheidsrechter keeper spits stadion trainer elftal "
        "kampioen competitie penalty supporters seizoen"
    ),
    "politiek": words(
        "minister kabinet verkiezingen partij coalitie kamer stemmen premier oppositie "
        "begroting wetsvoorstel fractie debat motie"
    ),
    "weer": words(
        "regen zon wind storm temperatuur graden onweer hagel sneeuw bewolking "
        "weerbericht hittegolf mist buien"
    ),
}
FILLER = words("de het een en van in op met is was dat die er niet ook gisteren vandaag")


def corpus(per_class: dict[str, int], seed: int = 1) -> tuple[list[str], list[str]]:
    """Short synthetic Dutch texts: topic words mixed with common words, shuffled."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, n in per_class.items():
        for _ in range(n):
            words = rng.sample(TOPICS[label], 4) + rng.sample(FILLER, 5)
            rng.shuffle(words)
            texts.append(" ".join(words).capitalize() + ".")
            labels.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


HELD_OUT = {
    "De scheidsrechter gaf een penalty in de laatste minuut van de wedstrijd.": "sport",
    "Het kabinet verliest de steun van de oppositie in het debat over de begroting.": "politiek",
    "Morgen veel regen en harde wind, de temperatuur daalt tot vijf graden.": "weer",
    "Ajax wint de competitie: de spits scoorde twee keer in het stadion.": "sport",
    "De premier en de minister verdedigen het wetsvoorstel in de kamer.": "politiek",
    "Na de hittegolf komen er buien en onweer met hagel.": "weer",
}


@pytest.fixture(scope="module")
def fitted() -> tuple[BaselineClassifier, object]:
    texts, labels = corpus({"sport": 30, "politiek": 30, "weer": 30})
    classifier = BaselineClassifier(BaselineConfig(seed=3))
    report = classifier.fit(texts, labels)
    return classifier, report


def test_registered_and_built_from_config() -> None:
    classifier = make_classifier("baseline", BaselineConfig(seed=7, c_values=(1.0,)))
    assert isinstance(classifier, BaselineClassifier)
    assert classifier.config.seed == 7
    assert isinstance(make_classifier("baseline"), BaselineClassifier)


def test_learns_separable_problem_and_predicts_held_out_texts(fitted) -> None:
    classifier, _ = fitted
    texts = list(HELD_OUT)
    proba = classifier.predict_proba(texts)
    predicted = [classifier.classes_[i] for i in proba.argmax(axis=1)]
    assert predicted == list(HELD_OUT.values())


def test_probabilities_sum_to_one_and_columns_follow_classes(fitted) -> None:
    classifier, _ = fitted
    assert classifier.classes_ == ["politiek", "sport", "weer"]
    texts = [*HELD_OUT, "", "woorden die het model nooit zag"]
    proba = classifier.predict_proba(texts)
    assert proba.shape == (len(texts), 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    for row, label in zip(proba, HELD_OUT.values(), strict=False):
        assert classifier.classes_[int(row.argmax())] == label
    assert classifier.predict_proba([]).shape == (0, 3)


def test_one_category_is_refused_with_what_to_label() -> None:
    texts, labels = corpus({"sport": 10})
    with pytest.raises(TooFewLabelsError, match=r"at least two categories.*only 'sport'"):
        BaselineClassifier().fit(texts, labels)
    with pytest.raises(TooFewLabelsError, match=r"at least two categories.*no training labels"):
        BaselineClassifier().fit([], [])


def test_too_few_labels_in_a_category_names_it() -> None:
    texts, labels = corpus({"sport": 10, "politiek": 10, "weer": 1})
    with pytest.raises(TooFewLabelsError, match="label more documents as 'weer'"):
        BaselineClassifier().fit(texts, labels)


def test_texts_without_words_are_refused() -> None:
    with pytest.raises(TooFewLabelsError, match="no words"):
        BaselineClassifier().fit(["", "!", "?", "."], ["a", "a", "b", "b"])


def test_cancel_during_cross_validation_raises_and_stops_the_workers() -> None:
    texts, labels = corpus({"sport": 40, "politiek": 40})
    messages: list[str] = []

    def progress(p: Progress) -> None:
        messages.append(p.message)

    def should_cancel() -> bool:
        return any(m.startswith("Cross-validating") for m in messages)

    classifier = BaselineClassifier(BaselineConfig(n_jobs=2))
    with pytest.raises(Cancelled):
        classifier.fit(texts, labels, progress=progress, should_cancel=should_cancel)
    fits = [m for m in messages if m.startswith("Cross-validating")]
    assert len(fits) == 1  # the first report after the request raised
    assert not [t for t in threading.enumerate() if t.name.startswith("baseline-cv")]
    with pytest.raises(LabelLoopError, match="not been trained"):
        classifier.predict_proba(["x"])


def test_cancel_while_reading_texts() -> None:
    texts, labels = corpus({"sport": 20, "politiek": 20})
    with pytest.raises(Cancelled):
        BaselineClassifier().fit(texts, labels, should_cancel=lambda: True)


def test_progress_reaches_the_end(fitted) -> None:
    texts, labels = corpus({"sport": 10, "politiek": 10})
    reports: list[Progress] = []
    BaselineClassifier().fit(texts, labels, progress=reports.append)
    fractions = [p.fraction for p in reports]
    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions)


def test_predict_proba_reports_chunks_and_can_be_cancelled(fitted) -> None:
    classifier, _ = fitted
    small = BaselineClassifier.__new__(BaselineClassifier)
    small.__dict__.update(classifier.__dict__)
    small.config = BaselineConfig(chunk_size=2)
    reports: list[Progress] = []
    proba = small.predict_proba(list(HELD_OUT), progress=reports.append)
    assert [p.done for p in reports] == [2, 4, 6]
    assert np.allclose(proba, classifier.predict_proba(list(HELD_OUT)))
    with pytest.raises(Cancelled):
        small.predict_proba(list(HELD_OUT), should_cancel=lambda: True)


def test_save_load_gives_identical_probabilities_without_pickle(fitted, tmp_path: Path) -> None:
    classifier, _ = fitted
    folder = tmp_path / "run-1"
    classifier.save(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["meta.json", "model.safetensors"]
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "baseline" and meta["format"] == 2
    assert meta["classes"] == classifier.classes_
    assert "scikit-learn" in meta["libraries"]

    # The model file holds numeric arrays and text metadata only: nothing to unpickle.
    with safe_open(str(folder / MODEL_FILE), framework="numpy") as saved:
        kinds = {saved.get_tensor(name).dtype.kind for name in saved.keys()}  # noqa: SIM118
        assert set(saved.metadata()) == {"n_terms", "n_codes", "model_classes", "model_settings"}
    assert kinds <= {"u", "i", "f"}

    loaded = BaselineClassifier.load(folder)
    texts = [*HELD_OUT, "onbekende woorden"]
    assert np.array_equal(loaded.predict_proba(texts), classifier.predict_proba(texts))
    assert loaded.classes_ == classifier.classes_
    assert loaded.config == classifier.config
    assert loaded.explain(texts[0]) == classifier.explain(texts[0])


def test_load_refuses_another_kind_or_a_damaged_file(fitted, tmp_path: Path) -> None:
    classifier, _ = fitted
    classifier.save(tmp_path)
    (tmp_path / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(LabelLoopError, match="Cannot load"):
        BaselineClassifier.load(tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "kind": "bert"}), encoding="utf-8")
    with pytest.raises(LabelLoopError, match="does not hold a baseline model"):
        BaselineClassifier.load(tmp_path)


def test_explain_gives_words_of_the_text_for_the_predicted_class(fitted) -> None:
    classifier, _ = fitted
    text = "De scheidsrechter gaf een penalty in de laatste minuut van de wedstrijd."
    explanation = classifier.explain(text, top=5)
    assert set(explanation) == set(classifier.classes_)
    sport = explanation["sport"]
    assert sport
    words_in_text = set(re.findall(r"\w\w+", text.lower()))
    for feature, weight in sport:
        assert set(feature.split()) <= words_in_text
        assert weight > 0
    weights = [w for _, w in sport]
    assert weights == sorted(weights, reverse=True)
    assert {"scheidsrechter", "penalty", "wedstrijd"} & {f for f, _ in sport}
    assert len(sport) <= 5
    assert classifier.explain("") == {c: [] for c in classifier.classes_}


def test_explain_binary_model_pushes_both_ways() -> None:
    texts, labels = corpus({"sport": 20, "weer": 20})
    classifier = BaselineClassifier()
    classifier.fit(texts, labels)
    explanation = classifier.explain("Storm en regen tijdens de wedstrijd in het stadion.")
    assert {f for f, _ in explanation["weer"]} & {"storm", "regen"}
    assert {f for f, _ in explanation["sport"]} & {"wedstrijd", "stadion"}


@pytest.mark.parametrize(("smallest", "folds"), [(2, 2), (3, 3), (4, 4), (9, 5)])
def test_folds_adapt_to_the_smallest_category(smallest: int, folds: int) -> None:
    texts, labels = corpus({"sport": 12, "politiek": 12, "weer": smallest})
    report = BaselineClassifier(BaselineConfig(c_values=(1.0,))).fit(texts, labels)
    assert report.cv_scores["cv_folds"] == folds
    assert len(report.cv_scores["cv_macro_f1_per_fold"]) == folds
    assert any("smallest category" in note for note in report.notes) == (folds < 5)


def test_fit_report_names_cross_validated_scores_and_chosen_parameters(fitted) -> None:
    classifier, report = fitted
    config = classifier.config
    params = report.parameters
    assert params["C"] in config.c_values
    assert params["class_weight"] in config.class_weights
    assert tuple(params["ngram_range"]) in config.ngram_ranges
    assert params["analyzer"] == "word"
    assert params["seed"] == 3
    assert params["sublinear_tf"] is True
    scores = report.cv_scores
    assert scores["metric"] == "macro_f1"
    assert 0.9 <= scores["cv_macro_f1_mean"] <= 1.0
    assert scores["cv_macro_f1_std"] >= 0
    assert scores["cv_macro_f1_mean"] == pytest.approx(np.mean(scores["cv_macro_f1_per_fold"]))
    candidates = scores["cv_candidates"]
    assert len(candidates) == len(config.c_values) * len(config.class_weights) * 2
    # Racing: every candidate ran on two folds or more, a quarter of them on all five,
    # and the chosen one is the best of those.
    assert {c["cv_folds_evaluated"] for c in candidates} == {2, 3, 5}
    complete = [c for c in candidates if c["cv_folds_evaluated"] == 5]
    assert len(complete) == len(candidates) // 4
    assert scores["cv_macro_f1_mean"] == max(c["cv_macro_f1_mean"] for c in complete)
    chosen = {k: params[k] for k in ("analyzer", "ngram_range", "class_weight", "C")}
    assert chosen in [{k: c[k] for k in chosen} for c in complete]
    assert report.seconds > 0
    json.dumps(report.parameters), json.dumps(report.cv_scores)  # storable as JSON


def test_without_racing_every_candidate_runs_on_every_fold() -> None:
    texts, labels = corpus({"sport": 15, "politiek": 15})
    config = BaselineConfig(racing=False, c_values=(0.3, 3.0))
    report = BaselineClassifier(config).fit(texts, labels)
    assert {c["cv_folds_evaluated"] for c in report.cv_scores["cv_candidates"]} == {5}
    assert not [n for n in report.notes if "candidates" in n]


def test_same_seed_same_model() -> None:
    texts, labels = corpus({"sport": 15, "politiek": 15})
    a, b = BaselineClassifier(BaselineConfig(seed=5)), BaselineClassifier(BaselineConfig(seed=5))
    assert a.fit(texts, labels).cv_scores == b.fit(texts, labels).cv_scores
    assert np.array_equal(a.predict_proba(list(HELD_OUT)), b.predict_proba(list(HELD_OUT)))


def test_dutch_stop_words_option_removes_de_and_het() -> None:
    assert {"de", "het", "een", "en"} <= DUTCH_STOP_WORDS
    assert 90 <= len(DUTCH_STOP_WORDS) <= 120
    texts, labels = corpus({"sport": 15, "politiek": 15})
    plain = BaselineClassifier(BaselineConfig(ngram_ranges=((1, 2),)))
    plain.fit(texts, labels)
    assert {"de", "het"} <= set(plain.feature_names())  # no stop words by default
    dutch = BaselineClassifier(BaselineConfig(ngram_ranges=((1, 2),), stop_words="dutch"))
    report = dutch.fit(texts, labels)
    assert report.parameters["stop_words"] == "dutch"
    names = dutch.feature_names()
    assert not {word for name in names for word in name.split()} & DUTCH_STOP_WORDS
    with pytest.raises(ValueError, match="unknown stop-word list"):
        BaselineConfig(stop_words="english")


@pytest.mark.parametrize(
    "config",
    [
        BaselineConfig(ngram_ranges=((1, 2),), c_values=(1.0,)),
        BaselineConfig(ngram_ranges=((1, 3),), c_values=(1.0,), stop_words="dutch"),
        BaselineConfig(ngram_ranges=(), char_ngram_ranges=((2, 4),), c_values=(1.0,)),
    ],
    ids=["words 1-2", "words 1-3 dutch", "characters 2-4"],
)
def test_features_equal_scikit_learns_tfidf_vectorizer(config: BaselineConfig) -> None:
    texts, labels = corpus({"sport": 20, "politiek": 20, "weer": 20})
    classifier = BaselineClassifier(config)
    params = classifier.fit(texts, labels).parameters
    reference = TfidfVectorizer(
        analyzer=params["analyzer"],
        ngram_range=tuple(params["ngram_range"]),
        min_df=params["min_df"],
        sublinear_tf=True,
        stop_words=sorted(DUTCH_STOP_WORDS) if config.stop_words else None,
    ).fit(texts)
    names = classifier.feature_names()
    assert sorted(names) == sorted(reference.get_feature_names_out())
    columns = [reference.vocabulary_[name] for name in names]
    new = [*HELD_OUT, "Gisteren: regen, regen en nog eens regen!"]
    ours = classifier._fitted()[0].transform(new).toarray()
    theirs = reference.transform(new).toarray()[:, columns]
    assert np.allclose(ours, theirs)


def test_character_ngrams_in_the_grid_save_and_load(tmp_path: Path) -> None:
    texts, labels = corpus({"sport": 15, "politiek": 15})
    config = BaselineConfig(char_ngram_ranges=((2, 4),), c_values=(1.0,))
    classifier = BaselineClassifier(config)
    report = classifier.fit(texts, labels)
    analyzers = {c["analyzer"] for c in report.cv_scores["cv_candidates"]}
    assert analyzers == {"word", "char_wb"}
    classifier.save(tmp_path)
    loaded = BaselineClassifier.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(texts), classifier.predict_proba(texts))


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        BaselineConfig(ngram_ranges=((2, 3),))
    with pytest.raises(ValueError, match="at least one"):
        BaselineConfig(ngram_ranges=(), char_ngram_ranges=())
    assert BaselineConfig.from_json(BaselineConfig().to_json()) == BaselineConfig()


def test_a_model_saved_before_the_baseline_was_split_into_modules_still_loads() -> None:
    """Runs of existing projects keep working: a baseline saved by LabelLoop before
    ``core.models.baseline`` was split (tfidf, tuning, baseline) loads by its kind and
    predicts what it predicted then."""
    saved = Path(__file__).parent / "saved_models"
    expected = json.loads((saved / "baseline-format-1.expected.json").read_text("utf-8"))

    loaded = load_classifier("baseline", saved / "baseline-format-1")

    assert isinstance(loaded, BaselineClassifier)
    assert loaded.classes_ == expected["classes"]
    np.testing.assert_allclose(
        loaded.predict_proba(expected["texts"]), expected["probabilities"], atol=1e-9
    )


def test_saving_a_baseline_does_not_import_pytorch(fitted, tmp_path: Path) -> None:
    """skops (format 1) imports every scikit-learn module and, through them, PyTorch: 0.2
    GB and seconds at every training run. Saving and loading format 2 needs neither."""
    classifier, _ = fitted
    classifier.save(tmp_path / "run")
    code = (
        "import sys\n"
        "from core.models.baseline import BaselineClassifier\n"
        f"model = BaselineClassifier.load({str(tmp_path / 'run')!r})\n"
        f"model.save({str(tmp_path / 'again')!r})\n"
        "print(sorted(m for m in ('torch', 'skops') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]"]
