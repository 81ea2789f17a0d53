"""NVML faults through the real NVML source, over a fake handle that raises pynvml's own error classes: a counter
restarted by a driver reset, a GPU lost from the bus, GPUs chosen by an index CUDA and NVML may read differently."""

from __future__ import annotations

import time
from pathlib import Path

import pynvml
import pytest

from mlee.monitoring import Meter
from mlee.monitoring.sources.nvml import NvmlSource
from mlee.results.energy import phase_energy


def exact(source: NvmlSource) -> NvmlSource:
    """``source`` over a fake whose counters change exactly when the test says, with no update interval: its
    instant windows are not below the counter's minimum window."""
    source.resolution_s = 0.0
    return source


class Nvml:
    """pynvml's API over fake GPUs; ``lost`` GPUs raise ``NVMLError_GpuIsLost`` from every call but the count."""

    NVMLError = pynvml.NVMLError

    def __init__(self, n: int = 2, lost: tuple[int, ...] = ()) -> None:
        self.energy_mj = [1_000_000 * (i + 1) for i in range(n)]
        self.lost = set(lost)

    def nvmlInit(self) -> None: ...
    def nvmlShutdown(self) -> None: ...
    def nvmlSystemGetDriverVersion(self) -> str: return "580.1"
    def nvmlDeviceGetCount(self) -> int: return len(self.energy_mj)
    def nvmlDeviceGetHandleByIndex(self, i: int) -> int: return i

    def _answer(self, h: int) -> None:
        if h in self.lost:
            raise pynvml.NVMLError_GpuIsLost()

    def nvmlDeviceGetUUID(self, h: int) -> str:
        self._answer(h)
        return f"GPU-{h:08d}-aaaa"

    def nvmlDeviceGetName(self, h: int) -> str:
        self._answer(h)
        return "NVIDIA H100"

    def nvmlDeviceGetTotalEnergyConsumption(self, h: int) -> int:
        self._answer(h)
        return self.energy_mj[h]


def test_a_counter_restarted_by_a_driver_reset_gives_no_negative_energy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    nvml = Nvml()
    with Meter(sources=[exact(NvmlSource(nvml=nvml))]) as meter, meter.window() as win:
        nvml.energy_mj[0] = 2_500       # driver reset: counts again from 0
        nvml.energy_mj[1] += 40_000     # 40 J on the other GPU
    m = win.measurement
    gpu0, gpu1 = m.sources
    assert gpu0.energy_j == 0.0 and not gpu0.complete and "went back" in gpu0.problems[0]
    assert gpu1.energy_j == 40.0 and gpu1.complete
    assert m.energy_j == 40.0 and not m.complete  # a lower bound that says so, never -123 kJ
    assert any("GPU 0" in q and "went back" in q for q in m.quality)


def test_the_loader_names_why_a_negative_recorded_energy_is_not_shown() -> None:
    energy = phase_energy({"measurement": {"energy_j": -122_396.0, "complete": True, "quality": [],
                                           "estimated": False, "description": "2 GPUs (NVML energy counter)"}})
    assert energy.energy_j != energy.energy_j  # NaN: shown as n.a.
    assert energy.complete is False and "-122396 J" in energy.quality and "less than nothing" in energy.quality


def test_one_lost_gpu_leaves_the_others_and_the_cpu_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    nvml = Nvml(lost=(1,))
    with Meter(monitor="auto", nvml=nvml, rapl_root=tmp_path / "no-powercap") as meter, meter.window() as win:
        time.sleep(1.0)  # NVML's minimum window: 10 updates of 0.1 s
        nvml.energy_mj[0] += 7_000
    m = win.measurement
    by_method = {s.method: s for s in m.sources}
    assert by_method["estimate"].energy_j > 0  # the CPU (estimated here: no powercap tree)
    assert by_method["nvml-energy"].energy_j == 7.0 and by_method["nvml-energy"].complete
    lost = by_method["nvml-lost"]
    assert lost.device == "GPU 1 (not answering)" and lost.energy_j == 0.0 and not lost.complete
    assert not m.complete and any("GPU 1: lost" in q and "NVMLError_GpuIsLost" in q for q in m.quality)
    assert "GPU 1" not in by_method["nvml-energy"].device


def test_runs_go_on_with_a_lost_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import run_sweep

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with Meter(monitor="auto", nvml=Nvml(lost=(1,)), rapl_root=tmp_path / "no-powercap") as meter:
        outcomes = run_sweep([("iris", "Gaussian Naive Bayes"), ("iris", "Logistic Regression")],
                             RunSettings(output_dir=tmp_path / "logs", hyperparameters="default"), meter,
                             progress=False)
    assert [o.error for o in outcomes] == [None, None]  # the old source: 0 of 2 runs (NVMLError_GpuIsLost)


@pytest.mark.parametrize("env, order, noted", [("1,0", None, True), ("1", "FASTEST_FIRST", True),
                                                ("1,0", "PCI_BUS_ID", False), ("GPU-00000001", None, False)])
def test_index_based_gpu_choice_is_noted_unless_the_order_is_the_bus_order(
        monkeypatch: pytest.MonkeyPatch, env: str, order: str | None, noted: bool) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", env)
    if order is None:
        monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    else:
        monkeypatch.setenv("CUDA_DEVICE_ORDER", order)
    with Meter(sources=[NvmlSource(nvml=Nvml())]) as meter, meter.window() as win:
        pass
    notes = [n for n in win.measurement.notes if "CUDA_DEVICE_ORDER" in n]
    assert bool(notes) is noted
    if noted:
        assert "PCI bus order" in notes[0] and "CUDA_DEVICE_ORDER=PCI_BUS_ID" in notes[0]
        assert "CUDA_DEVICE_ORDER" in win.measurement.description  # shown wherever the sources are named


def test_one_gpu_chosen_by_index_needs_no_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    source = NvmlSource(nvml=Nvml(n=1))
    assert source.notes == []
    source.close()
