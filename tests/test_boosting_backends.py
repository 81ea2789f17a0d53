"""XGBoost and LightGBM as backends of the Histogram Gradient Boosting method: real fits in both learning tasks,
hyperparameters in scikit-learn's names translated, their complexity read from the tree dumps, measured runs
through the command line, and a clear exit 2 naming the extra when a library is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_diabetes, load_iris

from mlee.backends import boosting
from mlee.runs.complexity import count_flops, count_parameters
from mlee.runs.errors import UnknownNameError
from mlee.runs.methods import backend_methods, make_estimator

ROOT = Path(__file__).resolve().parents[1]
HGB = "Histogram Gradient Boosting"
PARAMS = {"max_iter": 12, "max_leaf_nodes": 7, "min_samples_leaf": 5, "l2_regularization": 0.5, "learning_rate": 0.2}
CLASSES = {("xgboost", "classification"): "XGBClassifier", ("xgboost", "regression"): "XGBRegressor",
           ("lightgbm", "classification"): "LGBMClassifier", ("lightgbm", "regression"): "LGBMRegressor"}

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")


@pytest.mark.parametrize("backend, task", sorted(CLASSES))
def test_hgb_hyperparameters_build_the_library_estimator_that_fits(backend, task):
    X, y = load_iris(return_X_y=True) if task == "classification" else load_diabetes(return_X_y=True)
    model = make_estimator(HGB, PARAMS, seed=3, backend=backend, task=task)
    assert type(model).__name__ == CLASSES[(backend, task)]
    params = model.get_params()
    assert params["n_estimators"] == 12 and params["reg_lambda"] == 0.5 and params["random_state"] == 3
    assert params["max_leaves" if backend == "xgboost" else "num_leaves"] == 7
    model.fit(X, y)
    assert model.score(X, y) > (0.9 if task == "classification" else 0.3)
    shape = boosting.tree_shape(model)
    rounds = 3 if task == "classification" else 1  # iris: one tree per class and round
    assert len(shape) == 12 * rounds
    assert count_parameters(model) == sum(2 * nodes for nodes, _ in shape)
    assert all(nodes <= 2 * 7 - 1 for nodes, _ in shape)  # at most max_leaf_nodes leaves per tree
    link = 3 * rounds if task == "classification" else 0
    assert count_flops(model) == sum(depth + 1 for _, depth in shape) + link


def test_the_backends_implement_gradient_boosting_only():
    for backend in ("xgboost", "lightgbm"):
        assert backend_methods(backend) == [HGB] and backend_methods(backend, "regression") == [HGB]
        with pytest.raises(UnknownNameError, match="Use --backend sklearn"):
            make_estimator("Random Forest", backend=backend)


def _evaluate(*args: str, tmp: Path, prelude: str = "") -> subprocess.CompletedProcess:
    code = (f"import sys; {prelude}from mlee.cli.evaluate import evaluate_main; "
            f"sys.exit(evaluate_main({list(args)!r}))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin",
                               "HOME": str(tmp)})


@pytest.mark.parametrize("backend, version", [("xgboost", xgboost.__version__), ("lightgbm", lightgbm.__version__)])
def test_a_sweep_of_both_tasks_records_the_library(backend, version, tmp_path):
    out = tmp_path / "logs"
    done = _evaluate("--backend", backend, "--dataset", "iris", "diabetes", "--model", "HGB", "--output-dir",
                     str(out), "--monitor", "estimate", "--no-progress", "--no-robustness", tmp=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    infers = sorted(out.glob("infer_*"))
    assert len(infers) == 2
    seen = {}
    for folder in infers:
        config = json.loads((folder / "config.json").read_text())
        results = json.loads((folder / "results.json").read_text())
        assert config["backend"] == backend and config["backend_version"] == version
        assert config["hyperparameters_file"].endswith(f"__{config['dataset']}__Histogram_Gradient_Boosting.json")
        assert results["model"]["params"] > 0 and results["model"]["flops"] > 0
        seen[config["dataset"]] = results["metrics"]
    assert seen["iris"]["accuracy"] > 0.8 and seen["diabetes"]["r2"] > 0.2


@pytest.mark.parametrize("backend, extra", [("xgboost", "xgboost-cpu"), ("lightgbm", "lightgbm")])
def test_a_missing_library_exits_2_naming_the_extra(backend, extra, tmp_path):
    done = _evaluate("--backend", backend, "--dataset", "iris", "--model", "HGB", "--output-dir",
                     str(tmp_path / "logs"), tmp=tmp_path, prelude=f"sys.modules[{backend!r}] = None; ")
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"pip install 'mlee[{extra}]'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "logs").exists()
