"""Dataset names in file names (Windows-safe) and on labels (the dataset's name, not ``openml:3``)."""

from __future__ import annotations

import json
from pathlib import Path

from mlee.runs.hyperparams import available_pairs, find_hyperparameters, write_search_result
from mlee.runs.runner import RunSettings
from mlee.executors.sweep import run_sweep
from mlee.merge import merge_directory
from mlee.monitoring import Meter
from mlee.rating import RatingSettings, rate, summarise
from mlee.results import aggregate_runs, load_results

CV = {"params": [{"var_smoothing": 1e-9}, {"var_smoothing": 1e-3}], "mean_test_score": [0.5, 0.9],
      "rank_test_score": [2, 1]}


def test_search_files_of_openml_datasets_have_no_colon_and_old_names_still_read(tmp_path: Path) -> None:
    folder = tmp_path / "hyperparameters_2026_01_01_00_00_00"
    folder.mkdir()
    path = write_search_result(folder, "openml:3", "Gaussian Naive Bayes", CV)
    assert ":" not in path.name and path.name == "hyperparameters__openml%3A3__Gaussian_Naive_Bayes.json"
    assert find_hyperparameters("openml:3", "Gaussian Naive Bayes", folder).params == {"var_smoothing": 1e-3}
    assert ("openml:3", "Gaussian Naive Bayes") in available_pairs(folder)
    old = tmp_path / "old_2025_01_01_00_00_00"  # written by an earlier mlee (Linux only: a raw ':')
    old.mkdir()
    (old / "hyperparameters__openml:40__Gaussian_Naive_Bayes.json").write_text(json.dumps(CV))
    assert find_hyperparameters("openml:40", "Gaussian Naive Bayes", old).params == {"var_smoothing": 1e-3}


def test_labels_name_a_dataset_the_catalog_does_not_know(tmp_path: Path) -> None:
    logs, out = tmp_path / "logs", tmp_path / "results"
    run_sweep([("synthetic_300x8x3", "Gaussian Naive Bayes"), ("synthetic_300x8x3", "Logistic Regression")],
              RunSettings(output_dir=logs, hyperparameters="default"), Meter(monitor="estimate"), progress=False)
    merge_directory(logs, out)
    table = aggregate_runs(load_results(out))
    assert set(table["dataset_display"]) == {"Synthetic 300x8x3"}
    rated = rate(table, RatingSettings.default())
    summary = summarise(rated, RatingSettings.default(), dataset="synthetic_300x8x3", task="inference",
                        environment=rated["environment"].iloc[0], model="Gaussian Naive Bayes")
    assert summary.dataset_display == "Synthetic 300x8x3"
