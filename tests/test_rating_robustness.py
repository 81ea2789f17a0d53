"""The robustness metrics in loader and rating: the published table is unchanged under the default weights,
results with measured robustness rate as before under them, and the 'trust' preset rates them in."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mlee.merge.merger import merge_directory
from mlee.metrics import METRICS
from mlee.paper.selection import best_models
from mlee.paper.tables import best_models_tex, weights_tex
from mlee.rating import (RATING_MODES, RatingSettings, compound_rating, load_boundaries, load_weights,
                         preset_weights, rate)
from mlee.cli.rating_options import settings_from_options
from mlee.results import aggregate_runs, load_results
from mlee.results.loader import ROBUSTNESS_KEYS

NEW_KEYS = ["latency_p50", "latency_p99", "noise_top1_low", "noise_top1_mid", "noise_top1_high", "noise_f1_low",
            "noise_f1_mid", "noise_f1_high", "noise_drop", "ece", "brier"]
PUBLISHED_KEYS = [m.key for m in METRICS if m.key not in NEW_KEYS]
IRIS_METHODS = ("Logistic Regression", "Gaussian Naive Bayes", "Random Forest", "Ridge Regression",
                "Support Vector Machine", "k-Nearest Neighbors", "AdaBoost", "Multilayer Perceptron")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A real small sweep with the properties measured (iris x 8 methods, digits x LR and GNB), merged."""
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import run_sweep
    from mlee.monitoring import Meter

    root = tmp_path_factory.mktemp("robust")
    pairs = [("iris", m) for m in IRIS_METHODS] + [("digits", "Logistic Regression"),
                                                    ("digits", "Gaussian Naive Bayes")]
    outcomes = run_sweep(pairs, RunSettings(output_dir=root / "logs"), Meter(monitor="estimate"), progress=False)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    merge_directory(root / "logs", root / "results")
    return aggregate_runs(load_results(root / "results"))


@pytest.fixture(scope="module")
def published_settings(reference_dir):
    """Rating settings made of the study's own files only (no boundaries or weights for the new metrics)."""
    return RatingSettings.default().replace(boundaries=load_boundaries(reference_dir / "boundaries.json"),
                                            weights=load_weights(reference_dir / "weighting.json"))


@pytest.fixture(scope="module")
def published(reference_dir):
    return aggregate_runs(load_results(reference_dir / "published-results" / "sklearn"))


def _same(a, b):
    return np.array_equal(a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64"), equal_nan=True)


def test_published_results_load_without_the_new_columns_and_rate_as_before(published, published_settings):
    assert len(published) == 196 and not published.attrs["warnings"]
    for key in NEW_KEYS:
        assert published[key].isna().all()
    for mode in RATING_MODES:
        now = rate(published, RatingSettings.default().replace(mode=mode))
        before = rate(published, published_settings.replace(mode=mode))
        assert _same(now["compound_rating"], before["compound_rating"]), mode
        assert now["compound_rating"].notna().all()
        for key in PUBLISHED_KEYS:
            assert _same(now[f"{key}_rating"], before[f"{key}_rating"]), (mode, key)
        for key in NEW_KEYS:
            assert now[f"{key}_rating"].isna().all()
    # the paper's tables of the published results: the same text under the default settings
    default = RatingSettings.default().replace(mode="published median")
    pub = published_settings.replace(mode="published median")
    assert best_models_tex(best_models(rate(published, default), published["environment"].iloc[0])) == \
        best_models_tex(best_models(rate(published, pub), published["environment"].iloc[0]))
    assert weights_tex(default.weights) == weights_tex(pub.weights)


def test_measured_robustness_is_rated_but_leaves_the_default_compound_alone(fresh, published_settings):
    inference = fresh[fresh["task"] == "inference"]
    assert sorted(ROBUSTNESS_KEYS) == sorted(NEW_KEYS)
    for key in NEW_KEYS:
        assert inference[key].notna().any(), key
    # calibration only where there are probabilities; ridge and SVC (probability=False) have none
    no_proba = inference["model"].isin(["Ridge Regression", "Support Vector Machine"])
    assert inference.loc[no_proba, "ece"].isna().all() and inference.loc[~no_proba, "ece"].notna().all()
    now = rate(fresh, RatingSettings.default())
    now = now[now["task"] == "inference"]
    assert now["noise_drop_rating"].notna().all()
    assert now.loc[~now["model"].isin(["Ridge Regression", "Support Vector Machine"]), "brier_rating"].notna().all()
    for mode in RATING_MODES:
        assert _same(rate(fresh, RatingSettings.default().replace(mode=mode))["compound_rating"],
                     rate(fresh, published_settings.replace(mode=mode))["compound_rating"]), mode


def test_training_rows_carry_the_general_properties_of_their_inference_run(fresh):
    pairs = fresh.pivot_table(index=["dataset", "model"], columns="task", values=["noise_drop", "ece", "latency_p50"])
    assert np.allclose(pairs[("noise_drop", "training")], pairs[("noise_drop", "inference")])
    assert np.allclose(pairs[("ece", "training")].dropna(), pairs[("ece", "inference")].dropna())
    # latency is a property of inference only
    assert ("latency_p50", "training") not in pairs.columns and pairs[("latency_p50", "inference")].gt(0).all()


def test_trust_preset_rates_robustness_and_calibration_in(fresh):
    trust = preset_weights("trust")
    assert settings_from_options(weights="trust").weights == trust
    for group in ("Complexity", "Quality", "Resources", "Robustness"):  # equal total weight per group
        total = sum(trust.get(m.scoped_key("inference"), 0) for m in METRICS
                    if m.group == group and "classification" in m.learning_tasks)
        assert total == pytest.approx(1.0), group
    settings = RatingSettings.default().replace(weights=trust)
    rated = rate(fresh, settings)
    for row in rated.to_dict("records"):  # the compound rating over every metric with its trust weight
        ratings = [row[f"{m.key}_rating"] for m in METRICS]
        weights = [settings.weight(m.scoped_key(row["task"])) for m in METRICS]
        expected = compound_rating([None if r != r else r for r in ratings], weights, settings.mode)
        assert (row["compound_rating"] if row["compound_rating"] == row["compound_rating"] else None) == expected
    default = rate(fresh, RatingSettings.default())
    assert not _same(rated["compound_rating"], default["compound_rating"])
    # Gaussian naive Bayes collapses on noisy digits: its accuracy-drop rating is E
    gnb = (rated["dataset"] == "digits") & (rated["model"] == "Gaussian Naive Bayes") & (rated["task"] == "inference")
    assert rated.loc[gnb, "noise_top1_high"].iloc[0] < 0.5 * rated.loc[gnb, "top1_val"].iloc[0]
    assert rated.loc[gnb, "noise_drop_rating"].iloc[0] == 4


def test_unknown_weights_name_says_file_or_preset(tmp_path):
    with pytest.raises(ValueError, match="cannot read weights file 'strict'.*or name a weights preset: published, "
                                         "trust"):
        settings_from_options(weights="strict")
    own = tmp_path / "trust"
    own.write_text(json.dumps({"inference time": 1}))
    assert dict(settings_from_options(weights=str(own)).weights) == {"inference time": 1}
    assert math.isclose(sum(settings_from_options(weights="published").weights.values()),
                        sum(RatingSettings.default().weights.values()))
