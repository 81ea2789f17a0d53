"""The NVML source over a fake NVML handle (module-like object with the pynvml API)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mlee.monitoring import Measurement, Meter, ProcessStats, SourceUnavailable, WindowContext
from mlee.monitoring.sources.nvml import NvmlSource, integrate_trapezoid, visible_indices


class FakeNvml:
    """Two or more GPUs; ``energy_mj`` / ``power_mw`` are set by the test; ``None`` energy = not supported."""

    class NVMLError(Exception):
        pass

    class NVMLError_NotSupported(NVMLError):
        pass

    def __init__(self, gpus: list[dict], fail_init: bool = False) -> None:
        self.gpus = gpus
        self.fail_init = fail_init
        self.shutdown = 0
        self.power_reads = 0

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise self.NVMLError("NVML Shared Library Not Found")

    def nvmlShutdown(self) -> None:
        self.shutdown += 1

    def nvmlSystemGetDriverVersion(self) -> str:
        return "999.1"

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, i: int) -> dict:
        return self.gpus[i]

    def nvmlDeviceGetName(self, h: dict) -> bytes:
        return h["name"].encode()  # old bindings return bytes

    def nvmlDeviceGetUUID(self, h: dict) -> str:
        return h["uuid"]

    def nvmlDeviceGetTotalEnergyConsumption(self, h: dict) -> int:
        if h.get("energy_mj") is None:
            raise self.NVMLError_NotSupported("Not Supported")
        if h.get("lost"):
            raise self.NVMLError("GPU is lost")
        return h["energy_mj"]

    def nvmlDeviceGetPowerUsage(self, h: dict) -> int:
        self.power_reads += 1
        if h.get("lost"):
            raise self.NVMLError("GPU is lost")
        return h["power_mw"]


def make_zone(root: Path, zone: str, name: str, energy_uj: int) -> None:
    (root / zone).mkdir(parents=True)
    (root / zone / "name").write_text(name)
    (root / zone / "max_energy_range_uj").write_text("262143328850")
    set_energy(root, zone, energy_uj)


def set_energy(root: Path, zone: str, value: int) -> None:
    (root / zone / "energy_uj").write_text(str(value))


def exact(source: NvmlSource) -> NvmlSource:
    """``source`` over a fake whose counters change exactly when the test says, with no update interval: its
    instant windows are not below the counter's minimum window."""
    source.resolution_s = 0.0
    return source


def _ctx() -> WindowContext:
    return WindowContext(0.0, 1.0, 1.0, ProcessStats(cpu_seconds=0.0, peak_rss_bytes=0, cpu_utilisation=0.0))


def gpus(n: int = 3) -> list[dict]:
    return [{"name": f"NVIDIA H{i}00", "uuid": f"GPU-{i}abc{i}-0000", "energy_mj": 1_000_000 * (i + 1),
             "power_mw": 100_000} for i in range(n)]


def test_energy_counter_exact_and_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,0")
    monkeypatch.setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # CUDA's indices are NVML's
    fake = FakeNvml(gpus())
    source = NvmlSource(nvml=fake)
    assert [g.index for g in source.gpus] == [2, 0]
    with Meter(sources=[source]) as meter, meter.window() as win:
        fake.gpus[0]["energy_mj"] += 123_456
        fake.gpus[1]["energy_mj"] += 999_999_999  # GPU 1 is hidden: never counted
        fake.gpus[2]["energy_mj"] += 1
    m = win.measurement
    assert {s.parameters["index"]: s.energy_j for s in m.sources} == {2: 0.001, 0: 123.456}
    assert m.energy_j == pytest.approx(123.457, abs=1e-12)
    assert all(s.method == "nvml-energy" and not s.estimated for s in m.sources)
    assert m.description == "2 GPUs (NVML energy counter)"
    assert "driver 999.1" in m.sources[0].library and "NVIDIA H200" in m.sources[0].device
    assert fake.shutdown == 1  # Meter.close released NVML
    assert Measurement.from_dict(json.loads(json.dumps(m.to_dict()))) == m


def test_power_integration_without_energy_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    fake = FakeNvml([{"name": "Tesla P100", "uuid": "GPU-p100", "energy_mj": None, "power_mw": 250_000}])
    source = NvmlSource(nvml=fake, power_interval_s=0.02)
    state = source.begin()
    time.sleep(0.15)
    end = source.stop(state)
    (part,) = source.energy(state, end, _ctx())
    samples = state[1].samples[0]
    assert part.method == "nvml-power" and part.parameters["n_samples"] == len(samples) >= 4
    span = samples[-1][0] - samples[0][0]
    assert part.energy_j == pytest.approx(250.0 * span, rel=1e-12)  # constant power: P x window
    assert 0.15 <= span < 1.0
    source.close()


def test_a_counter_lost_mid_window_is_flagged_not_raised(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """A GPU that stops answering (NVMLError, e.g. fallen off the bus) ends the window with that GPU's energy
    not counted and the measurement marked incomplete, saying which GPU and which edge; the other GPU is exact."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    fake = FakeNvml(gpus(2))
    with Meter(sources=[exact(NvmlSource(nvml=fake))]) as meter:
        with meter.window() as win:
            fake.gpus[0]["energy_mj"] += 5_000
            fake.gpus[1]["energy_mj"] += 7_000
            fake.gpus[1]["lost"] = True
        m = win.measurement
        assert {s.parameters["index"]: s.energy_j for s in m.sources} == {0: 5.0, 1: 0.0}
        assert m.energy_j == 5.0 and not m.complete
        (problem,) = m.quality
        assert "GPU 1" in problem and "window end" in problem and "GPU is lost" in problem
        assert "below the counter's resolution" not in problem
        assert Measurement.from_dict(json.loads(json.dumps(m.to_dict()))) == m
        with meter.window() as again:  # still lost at the next window's start: flagged for that edge
            fake.gpus[0]["energy_mj"] += 1_000
        assert [s.energy_j for s in again.measurement.sources] == [1.0, 0.0]
        assert "window start" in again.measurement.quality[0]
        fake.gpus[1]["lost"] = False
        with meter.window() as back:
            fake.gpus[0]["energy_mj"] += 1_000
            fake.gpus[1]["energy_mj"] += 2_000
        assert back.measurement.complete and back.measurement.energy_j == 3.0
    lost = [r.getMessage() for r in caplog.records if "GPU 1: NVML energy counter unreadable" in r.getMessage()]
    assert len(lost) == 1  # one warning for the outage, not one per read


def test_power_reads_failing_in_the_sampler_are_counted_and_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    fake = FakeNvml([{"name": "Tesla P100", "uuid": "GPU-p100", "energy_mj": None, "power_mw": 100_000}])
    with Meter(sources=[NvmlSource(nvml=fake, power_interval_s=0.02)]) as meter:
        with meter.window() as win:
            time.sleep(0.1)
            fake.gpus[0]["lost"] = True  # the sampler thread's reads now fail, and the end read
            time.sleep(0.1)
        (part,) = win.measurement.sources
    assert part.parameters["failed_reads"] >= 2 and part.parameters["n_samples"] >= 2
    assert not part.complete and "NVML power reads failed" in part.problems[0]
    samples_span = part.energy_j / 100.0  # constant 100 W over the readable samples only
    assert 0.05 < samples_span < win.measurement.duration_s


def test_trapezoid_exact() -> None:
    assert integrate_trapezoid([(0.0, 100.0), (1.0, 200.0), (3.0, 0.0)]) == 150.0 + 200.0
    assert integrate_trapezoid([(0.0, 5.0)]) == 0.0


def test_visible_indices() -> None:
    uuids = ["GPU-aaaa-1", "GPU-bbbb-2", "GPU-cccc-3"]
    assert visible_indices(None, uuids) == [0, 1, 2]
    assert visible_indices("", uuids) == []
    assert visible_indices("1", uuids) == [1]
    assert visible_indices("GPU-cccc,0", uuids) == [2, 0]
    assert visible_indices("0,7,1", uuids) == [0]  # CUDA stops at the first invalid entry
    assert visible_indices("-1", uuids) == []


def test_unavailable_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceUnavailable, match="no NVIDIA GPU or driver"):
        NvmlSource(nvml=FakeNvml(gpus(), fail_init=True))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(SourceUnavailable, match="hides every GPU"):
        NvmlSource(nvml=FakeNvml(gpus()))


def test_real_pynvml_without_gpu_is_unavailable() -> None:
    try:
        import pynvml
        pynvml.nvmlInit()
        pynvml.nvmlShutdown()
        pytest.skip("this machine has a working NVIDIA driver")
    except ImportError:
        pytest.skip("nvidia-ml-py not installed")
    except Exception:
        pass
    with pytest.raises(SourceUnavailable):
        NvmlSource()


def test_mixed_rapl_measured_gpu_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    make_zone(tmp_path, "intel-rapl:0", "package-0", 0)
    make_zone(tmp_path, "intel-rapl:0:0", "dram", 0)
    fake = FakeNvml(gpus(1))
    with Meter(monitor="auto", rapl_root=tmp_path, nvml=fake) as meter, meter.window() as win:
        time.sleep(0.015)  # 10 J at the RAPL reader's 1000 W ceiling: a faster counter would be a fault
        set_energy(tmp_path, "intel-rapl:0", 10_000_000)
        set_energy(tmp_path, "intel-rapl:0:0", 1_000_000)
        fake.gpus[0]["energy_mj"] += 50_000
    m = win.measurement
    assert m.energy_j == 61.0 and m.estimated is False
    assert m.description == "CPU package 0 + DRAM (RAPL) + 1 GPU (NVML energy counter)"
    assert m.energy_by_domain == {"package": 10.0, "dram": 1.0, "gpu": 50.0}


def test_mixed_estimated_cpu_measured_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    fake = FakeNvml(gpus(1))
    with Meter(monitor="auto", rapl_root=tmp_path / "none", nvml=fake, cpu_tdp_w=64) as meter:
        with meter.window() as win:
            fake.gpus[0]["energy_mj"] += 2_000
            sum(i * i for i in range(200_000))
    m = win.measurement
    assert m.estimated is True  # the CPU part is an estimate, so the total is
    assert m.description == "CPU + memory (estimated) + 1 GPU (NVML energy counter)"
    gpu = [s for s in m.sources if s.domain == "gpu"]
    assert gpu[0].energy_j == 2.0 and gpu[0].estimated is False
    assert any("rapl unavailable" in n for n in m.notes)


def test_explicit_source_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    meter = Meter(monitor="nvml,rapl", rapl_root=tmp_path / "none", nvml=FakeNvml(gpus(1)))
    assert [s.name for s in meter.sources] == ["estimate", "nvml"]  # RAPL missing: CPU estimated, GPU measured
    only_gpu = Meter(monitor="nvml", nvml=FakeNvml(gpus(2)))
    with only_gpu.window() as win:
        pass
    assert [s.name for s in only_gpu.sources] == ["nvml"] and win.measurement.description == "2 GPUs (NVML energy counter)"
    assert win.measurement.estimated is False
    strict = Meter(monitor="rapl", rapl_root=tmp_path / "none", strict=True)
    with pytest.raises(SourceUnavailable, match="does not exist"):
        strict.window().start()
    relaxed_auto = Meter(monitor="auto", rapl_root=tmp_path / "none", nvml=FakeNvml([], fail_init=True), strict=False)
    assert [s.name for s in relaxed_auto.sources] == ["estimate"]
