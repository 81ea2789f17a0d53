"""Datasets and preparation: names, bundled loading, seeded stratified split, train-only preprocessing,
offline OpenML from a filled cache, and clear errors for datasets that need a download."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlee.runs.datasets import (Dataset, SyntheticSpec, load_dataset, openml_cache_root,
                                      resolve_dataset_name)
from mlee.runs.errors import DatasetUnavailableError, UnknownNameError
from mlee.runs.preparation import prepare


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a host or open a connection fails at once (no DNS hang, no traffic)."""
    calls = []

    def blocked(*args, **kwargs):
        calls.append(args)
        raise OSError("network access is blocked in tests")

    monkeypatch.setattr(socket, "getaddrinfo", blocked)
    monkeypatch.setattr(socket.socket, "connect", blocked)
    return calls


def fill_openml_cache_with_iris(data_home: Path) -> None:
    """Copy scikit-learn's OpenML test fixture of iris (data id 61) into the cache layout fetch_openml reads."""
    try:
        src = Path(str(resources.files("sklearn.datasets.tests.data.openml") / "id_61"))
    except ModuleNotFoundError:
        pytest.skip("scikit-learn was installed without its test data")
    if not src.is_dir():
        pytest.skip("scikit-learn was installed without its OpenML test fixtures")
    description = json.loads(gzip.open(src / "api-v1-jd-61.json.gz").read())
    arff_path = description["data_set_description"]["url"].split("openml.org/", 1)[1]
    mapping = {
        "api-v1-jd-61.json.gz": "api/v1/json/data/61",
        "api-v1-jdf-61.json.gz": "api/v1/json/data/features/61",
        "api-v1-jdq-61.json.gz": "api/v1/json/data/qualities/61",
        "api-v1-jdl-dn-iris-l-2-s-act-.json.gz": "api/v1/json/data/list/data_name/iris/limit/2/status/active/",
        "api-v1-jdl-dn-iris-l-2-dv-1.json.gz": "api/v1/json/data/list/data_name/iris/limit/2/data_version/1",
        "data-v1-dl-61.arff.gz": arff_path,
    }
    root = openml_cache_root(data_home)
    for fixture, rel in mapping.items():
        target = root / (rel + ".gz")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / fixture, target)


# ------------------------------------------------------------------------------------------------------ names

@pytest.mark.parametrize("given, key", [("iris", "iris"), ("IRIS", "iris"), ("Breast Cancer", "breast_cancer"),
                                        ("breast-cancer", "breast_cancer"), ("German Credit", "credit-g"),
                                        ("openml:kc1", "openml:kc1"), ("synthetic_500x8x3", "synthetic_500x8x3")])
def test_dataset_names_resolve(given, key):
    assert resolve_dataset_name(given) == key


def test_unknown_dataset_lists_valid_names_and_fix():
    with pytest.raises(UnknownNameError) as err:
        resolve_dataset_name("irsi")
    message = str(err.value)
    assert "'irsi'" in message and "digits" in message and "openml:<name>" in message


# --------------------------------------------------------------------------------------------- bundled + split

@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
def test_bundled_datasets_match_the_table(name):
    from mlee import catalog

    data = load_dataset(name)
    entry = catalog.datasets()[name]
    assert data.shape == (entry["rows"], entry["features"])
    assert len(np.unique(data.y)) == entry["classes"]
    assert data.display == entry["display"]


def test_split_is_deterministic_stratified_and_seeded():
    wine = load_dataset("wine")
    a, b = prepare(wine, seed=7), prepare(wine, seed=7)
    c = prepare(wine, seed=8)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_test, c.X_test)
    assert a.X_test.shape[0] == round(178 * 0.25) or a.X_test.shape[0] == int(np.ceil(178 * 0.25))
    # stratified: class proportions in the test split follow the whole dataset within one sample
    whole = np.bincount(wine.y) / len(wine.y)
    test = np.bincount(a.y_test) * 1.0
    assert np.all(np.abs(test - whole * len(a.y_test)) <= 1.0)


def test_scaling_is_fitted_on_the_training_split_only():
    data = prepare(load_dataset("breast_cancer"), seed=3)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1.0, atol=1e-9)
    assert np.abs(data.X_test.mean(axis=0)).max() > 1e-3  # test split is transformed, not refitted


def test_categoricals_are_imputed_and_one_hot_encoded_from_training_rows():
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame({
        "size": rng.normal(size=n),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=n)),
        "flag": rng.choice(["yes", "no"], size=n).astype(object),
    })
    frame.loc[3, "size"] = np.nan
    frame.loc[5, "colour"] = np.nan
    y = np.array(["a", "b"] * (n // 2))
    data = prepare(Dataset("toy", frame, y, "Toy", "test"), seed=0)
    assert data.categorical_columns == ["colour", "flag"]
    assert data.X_train.shape[1] == 1 + 3 + 2
    assert not np.isnan(data.X_train).any() and not np.isnan(data.X_test).any()
    one_hot = data.X_train[:, 1:4]
    np.testing.assert_allclose(one_hot.sum(axis=1), 1.0)
    assert data.classes == ["a", "b"]


def test_classes_in_one_split_only_are_dropped_with_a_warning():
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.array([0] * 9 + [1] * 10 + [2])  # class 2 has a single sample
    with pytest.warns(UserWarning, match="single sample"):
        data = prepare(Dataset("toy", X, y, "Toy", "test"), seed=0)
    assert data.dropped_classes == [2]
    assert data.n_classes == 2
    assert len(data.y_train) + len(data.y_test) == 19


def test_synthetic_dataset_has_the_requested_size():
    data = load_dataset("synthetic", synthetic=SyntheticSpec(300, 6, 4), seed=1)
    assert data.key == "synthetic_300x6x4" and data.shape == (300, 6)
    assert len(np.unique(data.y)) == 4
    again = load_dataset("synthetic_300x6x4", seed=1)
    np.testing.assert_array_equal(again.X, data.X)
    with pytest.raises(ValueError, match="--synthetic-features"):
        load_dataset("synthetic", synthetic=SyntheticSpec(300, 2, 8))


# ----------------------------------------------------------------------------------------------- offline paths

def test_openml_dataset_loads_offline_from_a_filled_cache(tmp_path, no_network):
    fill_openml_cache_with_iris(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "multiple active versions" from the fixture
        data = load_dataset("openml:iris", data_home=tmp_path)
        pinned = load_dataset("openml:iris@1", data_home=tmp_path, download=False)
    assert data.shape == (150, 4) and pinned.shape == (150, 4)
    assert set(np.unique(data.y)) == {"Iris-setosa", "Iris-versicolor", "Iris-virginica"}
    assert data.details["parser"] == "liac-arff"
    prepared = prepare(data, seed=0)
    assert prepared.n_classes == 3
    assert no_network == []  # everything came from the cache


def test_study_openml_dataset_offline_gives_a_clear_error(tmp_path, no_network):
    with pytest.raises(DatasetUnavailableError) as err:
        load_dataset("credit-g", data_home=tmp_path, openml_retries=1, openml_delay=0.01)
    message = str(err.value)
    assert "credit-g" in message and "--data-home" in message and str(tmp_path) in message
    assert no_network, "the OpenML path should have tried (and failed) to connect"


def test_no_download_mode_never_touches_the_network(tmp_path, no_network):
    for name in ("credit-g", "covtype", "openml:kc1"):
        with pytest.raises(DatasetUnavailableError, match="downloads are switched off"):
            load_dataset(name, data_home=tmp_path, download=False)
    assert no_network == []
