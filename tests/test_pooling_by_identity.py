"""Repeats pool only within one identity and one machine: other hyperparameters or averaging make rows of
their own, named by what differs, and adding them renames none of the rows (or environments) seen before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlee.label.selection import select_one
from mlee.rating import rate
from mlee.results import aggregate_runs, load_results
from mlee.results.environment import resolve_environment

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]


def _evaluate(logs: Path, *args: str) -> None:
    _run("evaluate_sklearn.py", "--dataset", "iris", "--monitor", "estimate", "--no-progress", "--output-dir",
         str(logs), *args)


def _merged(logs: Path, results: Path):
    _run("merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results), "--quiet")
    return aggregate_runs(load_results(results))


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    """(table after the first sweep, table after runs of other configurations were added, merged folder)."""
    base = tmp_path_factory.mktemp("pooling")
    logs = base / "logs"
    _evaluate(logs, "--model", "RF", "GNB", "LR")  # the shipped search's hyperparameters (50 trees)
    before = _merged(logs, base / "results")
    _evaluate(logs, "--model", "RF", "LR", "--hyperparameters", "default")  # 100 trees
    _evaluate(logs, "--model", "GNB", "--hyperparameters", "default", "--average", "micro")
    return before, _merged(logs, base / "results"), base / "results"


@pytest.fixture(scope="module")
def tables(pooled):
    """(table after the first sweep, table after runs of other configurations were added)."""
    return pooled[:2]


def _row(table, task, model):
    rows = table[(table["task"] == task) & (table["model"] == model)]
    assert len(rows) == 1, (model, sorted(table["model"].unique()))
    return rows.iloc[0]


def test_other_hyperparameters_are_a_row_of_their_own(tables):
    before, after = tables
    for task in ("training", "inference"):
        searched, default = _row(after, task, "Random Forest"), _row(after, task, "Random Forest (hyperparameters default)")
        assert searched["n_runs"] == default["n_runs"] == 1
        assert searched["identity"] != default["identity"] and searched["method"] == default["method"]
        assert searched["parameters"] == _row(before, task, "Random Forest")["parameters"]
        assert default["parameters"] > searched["parameters"]  # twice the trees, never averaged with them
        assert default["model_short"] == "RF (hyperparameters default)"


def test_another_averaging_renames_no_row_and_no_environment(tables):
    before, after = tables
    assert set(after["environment"]) == set(before["environment"]) and after["environment"].nunique() == 1
    assert set(before["model"]) <= set(after["model"])
    (micro,) = [m for m in set(after["model"]) if m.startswith("Gaussian Naive Bayes (")]
    assert micro.endswith("average micro)"), micro
    assert _row(after, "inference", micro)["n_runs"] == 1 and _row(after, "inference", "Gaussian Naive Bayes")["n_runs"] == 1
    (environment,) = set(after["environment"])
    # the names users saw before still choose the same rows
    assert resolve_environment(f"{environment} (average macro)", after["environment"]) == environment
    assert select_one(after, task="inference", model="GNB")["model"] == "Gaussian Naive Bayes"
    assert select_one(after, task="inference", model="Random Forest")["identity"] == \
        _row(after, "inference", "Random Forest")["identity"]


def test_the_reference_is_the_configuration_under_the_plain_name(tables):
    _, after = tables
    rated = rate(after)
    assert set(rated["reference_model"]) == {"Logistic Regression"} and not rated["reference_fallback"].any()


def _label(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "mlee.label_generator", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_a_configuration_label_names_its_suffix_once(pooled, tmp_path):
    from pypdf import PdfReader

    results = pooled[2]
    _label("--directory", str(results), "--dataset", "iris", "--task", "inference", "--model",
           "Random Forest (hyperparameters default)", "--output", str(tmp_path), "--all")
    written = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert written == ["iris_inference_rf-hyperparameters-default.pdf"], written
    text = PdfReader(str(tmp_path / written[0])).pages[0].extract_text()
    lines = [line.strip() for line in text.splitlines()]
    assert "Random Forest (RF, hyperparameters default)" in lines
    assert text.count("hyperparameters default") == 1


def test_the_list_names_a_configuration_suffix_once_and_rf_picks_the_plain_row(pooled):
    results = pooled[2]
    listed = _label("--directory", str(results), "--list", "--task", "inference", "--model", "Random Forest "
                    "(hyperparameters default)").stdout
    rows = [line for line in listed.splitlines() if "Random Forest" in line]
    assert len(rows) == 1 and "Random Forest (RF, hyperparameters default)" in rows[0], listed
    assert rows[0].count("hyperparameters default") == 1
    plain = _label("--directory", str(results), "--list", "--task", "inference", "--model", "RF").stdout
    rows = [line for line in plain.splitlines() if "Random Forest" in line]
    assert len(rows) == 1 and "Random Forest (RF) " in rows[0] + " " and "hyperparameters" not in rows[0], plain
