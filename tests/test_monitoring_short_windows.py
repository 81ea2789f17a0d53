"""Windows shorter than a counter's resolution (issue 15, case 6): repeated until measurable, and every
consumer robust to energies that could not be measured (0 J read)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlee.monitoring import Measurement, Meter
from mlee.monitoring.sources.nvml import NvmlSource
from mlee.monitoring.sources.rapl import RaplSource

ROOT = Path(__file__).resolve().parents[1]


class SteppedNvml:
    """One GPU at a constant ``power_w`` whose energy counter, like NVML's, moves only every ``step_s``."""

    def __init__(self, power_w: float = 250.0, step_s: float = 0.1) -> None:
        self.power_w, self.step_s, self.t0 = power_w, step_s, time.perf_counter()

    def nvmlInit(self) -> None: ...
    def nvmlShutdown(self) -> None: ...
    def nvmlSystemGetDriverVersion(self) -> str: return "999.1"
    def nvmlDeviceGetCount(self) -> int: return 1
    def nvmlDeviceGetHandleByIndex(self, i: int) -> int: return i
    def nvmlDeviceGetName(self, h: int) -> str: return "NVIDIA Fake"
    def nvmlDeviceGetUUID(self, h: int) -> str: return "GPU-fake"

    def nvmlDeviceGetTotalEnergyConsumption(self, h: int) -> int:
        updates = int((time.perf_counter() - self.t0) / self.step_s)
        return int(updates * self.step_s * self.power_w * 1e3)  # mJ at the last update


def spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_short_prediction_repeated_until_the_nvml_counter_resolves_it() -> None:
    fake = SteppedNvml()
    with Meter(sources=[NvmlSource(nvml=fake)]) as meter:
        assert meter.min_window_s == pytest.approx(1.0)  # 10 updates of a 100 ms counter
        once = meter.measure(lambda: spin(0.002))[1]
        result, m = meter.measure_repeated(lambda: spin(0.002) or "y")
    # one 2 ms call reads 0 J (or a whole 25 J step): meaningless either way
    assert once.energy_j in (0.0, 25.0)
    assert result == "y" and m.repetitions > 100 and m.window_duration_s >= 1.0
    assert m.duration_s == pytest.approx(m.window_duration_s / m.repetitions)
    assert m.energy_j == pytest.approx(fake.power_w * m.duration_s, rel=0.15)  # per call, within 1.5 counter steps
    assert m.window_energy_j == pytest.approx(m.energy_j * m.repetitions)
    again = Measurement.from_dict(m.to_dict())
    assert (again.repetitions, again.window_energy_j) == (m.repetitions, m.window_energy_j)


def test_zero_reading_is_flagged_not_measurable(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    (root / "intel-rapl:0").mkdir(parents=True)
    (root / "intel-rapl:0" / "name").write_text("package-0\n")
    (root / "intel-rapl:0" / "energy_uj").write_text("5000\n")  # a counter that never moves in the window
    (root / "intel-rapl:0" / "max_energy_range_uj").write_text("262143328850\n")
    with Meter(sources=[RaplSource(root=root)]) as meter:
        assert meter.min_window_s == pytest.approx(0.01)
        _, m = meter.measure_repeated(lambda: None, max_repetitions=50)
    assert m.energy_j == 0.0 and m.complete is False
    assert any("0 J read" in q and "not measurable" in q for q in m.quality)
    assert any("max_repetitions reached" in q for q in m.quality)


def test_zero_energy_runs_through_every_consumer(tmp_path: Path) -> None:
    """iris GNB/LR predictions on a counter that reads 0 J: merge, table, rating, ELEx, label and paper all
    say "not measurable" (the old code: energy index infinite, paper OverflowError, silent E ratings)."""
    from mlee.elex.callbacks import energy_note
    from mlee.elex.figures import _hover
    from mlee.elex.tables import info_rows, metric_rows
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import run_sweep
    from mlee.label import render_label
    from mlee.label.content import label_content
    from mlee.merge import merge_directory
    from mlee.metrics import METRICS_BY_KEY
    from mlee.paper.tables import best_models_tex
    from mlee.rating import RatingSettings, rate, summarise
    from mlee.results import aggregate_runs, load_results

    root = tmp_path / "powercap"
    (root / "intel-rapl:0").mkdir(parents=True)
    (root / "intel-rapl:0" / "name").write_text("package-0\n")
    (root / "intel-rapl:0" / "energy_uj").write_text("5000\n")
    (root / "intel-rapl:0" / "max_energy_range_uj").write_text("262143328850\n")
    logs, out = tmp_path / "logs", tmp_path / "results"
    with Meter(sources=[RaplSource(root=root)]) as meter:
        outcomes = run_sweep([("iris", "Gaussian Naive Bayes"), ("iris", "Logistic Regression")],
                             RunSettings(output_dir=logs, hyperparameters="default"), meter, progress=False)
    assert [o.error for o in outcomes] == [None, None]
    merge_directory(logs, out)
    runs = load_results(out)
    assert runs["power_draw"].isna().all() and not runs["energy_complete"].any()
    assert all("not measurable" in q for q in runs["energy_quality"])
    rated = rate(aggregate_runs(runs), RatingSettings.default())
    assert rated["power_draw_index"].isna().all() and rated["power_draw_rating"].isna().all()
    assert rated["compound_rating"].notna().all()  # the other metrics still rate
    # GNB measured properly, the reference (LR) read 0 J: GNB is not rated E against "0 J", and a warning says why
    import json
    for path in out.rglob("infer_*.json"):
        record = json.loads(path.read_text())
        if record["config"]["model"] == "Gaussian Naive Bayes":
            record["validation"]["measurement"].update(energy_j=1.0, complete=True, quality=[])
            path.write_text(json.dumps(record))
    mixed = rate(aggregate_runs(load_results(out)), RatingSettings.default())
    gnb = mixed[(mixed["task"] == "inference") & (mixed["model"] == "Gaussian Naive Bayes")].iloc[0]
    assert gnb["power_draw"] == 1.0 and gnb["power_draw_rating"] != gnb["power_draw_rating"]  # NaN, not E
    assert any("reference 'Logistic Regression' has no power_draw value" in w for w in mixed.attrs["warnings"])
    inference = rated[rated["task"] == "inference"]
    summary = summarise(rated, RatingSettings.default(), dataset="iris", task="inference",
                        environment=inference["environment"].iloc[0], model="Gaussian Naive Bayes")
    energy_row = next(r for r in metric_rows(summary) if r["key"] == "power_draw")
    assert energy_row["value"] == "n.a." and energy_row["index"] == "n.a." and energy_row["rating"] is None
    assert "INCOMPLETE" in dict(info_rows(summary))["Energy source"]
    hover = _hover(inference.iloc[0], METRICS_BY_KEY["power_draw"], METRICS_BY_KEY["f1_val"])
    assert "Energy INCOMPLETE" in hover and "n.a." in hover
    assert "not read cleanly" in energy_note(inference)
    content = label_content(summary, __import__("datetime").date(2026, 1, 1))
    assert content.tiles[0].title == "Energy (incomplete)" and "not measurable" in content.energy_sources
    assert render_label(summary, "pdf").startswith(b"%PDF")
    tex = best_models_tex(inference.assign(dataset_display="Iris", model_short=inference["model"]))
    assert r"$^\ddagger$" in tex and "not measurable" in tex
    # the infer results say how many calls the window held, per-call duration
    infer_dir = next(o.infer_dir for o in outcomes)
    results = json.loads((infer_dir / "results.json").read_text())
    measurement = json.loads((infer_dir / "measurement.json").read_text())
    assert results["repetitions"] == measurement["repetitions"] > 1
    assert results["duration"] == pytest.approx(measurement["duration_s"])
    assert measurement["window_duration_s"] >= 0.01


def test_a_window_below_the_counters_minimum_says_so(tmp_path: Path) -> None:
    """A 2 ms window on a counter updating every 1 ms is off by up to half a reading: flagged, even when it read
    a plausible, non-zero energy; a window of 10 updates or more is not."""
    from mlee.results.energy import phase_energy
    from powercap_support import make_zone, set_energy

    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 0)
    counter = [0]

    def work(seconds: float) -> None:  # a call that draws 0.5 W, its counter stepped by the test
        spin(seconds)
        counter[0] += int(0.5 * seconds * 1e6)
        set_energy(root, "intel-rapl:0", counter[0])

    with Meter(sources=[RaplSource(root=root)]) as meter:
        assert meter.min_window_s == pytest.approx(0.01)
        _, short = meter.measure(work, 0.002)
        _, long = meter.measure(work, 0.03)
        _, repeated = meter.measure_repeated(lambda: work(0.002))
    assert not short.complete and short.energy_j == pytest.approx(0.001)
    (problem,) = short.quality
    assert "below minimum window of 0.01 s" in problem and "package-0" in problem
    assert long.complete and long.quality == []
    assert repeated.complete and repeated.repetitions > 1  # a prediction is repeated until the window is long enough
    shown = phase_energy({"measurement": short.to_dict()})  # what the table, ELEx, the label and the paper show
    assert shown.complete is False and "below minimum window" in shown.quality
    assert shown.energy_j == short.energy_j


def test_an_nvml_window_below_one_second_says_so() -> None:
    with Meter(sources=[NvmlSource(nvml=SteppedNvml())]) as meter:
        assert meter.min_window_s == pytest.approx(1.0)
        with meter.window() as win:
            time.sleep(0.02)  # 20 ms on a counter updating every 100 ms
    (problem,) = win.measurement.quality
    assert not win.measurement.complete and "below minimum window of 1 s" in problem
