"""Histogram gradient boosting as a catalog method: both tasks fitted for real, its counts, search space, the
shipped search and a measured run."""

from __future__ import annotations

import json

import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import ParameterSampler
from threadpoolctl import threadpool_limits

from mlee.monitoring import Meter
from mlee.runs.complexity import count_flops, count_parameters
from mlee.runs.datasets import load_dataset
from mlee.runs.hyperparams import find_hyperparameters, run_search
from mlee.runs.methods import make_estimator, method_search_space, resolve_method_name
from mlee.runs.preparation import prepare
from mlee.runs.runner import RunSettings, measure_run

HGB = "Histogram Gradient Boosting"


@pytest.fixture(autouse=True)
def one_thread():
    """HGB's OpenMP threads crawl on a shared, loaded machine; one thread keeps these fits quick."""
    with threadpool_limits(1):
        yield


def test_the_short_name_gives_the_classifier_and_the_regressor():
    assert resolve_method_name("hgb") == HGB
    assert isinstance(make_estimator("HGB", seed=0), HistGradientBoostingClassifier)
    regressor = make_estimator("HGB", seed=0, task="regression")
    assert isinstance(regressor, HistGradientBoostingRegressor) and regressor.random_state == 0


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_sampled_configurations_fit_and_are_counted(task):
    X, y = load_iris(return_X_y=True) if task == "classification" else load_diabetes(return_X_y=True)
    for params in ParameterSampler(method_search_space(HGB, task), n_iter=3, random_state=0):
        params["max_iter"] = min(params["max_iter"], 20)
        model = make_estimator(HGB, params, seed=0, task=task).fit(X, y)
        trees = [t for iteration in model._predictors for t in iteration]
        assert count_parameters(model) == sum(2 * len(t.nodes) for t in trees) + model._baseline_prediction.size
        depth = sum(int(t.nodes["depth"].max()) + 1 for t in trees)
        link = 3 * len(model._predictors[0]) if task == "classification" else 0
        assert count_flops(model) == depth + link
        assert model.predict(X[:4]).shape == (4,)


def test_three_classes_grow_three_trees_per_iteration():
    X, y = load_iris(return_X_y=True)
    model = make_estimator(HGB, {"max_iter": 5}, seed=0).fit(X, y)
    assert {len(iteration) for iteration in model._predictors} == {3}
    assert count_flops(model) > 3 * 5  # every tree at least one step, plus the softmax


def test_the_shipped_search_has_hgb_for_the_bundled_classification_datasets():
    for dataset in ("iris", "wine", "breast_cancer", "digits"):
        hp = find_hyperparameters(dataset, HGB)
        assert "shipped" in hp.source and set(hp.params) <= set(method_search_space(HGB))
        make_estimator(HGB, hp.params)  # the stored values are valid parameters


def test_a_regression_search_scores_r2_with_plain_folds():
    data = prepare(load_dataset("diabetes"))
    result = run_search(data, HGB, n_iter=2, folds=2)
    assert len(result["params"]) == 2
    assert all(-1.0 < score <= 1.0 for score in result["mean_test_score"])  # R^2, not an accuracy in [0, 1]


@pytest.mark.parametrize("dataset, quality", [("iris", "accuracy"), ("diabetes", "r2")])
def test_a_measured_run_of_each_task(dataset, quality, tmp_path):
    data = prepare(load_dataset(dataset))
    settings = RunSettings(output_dir=tmp_path, hyperparameters="default", robustness=False)
    record = measure_run(data, HGB, settings, Meter(monitor="estimate"))
    assert record.error is None
    infer = next(f for f in record.folders if f.kind == "infer")
    results = json.loads(infer.files["results.json"])
    assert results["learning_task"] == data.task
    assert results["metrics"][quality] > 0.3
    assert results["model"]["params"] > 0 and results["model"]["flops"] > 0
