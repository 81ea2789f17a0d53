"""RAPL counters that step back or restart (a driver reload, a firmware glitch) are faults to flag, never wraps
counted as hundreds of kilojoules; the fault reaches every place the energy is shown."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from mlee.monitoring import Meter
from mlee.monitoring.sources.rapl import RaplSource
from powercap_support import CounterWriter, make_zone

POWER_W = 33.0


def _window_over(root: Path, events: list, seconds: float = 1.2):
    make_zone(root, "intel-rapl:0", "package-0", 0)
    with CounterWriter(root, {"intel-rapl:0": {"power_w": POWER_W, "base": 10**9, "events": events}}):
        with Meter(sources=[RaplSource(root=root, watch_interval_s=0.01)]) as meter, meter.window() as win:
            time.sleep(seconds)
    return win.measurement


@pytest.mark.parametrize("event, fault", [((0.8, "step", -200_000_000), "went back"),
                                          ((0.8, "restart", 0), "went back"),
                                          ((0.8, "step", 200_000_000), "jumped")])
def test_a_counter_step_or_restart_is_a_flagged_fault_not_energy(tmp_path: Path, event: tuple, fault: str) -> None:
    m = _window_over(tmp_path / "powercap", [event])
    (part,) = m.sources
    # not 262 kJ, not 112 kJ: a lower bound missing only the interval around the fault (two reads of the 10 ms
    # watcher apart; a loaded machine may delay a read by a few tenths of a second)
    assert POWER_W * (m.duration_s - 0.3) <= part.energy_j <= POWER_W * m.duration_s * 1.01
    assert part.parameters["counter_faults"] == 1 and part.parameters["wraparounds"] == 0
    assert m.complete is False and part.complete is False
    (problem,) = m.quality
    assert "counter fault" in problem and fault in problem and "not counted" in problem


def test_a_real_wrap_is_still_counted(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 0, max_uj=100_000_000)  # 100 J: wraps every 3 s at 33 W
    with CounterWriter(root, {"intel-rapl:0": {"power_w": POWER_W, "range_uj": 100_000_000}}):
        # a 330 W ceiling: wrap time 0.3 s, a margin for delayed reads (every 20 ms) and for the writer's lags
        source = RaplSource(root=root, max_power_w=330.0, watch_interval_s=0.02)
        with Meter(sources=[source]) as meter, meter.window() as win:
            time.sleep(3.3)
    (part,) = win.measurement.sources
    assert part.parameters["wraparounds"] >= 1 and part.complete, part.problems
    assert part.energy_j == pytest.approx(POWER_W * win.measurement.duration_s, rel=0.05)


def test_a_restarting_counter_never_reaches_a_label_as_phantom_watt_hours(tmp_path: Path) -> None:
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import run_sweep
    from mlee.label.content import label_content
    from mlee.merge import merge_directory
    from mlee.rating import RatingSettings, rate, summarise
    from mlee.results import aggregate_runs, load_results

    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 0)
    # a glitching counter: 10 J back every 10 ms from the start, so that any window longer than a few steps
    # (training takes > 50 ms) holds some, however soon the fit starts and however busy the writer's CPU is
    steps = [(0.05 + 0.01 * i, "step", -10_000_000) for i in range(4000)]
    logs, out = tmp_path / "logs", tmp_path / "results"
    with CounterWriter(root, {"intel-rapl:0": {"power_w": POWER_W, "base": 10**11, "events": steps}}):
        with Meter(sources=[RaplSource(root=root)]) as meter:
            outcomes = run_sweep([("iris", "Random Forest")], RunSettings(output_dir=logs, hyperparameters="default"),
                                 meter, progress=False)
    assert [o.error for o in outcomes] == [None]
    merge_directory(logs, out)
    runs = load_results(out)
    training = runs[runs["task"] == "training"].iloc[0]
    assert training["time"] > 0.05
    assert not training["power_draw"] > 1.05 * POWER_W * training["time"]  # the old reader: 262 kJ per step
    assert not training["energy_complete"] and "counter fault" in training["energy_quality"]
    rated = rate(aggregate_runs(runs), RatingSettings.default())
    summary = summarise(rated, RatingSettings.default(), dataset="iris", task="training",
                        environment=training["environment"], model="Random Forest")
    assert "counter fault" in summary.energy_quality  # what ELEx's info rows and the paper's footnote show
    content = label_content(summary, datetime.date(2026, 1, 1))
    assert content.tiles[0].title == "Energy (incomplete)" and "counter fault" in content.energy_sources
    assert " Wh" not in " ".join(line.value for tile in content.tiles[:1] for line in tile.lines)
