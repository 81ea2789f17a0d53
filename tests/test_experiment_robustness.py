"""Robustness, calibration and latency after the inference window: by-hand examples, real fits against an
independent computation, seeded noise, and the runner writing them outside the measured window."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score
from sklearn.naive_bayes import GaussianNB

from mlee.cli import evaluate as cli
from mlee.runs.datasets import Dataset, load_dataset
from mlee.runs.hyperparams import DEFAULT_CONFIG
from mlee.runs.preparation import prepare
from mlee.runs.robustness import (RobustnessConfig, batch_latencies, brier_score, calibration,
                                        expected_calibration_error, noise_robustness, noisy_copy,
                                        robustness_properties)
from mlee.runs.runner import RunSettings, run_with_settings
from mlee.metrics import NOISE_LEVELS

# four samples, two classes: confidence 0.9 (right), 0.65 (wrong), 0.75 (right), 0.55 (wrong)
PROBA = np.array([[0.9, 0.1], [0.65, 0.35], [0.25, 0.75], [0.45, 0.55]])
Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def wine():
    return prepare(load_dataset("wine"), seed=42)


@pytest.fixture(scope="module")
def meter():
    from mlee.monitoring import Meter

    return Meter(monitor="estimate")


def test_ece_and_brier_by_hand():
    # 5 bins of width 0.2: 0.9 -> (0.8, 1], 0.65 and 0.75 -> (0.6, 0.8], 0.55 -> (0.4, 0.6]
    # |1 - 0.9| + |(0 - 0.65) + (1 - 0.75)| + |0 - 0.55| = 0.1 + 0.4 + 0.55 = 1.05, over 4 samples
    assert expected_calibration_error(PROBA, Y, np.array([0, 1]), bins=5) == pytest.approx(1.05 / 4)
    # one bin: |(1 + 0 + 1 + 0) - (0.9 + 0.65 + 0.75 + 0.55)| / 4
    assert expected_calibration_error(PROBA, Y, np.array([0, 1]), bins=1) == pytest.approx(0.85 / 4)
    # per sample sum_k (p_k - [y = k])^2: 0.02, 0.845, 0.125, 0.605
    assert brier_score(PROBA, Y, np.array([0, 1])) == pytest.approx(1.595 / 4)
    # twice the common binary form
    assert brier_score(PROBA, Y, np.array([0, 1])) == pytest.approx(2 * brier_score_loss(Y, PROBA[:, 1]))
    # perfect and confident: no error at all
    assert expected_calibration_error(np.eye(3), np.arange(3), np.arange(3)) == 0.0
    assert brier_score(np.eye(3), np.arange(3), np.arange(3)) == 0.0


def _ece_loop(proba, y, classes, bins):
    """ECE written the slow, obvious way: one bin after the other, (lo, hi] intervals, 0 in the first."""
    total = 0.0
    conf = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [i for i in range(len(y)) if (lo < conf[i] <= hi) or (b == 0 and conf[i] == 0)]
        if inside:
            total += abs(sum(correct[i] - conf[i] for i in inside))
    return total / len(y)


@pytest.mark.parametrize("model", [LogisticRegression(max_iter=500), GaussianNB()], ids=["LR", "GNB"])
def test_calibration_of_real_fits_matches_an_independent_computation(wine, model):
    model.fit(wine.X_train, wine.y_train)
    values, reason = calibration(model, wine.X_test, wine.y_test, 15)
    proba = model.predict_proba(wine.X_test)
    assert reason is None
    assert values["ece"] == pytest.approx(_ece_loop(proba, wine.y_test, model.classes_, 15))
    assert values["brier"] == pytest.approx(
        brier_score_loss(wine.y_test, proba, labels=model.classes_, scale_by_half=False))
    assert 0 < values["ece"] < 1 and 0 < values["brier"] < 2


def test_models_without_probabilities_say_why_and_give_no_number(wine):
    model = RidgeClassifier().fit(wine.X_train, wine.y_train)
    values, reason = calibration(model, wine.X_test, wine.y_test, 15)
    assert values == {"ece": None, "brier": None}
    assert "RidgeClassifier" in reason and "predict_proba" in reason


def test_noise_is_seeded_and_only_on_standardised_columns():
    X = np.arange(12.0).reshape(4, 3)
    one = noisy_copy(X, 0.5, np.random.default_rng([7, 1]), n_scaled=2)
    again = noisy_copy(X, 0.5, np.random.default_rng([7, 1]), n_scaled=2)
    other = noisy_copy(X, 0.5, np.random.default_rng([8, 1]), n_scaled=2)
    assert np.array_equal(one, again) and not np.array_equal(one, other)
    assert np.array_equal(one[:, 2], X[:, 2]) and not np.array_equal(one[:, :2], X[:, :2])
    assert np.array_equal(X, np.arange(12.0).reshape(4, 3))  # the input is left alone
    # the noise has the asked standard deviation
    big = noisy_copy(np.zeros((20000, 5)), 0.3, np.random.default_rng(0))
    assert big.std() == pytest.approx(0.3, rel=0.02)
    # sparse: only stored entries move, the pattern stays
    S = sp.random(50, 40, density=0.1, format="csr", random_state=0)
    noisy = noisy_copy(S, 1.0, np.random.default_rng(0))
    assert sp.issparse(noisy) and noisy.nnz == S.nnz
    assert np.array_equal(noisy.indices, S.indices) and not np.array_equal(noisy.data, S.data)


def test_categorical_one_hot_columns_are_not_noised():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=60))})
    data = prepare(Dataset("mixed", frame, np.array([0, 1] * 30), "Mixed", "test"), seed=0)
    assert data.n_scaled == 2 and data.n_features == 5
    noisy = noisy_copy(data.X_test, 1.0, np.random.default_rng(0), data.n_scaled)
    assert np.array_equal(noisy[:, 2:], data.X_test[:, 2:])
    assert set(np.unique(noisy[:, 2:])) <= {0.0, 1.0}


def test_noise_accuracy_is_reproducible_and_matches_a_hand_made_noisy_copy(wine):
    model = LogisticRegression(max_iter=500).fit(wine.X_train, wine.y_train)
    config = RobustnessConfig.default()
    clean = accuracy_score(wine.y_test, model.predict(wine.X_test))
    first = noise_robustness(model, wine.X_test, wine.y_test, clean, config, 42, "macro")
    assert noise_robustness(model, wine.X_test, wine.y_test, clean, config, 42, "macro") == first
    drops = []
    for number, level in enumerate(NOISE_LEVELS):
        sigma = config.noise_sigma[level]
        noise = np.random.default_rng([42, number]).standard_normal(wine.X_test.shape)
        predicted = model.predict(wine.X_test + sigma * noise)
        assert first[f"noise_top1_{level}"] == accuracy_score(wine.y_test, predicted)
        assert first[f"noise_f1_{level}"] == f1_score(wine.y_test, predicted, average="macro")
        drops.append((clean - accuracy_score(wine.y_test, predicted)) / clean)
    assert first["noise_drop"] == pytest.approx(max(0.0, float(np.mean(drops))))
    # severe noise hurts more than mild noise on this model
    assert first["noise_top1_high"] < first["noise_top1_low"]
    assert [config.noise_sigma[level] for level in NOISE_LEVELS] == sorted(config.noise_sigma.values())


def test_latency_batches_cover_the_split_evenly(wine):
    model = GaussianNB().fit(wine.X_train, wine.y_train)
    seconds = batch_latencies(model, wine.X_test, 8, 3)  # 45 rows: 5 full batches, 3 of them timed
    assert len(seconds) == 3 and (seconds > 0).all()
    assert len(batch_latencies(model, wine.X_test, 100, 20)) == 1  # smaller than a batch: one batch of all
    block = robustness_properties(model, wine.X_test, wine.y_test, 1.0, 42)
    assert block["latency"]["batches"] == 1  # 45 rows: one full batch of 32 (the rest is not timed)
    assert block["metrics"]["latency_p50"] <= block["metrics"]["latency_p99"]


def test_bad_configuration_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="noise_sigma must give a positive number for each level low, mid, high"):
        RobustnessConfig({"low": 0.1, "mid": -1, "high": 1}, 15, 32, 20)
    with pytest.raises(ValueError, match="calibration_bins must be a whole number >= 1"):
        RobustnessConfig({"low": 0.1, "mid": 0.3, "high": 1}, 0, 32, 20)


def _read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_runner_measures_the_properties_after_the_window(tmp_path, meter, wine):
    settings = RunSettings(output_dir=tmp_path, hyperparameters=DEFAULT_CONFIG)
    outcome = run_with_settings(wine, "Logistic Regression", settings, meter)
    assert outcome.ok, outcome.error
    results = _read(outcome.infer_dir / "results.json")
    measurement = _read(outcome.infer_dir / "measurement.json")
    block = results["robustness"]
    assert block["start"] >= results["end"] and block["start"] >= measurement["end"]
    assert block["duration"] > 0 and "error" not in block
    metrics = block["metrics"]
    assert set(metrics) == {*(f"noise_{m}_{lv}" for m in ("top1", "f1") for lv in NOISE_LEVELS), "noise_drop",
                            "ece", "brier", "latency_p50", "latency_p99"}
    assert block["calibration"]["source"] == "predict_proba" and 0 < metrics["ece"] < 1
    assert block["noise"]["sigma"] == dict(RobustnessConfig.default().noise_sigma)
    assert block["noise"]["seed"] == 42

    # a model without probabilities: calibration is None with the reason, the noise part is there
    outcome = run_with_settings(wine, "Ridge Regression", settings, meter)
    block = _read(outcome.infer_dir / "results.json")["robustness"]
    assert block["metrics"]["ece"] is None and block["metrics"]["brier"] is None
    assert "predict_proba" in block["calibration"]["not_available"]
    assert block["metrics"]["noise_top1_mid"] > 0


def test_a_failing_property_never_loses_the_inference_result(tmp_path, meter, wine, monkeypatch):
    from mlee.runs import robustness

    def broken(*args, **kwargs):
        raise MemoryError("no room for a noisy copy")

    monkeypatch.setattr(robustness, "noisy_copy", broken)
    outcome = run_with_settings(wine, "Gaussian Naive Bayes", RunSettings(output_dir=tmp_path,
                                                                      hyperparameters=DEFAULT_CONFIG), meter)
    assert outcome.ok
    results = _read(outcome.infer_dir / "results.json")
    assert results["metrics"]["accuracy"] > 0.5
    assert results["robustness"]["error"] == "MemoryError: no room for a noisy copy"
    assert "metrics" not in results["robustness"]


def test_no_robustness_option_skips_them(tmp_path):
    status = cli.evaluate_main(["--dataset", "iris", "--model", "GNB", "--output-dir", str(tmp_path),
                                "--no-progress", "--monitor", "estimate", "--no-robustness",
                                "--hyperparameters", DEFAULT_CONFIG])
    assert status == 0
    infer = next(tmp_path.glob("infer_*"))
    results = _read(infer / "results.json")
    assert "robustness" not in results and results["metrics"]["accuracy"] > 0
