"""The meter's lean window path (issue 18): what it reports of its own cost, and that the records it builds,
the process tree's CPU seconds and the window's peak memory are what they were."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from mlee.monitoring import Measurement, Meter, ProcessStats
from mlee.monitoring.measurement import SourceEnergy, describe_sources
from mlee.monitoring.process_stats import MAXRSS_LAG_BYTES, MAXRSS_LAG_LIMIT, _read_stat, _status_hwm
from mlee.monitoring.sources.base import EnergySource, WindowContext
from mlee.monitoring.sources.estimate import EstimateSource

BURN_S = 0.03
BURN = "import time\nt=time.process_time()\nwhile time.process_time()-t<{s}: sum(i*i for i in range(1000))\n"


def burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU time."""
    t = time.thread_time()
    while time.thread_time() - t < seconds:
        sum(i * i for i in range(100))


class BurningSource(EnergySource):
    """A source whose every step costs a known amount of CPU, and whose 'background thread' reports some."""

    name = "burning"
    covers = "gpu"  # the meter adds the estimate for the CPU beside it

    def __init__(self) -> None:
        self.background = 0.0

    def begin(self) -> None:
        burn(BURN_S)

    def stop(self, state: Any) -> None:
        burn(BURN_S)

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        burn(BURN_S)
        self.background += BURN_S  # as if a watcher thread had spent that much during the window
        return [SourceEnergy(name="burning", method="burning", device="GPU 0", domain="gpu", energy_j=1.0,
                             estimated=False)]

    def background_cpu_seconds(self) -> float:
        return self.background


def test_self_reported_cost_covers_the_sources_work_and_their_threads_not_the_workloads() -> None:
    meter = Meter(sources=[EstimateSource(), BurningSource()])
    with meter.window() as win:
        pass
    m = win.measurement
    assert 4 * BURN_S <= m.meter_cpu_seconds < 4 * BURN_S + 0.02  # begin + stop + energy + the thread's CPU
    assert m.process.cpu_seconds < BURN_S / 2  # none of it counted as the (empty) workload's CPU
    burned = []
    with meter.window() as win:
        t = time.process_time()
        burn(0.05)
        burned.append(time.process_time() - t)
    assert burned[0] <= win.measurement.process.cpu_seconds < burned[0] + BURN_S / 2
    assert 4 * BURN_S <= win.measurement.meter_cpu_seconds < 4 * BURN_S + 0.02


def _as_constructed(m: Measurement) -> Measurement:
    """``m`` rebuilt field by field through the dataclasses' own constructors."""
    rebuilt = {f.name: getattr(m, f.name) for f in fields(Measurement)}
    rebuilt["sources"] = [SourceEnergy(**{f.name: getattr(s, f.name) for f in fields(SourceEnergy)})
                          for s in m.sources]
    rebuilt["process"] = ProcessStats(**{f.name: getattr(m.process, f.name) for f in fields(ProcessStats)})
    return Measurement(**rebuilt)


def _make_zone(root: Path, zone: str, name: str, value: int) -> None:
    (root / zone).mkdir(parents=True)
    (root / zone / "name").write_text(name + "\n")
    (root / zone / "energy_uj").write_text(f"{value}\n")
    (root / zone / "max_energy_range_uj").write_text("262143328850\n")


@pytest.mark.parametrize("monitor", ["estimate", "rapl"])
def test_records_of_the_lean_path_equal_the_constructed_ones(tmp_path: Path, monitor: str) -> None:
    """Same fields, same flags as a record built through the constructors and the description and quality
    rules: with RAPL on a fake tree whose counters do not move, both zones read 0 J and flag the window."""
    _make_zone(tmp_path, "intel-rapl:0", "package-0", 5_000_000)
    _make_zone(tmp_path, "intel-rapl:0:0", "dram", 7_000_000)
    meter = Meter(monitor=monitor, rapl_root=tmp_path, strict=True, country="DEU")
    for _ in range(2):  # the second window uses the cached description
        with meter.window() as win:
            time.sleep(0.02)
        m = win.measurement
        assert {f.name for f in fields(Measurement)} <= set(vars(m))
        for record, cls in [(m.process, ProcessStats)] + [(s, SourceEnergy) for s in m.sources]:
            assert set(vars(record)) == {f.name for f in fields(cls)}
        assert m == _as_constructed(m) and m.to_dict() == _as_constructed(m).to_dict()
        assert Measurement.from_dict(m.to_dict()) == m
        notes = [n for s in meter.sources for n in getattr(s, "notes", [])]
        assert m.description == describe_sources(m.sources, list(dict.fromkeys(notes)))
        assert m.energy_j == sum(s.energy_j for s in m.sources) and m.monitor == monitor
        assert m.carbon is not None and m.carbon.country == "DEU"
        with pytest.raises(AttributeError):
            m.energy_j = 0.0  # still frozen
    if monitor == "rapl":
        assert m.description == "CPU package 0 + DRAM (RAPL)" and not m.estimated
        assert not m.complete and [s.complete for s in m.sources] == [False, False]
        assert m.quality == [p for s in m.sources for p in s.problems] and all("0 J read" in q for q in m.quality)
        assert m.sources[0].parameters["energy_uj_start"] == m.sources[0].parameters["energy_uj_end"] == 5_000_000
    else:
        assert m.description == "CPU + memory (estimated)" and m.estimated and m.complete and m.quality == []


def _cpu_of(pid: int) -> float:
    stat = _read_stat(pid)
    return stat[1] if stat else 0.0


def _burning_child(seconds: float) -> subprocess.Popen:
    """A child that has already burned ``seconds`` of CPU and goes on burning."""
    child = subprocess.Popen([sys.executable, "-c", BURN.format(s=1000)])
    deadline = time.monotonic() + 30
    while _cpu_of(child.pid) < seconds and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _cpu_of(child.pid) >= seconds
    return child


def test_a_child_started_before_the_window_counts_only_its_cpu_inside_it() -> None:
    meter = Meter(monitor="estimate")
    child = _burning_child(0.5)
    try:
        before = _cpu_of(child.pid)
        with meter.window() as win:
            while _cpu_of(child.pid) < before + 0.2:
                time.sleep(0.02)
        inside = _cpu_of(child.pid) - before
    finally:
        child.kill()
        child.wait()
    p = win.measurement.process
    assert p.n_children >= 1  # (other tests of the session may have left idle children, e.g. worker pools)
    assert inside - 0.05 <= p.cpu_seconds <= inside + 0.1  # not the 0.5 s it had burned before the window


def test_a_child_reaped_inside_the_window_counts_only_its_cpu_inside_it() -> None:
    meter = Meter(monitor="estimate")
    child = _burning_child(0.5)
    with meter.window() as win:
        child.kill()
        child.wait()  # reaped: its lifetime CPU moves into RUSAGE_CHILDREN
    assert win.measurement.process.cpu_seconds < 0.2  # its 0.5 s before the window are not the window's


def test_the_window_sees_its_own_peak_memory() -> None:
    meter = Meter(monitor="estimate")
    with meter.window():
        pass
    size = 200 * 2**20
    with meter.window() as big:
        block = b"\x01" * size  # every page touched
        del block
    hwm = _status_hwm()
    with meter.window() as small:
        pass
    peak_big, peak_small = big.measurement.process.peak_rss_bytes, small.measurement.process.peak_rss_bytes
    assert big.measurement.process.peak_rss_scope == small.measurement.process.peak_rss_scope == "window"
    assert peak_big - peak_small >= size - 20 * 2**20  # the reset at window start works: the next one is lower
    assert hwm is not None and 0 <= hwm - peak_big <= MAXRSS_LAG_BYTES  # what /proc/self/status says
    if MAXRSS_LAG_BYTES <= MAXRSS_LAG_LIMIT:  # here the one getrusage call at window end gives it
        assert meter._process._maxrss_follows_hwm
