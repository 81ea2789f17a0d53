"""Runs carry a machine identity; repeats are pooled only within one machine and one configuration, and the
names users know never change when another machine (or configuration) is added."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlee.runs.platform_info import machine_id
from mlee.layout import SHIPPED_RESULTS
from mlee.results import aggregate_runs, load_results

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> Path:
    """Merged results of a real run: iris, Logistic Regression and GNB, two repeats, on this machine."""
    base = tmp_path_factory.mktemp("machine")
    logs, results = base / "logs", base / "results" / "sklearn"
    for cmd in (["evaluate_sklearn.py", "--dataset", "iris", "--model", "LR", "GNB", "--repeats", "2",
                 "--output-dir", str(logs), "--no-progress"],
                ["merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results), "--quiet"]):
        done = subprocess.run([sys.executable, *cmd], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return results


def _as_other_machine(source: Path, target: Path, **config: object) -> None:
    """Copies of the merged files as another machine with the same CPU and software would have written them."""
    target.mkdir(parents=True)
    for path in source.glob("[it]*.json"):
        data = json.loads(path.read_text())
        data["config"].update(config)
        if "training" in data:
            data["training"]["config"].update(config)
        # only the year ("_2026" -> "_1926"): a seconds field "_20" would turn into "_19" and overwrite a run's file
        (target / path.name.replace("_20", "_19", 1)).write_text(json.dumps(data))


def test_runs_record_this_machines_id(merged):
    files = sorted(merged.glob("[it]*.json"))
    assert files and {json.loads(f.read_text())["config"]["machine_id"] for f in files} == {machine_id()}
    assert len(machine_id()) == 16 and machine_id() == machine_id.__wrapped__()  # stable


def test_two_machines_with_the_same_cpu_are_never_averaged(merged, tmp_path):
    shutil.copytree(merged, tmp_path / "mine")
    _as_other_machine(merged, tmp_path / "theirs", machine_id="0123456789abcdef")
    mine = aggregate_runs(load_results(merged))
    both = aggregate_runs(load_results(tmp_path))
    (name,) = mine["environment"].unique()
    assert mine["n_runs"].tolist() == [2] * 4  # 2 models x 2 tasks, the two repeats pooled
    # the machine with the oldest runs (theirs, copies dated 19xx) keeps the name: adding a machine renames nothing
    assert sorted(both["environment"].unique()) == sorted([name, f"{name} (machine {machine_id()[:8]})"])
    assert both["n_runs"].tolist() == [2] * 8 and len(both) == 2 * len(mine)


def test_runs_recorded_without_an_identity_pool_by_their_settings(merged, tmp_path):
    """Results written before runs had an identity keep apart by test size, split seed and averaging."""
    for name, test_size in (("a", 0.25), ("b", 0.5)):
        folder = tmp_path / name
        folder.mkdir()
        for path in merged.glob("[it]*.json"):
            data = json.loads(path.read_text())
            for config in (data["config"], data.get("training", {}).get("config", {})):
                config.pop("identity", None), config.pop("spec", None)
                config["test_size"] = test_size
            text = json.dumps(data)
            # the second set as later runs of their own (folder names and file names a century on)
            later = re.sub(r"_20(\d\d_\d\d_\d\d_)", r"_21\1", text)  # the years of folder names only
            (folder / path.name).write_text(text if name == "a" else later)
    table = aggregate_runs(load_results(tmp_path))
    assert table["environment"].nunique() == 1 and table["n_runs"].tolist() == [2] * 8
    assert sorted(table.loc[table["task"] == "inference", "model"]) == [
        "Gaussian Naive Bayes", "Gaussian Naive Bayes (test size 0.5)", "Logistic Regression",
        "Logistic Regression (test size 0.5)"]


def test_shipped_results_of_one_machine_load_under_their_known_name():
    table = aggregate_runs(load_results(SHIPPED_RESULTS / "sklearn"))  # one backend: one environment
    assert table["environment"].unique().tolist() == ["EPYC - Scikit-learn 1.9.1"]
    assert set(table["n_runs"]) == {3} and len(table) == 106  # 11 methods x 4 datasets + 9 regressors, 2 tasks


def test_published_results_keep_their_environment(reference_dir):
    table = load_results(reference_dir / "published-results")
    assert table["environment"].unique().tolist() == ["Xeon(R) W-2155 - Scikit-learn 1.1.2"]
    assert len(table) == 196 and not table.attrs["warnings"]
