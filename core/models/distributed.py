"""Data-parallel fine-tuning over several processes, one per GPU.

``torchrun --nproc_per_node 4 …`` and ``accelerate launch --multi_gpu --num_processes 4 …``
start the same command once per GPU and tell each process who it is through the
environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).
The transformer's training loop then:

* builds the same length-grouped batches in every process (same seed), and each process
  takes its share of every batch (:func:`shard`), so the effective batch stays the one
  configured;
* wraps the model in ``DistributedDataParallel``, which averages the gradients, so every
  process holds the same weights after each step (and takes the same early-stopping
  decision on the same validation split);
* leaves everything else to the main process (rank 0): the project file is only written
  there — the run record, the evaluation and the predictions of all documents.

With one process (the window, a plain ``labelloop train``) none of this is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Processes:
    rank: int
    local_rank: int
    world_size: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def processes() -> Processes | None:
    """Who this process is, when a launcher started several; None for a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world_size <= 1:
        return None
    return Processes(
        rank=int(os.environ.get("RANK", "0")),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        world_size=world_size,
    )


def is_main_process() -> bool:
    """True unless this is one of the helper processes of a multi-process launch."""
    found = processes()
    return found is None or found.is_main


def shard(rows: np.ndarray, group: Processes) -> np.ndarray:
    """This process's part of one batch (parts differ in size by at most one row)."""
    return np.array_split(rows, group.world_size)[group.rank]


def start(group: Processes, wanted_device: str):  # type: ignore[no-untyped-def]
    """Join the process group; returns this process's device (its own GPU, else the CPU)."""
    import torch
    import torch.distributed as dist

    if torch.cuda.is_available() and wanted_device in ("auto", "cuda"):
        device = torch.device("cuda", group.local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, rank=group.rank, world_size=group.world_size)
    return device


def wrap(model, device):  # type: ignore[no-untyped-def]
    """The model wrapped for gradient averaging across the processes."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def stop() -> None:
    """Leave the process group (after training; rank 0 goes on alone to predict)."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
