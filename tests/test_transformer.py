"""The fine-tuned transformer, on a tiny BERT built here and loaded like BERTje would be."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from tiny_bert import sentences  # noqa: E402

from core.errors import Cancelled, LabelLoopError  # noqa: E402
from core.models import hub, make_classifier  # noqa: E402
from core.models import transformer as tm  # noqa: E402
from core.models.transformer import TransformerClassifier, TransformerConfig  # noqa: E402

pytestmark = pytest.mark.slow


def config(tiny_bert: Path, **settings) -> TransformerConfig:  # type: ignore[no-untyped-def]
    base = dict(
        model_name=str(tiny_bert),
        max_length=32,
        epochs=30,
        batch_size=8,
        learning_rate=1e-3,
        warmup_fraction=0.0,
        patience=10,
        device="cpu",
    )
    base.update(settings)
    return TransformerConfig(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted(tiny_bert: Path) -> tuple[TransformerClassifier, object]:
    texts, labels = sentences(90, seed=1)
    # A model trained from scratch plateaus for a while before it separates three topics.
    classifier = TransformerClassifier(
        config(tiny_bert, validation_fraction=0.0, class_weights=False)
    )
    report = classifier.fit(texts, labels)
    return classifier, report


def test_registered_and_configurable(tiny_bert: Path) -> None:
    classifier = make_classifier("transformer", config(tiny_bert))
    assert isinstance(classifier, TransformerClassifier)
    assert TransformerConfig().model_name == "GroNLP/bert-base-dutch-cased"
    with pytest.raises(ValueError):
        TransformerConfig(truncation="middle")


def test_fit_predicts_above_chance(fitted) -> None:  # type: ignore[no-untyped-def]
    classifier, report = fitted
    assert classifier.classes_ == ["politiek", "sport", "weer"]
    texts, labels = sentences(60, seed=2)
    proba = classifier.predict_proba(texts)
    assert proba.shape == (60, 3)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    predicted = [classifier.classes_[k] for k in proba.argmax(axis=1)]
    accuracy = np.mean([p == t for p, t in zip(predicted, labels, strict=True)])
    assert accuracy > 0.7  # chance is 1/3
    # Columns follow classes_: a pure sport text scores highest in the 'sport' column.
    sport = classifier.predict_proba(["voetbal wedstrijd doelpunt stadion"])[0]
    assert classifier.classes_[int(sport.argmax())] == "sport"
    assert report.parameters["n_validation"] == 0
    assert any("CPU" in note for note in report.notes)
    assert classifier.predict_proba([]).shape == (0, 3)
    assert classifier.explain("voetbal") == {}


def test_order_is_kept_with_length_sorted_batches(fitted) -> None:  # type: ignore[no-untyped-def]
    classifier, _ = fitted
    texts = ["regen", "minister kabinet partij " * 5, "voetbal", "zon wind wolken sneeuw storm"]
    together = classifier.predict_proba(texts)
    alone = np.vstack([classifier.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_save_load_same_probabilities(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    classifier, _ = fitted
    classifier.save(tmp_path / "model")
    names = {p.name for p in (tmp_path / "model").iterdir()}
    assert "model.safetensors" in names and "labelloop.json" in names
    assert not any(n.endswith((".bin", ".pkl", ".pt", ".pth", ".pickle")) for n in names)
    loaded = TransformerClassifier.load(tmp_path / "model")
    assert loaded.classes_ == classifier.classes_
    texts, _ = sentences(20, seed=3)
    np.testing.assert_allclose(
        loaded.predict_proba(texts), classifier.predict_proba(texts), atol=1e-6
    )


def test_cancel_during_fit_stops_within_the_step(tiny_bert: Path) -> None:
    # Counted in steps, not seconds (how fast that is on a real model is in
    # benchmarks/bench_cancel.py): once should_cancel says yes, no further step reports.
    texts, labels = sentences(90, seed=1)
    reports = []
    cancelled_after: list[int] = []

    def should_cancel() -> bool:
        if len(reports) >= 4:
            cancelled_after.append(len(reports))
            return True
        return False

    with pytest.raises(Cancelled):
        TransformerClassifier(config(tiny_bert)).fit(
            texts, labels, progress=reports.append, should_cancel=should_cancel
        )
    assert any("step" in r.message for r in reports)
    assert cancelled_after and len(reports) == cancelled_after[0]


def test_offline_unknown_model_says_how_to_provide_it(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    name = "labelloop-test/no-such-model"
    texts, labels = sentences(12, seed=1)
    downloads = no_downloads(monkeypatch)
    with pytest.raises(LabelLoopError) as caught:
        TransformerClassifier(TransformerConfig(model_name=name, device="cpu")).fit(texts, labels)
    assert downloads == []  # straight to the cache: no download with its retries
    message = str(caught.value)
    assert name in message
    assert "--model-name" in message and "internet" in message


def test_without_a_network_the_error_comes_within_seconds(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # No HF_HUB_OFFLINE, but the hub does not answer (as on a train or a closed network):
    # the client's own retries would take ~50 s; the user must hear within seconds.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: refused
    texts, labels = sentences(12, seed=1)
    downloads = no_downloads(monkeypatch)
    with pytest.raises(LabelLoopError, match="no network connection to the Hugging Face hub"):
        TransformerClassifier(TransformerConfig(model_name="GroNLP/bert-base-dutch-cased")).fit(
            texts, labels
        )
    # The hub did not answer the 3-second check, so the hub client (whose retries take
    # ~50 s) was never asked: only the cache was looked at.
    assert downloads == []


def no_downloads(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Record (and refuse) every attempt to download a model from the hub."""
    calls: list[str] = []

    def download(model_name: str, reporter: object) -> None:
        calls.append(model_name)
        raise AssertionError("tried to download")

    monkeypatch.setattr(hub, "_download", download)
    return calls


def test_oom_halves_the_batch_and_notes_it(tiny_bert: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    raised = []
    steps = []
    real_step = tm.training_step

    def fail_once(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        steps.append(len(steps))
        if not raised:
            raised.append(steps[-1])
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (test)")
        real_step(*args, **kwargs)

    monkeypatch.setattr(tm, "training_step", fail_once)
    texts, labels = sentences(30, seed=1)
    report = TransformerClassifier(config(tiny_bert, epochs=1, batch_size=8)).fit(texts, labels)
    assert raised == [0]
    assert report.parameters["gradient_accumulation"] == 2
    assert any("batch halved to 4" in note for note in report.notes)


def test_head_tail_keeps_first_and_last_tokens(tiny_bert: Path) -> None:
    ids = list(range(100))
    kept = tm.head_tail(ids, 20)
    assert kept == list(range(5)) + list(range(85, 100))
    assert tm.head_tail(ids[:10], 20) == ids[:10]
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_bert)
    text = "voetbal " + "regen " * 100 + "minister"
    (encoded,) = tm.encode(tokenizer, [text], 16, "head+tail")
    tokens = tokenizer.convert_ids_to_tokens(encoded)
    assert len(encoded) == 16
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert tokens[1] == "voetbal" and tokens[-2] == "minister"
    (head,) = tm.encode(tokenizer, [text], 16, "head")
    assert tokenizer.convert_ids_to_tokens(head)[-2] != "minister" and len(head) == 16


def test_repeated_rounds_do_not_grow_memory(tiny_bert: Path) -> None:
    """Five fit+predict rounds after a warm-up: RSS grows less than 50 MB.

    The tiny model is ~100 kB of weights, so a leak of what a round allocates (model,
    optimizer state, batches, tokenizer) would be small per round; the bound instead
    catches retained autograd graphs or per-round copies of torch/tokenizer caches, and
    leaves room for allocator noise (glibc arenas, torch's CPU caching) seen at 5-20 MB.
    """
    psutil = pytest.importorskip("psutil")
    texts, labels = sentences(60, seed=1)
    process = psutil.Process()

    def one_round() -> None:
        classifier = TransformerClassifier(config(tiny_bert, epochs=2))
        classifier.fit(texts, labels)
        classifier.predict_proba(texts)
        del classifier
        gc.collect()

    one_round()  # warm-up: imports, thread pools, allocator arenas
    before = process.memory_info().rss
    for _ in range(5):
        one_round()
    growth = (process.memory_info().rss - before) / 2**20
    assert growth < 50, f"RSS grew {growth:.0f} MB over five rounds"


def test_early_stopping_restores_the_best_epochs_weights(tiny_bert: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Validation macro-F1 0.5, 0.9, 0.6, 0.4: training stops after epoch 4 (patience 2)
    and the model keeps the weights it had after epoch 2, not the last ones."""
    scores = iter([0.5, 0.9, 0.6, 0.4, 0.3])
    monkeypatch.setattr(tm, "macro_f1", lambda *args: next(scores))
    snapshots: list[dict[str, object]] = []
    validate = TransformerClassifier._predict_ids

    def snapshot_then_validate(self, model, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("message", args[-1] if args else "") == "Validating":
            snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return validate(self, model, *args, **kwargs)

    monkeypatch.setattr(TransformerClassifier, "_predict_ids", snapshot_then_validate)
    texts, labels = sentences(60, seed=1)
    classifier = TransformerClassifier(
        config(tiny_bert, epochs=6, patience=2, validation_fraction=0.2)
    )
    report = classifier.fit(texts, labels)
    assert report.parameters["best_epoch"] == 2
    assert report.parameters["epochs_run"] == 4 and report.parameters["stopped_early"]
    assert report.cv_scores["validation_macro_f1_per_epoch"] == [0.5, 0.9, 0.6, 0.4]
    assert len(snapshots) == 4
    final = classifier._model.state_dict()
    name = "classifier.weight"
    assert torch.equal(final[name], snapshots[1][name])  # epoch 2's weights
    assert not torch.equal(final[name], snapshots[3][name])  # not the last epoch's


def test_a_model_without_safetensors_is_refused_not_unpickled(
    tiny_bert: Path, tmp_path: Path
) -> None:
    """A folder with only pytorch_model.bin (a pickle) is refused with what to do instead."""
    import shutil

    from safetensors.torch import load_file

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_bert, folder)
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(LabelLoopError, match="no weights in the safetensors format"):
        hub.load_pretrained(str(folder), 3)


@pytest.mark.parametrize("stage", ["fit", "predict"])
def test_cancel_is_checked_inside_a_batch(tiny_bert: Path, fitted, stage: str) -> None:  # type: ignore[no-untyped-def]
    """Cancel is honoured inside a forward pass, not only between batches: on a CPU one
    batch of BERT-base takes tens of seconds. Fitting checks Cancel at "Loading",
    "Tokenising" and before the first batch; the 4th check is inside the first batch.
    Predicting checks only after each batch, so any check before that is inside one."""
    texts, labels = sentences(40, seed=3)
    reports: list = []
    checks: list[int] = []
    first_inside = 4 if stage == "fit" else 1

    def should_cancel() -> bool:
        checks.append(1)
        return len(checks) >= first_inside

    with pytest.raises(Cancelled):
        if stage == "fit":
            TransformerClassifier(config(tiny_bert, epochs=1, validation_fraction=0)).fit(
                texts, labels, progress=reports.append, should_cancel=should_cancel
            )
        else:
            classifier, _ = fitted
            classifier.predict_proba(texts, progress=reports.append, should_cancel=should_cancel)
    # No batch completed: no step and no prediction batch was reported.
    assert [r.message for r in reports if "step" in r.message or r.message == "Predicting"] == []
