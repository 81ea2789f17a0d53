"""The sklearnex and torch backends: real fits on bundled data, recorded provenance (accelerated / fallback /
stock per method), accuracy within tolerance of scikit-learn's, counts read from the PyTorch model, clear errors
for unknown parameters and an absent GPU, and GPU energy from NVML (fake handle) for a torch run."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import numpy as np
import pytest

from mlee.cli import evaluate as cli
from mlee.runs.complexity import count_flops, count_parameters, model_info
from mlee.runs.datasets import load_dataset
from mlee.runs.errors import UnknownNameError
from mlee.runs.hyperparams import find_hyperparameters
from mlee.runs.methods import get_backend, make_estimator
from mlee.runs.preparation import prepare
from mlee.runs.runner import RunSettings, run_with_settings
from mlee.executors.sweep import run_sweep

pytest.importorskip("sklearnex")
torch = pytest.importorskip("torch")

ACCELERATED = ("k-Nearest Neighbors", "Support Vector Machine", "Random Forest", "Extra Random Forest",
               "Logistic Regression")


@pytest.fixture(scope="module")
def meter():
    from mlee.monitoring import Meter

    return Meter(monitor="estimate")


@pytest.fixture(scope="module")
def data():
    return {name: prepare(load_dataset(name), seed=42) for name in ("iris", "digits", "wine", "breast_cancer")}


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _fit_accuracy(estimator, d) -> float:
    estimator.fit(d.X_train, d.y_train)
    return float((estimator.predict(d.X_test) == d.y_test).mean())


# ------------------------------------------------------------------------------------------------- sklearnex

def test_sklearnex_runs_record_accelerated_and_stock_methods(tmp_path, meter, data):
    settings = RunSettings(output_dir=tmp_path, backend="sklearnex", hyperparameters="default")
    methods = ("k-Nearest Neighbors", "Support Vector Machine", "Gaussian Naive Bayes")
    outcomes = run_sweep([("iris", m) for m in methods], settings, meter, progress=False)
    assert [o.error for o in outcomes] == [None] * 3
    by_method = {o.method: o for o in outcomes}
    for method, cls in (("k-Nearest Neighbors", "KNeighborsClassifier"), ("Support Vector Machine", "SVC")):
        train = _read(by_method[method].train_dir / "results.json")["backend_provenance"]
        infer = _read(by_method[method].infer_dir / "results.json")["backend_provenance"]
        assert train == {"status": "accelerated", "calls": {f"{cls}.fit": "accelerated"}, "devices": ["CPU"]}
        assert infer["status"] == "accelerated" and infer["calls"][f"{cls}.predict"] == "accelerated"
    gnb = _read(by_method["Gaussian Naive Bayes"].train_dir / "results.json")["backend_provenance"]
    assert gnb == {"status": "stock", "calls": {}, "devices": []}
    config = _read(by_method["Support Vector Machine"].train_dir / "config.json")
    assert config["backend"] == "sklearnex"
    assert config["backend_version"] == importlib.metadata.version("scikit-learn-intelex")
    for folder in (by_method["k-Nearest Neighbors"].train_dir, by_method["k-Nearest Neighbors"].infer_dir):
        # sklearnex's per-call messages (also those of predict_proba for the quality metrics, outside the trace)
        # go into the provenance record only, not through the root logger into the run's log (or to stderr)
        assert "running accelerated" not in (folder / "logfile.txt").read_text()


@pytest.mark.parametrize("method,params,call", [
    ("Random Forest", {"criterion": "entropy"}, "RandomForestClassifier.fit"),  # oneDAL has gini only
    ("Logistic Regression", {"solver": "saga"}, "LogisticRegression.fit"),
])
def test_sklearnex_records_a_fallback(data, method, params, call):
    backend = get_backend("sklearnex")
    estimator = make_estimator(method, params, seed=0, backend="sklearnex")
    with backend.trace(method) as calls:
        estimator.fit(data["wine"].X_train, data["wine"].y_train)
    record = calls.record()
    assert record["calls"][call] == "fallback" and record["status"] == "fallback"
    with backend.trace(method) as calls:  # the same class with settings oneDAL has
        make_estimator(method, {}, seed=0, backend="sklearnex").fit(data["wine"].X_train, data["wine"].y_train)
    assert calls.record()["status"] == "accelerated"


@pytest.mark.parametrize("method", ACCELERATED)
def test_sklearnex_accuracy_matches_sklearn_without_patching_it(data, method):
    import sklearn.neighbors

    d = data["digits"]
    stock = make_estimator(method, {}, seed=3)
    accelerated = make_estimator(method, {}, seed=3, backend="sklearnex")
    assert type(accelerated).__module__.startswith("sklearnex.")
    assert type(stock).__module__.startswith("sklearn.")
    assert sklearn.neighbors.KNeighborsClassifier.__module__.startswith("sklearn.")  # no global patching
    assert abs(_fit_accuracy(accelerated, d) - _fit_accuracy(stock, d)) <= 0.02
    info = model_info(accelerated)  # the complexity table reads sklearnex models too
    assert info["params"] > 0 and info["flops"] > 0 and info["fsize"] > 0


# ----------------------------------------------------------------------------------------------------- torch

@pytest.mark.parametrize("dataset", ["wine", "breast_cancer"])
@pytest.mark.parametrize("method", ["Logistic Regression", "Multilayer Perceptron"])
def test_torch_accuracy_close_to_sklearn_with_the_shipped_hyperparameters(data, dataset, method):
    d = data[dataset]
    params = find_hyperparameters(dataset, method).params
    stock = _fit_accuracy(make_estimator(method, params, seed=1), d)
    torch_model = make_estimator(method, params, seed=1, backend="torch")
    assert type(torch_model).__module__ == "mlee.backends.torch_models"
    assert abs(_fit_accuracy(torch_model, d) - stock) <= 0.04
    proba = torch_model.predict_proba(d.X_test)
    assert proba.shape == (len(d.X_test), d.n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer"])  # softmax and sigmoid output
def test_torch_counts_come_from_the_model_and_match_sklearns_for_the_same_architecture(data, dataset):
    d = data[dataset]
    for method, params in (("Multilayer Perceptron", {"hidden_layer_sizes": (16, 8), "max_iter": 5}),
                           ("Logistic Regression", {})):
        stock = make_estimator(method, params, seed=0).fit(d.X_train, d.y_train)
        model = make_estimator(method, params, seed=0, backend="torch").fit(d.X_train, d.y_train)
        assert count_parameters(model) == sum(p.numel() for p in model.model_.parameters())
        assert count_parameters(model) == count_parameters(stock)
        assert count_flops(model) == count_flops(stock)


def test_torch_seeding_is_deterministic_and_private(data):
    d = data["wine"]
    params = {"hidden_layer_sizes": (32,), "max_iter": 20}
    global_state = torch.random.get_rng_state()
    first = make_estimator("MLP", params, seed=7, backend="torch").fit(d.X_train, d.y_train)
    assert torch.equal(torch.random.get_rng_state(), global_state)
    again = make_estimator("MLP", params, seed=7, backend="torch").fit(d.X_train, d.y_train)
    other = make_estimator("MLP", params, seed=8, backend="torch").fit(d.X_train, d.y_train)
    np.testing.assert_array_equal(first.predict_proba(d.X_test), again.predict_proba(d.X_test))
    assert first.loss_curve_ == again.loss_curve_
    assert not np.array_equal(first.predict_proba(d.X_test), other.predict_proba(d.X_test))


def test_torch_rejects_what_it_does_not_have(data):
    with pytest.raises(ValueError, match=r"momentum.*backend torch|backend torch.*momentum"):
        make_estimator("MLP", {"momentum": 0.9}, backend="torch")
    with pytest.raises(UnknownNameError, match="Logistic Regression, Multilayer Perceptron"):
        make_estimator("Random Forest", backend="torch")
    with pytest.raises(ValueError, match="only 'adam'"):
        make_estimator("MLP", {"solver": "sgd"}, backend="torch").fit(data["iris"].X_train, data["iris"].y_train)
    with pytest.raises(ValueError, match="--device"):
        make_estimator("Random Forest", device="cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU answers here")
def test_cli_device_cuda_without_a_gpu_fails_clearly(tmp_path, capsys):
    argv = ["--dataset", "iris", "--model", "LR", "--output-dir", str(tmp_path / "logs"), "--no-progress"]
    assert cli.evaluate_main(argv + ["--backend", "torch", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU answers" in err and "--device cpu" in err and "Traceback" not in err
    assert cli.evaluate_main(argv + ["--device", "cuda"]) == 2  # sklearn has no device choice
    assert "only --backend torch" in capsys.readouterr().err
    assert cli.evaluate_main(["--dataset", "iris", "--model", "RF", "--backend", "torch", "--no-progress",
                              "--output-dir", str(tmp_path / "logs")]) == 2
    assert "has no Random Forest" in capsys.readouterr().err
    assert not (tmp_path / "logs").exists()


def test_torch_run_reads_gpu_energy_from_nvml_and_records_the_device(tmp_path, data):
    from test_monitoring_nvml import FakeNvml, gpus

    from mlee.monitoring import Meter

    class CountingNvml(FakeNvml):
        """Each energy read advances the GPU's counter by 2 J, as a busy GPU's would."""

        def nvmlDeviceGetTotalEnergyConsumption(self, h: dict) -> int:
            h["energy_mj"] += 2000
            return h["energy_mj"]

    meter = Meter(monitor="nvml", nvml=CountingNvml(gpus(1)))
    settings = RunSettings(output_dir=tmp_path, backend="torch", hyperparameters="default")
    outcome = run_with_settings(data["iris"], "Logistic Regression", settings, meter)
    assert outcome.ok, outcome.error
    measurement = _read(outcome.train_dir / "measurement.json")
    [gpu] = measurement["sources"]
    assert (gpu["method"], gpu["domain"], gpu["energy_j"]) == ("nvml-energy", "gpu", pytest.approx(2.0))
    assert measurement["energy_j"] == pytest.approx(2.0) and not measurement["estimated"]
    config = _read(outcome.train_dir / "config.json")
    assert config["backend"] == "torch" and config["device"] == "cpu"
    assert config["backend_version"] == torch.__version__
    results = _read(outcome.train_dir / "results.json")
    assert results["model"]["params"] == 15 and results["history"]["n_iter"] > 0
