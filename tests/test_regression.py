"""Regression end to end: regression datasets and their preparation, each method's regressor, R^2/RMSE/MAE with
their direction in the index, and a sweep on diabetes through the shipped scripts (run, merge, rate, labels read
back from the PDF, paper tables, the tidy export) and ELEx in a real browser showing R^2."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from elex_support import ROOT, Server, make_driver, needs_browser, open_page
from pypdf import PdfReader
from sklearn.base import is_regressor

from mlee.catalog import dataset_task
from mlee.monitoring import Meter
from mlee.paper.latex import escape_latex
from mlee.rating import RatingSettings, rate
from mlee.results import aggregate_runs, load_results
from mlee.runs.data_file import load_data_file
from mlee.runs.datasets import SyntheticSpec, dataset_cached, load_dataset
from mlee.runs.errors import DatasetUnavailableError, UnknownNameError
from mlee.runs.methods import backend_methods, make_estimator
from mlee.runs.preparation import prepare
from mlee.runs.quality import regression_metrics
from mlee.runs.runner import RunSettings, measure_run

MODELS = ("Ridge Regression", "k-Nearest Neighbors", "Histogram Gradient Boosting")
REGRESSORS = ("k-Nearest Neighbors", "Support Vector Machine", "Random Forest", "Extra Random Forest", "AdaBoost",
              "Ridge Regression", "Linear Stochastic Gradient Descent", "Multilayer Perceptron",
              "Histogram Gradient Boosting")


def test_regression_datasets_keep_their_numeric_target_and_split_unstratified():
    data = prepare(load_dataset("diabetes"), seed=1)
    assert data.task == "regression" and data.classes == [] and data.n_classes == 0
    assert data.y_train.dtype == np.float64 and len(np.unique(data.y_train)) > 100
    assert data.X_train.shape == (331, 10) and data.X_test.shape == (111, 10)
    assert np.allclose(data.X_train.mean(axis=0), 0, atol=1e-9)  # scaled on the training split
    synthetic = load_dataset("synthetic_regression", synthetic=SyntheticSpec(200, 6))
    assert synthetic.key == "synthetic_regression_200x6" and synthetic.task == "regression"
    assert synthetic.X.shape == (200, 6) and dataset_task(synthetic.key) == "regression"
    assert load_dataset("synthetic_regression_50x3").X.shape == (50, 3)


def test_california_housing_needs_the_network_and_says_so(tmp_path):
    assert dataset_task("california_housing") == "regression"
    assert not dataset_cached("california_housing", tmp_path)
    with pytest.raises(DatasetUnavailableError, match="california_housing.*download"):
        load_dataset("california_housing", data_home=tmp_path, download=False)


def test_every_family_with_a_regressor_has_one_and_the_others_say_which_do():
    assert backend_methods("sklearn", "regression") == list(REGRESSORS)
    for method in REGRESSORS:
        assert is_regressor(make_estimator(method, task="regression")), method
    with pytest.raises(UnknownNameError, match="no regressor.*Ridge Regression"):
        make_estimator("Gaussian Naive Bayes", task="regression")


def test_regression_metrics_are_r2_rmse_and_mae():
    metrics = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert metrics["r2"] == pytest.approx(0.5)  # 1 - 1 / 2
    assert metrics["rmse"] == pytest.approx(math.sqrt(1 / 3)) and metrics["mae"] == pytest.approx(1 / 3)
    assert regression_metrics(np.array([1.0, 2.0]), np.array([np.nan, 1.0])) == {"r2": None, "rmse": None,
                                                                                   "mae": None}


def test_a_data_file_with_a_numeric_target_is_measured_as_regression(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.normal(size=120), "kind": rng.choice(["a", "b", "c"], size=120)})
    frame["price"] = 3 * frame["size"] + frame["kind"].map({"a": 0.0, "b": 1.0, "c": 2.0}) + rng.normal(0, .1, 120)
    path = tmp_path / "houses.csv"
    frame.to_csv(path, index=False)
    data = prepare(load_data_file(path, "price", task="regression"))
    assert data.task == "regression" and data.categorical_columns == ["kind"]
    record = measure_run(data, "Ridge Regression", RunSettings(output_dir=tmp_path, hyperparameters="default"),
                         Meter(monitor="estimate"))
    infer = next(f for f in record.folders if f.kind == "infer")
    results = json.loads(infer.files["results.json"])
    assert results["learning_task"] == "regression" and results["metrics"]["r2"] > 0.95
    config = json.loads(infer.files["config.json"])
    assert config["spec"]["task"] == "regression" and config["learning_task"] == "regression"


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("regression")
    env = dict(os.environ, OMP_NUM_THREADS="1")  # HGB's OpenMP threads crawl on a loaded shared machine
    done = subprocess.run([sys.executable, "-m", "mlee.quickstart", "--output", str(out), "--dataset", "diabetes",
                           "--model", *MODELS, "--repeats", "2", "--issue-date", "2026-11-29", "--no-serve"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def rated(chain) -> pd.DataFrame:
    return rate(aggregate_runs(load_results(chain / "results")), RatingSettings.default())


def test_the_sweep_records_the_task_and_a_regressors_robustness_as_not_applicable(chain):
    infer = sorted((chain / "results" / "sklearn").glob("infer_*.json"))
    assert len(infer) == 6  # 3 methods x 2 repeats
    for path in infer:
        data = json.loads(path.read_text())
        assert data["config"]["learning_task"] == "regression" and data["config"]["spec"]["task"] == "regression"
        results = data["validation"]["results"]
        assert set(results["metrics"]) == {"r2", "rmse", "mae"}
        robustness = results["robustness"]
        assert robustness["metrics"]["noise_drop"] is None and "regressor" in robustness["not_available"]["ece"]
        assert robustness["metrics"]["latency_p50"] > 0


def test_the_rating_is_relative_to_ridge_and_honours_each_metrics_direction(rated):
    assert set(rated["learning_task"]) == {"regression"} and len(rated) == 6
    assert not rated["reference_fallback"].any() and set(rated["reference_model"]) == {"Ridge Regression"}
    assert rated["top1_val"].isna().all() and rated["f1_val_rating"].isna().all()
    inference = rated[rated["task"] == "inference"].set_index("model")
    ridge, knn = inference.loc["Ridge Regression"], inference.loc["k-Nearest Neighbors"]
    assert knn["r2_val_index"] == pytest.approx(knn["r2_val"] / ridge["r2_val"])  # higher is better
    assert knn["rmse_val_index"] == pytest.approx(ridge["rmse_val"] / knn["rmse_val"])  # lower is better
    assert knn["mae_val_index"] == pytest.approx(ridge["mae_val"] / knn["mae_val"])
    assert inference["r2_val_rating"].notna().all() and inference["rmse_val_rating"].notna().all()
    assert inference["compound_rating"].notna().all()


def test_labels_show_r2_and_rmse(chain):
    labels = sorted((chain / "labels").glob("*.pdf"))
    assert len(labels) == 6
    for path in labels:
        text = " ".join(page.extract_text() for page in PdfReader(path).pages)
        assert "R^2" in text and "RMSE" in text and "Diabetes" in text, path.name
        assert "Top-1" not in text and "F1" not in text


def test_paper_tables_show_r2(chain, rated):
    paper = chain / "paper_results"
    table = (paper / "table_best_models.tex").read_text()
    assert "Diabetes" in table and escape_latex("R^2") in table and "F1" not in table
    best = rated[rated["task"] == "inference"].sort_values("compound_rating").iloc[0]
    assert f"{best['r2_val']:.3f}" in table or "n.a." not in table
    weights = (paper / "table_weights_regression.tex").read_text()
    assert escape_latex("R^2 (coefficient of determination)") in weights and "F1" not in weights
    assert (paper / "scatter index.pdf").is_file()


def test_the_export_has_the_learning_task_and_the_regression_metrics(chain, tmp_path):
    path = tmp_path / "rated.csv"
    done = subprocess.run([sys.executable, "-m", "mlee.label_generator", "--directory", str(chain / "results"),
                           "--export", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(path)
    assert set(table["learning_task"]) == {"regression"}
    assert table["r2_val"].between(0, 1).all() and (table["rmse_val"] > 0).all() and table["top1_val"].isna().all()
    assert set(table["r2_val_rating"]) <= set("ABCDE")


@needs_browser
def test_elex_shows_r2_for_the_regression_dataset(chain, tmp_path):
    server = Server(chain / "results", tmp_path / "server.log")
    driver = None
    try:
        server.wait()
        driver = make_driver(tmp_path)
        fig = open_page(driver, server.url)
        assert "R^2" in (fig["ytitle"] or ""), fig["ytitle"]
        points = [y for trace in fig["traces"] if trace["custom"] for y in trace["y"]]
        assert len(points) == len(MODELS) and all(y is not None for y in points)
        assert "R^2" in driver.find_element("id", "y-metric").text
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


def test_elex_offers_diabetes_and_launches_only_the_methods_that_have_a_regressor():
    from mlee.elex.run_request import RunRequest, dataset_choices

    assert ("diabetes", "Diabetes (bundled)") in dataset_choices()
    request = RunRequest(("iris", "diabetes"), ("Gaussian Naive Bayes", "Ridge Regression"))
    assert request.pairs == [("iris", "Gaussian Naive Bayes"), ("iris", "Ridge Regression"),
                             ("diabetes", "Ridge Regression")]


def test_a_csv_with_a_numeric_target_is_rated_as_regression_from_the_command_line(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"size": rng.normal(size=150), "kind": rng.choice(["a", "b"], size=150)})
    frame["price"] = 2 * frame["size"] + frame["kind"].map({"a": 0.0, "b": 1.0}) + rng.normal(0, 0.2, 150)
    path = tmp_path / "houses.csv"
    frame.to_csv(path, index=False)
    logs, results = tmp_path / "logs", tmp_path / "results"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "evaluate_sklearn.py", "--dataset", str(path), "--target", "price",
                           "--task", "regression", "--model", "RR", "kNN", "--hyperparameters", "default",
                           "--output-dir", str(logs), "--monitor", "estimate", "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    merged = subprocess.run([sys.executable, "merge_results.py", "--directory", str(logs), "--output-agglog-dir",
                             str(results), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert merged.returncode == 0, merged.stderr[-2000:]
    table = rate(aggregate_runs(load_results(results)), RatingSettings.default())
    assert set(table["learning_task"]) == {"regression"} and set(table["reference_model"]) == {"Ridge Regression"}
    inference = table[table["task"] == "inference"].set_index("model")
    assert inference.loc["Ridge Regression", "r2_val"] > 0.95 and inference["r2_val_rating"].notna().all()


@pytest.mark.parametrize("method", REGRESSORS)
def test_sampled_regression_configurations_fit_and_are_counted(method):
    import warnings

    from sklearn.datasets import load_diabetes
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import ParameterSampler
    from threadpoolctl import threadpool_limits

    from mlee.runs.complexity import count_flops, count_parameters
    from mlee.runs.methods import method_search_space

    X, y = load_diabetes(return_X_y=True)
    X, y = X[::4], y[::4]
    space = method_search_space(method, "regression")
    configs = list(ParameterSampler(space, n_iter=3, random_state=0))
    for key, values in space.items():  # every listed value in some configuration
        if isinstance(values, list):
            configs += [{**configs[0], key: value} for value in values]
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for params in configs:
            model = make_estimator(method, params, seed=0, task="regression").fit(X, y)
            assert is_regressor(model) and model.predict(X[:3]).shape == (3,)
            assert count_parameters(model) > 0 and count_flops(model) > 0
