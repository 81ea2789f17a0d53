"""A user's data file through ``evaluate_sklearn.py``: a CSV with categorical columns and the same data as Parquet
run as one dataset (one key, the same identities and results); every file mlee cannot use stops the command
with exit 2 before any run, naming the problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from run_support import strip_run_specific

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["Gaussian Naive Bayes", "Logistic Regression"]


def _evaluate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "evaluate_sklearn.py"), "--monitor", "estimate",
                           "--no-progress", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def flowers() -> pd.DataFrame:
    frame = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
    frame["species"] = frame["species"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    rng = np.random.default_rng(3)
    frame["colour"] = rng.choice(["red", "green", "blue"], size=len(frame))
    frame["size"] = rng.choice(["small", "large"], size=len(frame))
    return frame


def _runs(out: Path) -> dict[str, dict]:
    """method -> {identity, dataset, spec fingerprint, infer results without run-specific keys}."""
    runs = {}
    for infer in out.glob("infer_*"):
        config = json.loads((infer / "config.json").read_text())
        results = strip_run_specific(json.loads((infer / "results.json").read_text()))
        results.pop("robustness", None)  # latency percentiles and timings aside, robustness repeats the run
        runs[config["model"]] = {"identity": config["identity"], "dataset": config["dataset"],
                                 "fingerprint": config["spec"]["dataset_fingerprint"], "results": results}
    return runs


def test_the_same_data_as_csv_and_as_parquet_runs_as_one_dataset(tmp_path):
    frame = flowers()
    (tmp_path / "csv").mkdir()
    (tmp_path / "parquet").mkdir()
    frame.to_csv(tmp_path / "csv" / "flowers.csv", index=False)
    frame.to_parquet(tmp_path / "parquet" / "flowers.parquet", index=False)
    for kind in ("csv", "parquet"):
        done = _evaluate("--dataset", str(tmp_path / kind / f"flowers.{kind}"), "--target", "species",
                         "--model", *METHODS, "--output-dir", str(tmp_path / f"logs_{kind}"))
        assert done.returncode == 0, done.stderr[-3000:]
    from_csv, from_parquet = _runs(tmp_path / "logs_csv"), _runs(tmp_path / "logs_parquet")
    assert set(from_csv) == set(METHODS)
    assert from_csv == from_parquet
    key = from_csv[METHODS[0]]["dataset"]
    assert key.startswith("file:flowers@") and len(key.partition("@")[2]) == 12
    assert from_csv[METHODS[0]]["results"]["data"]["shape"]["train"][1] == 4 + 3 + 2  # one-hot colour and size
    assert from_csv[METHODS[0]]["results"]["metrics"]["accuracy"] > 0.8


def test_another_content_is_another_dataset(tmp_path):
    frame = flowers()
    frame.to_csv(tmp_path / "flowers.csv", index=False)
    first = _evaluate("--dataset", str(tmp_path / "flowers.csv"), "--target", "species", "--model", "GNB",
                      "--output-dir", str(tmp_path / "a"))
    frame.loc[0, "colour"] = "green" if frame.loc[0, "colour"] != "green" else "red"
    frame.to_csv(tmp_path / "flowers.csv", index=False)
    second = _evaluate("--dataset", str(tmp_path / "flowers.csv"), "--target", "species", "--model", "GNB",
                       "--output-dir", str(tmp_path / "b"))
    assert first.returncode == second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    (a,), (b,) = _runs(tmp_path / "a").values(), _runs(tmp_path / "b").values()
    assert a["dataset"] != b["dataset"] and a["identity"] != b["identity"]


def _write(path: Path, frame: pd.DataFrame | None, text: str | None = None) -> Path:
    if text is not None:
        path.write_text(text)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


ROWS = 120
BASE = pd.DataFrame({"x": np.linspace(0, 1, ROWS), "label": ["a", "b"] * (ROWS // 2)})
BAD_FILES = {
    "missing target": ("data.csv", BASE, None, "label", ["no column 'label'", "x, y"]),
    "empty file": ("empty.csv", None, "", "label", ["is empty"]),
    "header only": ("header.csv", None, "x,label\n", "label", ["0 rows"]),
    "constant target": ("constant.csv", BASE.assign(label="a"), None, "label", ["single value 'a'"]),
    "dates": ("dates.parquet", BASE.assign(when=pd.date_range("2026-01-01", periods=ROWS)), None, "label",
              ["'when'", "dates or times"]),
    "free text": ("ids.csv", BASE.assign(note=[f"customer {i}" for i in range(ROWS)]), None, "label",
                  ["'note'", "free text or an identifier"]),
    "a quantity as classes": ("amount.csv", BASE.assign(label=np.linspace(0.5, 99.5, ROWS)), None, "label",
                              ["--task regression"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_file_mlee_cannot_use_exits_2_naming_the_problem(tmp_path, case):
    name, frame, text, target, words = BAD_FILES[case]
    if case == "missing target":
        frame = frame.rename(columns={"label": "y"})
    path = _write(tmp_path / name, frame, text)
    done = _evaluate("--dataset", str(path), "--target", target, "--model", "GNB",
                     "--output-dir", str(tmp_path / "logs"))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)
    assert not (tmp_path / "logs").exists()  # refused before any run


def test_a_data_file_needs_its_target_column_named(tmp_path):
    path = _write(tmp_path / "data.csv", BASE)
    done = _evaluate("--dataset", str(path), "--model", "GNB", "--output-dir", str(tmp_path / "logs"))
    assert done.returncode == 2 and "--target COLUMN" in done.stderr, done.stderr[-2000:]
    done = _evaluate("--dataset", "iris", "--target", "label", "--model", "GNB", "--hyperparameters", "default",
                     "--output-dir", str(tmp_path / "logs"))
    assert done.returncode == 2 and "--target names the column of a data file" in done.stderr, done.stderr[-2000:]


def test_a_data_file_and_a_user_estimator_run_alike_on_an_embedded_cluster(tmp_path):
    flowers().to_csv(tmp_path / "flowers.csv", index=False)
    args = ["--dataset", str(tmp_path / "flowers.csv"), "--target", "species",
            "--model", "sklearn.naive_bayes:GaussianNB", "Logistic Regression"]
    here = _evaluate(*args, "--output-dir", str(tmp_path / "here"))
    cluster = _evaluate(*args, "--output-dir", str(tmp_path / "cluster"), "--cluster", "local:1")
    assert here.returncode == cluster.returncode == 0, here.stderr[-2000:] + cluster.stderr[-2000:]
    in_process, on_cluster = _runs(tmp_path / "here"), _runs(tmp_path / "cluster")
    assert len(in_process) == 2 and any(m.startswith("sklearn.naive_bayes:GaussianNB@") for m in in_process)
    assert in_process == on_cluster


def test_resume_counts_a_run_done_only_for_the_same_content(tmp_path):
    frame = flowers()
    frame.to_csv(tmp_path / "flowers.csv", index=False)
    args = ["--dataset", str(tmp_path / "flowers.csv"), "--target", "species",
            "--model", "sklearn.naive_bayes:GaussianNB", "--output-dir", str(tmp_path / "logs"), "--resume"]
    first, again = _evaluate(*args), _evaluate(*args)
    frame.loc[0, "colour"] = "green" if frame.loc[0, "colour"] != "green" else "red"
    frame.to_csv(tmp_path / "flowers.csv", index=False)
    changed = _evaluate(*args)
    assert first.returncode == again.returncode == changed.returncode == 0, changed.stderr[-2000:]
    assert "0 run(s) already complete, 1 to run" in first.stderr
    assert "1 run(s) already complete, 0 to run" in again.stderr
    assert "0 run(s) already complete, 1 to run" in changed.stderr
    assert len(list((tmp_path / "logs").glob("infer_*"))) == 2


def test_a_numeric_target_runs_as_regression_with_task_regression(tmp_path):
    from sklearn.datasets import load_diabetes

    load_diabetes(as_frame=True).frame.to_csv(tmp_path / "diabetes.csv", index=False)
    args = ["--dataset", str(tmp_path / "diabetes.csv"), "--target", "target", "--model", "Ridge Regression"]
    refused = _evaluate(*args, "--output-dir", str(tmp_path / "refused"))
    assert refused.returncode == 2 and "--task regression" in refused.stderr, refused.stderr[-2000:]
    done = _evaluate(*args, "--task", "regression", "--output-dir", str(tmp_path / "logs"))
    assert done.returncode == 0, done.stderr[-3000:]
    (infer,) = (tmp_path / "logs").glob("infer_*")
    config = json.loads((infer / "config.json").read_text())
    assert config["spec"]["task"] == "regression" and config["dataset"].startswith("file:diabetes@")
    assert 0 < json.loads((infer / "results.json").read_text())["metrics"]["r2"] < 1
