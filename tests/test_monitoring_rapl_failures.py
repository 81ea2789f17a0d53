"""RAPL failure modes (issue 15, cases 1-5) driven through the real reader on fake powercap trees.

Each test reproduces one case of the audit: the old reader lost wraps or energy in it without a word; the
reader now counts what can be counted and says in the measurement what was not read cleanly.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import time
from pathlib import Path

import pytest

from mlee.monitoring import Measurement, Meter
from mlee.monitoring.sources.rapl import RaplSource
from powercap_support import CounterWriter

SMALL = 1_000_000  # a 1 J counter range: wraps are easy to provoke


def make_zone(root: Path, zone: str, name: str, energy_uj: int, max_uj: int = SMALL) -> None:
    d = root / zone
    d.mkdir(parents=True)
    (d / "name").write_text(name + "\n")
    (d / "energy_uj").write_text(f"{energy_uj}\n")
    (d / "max_energy_range_uj").write_text(f"{max_uj}\n")


def set_energy(root: Path, zone: str, value: int | str) -> None:
    tmp = root / zone / ".energy_uj.tmp"
    tmp.write_text(f"{value}\n")
    os.replace(tmp, root / zone / "energy_uj")  # atomic, like the kernel's file: a reader sees old or new


def wait_reads(source: RaplSource, n: int = 2) -> None:
    """Block until the watcher has folded the counters in ``n`` more times."""
    target = source.watch_reads + n
    deadline = time.monotonic() + 5
    while source.watch_reads < target and time.monotonic() < deadline:
        time.sleep(0.002)
    assert source.watch_reads >= target, "the wraparound watcher did not run"


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 100_000)
    make_zone(root, "intel-rapl:0:0", "dram", 200_000)
    make_zone(root, "intel-rapl:1", "package-1", 300_000)
    return root


def _source(root: Path) -> RaplSource:
    # wrap time 1 J / 0.05 W = 20 s: every gap in these tests is far shorter, so no wrap can hide in one
    return RaplSource(root=root, max_power_w=0.05, watch_interval_s=0.005)


def _wrapping(root: Path, powers: dict[str, float], **events: list) -> CounterWriter:
    """Counters of a 30 J range moving at ``powers`` (W) in a separate process."""
    return CounterWriter(root, {zone: {"power_w": p, "range_uj": RANGE, "events": events.get(zone.replace(
        "intel-rapl:", "z").replace(":", "_"), [])} for zone, p in powers.items()})


RANGE = 30_000_000  # a 30 J counter range: the zones wrap every 3-5 s
POWERS = {"intel-rapl:0": 8.0, "intel-rapl:0:0": 6.0, "intel-rapl:1": 10.0}


def _wrapping_source(root: Path) -> RaplSource:
    # 100 W ceiling: wrap time 30 J / 100 W = 0.3 s, so that a loaded machine may delay the watcher's reads (every
    # 20 ms) by 0.28 s; ten times the zones' power, so that the writing process may lag by 0.19 s without a change
    # looking faster than a zone can draw
    return RaplSource(root=root, max_power_w=100.0, watch_interval_s=0.02)


def test_case1_unreadable_zone_is_isolated_and_flagged(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    for zone, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram"), ("intel-rapl:1", "package-1")):
        make_zone(root, zone, name, 0, max_uj=RANGE)
    with _wrapping(root, POWERS, z0=[(1.0, "hide", 1.15)]) as writer:  # package-0 vanishes for 0.15 s
        source = _wrapping_source(root)
        with Meter(sources=[source]) as meter, meter.window() as win:
            time.sleep(3.5 - writer.elapsed())  # intel-rapl:1 wraps meanwhile, each wrap seen by the watcher
    m = win.measurement
    by_zone = {s.parameters["zone"]: s for s in m.sources}
    for zone, power in POWERS.items():  # every zone whole: the failing one across its gap, the others' wraps
        assert by_zone[zone].energy_j == pytest.approx(power * m.duration_s, rel=0.03), m.quality
    assert by_zone["intel-rapl:1"].parameters["wraparounds"] >= 1 and by_zone["intel-rapl:1"].complete
    assert by_zone["intel-rapl:0:0"].complete
    assert not by_zone["intel-rapl:0"].complete
    assert m.complete is False
    assert any("intel-rapl:0 (package-0): read failed (FileNotFoundError" in q for q in m.quality)
    again = Measurement.from_dict(m.to_dict())
    assert again.complete is False and again.quality == m.quality


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_case1_permission_lost_mid_window(tree: Path) -> None:  # pragma: no cover - CI runs as root
    source = _source(tree)
    with Meter(sources=[source]) as meter, meter.window() as win:
        os.chmod(tree / "intel-rapl:1" / "energy_uj", 0)
        wait_reads(source)
        os.chmod(tree / "intel-rapl:1" / "energy_uj", 0o644)
    assert not win.measurement.complete
    assert any("PermissionError" in q for q in win.measurement.quality)


def test_case2_unparsable_read_never_kills_the_watcher(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 0, max_uj=RANGE)
    with _wrapping(root, {"intel-rapl:0": 10.0}, z0=[(1.0, "garbage", 1.1)]) as writer:  # an empty read
        source = _wrapping_source(root)
        with Meter(sources=[source]) as meter:
            with meter.window() as first:
                assert writer.elapsed() < 1.0
                time.sleep(1.3 - writer.elapsed())
            assert not first.measurement.complete
            assert any("read failed (ValueError" in q for q in first.measurement.quality)
            with meter.window() as second:
                time.sleep(3.3)  # a wrap that only a living watcher can count
    m = second.measurement
    (package,) = m.sources
    assert package.energy_j == pytest.approx(10.0 * m.duration_s, rel=0.03)
    assert package.parameters["wraparounds"] >= 1
    assert package.complete and package.problems == []


def _hold_gil(seconds: float) -> None:
    """A C call that keeps the interpreter lock, like a long numpy/sklearn routine that does not release it."""
    ctypes.PyDLL(None).usleep(ctypes.c_uint(int(seconds * 1e6)))


def test_case3_wraps_hidden_by_a_call_holding_the_gil_are_recovered_and_flagged(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    range_uj, power_w = 5_000_000, 10.0  # the counter wraps every 0.5 s
    make_zone(root, "intel-rapl:0", "package-0", 0, max_uj=range_uj)
    with CounterWriter(root, {"intel-rapl:0": {"power_w": power_w, "range_uj": range_uj}}):
        # a 40 W ceiling: wrap time 0.125 s, watcher every 0.0625 s; four times the zone's power, so that the
        # writing process may lag by 0.19 s without a change looking faster than a zone can draw
        source = RaplSource(root=root, max_power_w=40.0)
        with Meter(sources=[source]) as meter, meter.window() as win:
            time.sleep(1.0)  # the watcher reads cleanly: the power it recovers wraps from
            _hold_gil(1.6)    # three wraps pass while no Python thread can run
            time.sleep(0.4)
    m = win.measurement
    exact = power_w * m.duration_s
    assert m.energy_j == pytest.approx(exact, rel=0.03)  # the old reader: about 10 J (two wraps) short
    assert m.complete is False
    (problem,) = m.quality
    gap = float(re.search(r"not read for ([0-9.]+) s", problem).group(1))
    assert gap >= 1.6  # the watcher did not run during the call: the GIL was held
    assert "assumed from its cleanly read mean power" in problem


def test_case3_without_a_clean_interval_the_gap_is_flagged(tree: Path) -> None:
    source = RaplSource(root=tree, max_power_w=1000.0, watch_interval_s=60)  # wrap time 1 ms
    state = source.begin()
    time.sleep(0.01)
    end = source.stop(state)
    parts = source.energy(state, end, None)  # type: ignore[arg-type]
    assert all(not p.complete and "none counted" in p.problems[0] for p in parts)
    source.close()


def test_case4_watcher_disarmed_after_a_failed_window(tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = _source(tree)
    with caplog.at_level(logging.WARNING, logger="mlee.monitoring.sources.rapl"):
        with Meter(sources=[source]) as meter:
            with meter.window() as win:
                wait_reads(source)
                os.remove(tree / "intel-rapl:1" / "energy_uj")
                wait_reads(source, 5)
            assert any("unreadable at window end" in q for q in win.measurement.quality)
            reads = source.watch_reads
            time.sleep(0.3)  # 60 watcher intervals with no window open
            assert source.watch_reads == reads
    assert len([r for r in caplog.records if "intel-rapl:1" in r.getMessage()]) == 1


def test_case5_mirrored_amd_dies_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    for i in range(4):  # a two-socket Zen 2 EPYC: two die zones per socket, each mirroring its socket counter
        make_zone(root, f"intel-rapl:{i}", f"package-{i // 2}-die-{i % 2}", 5_000_000 * (1 + i // 2),
                  max_uj=65_532_610_987)
    source = RaplSource(root=root)
    with Meter(sources=[source]) as meter, meter.window() as win:
        time.sleep(0.15)  # 136 J at the reader's 1000 W ceiling: a faster counter would be a fault
        for i in range(4):
            set_energy(root, f"intel-rapl:{i}", 5_000_000 * (1 + i // 2) + 68_000_000 * (1 + i // 2))
    m = win.measurement
    assert {s.device: s.energy_j for s in m.sources} == {"package-0": 68.0, "package-1": 136.0}
    assert m.energy_j == 204.0  # not 408 J
    assert m.sources[0].parameters["mirrored_zones_not_counted"] == ["intel-rapl:1 (package-0-die-1)"]
    assert any("intel-rapl:1 (package-0-die-1) mirrors intel-rapl:0 (package-0-die-0)" in n for n in m.notes)
    assert "mirrors" in m.description


def test_case5_separate_die_counters_are_all_counted(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0-die-0", 1_000_000, max_uj=10**12)
    make_zone(root, "intel-rapl:1", "package-0-die-1", 7_000_000, max_uj=10**12)  # its own counter
    source = RaplSource(root=root)
    assert [z.device for z in source.zones] == ["package-0-die-0", "package-0-die-1"]
    source.close()
