"""The classifier registry (``core.models.base``): kinds by name, built from their config,
saved and loaded by name, heavy libraries imported only when needed."""

from __future__ import annotations

import importlib.abc
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from cli.commands import main
from core.errors import LabelLoopError
from core.models import (
    ClassifierConfig,
    FitReport,
    MissingDependencyError,
    config_for,
    load_classifier,
    make_classifier,
    register_classifier,
)
from core.models import base as registry
from core.models.base import encode_labels, read_meta, write_meta

ROOT = Path(__file__).resolve().parent.parent


class _NoTorch(importlib.abc.MetaPathFinder):
    """Answers `import torch` as Python does where it is not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@pytest.fixture
def without_torch(monkeypatch):  # type: ignore[no-untyped-def]
    """As on a computer where PyTorch is not installed."""
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.delitem(sys.modules, "core.models.transformer", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoTorch(), *sys.meta_path])


@pytest.mark.usefixtures("without_torch")
def test_without_pytorch_bert_says_what_to_install_not_that_the_model_is_unknown(
    tmp_path: Path,
) -> None:
    for attempt in (
        lambda: make_classifier("transformer"),
        lambda: load_classifier("transformer", tmp_path),
        lambda: config_for("transformer", epochs=1),
    ):
        with pytest.raises(MissingDependencyError) as caught:
            attempt()
        message = str(caught.value)
        assert "needs PyTorch" in message and "pip install" in message
        assert "Unknown model" not in message
    assert isinstance(caught.value, LabelLoopError)  # the CLI and the window show it as is


@pytest.mark.usefixtures("without_torch")
def test_without_pytorch_the_command_line_says_so_in_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    status = main(["train", str(tmp_path / "study.labelloop"), "--model", "transformer"])
    error = capsys.readouterr().err
    assert status == 1
    assert error.count("\n") == 1
    assert "needs PyTorch" in error and "Unknown model" not in error


def test_an_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(LabelLoopError, match=r"Unknown model 'svm'\. Known models: .*baseline"):
        make_classifier("svm")


def test_the_baseline_is_made_without_importing_torch() -> None:
    # The window and `labelloop info` start without torch (seconds to import): the
    # registry names the transformer's module and imports it only when one is made.
    code = (
        "import sys\n"
        "from core.models import MODEL_KINDS, config_for, make_classifier\n"
        "assert 'transformer' in MODEL_KINDS\n"
        "make_classifier('baseline', config_for('baseline', seed=3))\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- a classifier added by name, as the README's developer section describes ----------------


@dataclass(frozen=True)
class MajorityConfig(ClassifierConfig):
    smoothing: float = 1.0


class MajorityClassifier:
    """Predicts the label frequencies of the training data for every text."""

    kind: ClassVar[str] = "majority"

    def __init__(self, config: MajorityConfig | None = None) -> None:
        self.config = config or MajorityConfig()
        self.classes_: list[str] = []
        self.parameters: dict[str, Any] = {}
        self._shares = np.zeros(0)

    def fit(self, texts: Sequence[str], labels: Sequence[str], **_: Any) -> FitReport:
        self.classes_, _, counts = encode_labels(texts, labels)
        smoothed = np.array([counts[c] + self.config.smoothing for c in self.classes_])
        self._shares = smoothed / smoothed.sum()
        self.parameters = {"n_train": len(texts)}
        return FitReport(parameters=dict(self.parameters))

    def predict_proba(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        return np.tile(self._shares, (len(texts), 1))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "shares.npy", self._shares)
        write_meta(folder, "meta.json", self, 1, ("numpy",))

    @classmethod
    def load(cls, folder: Path) -> MajorityClassifier:
        meta = read_meta(folder, "meta.json", cls.kind, 1)
        classifier = cls(MajorityConfig.from_json(meta["config"]))
        classifier.classes_ = list(meta["classes"])
        classifier.parameters = meta["parameters"]
        classifier._shares = np.load(folder / "shares.npy", allow_pickle=False)
        return classifier

    def explain(self, text: str, top: int = 10) -> dict[str, list[tuple[str, float]]]:
        return {}


def test_a_registered_classifier_is_made_saved_and_loaded_by_its_name(
    monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registry, "MODEL_KINDS", dict(registry.MODEL_KINDS))
    register_classifier("majority", __name__, "MajorityClassifier", "MajorityConfig")

    classifier = make_classifier("majority", config_for("majority", smoothing=0.0))
    classifier.fit(["a", "b", "c", "d", "e"], ["x", "x", "x", "y", "y"])
    classifier.save(tmp_path / "run-1")
    loaded = load_classifier("majority", tmp_path / "run-1")

    assert loaded.config == MajorityConfig(smoothing=0.0)
    assert loaded.classes_ == ["x", "y"]
    assert loaded.predict_proba(["new"]).tolist() == [[0.6, 0.4]]
    assert loaded.parameters == {"n_train": 5}
    with pytest.raises(LabelLoopError, match="does not hold a baseline model"):
        load_classifier("baseline", tmp_path / "run-1")
