"""The real RAPL reader driven over fake powercap trees written by the tests."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlee.monitoring import Measurement, Meter, SourceUnavailable
from mlee.monitoring.sources.rapl import WATCHER, RaplSource, discover_zones
from powercap_support import make_zone

REPO = Path(__file__).resolve().parents[1]
MAX = 262_143_328_850  # a typical max_energy_range_uj


def set_energy(root: Path, zone: str, value: int) -> None:
    (root / zone / "energy_uj").write_text(f"{value}\n")


def let_pass(joules: float) -> None:
    """Wait as long as a zone needs to draw ``joules`` at the reader's 1000 W ceiling: a counter that moves
    faster is a fault, not energy."""
    time.sleep(joules / 1000.0 + 0.005)


@pytest.fixture()
def two_sockets(tmp_path: Path) -> Path:
    """Two packages with DRAM, plus core/uncore/psys zones that must never be counted."""
    root = tmp_path / "powercap"
    root.mkdir()
    (root / "intel-rapl").mkdir()  # the control-type folder, not a zone
    make_zone(root, "intel-rapl:0", "package-0", 1_000_000)
    make_zone(root, "intel-rapl:0:0", "core", 500_000)
    make_zone(root, "intel-rapl:0:1", "uncore", 100_000)
    make_zone(root, "intel-rapl:0:2", "dram", 2_000_000)
    make_zone(root, "intel-rapl:1", "package-1", 3_000_000)
    make_zone(root, "intel-rapl:1:0", "dram", 4_000_000)
    make_zone(root, "intel-rapl:2", "psys", 9_000_000)
    make_zone(root, "intel-rapl-mmio:0", "package-0", 7_000_000)  # MMIO duplicate of package-0: not a zone glob hit
    return root


def test_counts_every_package_and_dram_exactly(two_sockets: Path) -> None:
    source = RaplSource(root=two_sockets)
    assert sorted((z.zone, z.domain) for z in source.zones) == [
        ("intel-rapl:0", "package"), ("intel-rapl:0:2", "dram"), ("intel-rapl:1", "package"),
        ("intel-rapl:1:0", "dram")]
    with Meter(sources=[source]) as meter:
        with meter.window() as win:
            let_pass(12.345678)
            set_energy(two_sockets, "intel-rapl:0", 1_000_000 + 12_345_678)
            set_energy(two_sockets, "intel-rapl:0:2", 2_000_000 + 1_000_001)
            set_energy(two_sockets, "intel-rapl:1", 3_000_000 + 7_654_321)
            set_energy(two_sockets, "intel-rapl:1:0", 4_000_000 + 999_999)
            set_energy(two_sockets, "intel-rapl:0:0", 99_999_999)  # core: ignored
            set_energy(two_sockets, "intel-rapl:2", 99_999_999)    # psys: ignored
    m = win.measurement
    by_device = {s.device: s.energy_j for s in m.sources}
    assert by_device == {"package-0": 12.345678, "dram-0": 1.000001, "package-1": 7.654321, "dram-1": 0.999999}
    assert m.energy_j == pytest.approx(12.345678 + 1.000001 + 7.654321 + 0.999999, abs=1e-12)
    assert m.estimated is False
    assert m.description == "CPU packages 0, 1 + DRAM (RAPL)"
    assert all(s.path and s.path.endswith("energy_uj") and s.method == "rapl" for s in m.sources)
    assert m.mean_power_w == pytest.approx(m.energy_j / m.duration_s)


def test_wraparound_during_window(two_sockets: Path) -> None:
    set_energy(two_sockets, "intel-rapl:0", MAX - 1_000)
    source = RaplSource(root=two_sockets)
    state = source.begin()
    set_energy(two_sockets, "intel-rapl:0", 5_000)  # wrapped once
    end = source.stop(state)
    parts = {p.device: p for p in source.energy(state, end, _ctx())}
    assert parts["package-0"].energy_j == (5_000 + MAX - (MAX - 1_000)) / 1e6
    assert parts["package-0"].parameters["wraparounds"] == 1
    assert parts["package-1"].energy_j == 0.0
    source.close()


def test_watcher_folds_several_wraps_in_a_long_window(two_sockets: Path) -> None:
    small = 1_000_000
    root = two_sockets.parent / "small"
    make_zone(root, "intel-rapl:0", "package-0", 900_000, max_uj=small)
    source = RaplSource(root=root, watch_interval_s=0.01)
    state = source.begin()
    expected = 0
    last = 900_000
    for value in (100_000, 800_000, 50_000, 600_000):  # three wraps, each seen by the watcher
        reads = source.watch_reads
        set_energy(root, "intel-rapl:0", value)
        expected += value - last if value >= last else value + small - last
        last = value
        deadline = time.monotonic() + 5
        while source.watch_reads < reads + 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert source.watch_reads >= reads + 2, "wraparound watcher did not run"
    end = source.stop(state)
    (part,) = source.energy(state, end, _ctx())
    assert part.energy_j == expected / 1e6
    assert part.parameters["wraparounds"] == 2  # 900k -> 100k and 800k -> 50k
    source.close()


def test_watcher_does_not_wake_in_short_windows_and_stops_at_once(two_sockets: Path) -> None:
    source = RaplSource(root=two_sockets)
    assert source.watch_interval_s == 60.0  # 262 kJ / 1000 W / 2 = 131 s, capped at 60 s
    t0 = time.perf_counter()
    for _ in range(20):
        source.stop(source.begin())
    assert source.watch_reads == 0
    state = source.begin()  # close() while a window is open and the watcher sleeps 60 s
    assert WATCHER.watching(source)
    source.close()
    assert not WATCHER.watching(source)
    assert time.perf_counter() - t0 < 5  # a 60 s watcher must stop instantly, not after its interval
    assert state is not None


def test_missing_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(SourceUnavailable, match="does not exist"):
        RaplSource(root=tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceUnavailable, match="no RAPL zones"):
        RaplSource(root=tmp_path / "empty")
    root = tmp_path / "partial"
    make_zone(root, "intel-rapl:0", "package-0", 10)
    make_zone(root, "intel-rapl:1", "package-1", None)          # no energy_uj
    make_zone(root, "intel-rapl:2", "package-2", 10, max_uj=None)  # no max range: wrap cannot be handled
    with caplog.at_level(logging.WARNING):
        zones, notes = discover_zones(root)
    assert [z.zone for z in zones] == ["intel-rapl:0"]
    assert any("intel-rapl:1" in n and "no energy_uj" in n for n in notes)
    assert any("intel-rapl:2" in n and "max_energy_range_uj" in n for n in notes)
    assert "no RAPL DRAM counter: memory energy not included" in notes
    source = RaplSource(root=root)
    with Meter(sources=[source]) as meter, meter.window() as win:
        let_pass(2.0)
        set_energy(root, "intel-rapl:0", 2_000_010)
    assert win.measurement.energy_j == 2.0
    assert "memory energy not included" in win.measurement.description


UNREADABLE_SCRIPT = """
import sys
from pathlib import Path
from mlee.monitoring import SourceUnavailable, Meter
from mlee.monitoring.sources.rapl import RaplSource
root = Path(sys.argv[1])
try:
    RaplSource(root=root)
except SourceUnavailable as exc:
    print("UNAVAILABLE", exc)
meter = Meter(monitor="rapl", rapl_root=root, cpu_tdp_w=100)
with meter.window() as win:
    sum(i * i for i in range(100000))
print("FALLBACK", win.measurement.estimated, win.measurement.description)
"""


def test_unreadable_counters_say_how_to_fix_and_fall_back(two_sockets: Path) -> None:
    for f in two_sockets.glob("intel-rapl:*/energy_uj"):
        f.chmod(0o000)  # not readable by this user (real sysfs: 0400 root since Linux 5.10)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-c", UNREADABLE_SCRIPT, str(two_sockets)]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that bypass file permissions
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        drop = "-dac_override,-dac_read_search"
        cmd = [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/tmp", timeout=60)
    assert out.returncode == 0, out.stderr
    assert "UNAVAILABLE rapl: RAPL counters exist but are not readable" in out.stdout
    assert "chmod a+r" in out.stdout and "udev" in out.stdout and "docker run -v" in out.stdout
    assert "FALLBACK True CPU + memory (estimated)" in out.stdout
    assert "energy source 'rapl' unavailable" in out.stderr  # one warning, with the fix
    assert out.stderr.count("unavailable") == 1


def test_auto_prefers_rapl_and_round_trips(two_sockets: Path) -> None:
    with Meter(monitor="auto", rapl_root=two_sockets, nvml=_NoNvml(), country="FRA", pue=1.4) as meter:
        with meter.window() as win:
            let_pass(3.6)
            set_energy(two_sockets, "intel-rapl:0", 1_000_000 + 3_600_000)
    m = win.measurement
    assert [s.name for s in meter.sources] == ["rapl"]
    assert m.energy_j == 3.6 and not m.estimated
    assert m.carbon is not None and m.carbon.pue == 1.4
    assert m.carbon.grams_co2e == pytest.approx(3.6 / 3.6e6 * 1.4 * m.carbon.intensity_g_per_kwh)
    back = Measurement.from_dict(json.loads(json.dumps(m.to_dict())))
    assert back == m


class _NoNvml:
    """An NVML whose init fails like on a machine without the driver."""

    class NVMLError(Exception):
        pass

    def nvmlInit(self) -> None:
        raise self.NVMLError("NVML Shared Library Not Found")


def _ctx():
    from mlee.monitoring import WindowContext
    from mlee.monitoring.measurement import ProcessStats
    return WindowContext(0.0, 1.0, 1.0, ProcessStats(cpu_seconds=0.0, peak_rss_bytes=0, cpu_utilisation=0.0))
