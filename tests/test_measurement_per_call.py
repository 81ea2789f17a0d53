"""A window that held repeated calls is per call throughout: energies, durations and the estimate's inputs."""

from __future__ import annotations

import time

import pytest

from mlee.monitoring import Measurement, Meter
from mlee.monitoring.sources.estimate import EstimateSource


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_estimate_formula_of_a_repeated_window_gives_the_per_call_energy():
    with Meter(sources=[EstimateSource()]) as meter:
        _, m = meter.measure_repeated(lambda: _spin(0.001))
    assert m.repetitions > 10
    cpu = next(s for s in m.sources if s.domain == "cpu")
    p = cpu.parameters
    recomputed = (p["vcpus"] * p["min_w_per_vcpu"] * p["duration_s"]
                  + p["cpu_seconds"] * (p["max_w_per_vcpu"] - p["min_w_per_vcpu"]))
    assert recomputed == pytest.approx(cpu.energy_j, rel=1e-9)
    assert p["duration_s"] == pytest.approx(m.duration_s, rel=1e-9)
    assert p["window_duration_s"] == pytest.approx(m.window_duration_s, rel=1e-9)
    memory = next(s for s in m.sources if s.domain == "memory")
    q = memory.parameters
    assert q["memory_w_per_gb"] * q["memory_gb"] * q["duration_s"] == pytest.approx(memory.energy_j, rel=1e-9)
    again = Measurement.from_dict(m.to_dict())
    assert again.sources[0].parameters["repetitions"] == m.repetitions
