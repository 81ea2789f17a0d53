"""Powercap layouts the RAPL reader meets in the field: broken counter ranges, zones that appear after the meter
opened, DRAM zones under mirrored AMD die zones."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from mlee.monitoring import Meter
from mlee.monitoring.sources.rapl import RaplSource
from powercap_support import CounterWriter, make_zone, set_energy


@pytest.mark.parametrize("bad_range", [0, -5_000_000])
def test_a_zone_with_a_broken_counter_range_is_one_logged_fault(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                bad_range: int) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000)
    make_zone(root, "intel-rapl:1", "package-1", 1_000, max_uj=bad_range)
    with caplog.at_level(logging.WARNING):
        # 2 W: far below the 1000 W ceiling, so that the writing process may lag without a change looking too fast
        with CounterWriter(root, {"intel-rapl:0": {"power_w": 2.0}, "intel-rapl:1": {"power_w": 2.0}}):
            source = RaplSource(root=root, watch_interval_s=0.001)  # the 1 ms watcher of the audit
            with Meter(sources=[source]) as meter:
                for _ in range(3):
                    with meter.window() as win:
                        time.sleep(0.2)
    m = win.measurement
    counted, broken = m.sources
    assert counted.device == "package-0" and counted.complete
    assert counted.energy_j == pytest.approx(2.0 * m.duration_s, rel=0.25)  # the writer may lag on a loaded machine
    assert broken.device == "package-1" and broken.energy_j == 0.0 and not broken.complete
    assert broken.method == "rapl-not-counted" and broken.parameters["max_energy_range_uj"] == bad_range
    (problem,) = m.quality
    assert f"max_energy_range_uj is {bad_range}" in problem and "not counted" in problem
    assert not m.complete and "not counted" in m.description
    assert not [r for r in caplog.records if r.exc_info]  # no traceback (the old reader: ZeroDivisionError)
    assert len([r for r in caplog.records if "max_energy_range_uj is" in r.getMessage()]) == 1


def test_a_zone_that_appears_between_windows_is_counted_from_the_next(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000)
    source = RaplSource(root=root)
    with Meter(sources=[source]) as meter:
        with meter.window():
            pass
        make_zone(root, "intel-rapl:1", "package-1", 5_000)  # the second socket's zone shows up late
        with meter.window() as win:
            time.sleep(0.02)
            set_energy(root, "intel-rapl:0", 1_000 + 4_000_000)
            set_energy(root, "intel-rapl:1", 5_000 + 6_000_000)
    m = win.measurement
    assert {s.device: s.energy_j for s in m.sources} == {"package-0": 4.0, "package-1": 6.0}
    assert m.complete and m.description.startswith("CPU packages 0, 1 (RAPL)")


def test_a_zone_that_appears_during_a_window_is_flagged_in_it(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000)
    source = RaplSource(root=root, watch_interval_s=0.005)
    with Meter(sources=[source]) as meter:
        with meter.window() as during:
            make_zone(root, "intel-rapl:1", "package-1", 5_000)
            time.sleep(0.05)
        with meter.window() as after:
            time.sleep(0.02)  # with the 5 ms watcher a step can follow a read closely: less than 1 ms at 1000 W
            set_energy(root, "intel-rapl:0", 1_000 + 300_000)
            set_energy(root, "intel-rapl:1", 5_000 + 600_000)
    assert not during.measurement.complete
    assert any("intel-rapl:1 (package-1): a RAPL zone that appeared while the window was open" in q
               for q in during.measurement.quality)
    assert after.measurement.complete
    assert {s.device: s.energy_j for s in after.measurement.sources} == {"package-0": 0.3, "package-1": 0.6}


def test_dram_zones_under_mirrored_dies_are_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    for die in range(2):  # one socket, two die zones mirroring its counter, a DRAM zone under each mirroring too
        make_zone(root, f"intel-rapl:{die}", f"package-0-die-{die}", 10_000_000)
        make_zone(root, f"intel-rapl:{die}:0", "dram", 3_000_000)
    source = RaplSource(root=root)
    with Meter(sources=[source]) as meter, meter.window() as win:
        time.sleep(0.05)
        for die in range(2):
            set_energy(root, f"intel-rapl:{die}", 10_000_000 + 30_000_000)
            set_energy(root, f"intel-rapl:{die}:0", 3_000_000 + 6_000_000)
    m = win.measurement
    assert {s.device: s.energy_j for s in m.sources} == {"package-0": 30.0, "dram-0": 6.0}  # not 72 J
    dram = next(s for s in m.sources if s.domain == "dram")
    assert dram.parameters["mirrored_zones_not_counted"] == ["intel-rapl:1:0 (dram)"]
    assert any("intel-rapl:1:0 (dram) mirrors intel-rapl:0:0 (dram)" in n for n in m.notes)


def test_separate_dram_counters_under_mirrored_dies_are_both_counted(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    for die in range(2):
        make_zone(root, f"intel-rapl:{die}", f"package-0-die-{die}", 10_000_000)
        make_zone(root, f"intel-rapl:{die}:0", "dram", 3_000_000 + 1_000 * die)  # their own counters
    source = RaplSource(root=root)
    assert sorted(z.zone for z in source.zones) == ["intel-rapl:0", "intel-rapl:0:0", "intel-rapl:1:0"]
    assert {z.device for z in source.zones if z.domain == "dram"} == {"dram-0"}  # both on socket 0
    source.close()
