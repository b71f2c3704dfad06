"""What the Train page says about the device BERT would use."""

from __future__ import annotations

import pytest

from core.training.devices import BERT_BASE_PARAMETERS, CPU_EFFICIENCY, DeviceInfo


def test_a_cpu_gets_a_rough_time_for_training_and_for_predicting_everything() -> None:
    cpu = DeviceInfo("cpu", "CPU (8 threads)", cpu_flops=1e11)
    assert cpu.describe() == "No GPU found: BERT would train on the CPU (8 threads), which is slow."
    rate = 1e11 * CPU_EFFICIENCY
    assert cpu.estimate_seconds(1000, 4, tokens=128) == pytest.approx(
        6 * BERT_BASE_PARAMETERS * 128 * 1000 * 4 / rate
    )
    # Predicting a million documents is the part people do not expect to take days.
    days = cpu.estimate_prediction_seconds(1_000_000, tokens=256) / 86_400
    assert days == pytest.approx(2 * BERT_BASE_PARAMETERS * 256 * 1e6 / rate / 86_400)
    assert days > 1


def test_a_gpu_shows_its_memory_and_needs_no_estimate() -> None:
    gpu = DeviceInfo("cuda", "NVIDIA RTX 4090", 24_000_000_000, 22_900_000_000, "bf16")
    assert gpu.is_gpu
    assert gpu.describe() == (
        "GPU: NVIDIA RTX 4090, 24.0 GB memory (22.9 GB free); BERT trains in bf16."
    )
    assert gpu.estimate_seconds(1000, 4) is None
    assert gpu.estimate_prediction_seconds(1000) is None
