"""How sure a number and a letter are: 95 % intervals of values, stability and range of letters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlee.metrics import METRICS
from mlee.rating import RatingSettings, compound_ratings, rate
from mlee.rating.stability import compound_stability, letter_probabilities
from mlee.results import aggregate_runs
from mlee.results.intervals import add_intervals

ENV = "Test CPU - Scikit-learn 1.9"


def _runs(values: dict[str, list[dict[str, float]]], estimated: bool = False,
          sources: str = "CPU package 0 + DRAM (RAPL)") -> pd.DataFrame:
    """A run table as load_results returns it: model -> one dict of metric values per run."""
    rows = []
    for model, runs in values.items():
        for i, run in enumerate(runs):
            row = {"dataset": "iris", "task": "inference", "environment": ENV, "model": model, "run": f"r{i}",
                   "run_id": f"{model}-{i}", "file": f"{model}-{i}.json", "energy_estimated": estimated,
                   "energy_sources": sources, "energy_complete": True, "energy_quality": "",
                   "dataset_display": "Iris", "n_test_samples": 30.0}
            for metric in METRICS:
                row[metric.key] = run.get(metric.key, np.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def test_interval_of_three_repeats_is_the_hand_computed_t_interval():
    table = add_intervals(aggregate_runs(_runs({"LR": [{"time": 10.0}, {"time": 12.0}, {"time": 14.0}]})))
    # mean 12 s, s = 2 s, n = 3: t(0.975, 2) = 4.302653; half-width in log space 4.302653 * 2 / sqrt(3) / 12
    # = 0.414038; 12 * exp(-0.414038) = 7.9317, 12 * exp(0.414038) = 18.1549
    assert table.loc[0, "time_low"] == pytest.approx(7.9317, abs=1e-3)
    assert table.loc[0, "time_high"] == pytest.approx(18.1549, abs=1e-3)


def test_one_run_has_no_spread_and_counted_values_none():
    table = add_intervals(aggregate_runs(_runs({"LR": [{"time": 3.0, "parameters": 40.0, "f1_val": 0.9}]})))
    for key, value in (("time", 3.0), ("parameters", 40.0), ("f1_val", 0.9)):
        assert table.loc[0, f"{key}_low"] == table.loc[0, f"{key}_high"] == value


def test_estimated_energy_carries_the_estimate_band_by_hand():
    runs = _runs({"LR": [{"power_draw": 10.0, "time": 1.0}]}, estimated=True, sources="CPU + memory (estimated)")
    table = add_intervals(aggregate_runs(runs))
    # estimate / RAPL: p10 0.46, p90 1.29 -> log mean (-0.776529 + 0.254642) / 2 = -0.260943, log sd
    # (0.254642 + 0.776529) / (2 * 1.281552) = 0.402314; true / estimate: shift +0.260943, 95 % half-width
    # 1.959964 * 0.402314 = 0.788521 -> 10 * exp(0.260943 -+ 0.788521) = 5.9006 .. 28.5565 J
    assert table.loc[0, "power_draw_low"] == pytest.approx(5.9006, abs=1e-3)
    assert table.loc[0, "power_draw_high"] == pytest.approx(28.5565, abs=1e-2)


def test_counter_resolution_widens_short_measured_windows_only():
    runs = _runs({"short": [{"power_draw": 1.0, "time": 0.01}], "long": [{"power_draw": 1.0, "time": 10.0}]})
    table = add_intervals(aggregate_runs(runs)).set_index("model")
    # RAPL, 1 ms in a 10 ms window: uniform +-10 %, sd 0.1 / sqrt(3) = 0.057735, 95 %: 1.959964 * 0.057735 = 0.113159
    assert table.loc["short", "power_draw_high"] == pytest.approx(math.exp(0.113159), abs=1e-4)
    assert table.loc["long", "power_draw_high"] == pytest.approx(1.0, abs=1e-3)


def test_repeat_interval_covers_the_true_value_95_percent_of_seeded_trials():
    rng = np.random.default_rng(11)
    true_time, trials, repeats = 2.0, 2000, 5
    values = {f"m{i}": [{"time": true_time * (1 + 0.08 * rng.standard_normal())} for _ in range(repeats)]
              for i in range(trials)}
    table = add_intervals(aggregate_runs(_runs(values)))
    covered = ((table["time_low"] <= true_time) & (true_time <= table["time_high"])).mean()
    assert 0.93 <= covered <= 0.97


def test_estimate_interval_covers_the_true_energy_95_percent_when_its_error_is_as_measured():
    rng = np.random.default_rng(5)
    mu, sigma = (math.log(0.46) + math.log(1.29)) / 2, (math.log(1.29) - math.log(0.46)) / (2 * 1.2815516)
    truths = rng.uniform(1.0, 100.0, 2000)
    values = {}
    for i, truth in enumerate(truths):
        ratio = math.exp(rng.normal(mu, sigma))  # the estimate's error of this workload
        values[f"m{i}"] = [{"power_draw": truth * ratio * (1 + 0.05 * rng.standard_normal()), "time": 1.0}
                           for _ in range(3)]
    table = add_intervals(aggregate_runs(_runs(values, True, "CPU + memory (estimated)")))
    order = np.argsort(table["model"].str[1:].astype(int).to_numpy())
    low, high = table["power_draw_low"].to_numpy()[order], table["power_draw_high"].to_numpy()[order]
    covered = ((low <= truths) & (truths <= high)).mean()
    assert 0.93 <= covered <= 0.975


def test_letter_probabilities_by_hand():
    # log index ~ N(0, 0.5); thresholds 2, 1.5, 1, 0.5; Phi(ln 2 / 0.5) = Phi(1.386294) = 0.917171,
    # Phi(ln 1.5 / 0.5) = Phi(0.810930) = 0.791298, Phi(0) = 0.5, Phi(-1.386294) = 0.082829
    probs = letter_probabilities(np.array([0.0]), np.array([0.5]), [2.0, 1.5, 1.0, 0.5], np.array([3.0]))[0]
    assert probs == pytest.approx([0.082829, 0.125873, 0.291298, 0.417171, 0.082829], abs=1e-5)


def _table(models: dict[str, tuple[float, float, int]]) -> pd.DataFrame:
    """Aggregated one-group table: model -> (energy mean J, energy std J, runs); everything else measured equal."""
    runs = {}
    for model, (mean, std, n) in models.items():
        offsets = np.linspace(-1, 1, n) if n > 1 else np.zeros(1)
        scale = std / np.std(offsets, ddof=1) if n > 1 else 0.0
        runs[model] = [{"power_draw": mean + scale * o, "time": 1.0, "f1_val": 0.9, "top1_val": 0.9,
                        "parameters": 10.0, "flops": 10.0, "fsize": 100.0} for o in offsets]
    return aggregate_runs(_runs(runs))


def test_energy_letter_stability_matches_simulated_values_and_reference():
    settings = RatingSettings.default().replace(references={"iris": "ref"})
    table = _table({"ref": (10.0, 1.5, 4), "close": (9.0, 2.0, 4), "far": (2.0, 0.1, 4)})
    rated = rate(table, settings).set_index("model")
    bounds = settings.boundaries["inference power_draw"]
    rng = np.random.default_rng(3)
    for model in ("close", "far"):
        row, ref = rated.loc[model], rated.loc["ref"]
        centre = lambda r: (math.log(r["power_draw_low"]) + math.log(r["power_draw_high"])) / 2  # noqa: E731
        sd = lambda r: math.log(r["power_draw_high"] / r["power_draw_low"]) / (2 * 1.959964)  # noqa: E731
        value = np.exp(rng.normal(centre(row), sd(row), 40000))
        reference = np.exp(rng.normal(centre(ref), sd(ref), 40000))
        letters = (np.asarray(reference / value)[:, None] <= np.asarray(bounds)).sum(axis=1)
        share = (letters == row["power_draw_rating"]).mean()
        assert row["power_draw_stability"] == pytest.approx(share, abs=0.01)
        assert row["power_draw_letter_best"] <= row["power_draw_rating"] <= row["power_draw_letter_worst"]
    assert rated.loc["close", "power_draw_stability"] < 0.9  # near its reference: a borderline letter
    assert rated.loc["ref", "power_draw_stability"] == 1.0  # the reference's own index is 1 by definition


def test_compound_stability_is_the_exact_distribution_of_the_rule():
    rng = np.random.default_rng(8)
    rows, metrics = 40, 4
    probs = rng.dirichlet(np.full(5, 0.6), size=(rows, metrics))
    probs[:, 3] = np.eye(5)[rng.integers(0, 5, rows)]  # one certain metric
    probs[::7, 2] = np.nan  # an unrated metric
    weights = [0.6, 0.4, 0.5, 0.3]
    shown = compound_ratings(np.nan_to_num(probs.argmax(axis=2) + 0.0) * np.where(np.isnan(probs[:, :, 0]), np.nan, 1),
                             weights, "optimistic median")
    stability, best, worst = compound_stability(probs, weights, "optimistic median", shown, floor=0.0)
    draws = 20000
    cum = np.cumsum(np.nan_to_num(probs, nan=0.0), axis=2)
    u = rng.random((draws, rows, metrics, 1))
    letters = (u > cum[None, :, :, :4]).sum(axis=3).astype(float)
    letters[:, np.isnan(probs[:, :, 0])] = np.nan
    sampled = compound_ratings(letters.reshape(-1, metrics), weights, "optimistic median").reshape(draws, rows)
    assert stability == pytest.approx((sampled == shown).mean(axis=0), abs=0.015)
    assert (best <= shown).all() and (shown <= worst).all()


def test_stability_is_deterministic_and_a_rows_own():
    settings = RatingSettings.default().replace(references={"iris": "ref"})
    table = _table({"ref": (10.0, 1.5, 4), "a": (9.0, 2.0, 4), "b": (6.0, 1.0, 3), "c": (30.0, 8.0, 5)})
    first, again = rate(table, settings), rate(table, settings)
    columns = [c for c in first.columns if c.endswith(("_stability", "_letter_best", "_letter_worst"))]
    pd.testing.assert_frame_equal(first[columns], again[columns])
    fewer = rate(table[table["model"].isin(["ref", "b"])], settings).set_index("model")
    whole = first.set_index("model")
    assert fewer.loc["b", "compound_stability"] == whole.loc["b", "compound_stability"]
    assert fewer.loc["b", "power_draw_stability"] == whole.loc["b", "power_draw_stability"]


def test_rating_without_stability_leaves_the_letters_unchanged():
    table = _table({"ref": (10.0, 1.5, 4), "a": (9.0, 2.0, 4), "b": (6.0, 1.0, 3)})
    settings = RatingSettings.default().replace(references={"iris": "ref"})
    with_, without = rate(table, settings), rate(table, settings, stability=False)
    assert "compound_stability" not in without.columns
    assert with_["compound_rating"].equals(without["compound_rating"])
