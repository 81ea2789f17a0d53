"""Experiment runner and search CLI: real fits on bundled data, folder contents (Contract 2), atomic folders,
failures that do not stop a sweep, and bad input with clear messages."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from mlee.cli import evaluate as cli
from mlee.runs.datasets import load_dataset
from mlee.runs.folders import reserve_folder
from mlee.runs.hyperparams import (available_pairs, best_params, find_hyperparameters, hyperparameter_filename,
                                         run_search, search_folders, write_search_result)
from mlee.runs.methods import make_estimator, method_names
from mlee.runs.preparation import prepare
from mlee.runs.runner import RunInputs, RunSettings, run_experiment, run_spec, run_with_settings
from mlee.executors.sweep import run_sweep

FOLDER = re.compile(r"^(train|infer)_\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}(_\d+)?$")
TRAIN_FILES = {"config.json", "requirements.txt", "execution_platform.json", "logfile.txt", "results.json",
               "measurement.json"}


@pytest.fixture(scope="module")
def meter():
    from mlee.monitoring import Meter

    return Meter(monitor="estimate")


@pytest.fixture(scope="module")
def iris_data():
    return prepare(load_dataset("iris"), seed=42)


@pytest.fixture(scope="module")
def iris_search(tmp_path_factory, iris_data):
    """A real (small) search result folder for iris: GNB, LR and kNN."""
    folder = tmp_path_factory.mktemp("hp") / "hyperparameters_2026_01_01_00_00_00"
    folder.mkdir()
    for method in ("Gaussian Naive Bayes", "Logistic Regression", "k-Nearest Neighbors"):
        write_search_result(folder, "iris", method, run_search(iris_data, method, n_iter=4, folds=3, seed=0))
    return folder


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_run_writes_complete_train_and_infer_folders(tmp_path, meter, iris_data, iris_search):
    settings = RunSettings(output_dir=tmp_path, hyperparameters=str(iris_search), seed=42)
    before = time.time()
    outcomes = run_sweep([("iris", "Gaussian Naive Bayes"), ("iris", "k-Nearest Neighbors")], settings, meter,
                         progress=False)
    after = time.time()
    assert [o.error for o in outcomes] == [None, None]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 4 and all(FOLDER.match(n) for n in names), names  # no .tmp- leftovers

    for outcome in outcomes:
        train, infer = outcome.train_dir, outcome.infer_dir
        assert {p.name for p in train.iterdir()} == TRAIN_FILES
        assert {p.name for p in infer.iterdir()} == TRAIN_FILES
        tconf, iconf = _read(train / "config.json"), _read(infer / "config.json")
        for conf in (tconf, iconf):
            assert conf["dataset"] == "iris" and conf["model"] == outcome.method
            assert conf["seed"] == 42 and conf["backend"] == "sklearn" and conf["backend_version"]
            assert conf["hyperparameters"] == str(iris_search) and conf["average"] == "macro"
            assert conf["repeat"] == 0 and conf["output_dir"] == str(tmp_path)
        assert tconf["run_id"] == iconf["run_id"] and len(tconf["run_id"]) == 32
        assert Path(iconf["train_logdir"]) == train and "train_logdir" not in tconf
        assert iconf["timestamp"] in infer.name

        requirements = (train / "requirements.txt").read_text().splitlines()
        assert requirements[0].startswith("# 3.") and any(r.startswith("scikit-learn==") for r in requirements)
        platform = _read(train / "execution_platform.json")
        for key in ("System", "Node Name", "Release", "Version", "Machine", "Processor", "Physical cores",
                    "Total cores", "Total", "GPU"):
            assert key in platform
        assert isinstance(platform["GPU"], list) and platform["Total"] > 0
        assert outcome.method in (train / "logfile.txt").read_text()

        tres, ires = _read(train / "results.json"), _read(infer / "results.json")
        assert before <= tres["start"] <= tres["end"] <= ires["start"] <= ires["end"] <= after
        assert tres["duration"] == pytest.approx(tres["end"] - tres["start"])
        cv = _read(iris_search / hyperparameter_filename("iris", outcome.method))
        for key, value in best_params(cv).items():
            assert tres["model"]["hyperparams"][key] == value  # best-ranked configuration was used
        for block in (tres["model"], ires["model"]):
            assert block["params"] > 0 and block["flops"] > 0 and block["fsize"] > 100
            assert "flops_measured" in block
        assert ires["model"]["params"] == tres["model"]["params"]
        assert set(ires["metrics"]) == {"accuracy", "f1", "precision", "recall", "top_5_accuracy"}
        assert 0.5 < ires["metrics"]["accuracy"] <= 1.0 and ires["metrics"]["top_5_accuracy"] is None
        assert ires["average"] == "macro"
        shape = ires["data"]["shape"]
        assert shape["train"][0] + shape["test"][0] == 150 and shape["train"][1] == 4

        for folder in (train, infer):
            measurement = _read(folder / "measurement.json")
            assert measurement["end"] >= measurement["start"] and measurement["energy_j"] >= 0


def test_repeats_reuse_the_split_and_vary_the_model_seed(tmp_path, meter, iris_data, iris_search):
    settings = RunSettings(output_dir=tmp_path, hyperparameters=str(iris_search), repeats=2)
    outcomes = run_sweep([("iris", "Logistic Regression")], settings, meter, progress=False)
    assert [o.repeat for o in outcomes] == [0, 1] and all(o.ok for o in outcomes)
    confs = [_read(o.train_dir / "config.json") for o in outcomes]
    assert [c["model_seed"] for c in confs] == [42, 43] and {c["split_seed"] for c in confs} == {42}
    shapes = [_read(o.infer_dir / "results.json")["data"]["shape"] for o in outcomes]
    assert shapes[0] == shapes[1]


def test_a_spec_runs_as_the_run_it_describes(tmp_path, meter, iris_data, iris_search):
    from mlee.runs.folders import find_complete_runs

    settings = RunSettings(output_dir=tmp_path / "settings", hyperparameters=str(iris_search), seed=42,
                           robustness=False)
    hp = find_hyperparameters("iris", "Gaussian Naive Bayes", str(iris_search))
    spec = run_spec(settings, "iris", "Gaussian Naive Bayes", hp, iris_data.fingerprint())
    outcome = run_experiment(spec, RunInputs(iris_data, meter, tmp_path / "spec", repeat=1, repeats=2))
    assert outcome.ok, outcome.error
    config = _read(outcome.infer_dir / "config.json")
    assert config["identity"] == spec.identity and config["spec"] == spec.to_dict()
    assert (config["model_seed"], config["repeat"], config["repeats"]) == (43, 1, 2)
    assert config["hyperparameters_file"] == hp.source
    assert "robustness" not in _read(outcome.infer_dir / "results.json")
    [done] = find_complete_runs(tmp_path / "spec")
    assert (done.method, done.repeat, done.identity) == ("Gaussian Naive Bayes", 1, spec.identity)
    # the same run from the sweep's settings has the same identity
    again = run_with_settings(iris_data, "Gaussian Naive Bayes", settings, meter, repeat=1)
    assert _read(again.infer_dir / "config.json")["identity"] == spec.identity


def test_halves_of_different_runs_are_not_a_complete_run(tmp_path, meter, iris_data):
    import shutil

    from mlee.runs.folders import find_complete_runs
    from mlee.runs.spec import RunSpec

    outcome = run_experiment(RunSpec("iris", "Gaussian Naive Bayes", robustness=False),
                             RunInputs(iris_data, meter, tmp_path / "a"))
    assert [run.infer for run in find_complete_runs(tmp_path / "a")] == [outcome.infer_dir]
    mixed = tmp_path / "b"
    shutil.copytree(tmp_path / "a", mixed)
    config_file = mixed / outcome.train_dir.name / "config.json"
    config = _read(config_file)
    config_file.write_text(json.dumps({**config, "run_id": "another run"}), encoding="utf-8")
    assert find_complete_runs(mixed) == []


def test_a_spec_refuses_data_of_another_dataset(tmp_path, meter, iris_data):
    from mlee.runs.spec import RunSpec

    wine = RunSpec("wine", "Gaussian Naive Bayes")
    with pytest.raises(ValueError, match="names dataset 'wine' but the prepared data is 'iris'"):
        run_experiment(wine, RunInputs(iris_data, meter, tmp_path))
    other = RunSpec("iris", "Gaussian Naive Bayes", dataset_fingerprint="0" * 16)
    with pytest.raises(ValueError, match="not the data the spec was made for"):
        run_experiment(other, RunInputs(iris_data, meter, tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_folder_names_are_unique_within_one_second(tmp_path):
    now = time.time()
    first = reserve_folder(tmp_path, "train", now=now)
    second = reserve_folder(tmp_path, "train", now=now)
    first.finish()
    third = reserve_folder(tmp_path, "train", now=now)
    names = [first.name, second.name, third.name]
    assert len(set(names)) == 3 and names[1] == names[0] + "_1" and names[2] == names[0] + "_2"
    assert second.tmp_path.name.startswith(".tmp-") and not second.final_path.exists()


def test_interrupted_run_leaves_no_folder_that_looks_finished(tmp_path, meter, iris_data, iris_search, monkeypatch):
    from sklearn.naive_bayes import GaussianNB

    def interrupted(self, X, y, sample_weight=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(GaussianNB, "fit", interrupted)
    settings = RunSettings(output_dir=tmp_path, hyperparameters=str(iris_search))
    with pytest.raises(KeyboardInterrupt):
        run_with_settings(iris_data, "Gaussian Naive Bayes", settings, meter)
    assert list(tmp_path.iterdir()) == []  # measured in memory: nothing of the interrupted run was written


def test_a_failing_method_is_recorded_and_the_sweep_goes_on(tmp_path, meter, iris_search, capsys):
    broken = tmp_path / "hp" / "hyperparameters_2026_02_02_00_00_00"
    broken.mkdir(parents=True)
    for method in ("Gaussian Naive Bayes", "Logistic Regression"):
        cv = _read(iris_search / hyperparameter_filename("iris", method))
        if method == "Logistic Regression":
            cv["params"] = [{**p, "C": -1.0} for p in cv["params"]]  # scikit-learn rejects C <= 0 at fit
        (broken / hyperparameter_filename("iris", method)).write_text(json.dumps(cv))
    out = tmp_path / "runs"
    status = cli.evaluate_main(["--dataset", "iris", "--model", "LR", "GNB", "--hyperparameters", str(broken),
                                "--output-dir", str(out), "--monitor", "estimate", "--no-progress"])
    captured = capsys.readouterr()
    assert status == 1
    assert "1 run(s) failed" in captured.err and "Logistic Regression" in captured.err
    assert "1 of 2 runs completed" in captured.out and str(out.resolve()) in captured.out
    failed = [p for p in out.iterdir() if (p / "error.json").exists()]
    assert len(failed) == 1 and not (failed[0] / "results.json").exists()
    error = _read(failed[0] / "error.json")
    assert "C" in error["error"] and "Traceback" in error["traceback"]
    assert len([p for p in out.iterdir() if (p / "results.json").exists()]) == 2  # GNB train + infer


@pytest.mark.parametrize("argv, expected", [
    (["--dataset", "irsi"], "Unknown dataset 'irsi'"),
    (["--dataset", "iris", "--model", "Random Tree"], "Unknown method 'Random Tree'"),
    (["--dataset", "iris", "--model", "SVM", "--hyperparameters", "HPDIR"], "evaluate_hyperparams.py --dataset iris"),
    (["--dataset", "iris", "--hyperparameters", "/nonexistent/folder"], "does not exist"),
])
def test_bad_input_gives_a_clear_message(argv, expected, iris_search, tmp_path, capsys):
    argv = [str(iris_search) if a == "HPDIR" else a for a in argv]
    status = cli.evaluate_main(argv + ["--output-dir", str(tmp_path), "--monitor", "estimate", "--no-progress"])
    assert status == 2
    assert expected in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_dataset_that_needs_a_download_fails_clearly_offline(tmp_path, capsys):
    status = cli.evaluate_main(["--dataset", "credit-g", "--model", "GNB", "--hyperparameters", "default",
                                "--no-download", "--data-home", str(tmp_path / "cache"), "--output-dir",
                                str(tmp_path / "runs"), "--monitor", "estimate", "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1 and "needs a download" in err and "--data-home" in err
    (folder,) = list((tmp_path / "runs").iterdir())
    assert "needs a download" in _read(folder / "error.json")["error"]


def test_search_cli_writes_cv_results_and_evaluation_uses_the_best(tmp_path, capsys):
    root = tmp_path / "hp"
    status = cli.search_main(["--dataset", "wine", "--model", "kNN", "GNB", "--n-iter", "4", "--folds", "3",
                              "--output-dir", str(root), "--no-progress"])
    assert status == 0
    (folder,) = search_folders(root)
    assert re.match(r"^hyperparameters_\d{4}(_\d{2}){5}$", folder.name)
    files = sorted(p.name for p in folder.glob("hyperparameters__*.json"))
    assert files == ["hyperparameters__wine__Gaussian_Naive_Bayes.json",
                     "hyperparameters__wine__k-Nearest_Neighbors.json"]
    cv = _read(folder / files[1])
    assert len(cv["params"]) == 4 and sorted(cv["rank_test_score"])[0] == 1
    assert {"mean_test_score", "split2_test_score", "param_n_neighbors"} <= set(cv)
    config = _read(folder / "search_config.json")
    assert config["n_iter"] == 4 and config["completed"] == [["wine", "k-Nearest Neighbors"],
                                                              ["wine", "Gaussian Naive Bayes"]]
    assert str(folder) in capsys.readouterr().out
    best = best_params(cv)
    chosen = find_hyperparameters("wine", "kNN", root)
    assert chosen.params == best and chosen.cv_score == max(cv["mean_test_score"])


def test_shipped_search_covers_every_bundled_dataset_and_method():
    folders = search_folders()
    if not folders:
        pytest.skip("no shipped sklearn_hyperparameters/ folder in this checkout")
    pairs = set(available_pairs())
    for dataset in ("iris", "wine", "breast_cancer", "digits"):
        for method in method_names():
            assert (dataset, method) in pairs
            hp = find_hyperparameters(dataset, method)
            make_estimator(method, hp.params, seed=0)  # every shipped best configuration is constructible
