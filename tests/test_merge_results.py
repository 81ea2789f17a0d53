"""merge_results.py: experiment folders (Contract 2) -> merged files (Contract 3) -> results table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from mlee.merge import STATE_FILE, merge_directory
from mlee.results import aggregate_runs, load_results, read_result_file

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = {"System": "Linux", "Node Name": "testhost", "Release": "6.1", "Version": "#1", "Machine": "x86_64",
            "Processor": "AMD EPYC 7B13 64-Core Processor", "Physical cores": 2, "Total cores": 4,
            "Total": 8_000_000_000, "GPU": []}


def measurement(energy: float, duration: float, estimated: bool = False) -> dict:
    """A Measurement dict with the Contract 1 keys."""
    return {"start": 1_700_000_000.0, "end": 1_700_000_000.0 + duration, "duration_s": duration,
            "energy_j": energy, "net_energy_j": None, "mean_power_w": energy / duration, "estimated": estimated,
            "description": "CPU + memory (estimated from TDP)" if estimated else "CPU package + DRAM (RAPL)",
            "sources": [{"name": "rapl", "method": "rapl", "device": "package-0", "domain": "package",
                         "energy_j": energy, "estimated": estimated, "parameters": {}}],
            "carbon": None, "process": {"cpu_seconds": duration, "peak_rss_bytes": 1, "cpu_utilisation": 1.0},
            "meter_cpu_seconds": 0.001}


def write_pair(logs: Path, stamp: str, dataset: str = "iris", model: str = "Random Forest",
               energy: tuple[float, float] = (12.5, 0.75), f1: float = 0.9, run_id: str | None = None,
               estimated: bool = False) -> tuple[Path, Path]:
    """A complete train_<stamp> / infer_<stamp> folder pair as evaluate_sklearn.py writes it (Contract 2)."""
    train, infer = logs / f"train_{stamp}", logs / f"infer_{stamp}"
    run_id = run_id or f"run-{stamp}"
    model_info = {"hyperparams": {"n_estimators": 10}, "params": 1234, "fsize": 56789, "flops": 4321,
                  "flops_measured": None}
    for folder, kind in ((train, "train"), (infer, "infer")):
        folder.mkdir(parents=True)
        config = {"dataset": dataset, "model": model, "hyperparameters": "sklearn_hyperparameters/x",
                  "output_dir": str(logs), "seed": 42, "backend": "sklearn", "backend_version": "1.9.1",
                  "timestamp": stamp, "run_id": run_id, "repeat": 0, "average": "macro", "monitor": "auto"}
        if kind == "infer":
            config["train_logdir"] = str(logs / train.name)
        (folder / "config.json").write_text(json.dumps(config))
        (folder / "requirements.txt").write_text("# 3.11.7\nnumpy==2.4.6\nscikit-learn==1.9.1\n")
        (folder / "execution_platform.json").write_text(json.dumps(PLATFORM))
        (folder / "logfile.txt").write_text(f"{kind} log\n")
    (train / "results.json").write_text(json.dumps(
        {"start": 1.0, "end": 3.0, "duration": 2.0, "history": {}, "model": model_info}))
    (train / "measurement.json").write_text(json.dumps(measurement(energy[0], 2.0, estimated)))
    (infer / "results.json").write_text(json.dumps(
        {"metrics": {"accuracy": f1 + 0.01, "f1": f1, "precision": f1, "recall": f1, "top_5_accuracy": None},
         "average": "macro", "start": 4.0, "end": 4.25, "duration": 0.25, "model": model_info,
         "data": {"shape": {"train": [120, 4], "test": [30, 4]}}}))
    (infer / "measurement.json").write_text(json.dumps(measurement(energy[1], 0.25, estimated)))
    return train, infer


def test_merge_writes_published_layout_and_loads(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    train, infer = write_pair(logs, "2026_01_01_10_00_00", energy=(12.5, 0.75), f1=0.9)
    report = merge_directory(logs, out)
    assert sorted(report.merged) == [infer.name, train.name] and not report.failed
    merged_train = json.loads((out / f"{train.name}.json").read_text())
    raw_infer = json.loads((out / f"{infer.name}.json").read_text())
    merged_infer = read_result_file(out / f"{infer.name}.json")
    assert list(merged_train)[:4] == ["directory_name", "config", "execution_platform", "requirements"]
    assert merged_train["requirements"] == ["# 3.11.7", "numpy==2.4.6", "scikit-learn==1.9.1"]
    assert merged_train["measurement"]["energy_j"] == 12.5 and merged_train["duration"] == 2.0
    assert merged_train["monitoring_pyrapl"] is None and merged_train["run_id"] == "run-2026_01_01_10_00_00"
    assert merged_infer["validation"]["results"]["metrics"]["f1"] == 0.9
    assert merged_infer["validation"]["duration"] == 0.25
    assert merged_infer["training"] == merged_train  # complete again once read
    # as written: compact JSON, and the training copy without what repeats the inference record
    assert b"\n  " not in (out / f"{infer.name}.json").read_bytes()
    shared = raw_infer["training"]["same_as_inference"]
    assert {"requirements", "execution_platform", "config.dataset", "config.run_id"} <= set(shared)
    assert "requirements" not in raw_infer["training"] and raw_infer["training"]["config"] == {}
    assert raw_infer["training"]["measurement"]["energy_j"] == 12.5  # what differs stays
    runs = load_results(out)
    assert set(runs["environment"]) == {"EPYC 7B13 - Scikit-learn 1.9.1"}
    inf = runs[runs["task"] == "inference"].iloc[0]
    tr = runs[runs["task"] == "training"].iloc[0]
    assert inf["power_draw"] == 0.75 and inf["time"] == 0.25 and inf["n_test_samples"] == 30
    assert tr["power_draw"] == 12.5 and tr["time"] == 2.0 and tr["f1_val"] == 0.9
    assert inf["energy_sources"] == "CPU package + DRAM (RAPL)" and not inf["energy_estimated"]
    assert inf["run_id"] == "run-2026_01_01_10_00_00"


def test_incremental_and_changed_folders(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    write_pair(logs, "2026_01_01_10_00_00")
    train2, infer2 = write_pair(logs, "2026_01_01_10_00_01", model="AdaBoost")
    assert len(merge_directory(logs, out).merged) == 4
    again = merge_directory(logs, out)
    assert again.merged == [] and len(again.unchanged) == 4
    # a changed training folder re-merges the training file and its inference file
    data = json.loads((train2 / "measurement.json").read_text())
    data["energy_j"] = 99.0
    (train2 / "measurement.json").write_text(json.dumps(data))
    os.utime(train2 / "measurement.json", ns=(time.time_ns(), time.time_ns() + 10_000_000))
    third = merge_directory(logs, out)
    assert sorted(third.merged) == [infer2.name, train2.name]
    assert read_result_file(out / f"{infer2.name}.json")["training"]["measurement"]["energy_j"] == 99.0
    # a deleted merged file is written again
    (out / f"{infer2.name}.json").unlink()
    assert merge_directory(logs, out).merged == [infer2.name]


def test_bad_folders_are_reported_and_skipped(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    good_train, good_infer = write_pair(logs, "2026_01_01_10_00_00")
    _, truncated = write_pair(logs, "2026_01_01_10_00_01")
    (truncated / "results.json").write_text('{"metrics": {"accuracy": 0.')
    missing, _ = write_pair(logs, "2026_01_01_10_00_02")
    (missing / "measurement.json").unlink()
    failed, failed_infer = write_pair(logs, "2026_01_01_10_00_03")
    (failed / "results.json").unlink()
    (failed / "error.json").write_text(json.dumps({"error": "ValueError: bad input", "traceback": "..."}))
    (logs / ".tmp-train_2026_01_01_10_00_04").mkdir()  # still being written
    (logs / "notes").mkdir()  # not an experiment folder
    report = merge_directory(logs, out)
    reasons = dict(report.failed)
    assert "not valid JSON" in reasons[truncated.name] and "results.json" in reasons[truncated.name]
    assert "measurement.json missing" in reasons[missing.name]
    assert "could not be merged" in reasons["infer_2026_01_01_10_00_02"]
    assert "ValueError: bad input" in reasons[failed.name]
    assert failed_infer.name in reasons
    assert report.in_progress == [".tmp-train_2026_01_01_10_00_04"]
    assert good_train.name in report.merged and good_infer.name in report.merged
    assert "train_2026_01_01_10_00_01" in report.merged  # its training half was fine
    for name, _ in report.failed:
        assert not (out / f"{name}.json").exists()
    runs = load_results(out)
    assert runs.attrs["warnings"] == [] and len(runs) == 3


def test_failed_rerun_never_overwrites_merged_file(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    _, infer = write_pair(logs, "2026_01_01_10_00_00", f1=0.77)
    merge_directory(logs, out)
    before = (out / f"{infer.name}.json").read_bytes()
    (infer / "results.json").write_text("{")  # the folder gets corrupted afterwards
    os.utime(infer / "results.json", ns=(time.time_ns(), time.time_ns() + 10_000_000))
    report = merge_directory(logs, out)
    assert infer.name in dict(report.failed)
    assert (out / f"{infer.name}.json").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no temporary files left


def test_archives_and_clean(tmp_path):
    logs, out, archives = tmp_path / "logs", tmp_path / "results", tmp_path / "archives"
    train, infer = write_pair(logs, "2026_01_01_10_00_00")
    old_train, old_infer = write_pair(logs, "2026_01_01_09_00_00")
    report = merge_directory(logs, out, archives)
    assert len(report.archived) == 4
    with tarfile.open(archives / f"{train.name}.tar.gz") as tar:
        names = set(tar.getnames())
        assert f"{train.name}/logfile.txt" in names and f"{train.name}/measurement.json" in names
        assert json.load(tar.extractfile(f"{train.name}/config.json"))["model"] == "Random Forest"
    # a missing archive makes the folder merge again
    (archives / f"{infer.name}.tar.gz").unlink()
    assert merge_directory(logs, out, archives).merged == [infer.name]
    # --clean: everything is merged again; outputs of vanished folders are removed
    for folder in (old_train, old_infer):
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    report = merge_directory(logs, out, archives, clean=True)
    assert sorted(report.merged) == [infer.name, train.name]
    assert not (out / f"{old_train.name}.json").exists() and not (archives / f"{old_infer.name}.tar.gz").exists()
    assert len(report.removed) == 4
    assert sorted(p.name for p in out.glob("[!.]*.json")) == [f"{infer.name}.json", f"{train.name}.json"]
    assert (out / STATE_FILE).is_file()


def test_repeated_runs_merge_and_average(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    energies = [1.0, 2.0, 4.5]
    for i, e in enumerate(energies):
        write_pair(logs, f"2026_01_01_10_00_0{i}", energy=(10 * e, e))
    merge_directory(logs, out)
    table = aggregate_runs(load_results(out))
    inf = table[table["task"] == "inference"].iloc[0]
    assert inf["n_runs"] == 3
    mean = sum(energies) / 3
    assert inf["power_draw"] == pytest.approx(mean)
    assert inf["power_draw_std"] == pytest.approx((sum((e - mean) ** 2 for e in energies) / 2) ** 0.5)


def test_script_flags(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    write_pair(logs, "2026_01_01_10_00_00", estimated=True)
    cmd = [sys.executable, str(ROOT / "merge_results.py"), "--directory", str(logs), "--output-agglog-dir",
           str(out), "--output-log-dir", str(tmp_path / "arch"), "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "2 merged" in done.stdout and "2 archived" in done.stdout
    runs = load_results(out)
    assert runs["energy_estimated"].all()
    assert set(runs["energy_sources"]) == {"CPU + memory (estimated from TDP)"}
    missing = subprocess.run([sys.executable, str(ROOT / "merge_results.py"), "--directory",
                              str(tmp_path / "nope")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_real_runner_output_merges_loads_and_rates(tmp_path):
    """Real experiment folders of the runner (estimated energy, iris) through merge, table and rating."""
    runner = pytest.importorskip("mlee.runs.runner")
    sweep = pytest.importorskip("mlee.executors.sweep")
    monitoring = pytest.importorskip("mlee.monitoring")
    import sklearn

    from mlee.rating import RatingSettings, rate, summarise

    logs, out = tmp_path / "logs", tmp_path / "results"
    settings = runner.RunSettings(output_dir=logs, hyperparameters="default", repeats=2)
    outcomes = sweep.run_sweep([("iris", "Gaussian Naive Bayes"), ("iris", "Logistic Regression")], settings,
                                monitoring.Meter(monitor="estimate"), progress=False)
    assert [o.error for o in outcomes] == [None] * 4
    report = merge_directory(logs, out)
    assert len(report.merged) == 8 and not report.failed
    runs = load_results(out)
    assert len(runs) == 8 and runs.attrs["warnings"] == []
    assert all(env.endswith(f"Scikit-learn {sklearn.__version__}") for env in runs["environment"])
    assert runs["energy_estimated"].all() and (runs["power_draw"] > 0).all()
    table = aggregate_runs(runs)
    assert len(table) == 4 and (table["n_runs"] == 2).all()
    rated = rate(table, RatingSettings.default())
    assert set(rated["reference_model"]) == {"Logistic Regression"} and not rated["reference_fallback"].any()
    assert rated["compound_rating"].notna().all()
    env = rated["environment"].iloc[0]
    summary = summarise(rated, RatingSettings.default(), dataset="iris", task="inference", environment=env,
                        model="Gaussian Naive Bayes")
    assert summary.energy_estimated and summary.n_runs == 2 and summary.n_test_samples


def test_merged_files_round_trip_every_folder_file(tmp_path):
    """Nothing of a real run is lost: every value of the experiment folders' files is in the merged pair (the
    inference file alone holds both phases, complete), and the merged pair is smaller than the original's."""
    runner = pytest.importorskip("mlee.runs.runner")
    sweep = pytest.importorskip("mlee.executors.sweep")
    monitoring = pytest.importorskip("mlee.monitoring")
    logs, out = tmp_path / "logs", tmp_path / "results"
    settings = runner.RunSettings(output_dir=logs, hyperparameters="default")
    assert [o.error for o in sweep.run_sweep([("iris", "Random Forest")], settings,
                                              monitoring.Meter(monitor="estimate"), progress=False)] == [None]
    merge_directory(logs, out)
    infer_dir = next(logs.glob("infer_*"))
    train_dir = logs / read_result_file(out / f"{infer_dir.name}.json")["training"]["directory_name"]
    infer = read_result_file(out / f"{infer_dir.name}.json")
    for record, folder, phase in ((infer, infer_dir, infer["validation"]), (infer["training"], train_dir, None),
                                  (json.loads((out / f"{train_dir.name}.json").read_text()), train_dir, None)):
        phase = phase if phase is not None else record
        assert record["config"] == json.loads((folder / "config.json").read_text())
        assert record["execution_platform"] == json.loads((folder / "execution_platform.json").read_text())
        assert record["requirements"] == (folder / "requirements.txt").read_text().splitlines()
        assert phase["results"] == json.loads((folder / "results.json").read_text())
        assert phase["measurement"] == json.loads((folder / "measurement.json").read_text())
    assert infer["training"] == json.loads((out / f"{train_dir.name}.json").read_text())
    assert "robustness" in infer["validation"]["results"]  # the new blocks are there too
    pair = sum((out / f"{d.name}.json").stat().st_size for d in (infer_dir, train_dir))
    published = Path(__file__).resolve().parents[2] / "shared" / "reference" / "published-results" / "sklearn"
    if published.is_dir():  # the original's pairs as it wrote them (infer file + its train file)
        sizes = sorted(p.stat().st_size + (published / f"{json.loads(p.read_text())['training']['directory_name']}"
                                                        f".json").stat().st_size
                       for p in published.glob("infer_*.json"))
        assert pair < sizes[len(sizes) // 2]
