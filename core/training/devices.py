"""Which device a transformer would train on, its memory, and a rough time estimate.

The Train page shows this before the user starts BERT: "NVIDIA RTX 4090, 24.0 GB (22.9 GB
free)" or "No GPU: BERT would train on the CPU, roughly 40 min for 1,000 labels". Importing
torch takes a second or two, so the window calls :func:`detect_device` from a background
job.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from core.wording import plural

#: BERT-base (BERTje) without its embedding table (which costs no multiply-adds): the
#: parameters that set the compute per token.
BERT_BASE_PARAMETERS = 85e6
TYPICAL_TOKENS = 128
#: Share of the measured matrix-multiply speed a fine-tuning loop reaches on a CPU (the
#: MiniLM benchmark here ran at about 30% of it); a rough estimate, said to be one.
CPU_EFFICIENCY = 0.3


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda", "mps" or "cpu"
    name: str  # "NVIDIA H100 80GB HBM3", "Apple GPU (MPS)", "CPU (8 threads)"
    total_bytes: int | None = None
    free_bytes: int | None = None
    #: bf16, fp16 or float32: the precision training would use.
    precision: str = "float32"
    #: The measured float32 matrix-multiply speed (CPU only), for the time estimate.
    cpu_flops: float | None = None

    @property
    def is_gpu(self) -> bool:
        return self.kind in ("cuda", "mps")

    def describe(self) -> str:
        """One line for the Train page and ``labelloop info``."""
        if self.kind == "cpu":
            return f"No GPU found: BERT would train on the {self.name}, which is slow."
        memory = ""
        if self.total_bytes:
            memory = f", {self.total_bytes / 1e9:.1f} GB memory"
            if self.free_bytes is not None:
                memory += f" ({self.free_bytes / 1e9:.1f} GB free)"
        return f"GPU: {self.name}{memory}; BERT trains in {self.precision}."

    def estimate_seconds(
        self,
        examples: int,
        epochs: int,
        parameters: float = BERT_BASE_PARAMETERS,
        tokens: int = TYPICAL_TOKENS,
    ) -> float | None:
        """Rough fine-tuning time on the CPU (6 FLOPs per parameter per token); None on a GPU."""
        if self.cpu_flops is None:
            return None
        flops = 6 * parameters * tokens * examples * epochs
        return flops / (self.cpu_flops * CPU_EFFICIENCY)

    def estimate_prediction_seconds(
        self,
        documents: int,
        parameters: float = BERT_BASE_PARAMETERS,
        tokens: int = TYPICAL_TOKENS,
    ) -> float | None:
        """Rough time to predict ``documents`` on the CPU (2 FLOPs per parameter per
        token, forward only); None on a GPU."""
        if self.cpu_flops is None:
            return None
        return 2 * parameters * tokens * documents / (self.cpu_flops * CPU_EFFICIENCY)


def detect_device() -> DeviceInfo:
    """The device ``TransformerConfig(device="auto")`` picks, with its memory."""
    import torch

    if torch.cuda.is_available():
        index = torch.cuda.current_device()
        free, total = torch.cuda.mem_get_info(index)
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return DeviceInfo("cuda", torch.cuda.get_device_name(index), total, free, precision)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        total = None
        with contextlib.suppress(AttributeError, RuntimeError):
            total = int(torch.mps.recommended_max_memory())
        return DeviceInfo("mps", "Apple GPU (MPS)", total)
    threads = torch.get_num_threads()
    return DeviceInfo(
        "cpu", f"CPU ({plural(threads, 'thread')})", precision="float32", cpu_flops=_matmul_flops()
    )


def _matmul_flops() -> float:
    """float32 FLOP/s of a 512×512 matrix product on this CPU, best of a few (~0.1 s)."""
    import torch as t

    n = 512
    a = t.randn(n, n)
    b = t.randn(n, n)
    a @ b  # warm-up
    best = float("inf")
    deadline = time.perf_counter() + 0.1
    while True:
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return 2 * n**3 / max(best, 1e-9)
