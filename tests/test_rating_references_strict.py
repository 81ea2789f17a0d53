"""One reference, strictly named; a fallback reference is one model across a dataset's environments; a partial
boundaries file replaces only the thresholds it names, on the command line and in ELEx alike."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from mlee.layout import SHIPPED_RESULTS
from mlee.rating import RatingSettings, rate
from mlee.rating.boundaries import merge_partial
from mlee.results import aggregate_runs, load_results

ROOT = Path(__file__).resolve().parents[1]


def label(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def _list(reference: str) -> subprocess.CompletedProcess:
    return label("--list", "--dataset", "iris", "--task", "inference", "--reference", reference)


def test_reference_names_use_the_model_lookup_and_unknown_ones_exit_2_listing_the_valid():
    short, spaced = _list("iris=RF"), _list("iris=random forest")
    assert short.returncode == spaced.returncode == 0 and short.stdout == spaced.stdout
    assert "reference model 'Random Forest' has no results here" in short.stderr  # PyTorch runs no RF: said so
    unknown = _list("iris=XGBoost")
    assert unknown.returncode == 2 and "'XGBoost'" in unknown.stderr and "Random Forest (RF)" in unknown.stderr
    dataset = _list("iriss=LR")
    assert dataset.returncode == 2 and "'iriss'" in dataset.stderr and "iris (Iris)" in dataset.stderr
    assert "Traceback" not in unknown.stderr + dataset.stderr


def test_a_fallback_reference_is_one_model_in_every_environment():
    table = aggregate_runs(load_results(SHIPPED_RESULTS))
    rated = rate(table, RatingSettings.default().replace(references={"iris": "Not Run"}))
    iris = rated[rated["dataset"] == "iris"]
    assert iris["environment"].nunique() == 3
    assert iris["reference_model"].nunique() == 1 and iris["reference_fallback"].all()


def test_a_fallback_that_cannot_be_the_same_says_which_environments_differ():
    table = aggregate_runs(load_results(SHIPPED_RESULTS))
    rated = rate(table, RatingSettings.default().replace(references={"iris": "Random Forest"}))
    torch = rated[(rated["dataset"] == "iris") & rated["environment"].str.contains("PyTorch")]
    assert len(set(torch["reference_model"])) == 1 and set(torch["reference_model"]) <= set(torch["model"])
    assert any("PyTorch" in w and "other environments use 'Random Forest'" in w for w in rated.attrs["warnings"])


def test_partial_boundaries_file_keeps_the_defaults_for_the_rest_and_says_so(tmp_path):
    defaults = RatingSettings.default().boundaries
    path = tmp_path / "energy_only.json"
    path.write_text(json.dumps({"inference power_draw": [100.0, 50.0, 20.0, 10.0]}))
    export = tmp_path / "out.csv"
    done = label("--boundaries", str(path), "--export", str(export))
    assert done.returncode == 0, done.stderr
    assert "gives thresholds for 1 metric key(s)" in done.stderr and "keep the package defaults" in done.stderr
    table = pd.read_csv(export)
    inference = table[(table["task"] == "inference") & (table["learning_task"] == "classification")]
    assert (inference["f1_val_rating"] != "n.a.").all() and (inference["time_rating"] != "n.a.").all()
    assert set(inference["power_draw_rating"]) <= set("DE")  # every index far below the file's thresholds
    merged, note = merge_partial({"inference power_draw": (1, 0.5, 0.2, 0.1)}, defaults, "x.json", "the defaults")
    assert merged["inference time"] == tuple(defaults["inference time"]) and "keep the defaults" in note


def test_elex_upload_of_a_partial_file_keeps_the_current_thresholds_and_says_so(tmp_path):
    from elex_support import Server
    from test_elex_requests import Page, settings_values

    contents = "data:application/json;base64," + base64.b64encode(
        json.dumps({"inference power_draw": [100.0, 50.0, 20.0, 10.0]}).encode()).decode()
    upload = {"kind": "boundaries", "name": "energy_only.json", "contents": contents}
    with Server(SHIPPED_RESULTS, tmp_path / "elex.log") as server:
        status, text = Page(server).call("settings.data", "upload.data", settings_values(**{"upload.data": upload}))
    assert status == 200, text
    reply = json.loads(text)["response"]
    store = reply["settings"]["data"]
    assert store["boundaries"]["inference power_draw"] == [100.0, 50.0, 20.0, 10.0]
    assert store["boundaries"]["inference time"] == list(RatingSettings.default().boundaries["inference time"])
    assert "keep their current thresholds" in text
