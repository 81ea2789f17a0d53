"""Estimate, process statistics, idle baseline, carbon, serialisation, CLI and the library-backed sources."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from mlee.cli.monitor_options import add_monitor_arguments, meter_from_args
from mlee.monitoring import Measurement, Meter, ProcessStats, WindowContext, SourceUnavailable
from mlee.monitoring.carbon import load_energy_mix
from mlee.monitoring.cpu_info import cpu_info
from mlee.monitoring.sources.estimate import EstimateSource, cpu_family, memory_bytes, power_model

REPO = Path(__file__).resolve().parents[1]

BURN = "import time\nt=time.process_time()\nwhile time.process_time()-t<{s}: sum(i*i for i in range(1000))\n"


def _fit() -> LogisticRegression:
    X, y = make_classification(n_samples=4000, n_features=40, n_informative=20, n_classes=4, random_state=0)
    return LogisticRegression(max_iter=300).fit(X, y)


def test_estimate_matches_its_formula_on_a_real_fit() -> None:
    meter = Meter(monitor="estimate", cpu_tdp_w=120.0)
    cpu0 = time.process_time()
    with meter.window() as win:
        _fit()
    own_cpu = time.process_time() - cpu0
    m = win.measurement
    info = cpu_info()
    cpu_part, mem_part = m.sources
    model = power_model(info.name, 120.0, info.sockets, info.logical_cores)
    assert model.max_w == pytest.approx(120.0 * info.sockets / info.logical_cores)  # the TDP share of one vCPU
    static = info.logical_cores * model.min_w * m.duration_s
    assert cpu_part.domain == "cpu" and cpu_part.estimated and cpu_part.method == "estimate"
    assert cpu_part.energy_j == pytest.approx(static + m.process.cpu_seconds * (model.max_w - model.min_w), rel=1e-9)
    assert cpu_part.parameters["max_w_per_vcpu"] == model.max_w and cpu_part.parameters["vcpus"] == info.logical_cores
    assert mem_part.energy_j == pytest.approx(0.392 * memory_bytes() / 1e9 * m.duration_s, rel=1e-9)
    assert m.energy_j == pytest.approx(cpu_part.energy_j + mem_part.energy_j, rel=1e-12)
    # the CPU seconds are the real ones of the fit (measured independently around the window)
    assert 0 < m.process.cpu_seconds <= own_cpu + 0.02
    assert m.process.cpu_seconds >= 0.8 * own_cpu - 0.01
    assert m.process.peak_rss_scope == "window" and m.process.peak_rss_bytes > 10 * 2**20
    assert m.process.cpu_utilisation == pytest.approx(m.process.cpu_seconds / m.duration_s)
    assert m.estimated and m.description == "CPU + memory (estimated)"
    assert 0 <= m.meter_cpu_seconds < 0.05
    assert abs((m.end - m.start) - m.duration_s) < 1e-6  # float resolution of Unix time


def test_per_vcpu_power_of_a_vm_and_of_the_studys_workstation() -> None:
    """A VM with 2 vCPUs of a 64-core EPYC is charged the static power of 2 vCPUs, not TDP / 2 per busy vCPU."""
    assert cpu_family("Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz") == "Intel Skylake"
    assert cpu_family("AMD EPYC 7B13") == "AMD EPYC 3rd Gen" and cpu_family("AMD EPYC 7742 64-Core") == "AMD EPYC 2nd Gen"
    vm = EstimateSource(cpu_name="AMD EPYC 7B13", sockets=1, logical_cores=2, memory_gb=8.0)
    ctx = WindowContext(0.0, 10.0, 10.0, ProcessStats(cpu_seconds=10.0, peak_rss_bytes=0, cpu_utilisation=1.0))
    cpu, memory = vm.energy(None, None, ctx)
    assert cpu.energy_j == pytest.approx(2 * 0.456 * 10 + 10 * (1.957 - 0.456))  # 24.1 J: 2.4 W, not 42.5 W
    assert memory.energy_j == pytest.approx(0.392 * 8 * 10)
    unknown = power_model("Some Future CPU")
    assert unknown.family.startswith("unknown") and 0.4 < unknown.min_w < unknown.max_w < 6  # the median family


def test_child_processes_count() -> None:
    meter = Meter(monitor="estimate", cpu_tdp_w=100.0)
    with meter.window() as win:
        live = subprocess.Popen([sys.executable, "-c", BURN.format(s=0.4) + "time.sleep(30)"])
        done = subprocess.run([sys.executable, "-c", BURN.format(s=0.3)])  # finished and reaped in the window
        assert done.returncode == 0
        deadline = time.monotonic() + 20
        from mlee.monitoring.process_stats import _read_stat
        while (_read_stat(live.pid) or (0, 0.0, 0))[1] < 0.4 and time.monotonic() < deadline:
            time.sleep(0.05)
    live.kill()
    live.wait()
    p = win.measurement.process
    assert p.n_children >= 1
    assert p.cpu_seconds >= 0.4 + 0.3 - 0.05  # both children's CPU time (tick resolution 10 ms)


def test_idle_baseline_gives_net_energy() -> None:
    meter = Meter(monitor="estimate", cpu_tdp_w=100.0, idle_seconds=0.2)
    with meter.window() as win:
        _fit()
    m = win.measurement
    assert m.idle is not None and m.idle.seconds >= 0.2 and m.idle.estimated
    assert m.net_energy_j == pytest.approx(m.energy_j - m.idle.power_w * m.duration_s, rel=1e-12)
    assert m.net_energy_j < m.energy_j
    with meter.window() as win2:  # measured once, reused
        pass
    assert win2.measurement.idle == m.idle


def test_carbon_from_offline_country_data() -> None:
    meter = Meter(monitor="estimate", cpu_tdp_w=100.0, country="deu", pue=1.5, idle_seconds=0.05)
    with meter.window() as win:
        _fit()
    m = win.measurement
    rec = load_energy_mix()["DEU"]
    assert m.carbon.country == "DEU" and m.carbon.intensity_g_per_kwh == rec["carbon_intensity"]
    assert m.carbon.grams_co2e == pytest.approx(m.energy_j / 3.6e6 * 1.5 * rec["carbon_intensity"], rel=1e-12)
    assert m.carbon.net_grams_co2e == pytest.approx(m.net_energy_j / 3.6e6 * 1.5 * rec["carbon_intensity"])
    assert m.energy_j == pytest.approx(sum(s.energy_j for s in m.sources))  # joules never scaled by PUE
    with pytest.raises(ValueError, match="alpha-3"):
        Meter(country="Atlantis")
    with pytest.raises(ValueError, match=r"^pue must be >= 1"):  # the parameter, not the flag
        Meter(pue=0.5)


def test_serialisation_round_trip_is_lossless(tmp_path: Path) -> None:
    meter = Meter(monitor="estimate", country="FRA", idle_seconds=0.05)
    with meter.window() as win:
        _fit()
    m = win.measurement
    d = m.to_dict()
    for key in ("start", "end", "duration_s", "energy_j", "net_energy_j", "mean_power_w", "estimated",
                "description", "sources", "carbon", "process", "meter_cpu_seconds"):
        assert key in d
    path = tmp_path / "measurement.json"
    path.write_text(json.dumps(d, allow_nan=False))
    back = Measurement.from_dict(json.loads(path.read_text()))
    assert back == m and back.to_dict() == d
    with pytest.raises(ValueError, match="Measurement.to_dict"):
        Measurement.from_dict({"start": 1})


def test_window_still_measured_when_workload_fails() -> None:
    meter = Meter(monitor="estimate")
    win = meter.window()
    with pytest.raises(ZeroDivisionError):
        with win:
            1 / 0
    assert win.measurement.duration_s >= 0
    with pytest.raises(RuntimeError, match="still open"):
        meter.window().measurement


def test_cli_arguments_and_meter_from_args() -> None:
    parser = add_monitor_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--monitor", "estimate", "--cpu-tdp", "95", "--idle-seconds", "0",
                              "--country", "USA", "--pue", "1.2"])
    meter = meter_from_args(args)
    assert (meter.monitor, meter.cpu_tdp_w, meter.country, meter.pue) == ("estimate", 95.0, "USA", 1.2)
    defaults = parser.parse_args([])
    assert (defaults.monitor, defaults.cpu_tdp, defaults.idle_seconds, defaults.country, defaults.pue) == \
        ("auto", None, 0.0, None, 1.0)
    assert parser.parse_args(["--monitor", "rapl,nvml"]).monitor == "rapl,nvml"
    for bad in (["--monitor", "psutil"], ["--cpu-tdp", "-1"], ["--pue", "0.9"], ["--idle-seconds", "-2"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    with pytest.raises(ValueError, match="codecarbon alone"):
        Meter(monitor="codecarbon,nvml").sources


def test_auto_on_this_machine_logs_one_warning_and_estimates(caplog: pytest.LogCaptureFixture,
                                                             tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING):
        meter = Meter(monitor="auto", rapl_root=tmp_path / "no-powercap")
        for _ in range(3):
            with meter.window() as win:
                pass
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "rapl" in warnings[0].getMessage()
    assert "estimate" in warnings[0].getMessage()
    assert win.measurement.estimated


def test_pyrapl_source_falls_back_here_and_reads_a_fake_module(caplog: pytest.LogCaptureFixture) -> None:
    from mlee.monitoring.sources.pyrapl_source import PyraplSource

    if not Path("/sys/class/powercap/intel-rapl:0").exists():
        with pytest.raises(SourceUnavailable, match="pyRAPL cannot record"):
            PyraplSource()

    class FakeResult:
        pkg = [1_500_000, 2_000_000]
        dram = [250_000, -5]

    class FakeMeasurement:
        def __init__(self, label: str) -> None:
            self.result = None

        def begin(self) -> None:
            pass

        def end(self) -> None:
            self.result = FakeResult()

    class FakePyrapl:
        __version__ = "0.2.3"
        Measurement = FakeMeasurement

        @staticmethod
        def setup() -> None:
            pass

    with Meter(monitor="pyrapl", pyrapl=FakePyrapl()) as meter, meter.window() as win:
        pass
    m = win.measurement
    assert {s.device: s.energy_j for s in m.sources} == {"package-0": 1.5, "package-1": 2.0, "dram-0": 0.25}
    assert m.description.startswith("CPU packages + DRAM (RAPL via pyRAPL)") and not m.estimated


def test_codecarbon_source_offline() -> None:
    pytest.importorskip("codecarbon")
    from mlee.monitoring.sources.codecarbon_source import CodecarbonSource

    source = CodecarbonSource(country="DEU")
    with Meter(sources=[source]) as meter:
        with meter.window() as win:
            _fit()
    m = win.measurement
    domains = {s.domain: s for s in m.sources}
    assert {"cpu", "memory"} <= set(domains) and m.energy_j > 0
    assert domains["memory"].estimated  # codecarbon's RAM is always a model
    assert domains["cpu"].estimated == (source.cpu_mode not in ("intel_rapl", "intel_power_gadget",
                                                                "windows_emi", "apple_powermetrics"))
    assert domains["cpu"].energy_j == pytest.approx(domains["cpu"].parameters["energy_kwh"] * 3.6e6)
    assert ("estimated" in m.description) == m.estimated


def test_import_is_light() -> None:
    code = ("import sys, time; t=time.perf_counter(); import mlee.monitoring; "
            "print(time.perf_counter()-t, [m for m in ('codecarbon','pyRAPL','pynvml','sklearn','pandas') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    seconds, loaded = out.stdout.split(" ", 1)
    assert loaded.strip() == "[]", out.stdout
