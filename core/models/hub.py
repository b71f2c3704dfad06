"""Getting a language model from the Hugging Face hub or a folder: safetensors only, no remote code.

A hub id is downloaded into the standard Hugging Face cache (a no-op when cached), with its
bytes reported as progress; without a network it is looked up in the cache within seconds.
A model that is neither cached nor downloadable, or has no safetensors weights, is a
:class:`~core.errors.LabelLoopError` that says which model and how to provide it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from core.errors import LabelLoopError
from core.jobs import ProgressReporter


def _hub_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from huggingface_hub import errors as hub

        for name in ("HFValidationError", "HfHubHTTPError", "LocalEntryNotFoundError"):
            if hasattr(hub, name):
                errors.append(getattr(hub, name))
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


#: The files a model needs from the hub: configuration, tokenizer, safetensors weights.
HUB_FILES = ["*.json", "*.txt", "*.model", "*.safetensors", "tokenizer*"]


def load_pretrained(
    model_name: str, num_labels: int, reporter: ProgressReporter | None = None
) -> tuple[Any, Any]:
    """Tokenizer and sequence-classification model, or a LabelLoopError saying how to get them.

    Works for a hub id (downloaded or cached) and a local folder alike. A folder whose
    classification head has another number of labels gets a fresh head. A hub model not
    yet in the cache is downloaded first, with its bytes reported to ``reporter``.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    # huggingface_hub reads HF_HUB_OFFLINE once, at import; read it again here so that
    # setting it later (a test, the CLI) still keeps every call off the network.
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    check_folder(model_name)
    local = Path(model_name).is_dir()
    if not offline and not local and not _hub_reachable():
        # Without a network the hub client retries for ~50 s before giving up; after a
        # 3-second check, use the cache only, so the user hears within seconds.
        offline = True
    try:
        if not offline and not local:
            _download(model_name, reporter)
        tokenizer = AutoTokenizer.from_pretrained(
            model_name, trust_remote_code=False, local_files_only=offline
        )
        model = AutoModelForSequenceClassification.from_pretrained(
            model_name,
            local_files_only=offline,
            num_labels=num_labels,
            trust_remote_code=False,
            use_safetensors=True,
            ignore_mismatched_sizes=True,
        )
    except (ValueError, KeyError) as error:  # a folder transformers cannot make sense of
        if not local:
            raise
        raise LabelLoopError(
            f"The folder '{model_name}' does not hold a language model LabelLoop can load "
            f"({error}). Give the folder that save_pretrained wrote, with its config.json, "
            "tokenizer files and model.safetensors."
        ) from None
    except _hub_errors() as error:
        if "safetensors" in str(error).lower() and (local or not offline):
            raise LabelLoopError(
                f"The language model '{model_name}' has no weights in the safetensors format. "
                "LabelLoop loads only safetensors (other formats can run code when loaded). "
                "Choose another model, or convert this one on a trusted computer "
                "(load it and save it with save_pretrained) and give LabelLoop that folder. "
                f"Details: {error}"
            ) from None
        why = " (no network connection to the Hugging Face hub)" if offline else ""
        raise LabelLoopError(
            f"Cannot load the language model '{model_name}': it is not on this computer and "
            f"could not be downloaded{why}. Download it on a computer with internet access "
            f"(e.g. `huggingface-cli download {model_name}`) and copy the folder here, then "
            f"point LabelLoop to it with --model-name PATH. Details: {error}"
        ) from None
    if tokenizer.pad_token_id is None:
        raise LabelLoopError(f"The tokenizer of '{model_name}' has no padding token.")
    return tokenizer, model


#: A Hugging Face hub id: "name" or "owner/name", letters, digits, '-', '_' and '.'.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


def check_folder(model_name: str) -> None:
    """Refuse at once a model name that is meant as a folder but is not a model's folder:
    a path that does not exist, a file, or a folder without ``config.json``. A hub id
    ("GroNLP/bert-base-dutch-cased") that is not also a folder here passes."""
    path = Path(model_name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise LabelLoopError(
                f"The folder '{model_name}' is not a language model: it has no config.json. "
                "Give the folder that save_pretrained (or huggingface-cli download) wrote: "
                "it holds config.json, the tokenizer files and model.safetensors."
            )
        return
    if path.exists():
        raise LabelLoopError(
            f"'{model_name}' is a file; give the folder that holds the language model "
            "(config.json, the tokenizer files and model.safetensors), or a Hugging Face "
            "model id such as GroNLP/bert-base-dutch-cased."
        )
    if _HUB_ID.fullmatch(model_name) is None or model_name.startswith((".", "~")):
        raise LabelLoopError(
            f"There is no folder '{model_name}', and it is not a Hugging Face model id "
            "(such as GroNLP/bert-base-dutch-cased). Check the path."
        )


def _download(model_name: str, reporter: ProgressReporter | None) -> None:
    """Fetch the model's files into the standard Hugging Face cache (a no-op when cached),
    reporting downloaded bytes; Cancel stops it between chunks."""
    from huggingface_hub import snapshot_download

    snapshot_download(
        model_name,
        allow_patterns=HUB_FILES,
        tqdm_class=download_progress(model_name, reporter) if reporter else None,
    )


def download_progress(model_name: str, reporter: ProgressReporter) -> type:
    """A tqdm stand-in for ``snapshot_download`` that sends its byte counts to ``reporter``.

    The hub client makes several bars; only those counting bytes (``unit="B"``) with a
    total report, as "Downloading <model>: 120 of 420 MB".
    """
    from tqdm.auto import tqdm

    class _Progress(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True  # nothing on the terminal; the reporter shows it
            super().__init__(*args, **kwargs)
            self.bytes = kwargs.get("unit") == "B"
            self.label = str(kwargs.get("desc") or "")
            self.done = float(kwargs.get("initial") or 0)

        def update(self, n: float | None = 1) -> bool | None:
            self.done += n or 0
            total = float(self.total or 0)
            # Two byte bars: the bytes written ("Reconstructing"), reported, and the bytes
            # received ("Downloading bytes", the same data again), left out.
            if self.bytes and total > 0 and not self.label.startswith("Downloading"):
                reporter.report(
                    self.done,
                    total,
                    f"Downloading {model_name}: {self.done / 1e6:,.0f} of {total / 1e6:,.0f} MB",
                )
            return None

    return _Progress


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (or the HF_ENDPOINT mirror) answers a TCP connection."""
    import socket
    from urllib.parse import urlparse

    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co", port), timeout):
            return True
    except OSError:
        return False
