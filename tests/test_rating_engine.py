"""Rating engine: indices, per-metric ratings, compound ratings, settings files, summaries."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlee.metrics import METRICS, METRICS_BY_KEY
from mlee.rating import (RATING_MODES, RatingSettings, compound_rating, compound_ratings, compute_boundaries,
                         load_boundaries, load_references, load_weights, rate, rating_from_index,
                         ratings_from_indices, save_boundaries, save_weights, summarise, summaries,
                         value_boundaries)
from mlee.cli.rating_options import settings_from_options
from mlee.results import aggregate_runs, load_results

STUDY_ENV = "Xeon(R) W-2155 - Scikit-learn 1.1.2"


@pytest.fixture(scope="module")
def table(reference_dir: Path) -> pd.DataFrame:
    return aggregate_runs(load_results(reference_dir / "published-results" / "sklearn"))


@pytest.fixture(scope="module")
def raw_by_model(reference_dir: Path) -> dict[tuple[str, str], dict]:
    """(dataset, model) -> raw published inference file."""
    out = {}
    for path in (reference_dir / "published-results" / "sklearn").glob("infer_*.json"):
        raw = json.loads(path.read_text())
        out[(raw["config"]["dataset"], raw["config"]["model"])] = raw
    return out


# ------------------------------------------------------------------------------- hand computations
def hand_rating(index: float, thresholds: list[float]) -> int:
    """A above b0, B in (b1, b0], ... E at or below b3 - written out as the issue states it."""
    b0, b1, b2, b3 = thresholds
    if index > b0:
        return 0
    if index > b1:
        return 1
    if index > b2:
        return 2
    if index > b3:
        return 3
    return 4


def hand_weighted_median(ratings: list[int], weights: list[float], pessimistic: bool = False) -> int:
    """Smallest rating r whose share of weight at or below r reaches one half (ties at exactly 0.5 rounded)."""
    total = sum(weights)
    for r in range(5):
        share = sum(w for x, w in zip(ratings, weights) if x <= r) / total
        if math.isclose(share, 0.5):
            nxt = min(x for x in ratings if x > r)
            return math.ceil((r + nxt) / 2) if pessimistic else math.floor((r + nxt) / 2)
        if share > 0.5:
            return r
    raise AssertionError


def test_published_indices_and_ratings_by_hand(table, raw_by_model, reference_dir):
    boundaries = json.loads((reference_dir / "boundaries.json").read_text())
    weights = json.loads((reference_dir / "weighting.json").read_text())
    settings = RatingSettings.default()
    rated = rate(table, settings)
    assert rated.attrs["warnings"] == []
    for dataset, reference, model in [("credit-g", "Support Vector Machine", "Random Forest"),
                                      ("mnist_784", "Extra Random Forest", "k-Nearest Neighbors"),
                                      ("phoneme", "Multilayer Perceptron", "Gaussian Naive Bayes")]:
        ref = raw_by_model[(dataset, reference)]["validation"]
        val = raw_by_model[(dataset, model)]["validation"]
        energy_index = (ref["monitoring_pyrapl"]["total"]["total_power_draw"]
                        / val["monitoring_pyrapl"]["total"]["total_power_draw"])
        time_index = ref["duration"] / val["duration"]
        f1_index = val["results"]["metrics"]["f1"] / ref["results"]["metrics"]["f1"]
        fsize_index = ref["results"]["model"]["fsize"] / val["results"]["model"]["fsize"]
        row = rated[(rated["dataset"] == dataset) & (rated["task"] == "inference") & (rated["model"] == model)]
        row = row.iloc[0]
        assert row["reference_model"] == reference and not row["reference_fallback"]
        assert row["power_draw_index"] == pytest.approx(energy_index)
        assert row["time_index"] == pytest.approx(time_index)
        assert row["f1_val_index"] == pytest.approx(f1_index)
        assert row["fsize_index"] == pytest.approx(fsize_index)
        assert row["power_draw_rating"] == hand_rating(energy_index, boundaries["inference power_draw"])
        assert row["f1_val_rating"] == hand_rating(f1_index, boundaries["general f1_val"])
        # compound: weighted median over every inference metric with weight > 0
        metric_ratings, metric_weights = [], []
        for metric in METRICS:
            key = metric.scoped_key("inference")
            if weights.get(key, 0) > 0 and not math.isnan(row[f"{metric.key}_rating"]):
                metric_ratings.append(int(row[f"{metric.key}_rating"]))
                metric_weights.append(weights[key])
                assert row[f"{metric.key}_rating"] == hand_rating(row[f"{metric.key}_index"], boundaries[key])
        assert row["compound_rating"] == hand_weighted_median(metric_ratings, metric_weights)
        # the reference itself has index 1 everywhere
        ref_row = rated[(rated["dataset"] == dataset) & (rated["task"] == "inference")
                        & (rated["model"] == reference)].iloc[0]
        assert ref_row["power_draw_index"] == 1.0 and ref_row["f1_val_index"] == 1.0


def test_median_modes_on_hand_made_cases():
    assert compound_rating([0, 1, 2], [1, 1, 1], "optimistic median") == 1
    assert compound_rating([0, 1, 2], [1, 1, 1], "pessimistic median") == 1
    # the published rule stops one position before the 0.5 crossing
    assert compound_rating([0, 1, 2], [1, 1, 1], "published median") == 0
    # exactly 0.5: mean of it and the next rating, rounded towards A / E
    assert compound_rating([0, 3], [1, 1], "optimistic median") == 1
    assert compound_rating([0, 3], [1, 1], "pessimistic median") == 2
    assert compound_rating([0, 3], [1, 1], "published median") == 1
    # one heavy E: the weighted median is E, the published rule returns the rating just before the crossing
    assert compound_rating([4, 0, 1], [0.6, 0.2, 0.2], "optimistic median") == 4
    assert compound_rating([4, 0, 1], [0.6, 0.2, 0.2], "published median") == 1
    # the first rating alone outweighs one half: both agree
    assert compound_rating([0, 4, 1], [0.6, 0.2, 0.2], "published median") == 0
    assert compound_rating([0, 4, 1], [0.6, 0.2, 0.2], "pessimistic median") == 0
    # weights of 0 and missing ratings do not take part
    assert compound_rating([0, None, 4, 2], [1, 5, 0, 1], "worst") == 2
    assert compound_rating([None, float("nan")], [1, 1]) is None
    assert compound_rating([1, 2], [1, 3], "optimistic mean") == 1   # 1.75 -> 1
    assert compound_rating([1, 2], [1, 3], "pessimistic mean") == 2
    assert compound_rating([0, 4, 4, 1], [1, 1, 1, 3], "majority") == 1
    assert compound_rating([0, 4, 4, 1], [1, 1, 1, 2], "majority") == 1  # E and B weigh 2 each: the better wins
    assert compound_rating([0, 4, 1], [1, 1, 1], "majority") == 0  # tie of all: the better rating
    assert compound_rating([3, 1], [1, 1], "best") == 1
    with pytest.raises(ValueError, match="unknown rating mode"):
        compound_rating([1], [1], "median")


def test_vectorised_compound_agrees_with_scalar():
    rng = random.Random(7)
    rows, weights = [], [rng.choice([0, 0.1, 0.2, 0.25, 0.3, 0.5, 1]) for _ in range(8)]
    for _ in range(600):
        rows.append([rng.choice([0, 1, 2, 3, 4, None]) for _ in range(8)])
    rows += [[0, 1, 2, None, None, None, None, None], [0, 3, None, None, None, None, None, None]]
    matrix = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
    differ = 0
    for mode in RATING_MODES:
        vector = compound_ratings(matrix, weights, mode)
        for r, v in zip(rows, vector):
            expected = compound_rating(r, weights, mode)
            assert (expected is None and math.isnan(v)) or expected == v, (mode, r, weights)
    for r in rows:
        w, o = compound_rating(r, weights, "optimistic median"), compound_rating(r, weights, "published median")
        if w is not None:
            assert o <= w  # the published rule is never worse than the weighted median
            differ += o != w
    assert differ > 0


def test_weighted_median_matches_hand_formula_randomly():
    rng = random.Random(3)
    for _ in range(300):
        n = rng.randint(1, 7)
        ratings = [rng.randint(0, 4) for _ in range(n)]
        weights = [rng.choice([1, 2, 3, 0.5]) for _ in range(n)]
        for pessimistic in (False, True):
            mode = "pessimistic median" if pessimistic else "optimistic median"
            assert compound_rating(ratings, weights, mode) == hand_weighted_median(ratings, weights, pessimistic)


def test_rating_boundaries_edges():
    b = [2.0, 1.0, 0.5, 0.25]
    assert rating_from_index(1e6, b) == 0  # huge indices are A (the original rated >10000 as E)
    assert rating_from_index(2.0, b) == 1 and rating_from_index(2.0001, b) == 0
    assert rating_from_index(0.25, b) == 4 and rating_from_index(0.0, b) == 4
    assert rating_from_index(None, b) is None
    out = ratings_from_indices([np.inf, 1.5, np.nan, 0.3], b)
    assert out[0] == 0 and out[1] == 1 and math.isnan(out[2]) and out[3] == 3


def _synthetic_table(models: dict[str, dict[str, float]], dataset: str = "iris") -> pd.DataFrame:
    rows = []
    for model, values in models.items():
        row = {"dataset": dataset, "dataset_display": dataset, "task": "inference",
               "environment": "Test CPU - Scikit-learn 1.9", "model": model, "model_short": model[:3],
               "n_runs": 1, "energy_estimated": False, "energy_sources": "test", "n_test_samples": 10,
               "files": []}
        for metric in METRICS:
            row[metric.key] = values.get(metric.key, np.nan)
            row[f"{metric.key}_std"] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def test_missing_reference_falls_back_with_warning(caplog):
    table = _synthetic_table({"A": {"power_draw": 1.0, "f1_val": 0.9}, "B": {"power_draw": 2.0, "f1_val": 0.8},
                              "C": {"power_draw": 4.0, "f1_val": 0.7}})
    settings = RatingSettings.default()
    with caplog.at_level("WARNING"):
        rated = rate(table, settings.replace(references={"iris": "Not There"}))
    assert set(rated["reference_model"]) == {"B"}  # median energy
    assert rated["reference_fallback"].all()
    assert any("Not There" in w and "'B'" in w for w in rated.attrs["warnings"])
    assert "Not There" in caplog.text
    rated = rate(table.assign(dataset="unknown_ds"), settings)
    assert set(rated["reference_model"]) == {"B"}
    assert any("no reference model is configured" in w for w in rated.attrs["warnings"])
    a = rated[rated["model"] == "A"].iloc[0]
    assert a["power_draw_index"] == pytest.approx(2.0) and a["f1_val_index"] == pytest.approx(0.9 / 0.8)


def test_missing_values_are_unrated_not_e():
    table = _synthetic_table({"Logistic Regression": {"power_draw": 1.0, "time": 1.0, "f1_val": 0.9},
                              "X": {"power_draw": np.nan, "time": 0.0, "f1_val": 0.9}})
    rated = rate(table, RatingSettings.default())
    x = rated[rated["model"] == "X"].iloc[0]
    assert math.isnan(x["power_draw_index"]) and math.isnan(x["power_draw_rating"])
    assert math.isnan(x["time_index"]) and math.isnan(x["time_rating"])  # 0 s: below resolution, no infinite index
    assert math.isnan(x["parameters_rating"])
    assert not math.isnan(x["compound_rating"])
    summary = summarise(rated, RatingSettings.default(), dataset="iris", task="inference",
                        environment="Test CPU - Scikit-learn 1.9", model="X")
    assert summary.metrics["power_draw"].rating is None and summary.metrics["power_draw"].value is None


def test_settings_immutable_replace_fingerprint(tmp_path):
    settings = RatingSettings.default()
    assert settings.mode == "optimistic median"
    assert settings.references["credit-g"] == "Support Vector Machine"
    assert settings.references["iris"] == "Logistic Regression"
    with pytest.raises(Exception):
        settings.mode = "best"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.weights["general f1_val"] = 3  # type: ignore[index]
    other = settings.replace(mode="published median")
    assert other.mode == "published median" and settings.mode == "optimistic median"
    assert other.fingerprint() == settings.fingerprint()  # mode is not part of the fingerprint
    changed = settings.replace(weights={**settings.weights, "general f1_val": 0.7})
    assert changed.fingerprint() != settings.fingerprint()
    assert len(settings.fingerprint()) == 8
    as_ints = settings.replace(weights={k: (int(v) if float(v).is_integer() else v)
                                        for k, v in settings.weights.items()})
    assert as_ints.fingerprint() == settings.fingerprint()
    with pytest.raises(ValueError, match="unknown rating mode"):
        settings.replace(mode="nope")
    with pytest.raises(ValueError, match="descend"):
        settings.replace(boundaries={"general f1_val": [1, 2, 3, 4]})
    with pytest.raises(TypeError):
        settings.replace(colour="red")
    assert hash(settings) == hash(RatingSettings.default()) and settings == RatingSettings.default()


def test_boundaries_and_weights_files(tmp_path, reference_dir):
    published = load_boundaries(reference_dir / "boundaries.json")
    default = RatingSettings.default()
    # the published entries unchanged; the rest belongs to metrics measured after the study, at weight 0
    assert {k: v for k, v in default.boundaries.items() if k in published} == published
    regression = {m.key for m in METRICS if m.learning_tasks == ("regression",)}
    later = {m.key for m in METRICS if m.optional} | regression
    assert {k.split(" ", 1)[1] for k in default.boundaries if k not in published} == later
    published_weights = load_weights(reference_dir / "weighting.json")
    assert {k: v for k, v in default.weights.items() if k in published_weights} == published_weights
    # beside the published weights only the regression quality metrics weigh (classification rows lack them)
    assert all(v == 0 for k, v in default.weights.items()
               if k not in published_weights and k.split(" ", 1)[1] not in regression)
    save_boundaries(published, tmp_path / "b.json")
    assert load_boundaries(tmp_path / "b.json") == published
    save_weights({"inference time": 1, "general f1_val": 0.5}, tmp_path / "w.json")
    assert load_weights(tmp_path / "w.json") == {"inference time": 1, "general f1_val": 0.5}
    bad = tmp_path / "bad.json"
    bad.write_text('{"inference power_draw": [1, 2')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_boundaries(bad)
    bad.write_text('{"inference power": [4, 3, 2, 1]}')
    with pytest.raises(ValueError, match="inference power"):
        load_boundaries(bad)
    bad.write_text('{"inference time": [4, 3, 2]}')
    with pytest.raises(ValueError, match="four numbers"):
        load_boundaries(bad)
    bad.write_text('{"inference time": -1}')
    with pytest.raises(ValueError, match=">= 0"):
        load_weights(bad)
    with pytest.raises(ValueError, match="cannot read"):
        load_weights(tmp_path / "missing.json")
    refs = load_references(Path(__file__).resolve().parents[1] / "mlee" / "data" / "references.json")
    assert "_reasons" not in refs and refs["phoneme"] == "Multilayer Perceptron"


def test_compute_and_value_boundaries(table):
    rated = rate(table, RatingSettings.default())
    computed = compute_boundaries(rated)
    inf = rated[rated["task"] == "inference"]["power_draw_index"].to_numpy()
    assert computed["inference power_draw"] == pytest.approx(tuple(np.quantile(inf, [0.8, 0.6, 0.4, 0.2])))
    assert set(computed) >= {"general f1_val", "training time", "inference time"}
    # with data-driven boundaries about a fifth of the rows lands in each energy rating
    again = rate(table, RatingSettings.default().replace(boundaries={**RatingSettings.default().boundaries,
                                                                     **computed}))
    counts = again[again["task"] == "inference"]["power_draw_rating"].value_counts()
    assert counts.min() >= 15 and counts.max() <= 25
    b = RatingSettings.default().boundaries
    lower = value_boundaries(b, 10.0, "inference power_draw")
    assert lower == pytest.approx(tuple(10.0 / t for t in b["inference power_draw"]))
    higher = value_boundaries(b, 0.8, "general f1_val")
    assert higher == pytest.approx(tuple(0.8 * t for t in b["general f1_val"]))


def test_summaries_follow_the_table(table):
    settings = RatingSettings.default().replace(mode="pessimistic mean")
    rated = rate(table, settings)
    all_ = summaries(rated, settings)
    assert len(all_) == len(rated)
    one = summarise(rated, settings, dataset="credit-g", task="training", environment=STUDY_ENV,
                    model="AdaBoost")
    row = rated[(rated["dataset"] == "credit-g") & (rated["task"] == "training") & (rated["model"] == "AdaBoost")]
    assert one.compound_rating == int(row["compound_rating"].iloc[0])
    assert one.rating_mode == "pessimistic mean" and one.fingerprint == settings.fingerprint()
    assert one.dataset_display == "German Credit" and one.model_short == "AB"
    assert one.metrics["power_draw"].weight == settings.weights["training power_draw"]
    assert one.metrics["power_draw"].value == pytest.approx(float(row["power_draw"].iloc[0]))
    assert one.reference_model == "Support Vector Machine" and one.n_runs == 1
    assert one.energy_sources.startswith("CPU package-0")
    with pytest.raises(KeyError, match="available"):
        summarise(rated, settings, dataset="credit-g", task="training", environment=STUDY_ENV, model="Nope")
    assert METRICS_BY_KEY["power_draw"].unit == "J"


def test_fallback_reference_is_one_model_for_inference_and_training(caplog):
    inference = _synthetic_table({"A": {"power_draw": 1.0}, "B": {"power_draw": 2.0}, "C": {"power_draw": 4.0}},
                                 dataset="no_ref")
    training = _synthetic_table({"A": {"power_draw": 30.0}, "B": {"power_draw": 10.0}, "C": {"power_draw": 20.0}},
                                dataset="no_ref").assign(task="training")  # median here alone would be C
    with caplog.at_level("WARNING"):
        rated = rate(pd.concat([inference, training], ignore_index=True), RatingSettings.default())
    assert set(rated["reference_model"]) == {"B"}
    assert rated["reference_fallback"].all()
    warning = next(w for w in rated.attrs["warnings"] if "no_ref / training" in w)
    assert "--reference no_ref=MODEL" in warning and str(Path("mlee", "data", "references.json")) in warning
    chosen = rate(pd.concat([inference, training], ignore_index=True),
                  settings_from_options(references=[("no_ref", "C")]))
    assert set(chosen["reference_model"]) == {"C"} and not chosen["reference_fallback"].any()


def test_every_summary_cell_matches_the_rated_table(table):
    """summaries() builds its records column by column: each one still says what its row of the table says."""
    settings = RatingSettings.default()
    rated = rate(table, settings)
    for summary, row in zip(summaries(rated, settings), rated.to_dict("records")):
        assert (summary.dataset, summary.task, summary.model) == (row["dataset"], row["task"], row["model"])
        expected = row["compound_rating"]
        assert summary.compound_rating == (None if expected != expected else int(expected))
        for key, metric in summary.metrics.items():
            for field, column in (("value", key), ("index", f"{key}_index"), ("std", f"{key}_std")):
                cell = row[column]
                assert getattr(metric, field) == (None if cell != cell else pytest.approx(cell)), (key, field)
            rating = row[f"{key}_rating"]
            assert metric.rating == (None if rating != rating else int(rating)) and type(metric.rating) in (int, type(None))
            assert metric.weight == settings.weight(METRICS_BY_KEY[key].scoped_key(row["task"]))
            assert metric.estimated == (key == "power_draw" and bool(row["energy_estimated"]))
        assert summary.to_dict()["metrics"]["power_draw"]["key"] == "power_draw"  # still plain, JSON-ready data


def test_settings_that_weigh_no_metric_rate_every_metric_and_no_compound(table):
    rated = rate(table, RatingSettings.default().replace(weights={}))  # e.g. a weights file of zeros
    assert len(rated) == len(table)
    assert rated["power_draw_rating"].notna().any()
    assert rated["compound_rating"].isna().all()
