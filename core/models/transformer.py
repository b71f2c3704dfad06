"""A fine-tuned BERT classifier (BERTje by default), behind the same interface as the baseline.

What it does
------------
* Loads ``AutoTokenizer`` and ``AutoModelForSequenceClassification`` from a Hugging Face
  model id (default ``GroNLP/bert-base-dutch-cased``) or a local folder, safetensors only,
  no remote code (:mod:`core.models.hub`). When the model is neither cached nor
  downloadable, a :class:`~core.errors.LabelLoopError` says which model and how to provide it.
* Fine-tunes with a lean PyTorch loop: AdamW, linear warm-up then linear decay, class
  weights in the loss, dynamic padding over length-grouped batches, early stopping on the
  macro-F1 (:func:`core.evaluation.metrics.macro_f1`, the Evaluate page's) of a stratified
  validation split taken from the training labels (the best epoch's weights are kept).
* ``transformers.Trainer`` is not used on purpose: cancelling and reporting progress at
  every optimisation step, retrying a step with a smaller batch after a CUDA out-of-memory
  error, and giving GPU memory back after each job are simpler to control in our own loop.
* Long documents: ``truncation="head"`` keeps the first ``max_length`` tokens;
  ``"head+tail"`` keeps the first quarter and the last three quarters of the budget (Sun
  et al., 2019, found head+tail best for long reviews).
* Device: CUDA (bf16 autocast where supported, else fp16 autocast with a gradient
  scaler), Apple MPS, else CPU (slow: the fit report says so).

Persistence: ``save_pretrained`` (``model.safetensors``, never pickle), the tokenizer files,
and ``labelloop.json`` (classes and config).

Explanations are baseline-only for now: :meth:`TransformerClassifier.explain` returns ``{}``.
"""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from core.errors import LabelLoopError
from core.evaluation.metrics import confusion, macro_f1
from core.jobs import CancelCheck, ProgressCallback, ProgressReporter
from core.models import distributed
from core.models.base import ClassifierConfig, FitReport, encode_labels, read_meta, write_meta
from core.models.hub import load_pretrained

try:
    import torch
    import transformers
except ModuleNotFoundError as _missing:  # depends on the install
    raise ModuleNotFoundError(
        f"The BERT model needs PyTorch and transformers ({_missing.name} is missing). "
        "Install them with: pip install 'torch' 'transformers'",
        name=_missing.name,  # the registry tells a missing library from our own bug by it
    ) from _missing

DEFAULT_MODEL = "GroNLP/bert-base-dutch-cased"
META_FILE = "labelloop.json"
FORMAT_VERSION = 1
TRUNCATIONS = ("head", "head+tail")
HEAD_SHARE = 0.25  # head+tail: this share of the token budget goes to the head
TOKENIZE_CHUNK = 64  # texts per tokenizer call (see encode)


@dataclass(frozen=True)
class TransformerConfig(ClassifierConfig):
    """Settings of the fine-tuned transformer.

    ``model_name`` is a Hugging Face model id or a local folder holding one.
    ``device`` is ``"auto"`` (CUDA, else MPS, else CPU), ``"cuda"``, ``"mps"`` or ``"cpu"``.
    ``batch_size`` is the effective batch: after an out-of-memory error the step is split
    into smaller micro-batches with gradient accumulation, so it stays the same.
    ``validation_fraction`` of the labels (stratified) is held out for early stopping;
    0 trains all ``epochs`` on all labels.
    """

    model_name: str = DEFAULT_MODEL
    device: str = "auto"
    max_length: int = 256
    truncation: str = "head"
    epochs: int = 10  # at most: early stopping on the validation split ends sooner
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    validation_fraction: float = 0.1
    patience: int = 2
    class_weights: bool = True
    length_group_size: int = 50  # batches per shuffled mega-batch sorted by length

    def __post_init__(self) -> None:
        if self.truncation not in TRUNCATIONS:
            raise ValueError(f"truncation must be one of {TRUNCATIONS}, got {self.truncation!r}")
        if self.device not in ("auto", "cuda", "mps", "cpu"):
            raise ValueError(f"unknown device {self.device!r}")
        if self.max_length < 8 or self.batch_size < 1 or self.eval_batch_size < 1:
            raise ValueError("max_length must be at least 8 and batch sizes at least 1")
        if self.epochs < 1 or self.patience < 1 or self.length_group_size < 1:
            raise ValueError("epochs, patience and length_group_size must be at least 1")
        if not 0 <= self.validation_fraction < 1 or not 0 <= self.warmup_fraction < 1:
            raise ValueError("validation_fraction and warmup_fraction must be in [0, 1)")


def _pick_device(wanted: str) -> torch.device:
    if wanted == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if wanted == "cuda" and not torch.cuda.is_available():
        raise LabelLoopError("No CUDA GPU is available; choose device 'auto' or 'cpu'.")
    return torch.device(wanted)


def _device_name(device: torch.device) -> str:
    """The card's name for the run record ("NVIDIA H100 80GB HBM3"), else the device type."""
    if device.type == "cuda":
        return str(torch.cuda.get_device_name(device))
    return {"mps": "Apple GPU (MPS)", "cpu": "CPU"}.get(device.type, device.type)


def _autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bf16 on CUDA where supported, else fp16 (with a gradient scaler); None off CUDA."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# -- tokenising and batching ---------------------------------------------------------------


def head_tail(ids: Sequence[int], budget: int, head_share: float = HEAD_SHARE) -> list[int]:
    """The first and last tokens of ``ids`` within ``budget``: a head share, the rest tail."""
    if len(ids) <= budget:
        return list(ids)
    head = int(budget * head_share)
    tail = budget - head
    return list(ids[:head]) + (list(ids[-tail:]) if tail > 0 else [])


def _special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after a single text ([CLS] and [SEP] for BERT)."""
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return list(full[:start]), list(full[start + len(bare) :])
    return [], []  # pragma: no cover - no tokenizer seen does this


def encode(
    tokenizer: Any, texts: Sequence[str], max_length: int, truncation: str
) -> list[list[int]]:
    """Token ids with special tokens, at most ``max_length`` each (head or head+tail)."""
    prefix, suffix = _special_tokens(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    clean = [t if isinstance(t, str) else "" if t is None else str(t) for t in texts]
    pieces: list[list[int]] = []
    # In small chunks: the tokenizer holds Python's lock while it builds each chunk's
    # lists, and 20,000 texts in one call froze the window's thread for 280 ms (64 texts:
    # at most 11 ms, and no slower overall).
    for start in range(0, len(clean), TOKENIZE_CHUNK):
        chunk = clean[start : start + TOKENIZE_CHUNK]
        if truncation == "head":
            raw = tokenizer(chunk, add_special_tokens=False, truncation=True, max_length=budget)
            pieces += raw["input_ids"]
        else:
            # Whole documents, then cut (the tokenizer's too-long warning is moot here).
            raw = tokenizer(chunk, add_special_tokens=False, truncation=False, verbose=False)
            pieces += [head_tail(ids, budget) for ids in raw["input_ids"]]
    return [prefix + list(ids) + suffix for ids in pieces]


def _collate(encoded: list[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad to the longest sequence of this batch (dynamic padding)."""
    width = max(len(ids) for ids in encoded)
    input_ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, ids in enumerate(encoded):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, group: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffled batches of similar length: shuffle, sort within mega-batches, shuffle batches."""
    order = rng.permutation(len(lengths))
    lengths_arr = np.asarray(lengths)
    mega = batch_size * group
    batches: list[np.ndarray] = []
    for start in range(0, len(order), mega):
        chunk = order[start : start + mega]
        chunk = chunk[np.argsort(-lengths_arr[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def _validation_split(
    y: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: about ``fraction`` of each class, at least one where a class has 3+."""
    if fraction <= 0:
        return np.arange(len(y)), np.array([], dtype=np.int64)
    validation: list[int] = []
    for k in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == k))
        if len(members) >= 3:
            validation += members[: max(1, round(fraction * len(members)))].tolist()
    held = np.zeros(len(y), dtype=bool)
    held[validation] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


# -- the classifier ----------------------------------------------------------------------


class TransformerClassifier:
    """A pretrained transformer with a classification head, fine-tuned on the labels."""

    kind: ClassVar[str] = "transformer"

    def __init__(self, config: TransformerConfig | None = None) -> None:
        self.config = config or TransformerConfig()
        self.classes_: list[str] = []
        self.parameters: dict[str, Any] = {}
        self._tokenizer: Any = None
        self._model: Any = None

    # -- fitting -------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> FitReport:
        """Fine-tune from ``config.model_name``; early stopping on a validation split."""
        started = time.perf_counter()
        config = self.config
        classes, y, _ = encode_labels(texts, labels)
        reporter = ProgressReporter(progress, should_cancel)
        reporter.report(0, 0, f"Loading {config.model_name}")
        notes: list[str] = []

        _seed_everything(config.seed)
        rng = np.random.default_rng(config.seed)
        tokenizer, model = load_pretrained(config.model_name, len(classes), reporter)
        model.config.id2label = dict(enumerate(classes))
        model.config.label2id = {name: i for i, name in enumerate(classes)}
        group = distributed.processes()
        device = (
            _pick_device(config.device)
            if group is None
            else distributed.start(group, config.device)
        )
        if device.type == "cpu":
            notes.append(
                "Trained on the CPU, which is slow; a CUDA GPU (or Apple MPS) is much faster."
            )
        reporter.report(0, 0, "Tokenising")
        encoded = encode(tokenizer, texts, config.max_length, config.truncation)
        lengths = [len(ids) for ids in encoded]
        train, valid = _validation_split(y, config.validation_fraction, rng)
        if len(valid) == 0 and config.validation_fraction > 0:
            notes.append(
                "Too few labels for a validation split: trained all epochs, no early stop."
            )

        weights = None
        if config.class_weights:
            per_class = np.bincount(y[train], minlength=len(classes)).astype(np.float64)
            per_class = np.maximum(per_class, 1.0)
            weights = torch.tensor(len(train) / (len(classes) * per_class), dtype=torch.float32)

        steps_per_epoch = math.ceil(len(train) / config.batch_size)
        total_steps = steps_per_epoch * config.epochs
        valid_batches = math.ceil(len(valid) / config.eval_batch_size)
        total_units = total_steps + valid_batches * config.epochs

        model.to(device)
        # Several processes (torchrun / accelerate launch): gradients averaged across them.
        trained = model if group is None else distributed.wrap(model, device)
        optimizer: Any = _adamw(model, config.learning_rate, config.weight_decay)
        scheduler: Any = transformers.get_linear_schedule_with_warmup(
            optimizer, int(config.warmup_fraction * total_steps), total_steps
        )
        amp = _autocast_dtype(device)
        scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
        loss_fn = torch.nn.CrossEntropyLoss(
            weight=weights.to(device) if weights is not None else None
        )
        accumulation = 1
        best_f1, best_epoch, best_state = -1.0, 0, None
        history: list[float] = []
        done = 0
        step = 0
        stopped_early = False
        cancel_hooks = _check_cancel_inside(model, reporter)
        try:
            for epoch in range(config.epochs):
                model.train()
                batches = length_grouped_batches(
                    [lengths[i] for i in train], config.batch_size, config.length_group_size, rng
                )
                for batch in batches:
                    rows = train[batch]
                    if group is not None:
                        if len(rows) < group.world_size:
                            continue  # too small to share: every process skips it alike
                        rows = distributed.shard(rows, group)
                    while True:
                        try:
                            training_step(
                                trained, optimizer, scaler, loss_fn, encoded, y, rows,
                                accumulation, tokenizer.pad_token_id, device, amp, reporter,
                            )  # fmt: skip
                            break
                        except torch.cuda.OutOfMemoryError:
                            optimizer.zero_grad(set_to_none=True)
                            micro = math.ceil(config.batch_size / accumulation)
                            if micro <= 1:
                                raise LabelLoopError(
                                    "The GPU ran out of memory even with one text per batch; "
                                    "lower max_length or train on the CPU."
                                ) from None
                            accumulation *= 2
                            gc.collect()
                            if device.type == "cuda":
                                torch.cuda.empty_cache()
                            new_micro = math.ceil(config.batch_size / accumulation)
                            notes.append(
                                f"Out of GPU memory at step {step + 1}: batch halved to "
                                f"{new_micro} with gradient accumulation over {accumulation} "
                                f"micro-batches (effective batch still {config.batch_size})."
                            )
                    scheduler.step()
                    step += 1
                    done += 1
                    reporter.report(
                        done, total_units, f"Epoch {epoch + 1}/{config.epochs}, step {step}"
                    )
                if len(valid):
                    predicted = self._predict_ids(
                        model, [encoded[i] for i in valid], tokenizer.pad_token_id,
                        device, amp, reporter, done, total_units, "Validating",
                    ).argmax(axis=1)  # fmt: skip
                    done += valid_batches
                    f1 = float(macro_f1(confusion(y[valid], predicted, len(classes))))
                    history.append(f1)
                    if f1 > best_f1:
                        best_f1, best_epoch = f1, epoch + 1
                        best_state = {
                            k: v.detach().to("cpu", copy=True)
                            for k, v in model.state_dict().items()
                        }
                    elif epoch + 1 - best_epoch >= config.patience:
                        stopped_early = True
                        break
            if best_state is not None and best_epoch != len(history):
                model.load_state_dict(best_state)
        finally:
            for hook in cancel_hooks:
                hook.remove()
            del optimizer, scheduler, best_state, trained
            if group is not None:
                distributed.stop()
            model.to("cpu")
            _release(device)

        self._tokenizer, self._model = tokenizer, model
        self.classes_ = classes
        self.parameters = {
            "model_name": config.model_name,
            "device": str(device),
            "device_name": _device_name(device),
            "precision": str(amp).removeprefix("torch.") if amp else "float32",
            "epochs_run": len(history) if history else config.epochs,
            "best_epoch": best_epoch or config.epochs,
            "stopped_early": stopped_early,
            "max_length": config.max_length,
            "truncation": config.truncation,
            "batch_size": config.batch_size,
            "gradient_accumulation": accumulation,
            "learning_rate": config.learning_rate,
            "n_train": len(train),
            "n_validation": len(valid),
            "seed": config.seed,
            "processes": group.world_size if group is not None else 1,
        }
        cv_scores: dict[str, Any] = {}
        if history:
            cv_scores = {
                "validation_macro_f1": best_f1,
                "validation_macro_f1_per_epoch": history,
                "note": "macro-F1 on a validation split of the training labels, not the "
                "evaluation sample",
            }
        return FitReport(
            parameters=dict(self.parameters),
            cv_scores=cv_scores,
            seconds=time.perf_counter() - started,
            notes=notes,
        )

    def _predict_ids(
        self,
        model: Any,
        encoded: list[list[int]],
        pad_id: int,
        device: torch.device,
        amp: torch.dtype | None,
        reporter: ProgressReporter,
        done: int,
        total: int,
        message: str,
    ) -> np.ndarray:
        """Probabilities (float32 softmax), length-sorted batches, back in input order."""
        size = self.config.eval_batch_size
        order = np.argsort([len(ids) for ids in encoded], kind="stable")
        out = np.zeros((len(encoded), model.config.num_labels), dtype=np.float32)
        model.eval()
        with torch.inference_mode():
            for n, start in enumerate(range(0, len(order), size)):
                rows = order[start : start + size]
                batch = {
                    k: v.to(device) for k, v in _collate([encoded[i] for i in rows], pad_id).items()
                }
                with torch.autocast(
                    device.type, dtype=amp or torch.float32, enabled=amp is not None
                ):
                    logits = model(**batch).logits
                out[rows] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                del batch, logits
                reporter.report(done + n + 1, total, message)
        model.train()
        return out

    # -- prediction ----------------------------------------------------------------------

    def _fitted(self) -> tuple[Any, Any]:
        if self._model is None or self._tokenizer is None:
            raise LabelLoopError("The model has not been trained yet.")
        return self._tokenizer, self._model

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> np.ndarray:
        """An (n_texts, n_classes) float array; columns follow ``classes_``; rows sum to 1."""
        tokenizer, model = self._fitted()
        reporter = ProgressReporter(progress, should_cancel)
        if len(texts) == 0:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        encoded = encode(tokenizer, texts, self.config.max_length, self.config.truncation)
        device = _pick_device(self.config.device)
        amp = _autocast_dtype(device)
        total = math.ceil(len(encoded) / self.config.eval_batch_size)
        cancel_hooks = _check_cancel_inside(model, reporter)
        try:
            model.to(device)
            probabilities = self._predict_ids(
                model, encoded, tokenizer.pad_token_id, device, amp, reporter, 0, total,
                "Predicting",
            )  # fmt: skip
        finally:
            for hook in cancel_hooks:
                hook.remove()
            model.to("cpu")
            model.eval()
            _release(device)
        return probabilities

    def explain(self, text: str, top: int = 10) -> dict[str, list[tuple[str, float]]]:
        """Explanations are baseline-only for now: always ``{}`` for the transformer."""
        return {}

    # -- persistence ---------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write ``model.safetensors``, the tokenizer and ``labelloop.json`` into ``folder``."""
        tokenizer, model = self._fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # transformers 5 always writes safetensors (the ``safe_serialization`` flag is gone).
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        libraries = ("torch", "transformers", "tokenizers")
        write_meta(folder, META_FILE, self, FORMAT_VERSION, libraries)

    @classmethod
    def load(cls, folder: Path) -> TransformerClassifier:
        """Read a folder written by :meth:`save` (safetensors only, no remote code)."""
        folder = Path(folder)
        meta = read_meta(folder, META_FILE, cls.kind, FORMAT_VERSION)
        classifier = cls(TransformerConfig.from_json(meta["config"]))
        classifier.classes_ = list(meta["classes"])
        tokenizer, model = load_pretrained(str(folder), len(classifier.classes_))
        model.eval()
        classifier._tokenizer, classifier._model = tokenizer, model
        classifier.parameters = meta.get("parameters", {})
        return classifier


def training_step(
    model: Any,
    optimizer: Any,
    scaler: Any,
    loss_fn: Any,
    encoded: list[list[int]],
    y: np.ndarray,
    rows: np.ndarray,
    accumulation: int,
    pad_id: int,
    device: torch.device,
    amp: torch.dtype | None,
    reporter: ProgressReporter,
) -> None:
    """One optimisation step over ``rows``, in ``accumulation`` micro-batches.

    The training loop's one call per step: a CUDA out-of-memory error raised here makes it
    retry the step with twice the micro-batches (tests replace this function to raise one).
    """
    optimizer.zero_grad(set_to_none=True)
    micro = math.ceil(len(rows) / accumulation)
    for start in range(0, len(rows), micro):
        reporter.check_cancel()
        part = rows[start : start + micro]
        batch = {k: v.to(device) for k, v in _collate([encoded[i] for i in part], pad_id).items()}
        target = torch.as_tensor(y[part], device=device)
        with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
            logits = model(**batch).logits
        loss = loss_fn(logits.float(), target) * (len(part) / len(rows))
        if scaler is not None:
            scaler.scale(loss).backward()
        else:
            loss.backward()
        del batch, logits, loss
    if scaler is not None:
        scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()


def _check_cancel_inside(model: Any, reporter: ProgressReporter) -> list[Any]:
    """Hooks that check Cancel at every linear layer, forward and backward, so Cancel
    works within a batch: on a CPU one batch of BERT-base takes tens of seconds, far
    over the 2 s a user waits. Returns the handles; ``remove()`` each when done."""

    def forward(_module: Any, _inputs: Any) -> None:
        reporter.check_cancel()

    def backward(_grad: Any) -> None:
        reporter.check_cancel()

    handles = []
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            handles.append(module.register_forward_pre_hook(forward))
            if module.weight.requires_grad:
                handles.append(module.weight.register_hook(backward))
    return handles


def _adamw(model: Any, learning_rate: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW, fused (one kernel over all parameters) where torch supports it for the
    model's device: on a 2-core CPU the step of MiniLM's 23 M parameters took a
    noticeable share of each batch with the per-parameter loop."""
    parameters = list(model.parameters())
    try:
        return torch.optim.AdamW(
            parameters, lr=learning_rate, weight_decay=weight_decay, fused=True
        )
    except (RuntimeError, ValueError):  # a device without a fused kernel
        return torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=weight_decay)


def _release(device: torch.device) -> None:
    """Give memory back after a job: collect garbage, empty the CUDA cache."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
