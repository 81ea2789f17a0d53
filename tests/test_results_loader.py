"""Results table: loading the published results and this project's merged files into one DataFrame."""

from __future__ import annotations

import json
import math
import shutil
import statistics
from pathlib import Path

import pytest

from mlee.results import aggregate_runs, load_results
from mlee.results.environment import environment_key, hardware_name, short_cpu_name

STUDY_ENV = "Xeon(R) W-2155 - Scikit-learn 1.1.2"


@pytest.fixture(scope="module")
def published(reference_dir: Path) -> Path:
    return reference_dir / "published-results" / "sklearn"


@pytest.fixture(scope="module")
def runs(published: Path):
    return load_results(published)


def _raw(path: Path) -> dict:
    return json.loads(path.read_text())


def test_published_rows_and_environment(runs, published):
    assert len(runs) == 196
    assert (runs["task"] == "training").sum() == 98
    assert (runs["task"] == "inference").sum() == 98
    assert set(runs["environment"]) == {STUDY_ENV}
    assert runs.attrs["warnings"] == []
    # every (dataset, model) pair of the train files appears once per task
    pairs = {(d["config"]["dataset"], d["config"]["model"])
             for d in map(_raw, published.glob("train_*.json"))}
    for task in ("training", "inference"):
        rows = runs[runs["task"] == task]
        assert set(zip(rows["dataset"], rows["model"])) == pairs
    assert (runs["power_draw_unit"] == "J").all() and (runs["time_unit"] == "s").all()
    assert not runs["energy_estimated"].any()
    assert set(runs["energy_sources"]) == {"CPU package-0 + DRAM (RAPL via pyRAPL)"}


def test_published_values_match_raw_files(runs, published):
    for path in sorted(published.glob("infer_*.json"))[::17]:
        raw = _raw(path)
        val = raw["validation"]
        row = runs[(runs["file"] == str(path)) & (runs["task"] == "inference")].iloc[0]
        assert row["power_draw"] == pytest.approx(val["monitoring_pyrapl"]["total"]["total_power_draw"])
        assert row["time"] == pytest.approx(val["duration"])
        assert row["f1_val"] == pytest.approx(val["results"]["metrics"]["f1"])
        assert row["top5_val"] == pytest.approx(val["results"]["metrics"]["top_5_accuracy"])
        assert row["parameters"] == val["results"]["model"]["params"]
        assert row["n_test_samples"] == val["results"]["data"]["shape"]["test"][0]
        train = raw["training"]
        trow = runs[(runs["run"] == train["directory_name"]) & (runs["task"] == "training")].iloc[0]
        assert trow["power_draw"] == pytest.approx(train["monitoring_pyrapl"]["total"]["total_power_draw"])
        assert trow["time"] == pytest.approx(train["duration"])
        # training rows show the quality of their inference run, as in the study
        assert trow["top1_val"] == pytest.approx(val["results"]["metrics"]["accuracy"])
        assert trow["fsize"] == train["results"]["model"]["fsize"]


def test_environment_key_rules():
    assert short_cpu_name("Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz") == "Xeon(R) W-2155"
    assert short_cpu_name("AMD Ryzen 9 5900X 12-Core Processor") == "Ryzen 9 5900X"
    # an unknown CPU works: no hardware table
    assert short_cpu_name("Frobnicator X9000 v2") == "Frobnicator X9000 v2"
    assert hardware_name({"Processor": "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz", "GPU": []}) == "Core(TM) i7-10700"
    gpus = [{"name": "NVIDIA A100-SXM4-40GB", "memory_total": 1}] * 2 + [{"name": "Tesla T4", "memory_total": 1}]
    assert hardware_name({"Processor": "x", "GPU": gpus}) == "2x A100-SXM4-40GB + Tesla T4"
    assert environment_key({"Processor": "Xeon Foo"}, {"backend": "sklearn", "backend_version": "1.9.1"},
                           None) == "Xeon Foo - Scikit-learn 1.9.1"
    assert environment_key({}, {"backend": "sklearn"}, ["# 3.11", "scikit_learn==1.2.0"]) \
        == "unknown hardware - Scikit-learn 1.2.0"
    assert environment_key({"Processor": "Xeon"}, {"backend": "torch"}, ["torch==2.13.0+cpu"]) \
        == "Xeon - PyTorch 2.13.0+cpu"
    assert environment_key({"Processor": "Xeon"}, {"backend": "sklearnex", "backend_version": "2026.2.0"}, None) \
        == "Xeon - scikit-learn-intelex 2026.2.0"
    assert environment_key({"Processor": "Xeon"}, {"backend": "frobnicate"}, []) == "Xeon - frobnicate"


def _copy_pair(published: Path, dest: Path, infer_name: str) -> tuple[Path, Path]:
    """Copy one published infer file and its train file into dest; return their new paths."""
    infer = published / infer_name
    raw = _raw(infer)
    train = published / f"{raw['training']['directory_name']}.json"
    dest.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(train, dest)), Path(shutil.copy(infer, dest))


def test_bad_files_are_skipped_with_reasons(published, tmp_path, caplog):
    names = sorted(p.name for p in published.glob("infer_*.json"))[:2]
    _copy_pair(published, tmp_path, names[0])
    train2, infer2 = _copy_pair(published, tmp_path, names[1])
    # truncated JSON, a stray JSON file, a non-JSON file, a hidden temporary file, -1 sentinel
    text = infer2.read_text()
    (tmp_path / "infer_truncated.json").write_text(text[: len(text) // 2])
    (tmp_path / "notes.json").write_text(json.dumps({"comment": "not a result"}))
    (tmp_path / "README.txt").write_text("ignored")
    (tmp_path / ".infer_x.json.tmp.json").write_text("{")
    raw = _raw(train2)
    raw["monitoring_pyrapl"]["total"]["total_power_draw"] = -1
    train2.write_text(json.dumps(raw))
    with caplog.at_level("WARNING"):
        runs = load_results(tmp_path)
    assert len(runs) == 4
    warnings = runs.attrs["warnings"]
    assert len(warnings) == 2
    assert any("infer_truncated.json" in w and "not valid JSON" in w for w in warnings)
    assert any("notes.json" in w and "not a result file" in w for w in warnings)
    assert "infer_truncated.json" in caplog.text
    sentinel = runs[runs["run"] == raw["directory_name"]].iloc[0]
    assert math.isnan(sentinel["power_draw"])  # -1 means "not measured", never a value
    assert sentinel["energy_sources"] == "n.a."
    assert not math.isnan(sentinel["time"])


def test_repeated_runs_are_averaged(published, tmp_path):
    name = sorted(p.name for p in published.glob("infer_*.json"))[3]
    train, infer = _copy_pair(published, tmp_path, name)
    energies, f1s = [], []
    for i, factor in enumerate((1.0, 1.5, 0.7)):
        t, v = _raw(train), _raw(infer)
        t["directory_name"] = f"train_rep_{i}"
        v["directory_name"] = f"infer_rep_{i}"
        v["training"] = t
        v["validation"]["monitoring_pyrapl"]["total"]["total_power_draw"] *= factor
        v["validation"]["results"]["metrics"]["f1"] *= factor / 1.5  # an F1 score stays within [0, 1]
        energies.append(v["validation"]["monitoring_pyrapl"]["total"]["total_power_draw"])
        f1s.append(v["validation"]["results"]["metrics"]["f1"])
        (tmp_path / f"train_rep_{i}.json").write_text(json.dumps(t))
        (tmp_path / f"infer_rep_{i}.json").write_text(json.dumps(v))
    train.unlink()
    infer.unlink()
    runs = load_results(tmp_path)
    assert len(runs) == 6
    table = aggregate_runs(runs)
    assert len(table) == 2
    inf = table[table["task"] == "inference"].iloc[0]
    assert inf["n_runs"] == 3
    assert inf["power_draw"] == pytest.approx(statistics.mean(energies))
    assert inf["power_draw_std"] == pytest.approx(statistics.stdev(energies))
    assert inf["f1_val"] == pytest.approx(statistics.mean(f1s))
    assert sorted(inf["files"]) == sorted(str(tmp_path / f"infer_rep_{i}.json") for i in range(3))
    tr = table[table["task"] == "training"].iloc[0]
    assert tr["f1_val"] == pytest.approx(statistics.mean(f1s))  # each training run has its own inference
    assert tr["power_draw_std"] == pytest.approx(0.0)
    assert math.isnan(aggregate_runs(runs.iloc[:1])["power_draw_std"].iloc[0])  # single run: no std


def test_training_row_from_embedded_copy(published, tmp_path):
    name = sorted(p.name for p in published.glob("infer_*.json"))[5]
    train, infer = _copy_pair(published, tmp_path, name)
    train.unlink()  # only the inference file (with its embedded training record) is left
    runs = load_results(tmp_path)
    assert sorted(runs["task"]) == ["inference", "training"]
    raw = _raw(infer)
    trow = runs[runs["task"] == "training"].iloc[0]
    assert trow["power_draw"] == pytest.approx(raw["training"]["monitoring_pyrapl"]["total"]["total_power_draw"])
    assert trow["run"] == raw["training"]["directory_name"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_results(tmp_path / "nope")
    assert len(aggregate_runs(load_results(tmp_path))) == 0


def test_old_and_new_merged_layouts_load_the_same(tmp_path, published):
    """mlee's earlier merged files (indented, whole training copy) and the study's load unchanged; the same runs
    written in the current layout (compact, training copy without what it shares) give the same table."""
    from mlee.results import compact_training, expand_training, jsonio

    shipped = Path(__file__).resolve().parents[1] / "shipped" / "results" / "sklearn"
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    for name in sorted(p.name for p in shipped.glob("infer_*.json"))[:6]:
        compact = _raw(shipped / name)  # the current layout, as shipped
        infer = expand_training(compact)  # the earlier layout: the whole training copy
        train_name = f"{infer['training']['directory_name']}.json"
        assert len(compact["training"]) < len(infer["training"]) and "requirements" not in compact["training"]
        assert compact_training(infer, infer["training"]) == compact["training"]  # round trip: nothing lost
        for folder in (old, new):
            shutil.copy(shipped / train_name, folder / train_name)
        (old / name).write_bytes(jsonio.dumps(infer))  # indented, as mlee wrote it before
        (new / name).write_bytes(jsonio.dumps(compact, indent=False))
    columns = [c for c in load_results(old).columns if c != "file"]
    before, after = load_results(old), load_results(new)
    assert before.attrs["warnings"] == after.attrs["warnings"] == [] and len(before) == 12
    assert before[columns].equals(after[columns])
    for folder in (old, new):  # a training run known only from the copy inside its inference file
        next(folder.glob("train_*.json")).unlink()
    before, after = load_results(old), load_results(new)
    assert len(after) == 12 and before[columns].equals(after[columns])
    # the published files have no list of shared values: returned as they are
    raw = _raw(next(published.glob("infer_*.json")))
    assert expand_training(raw) is raw


def test_hand_edited_shared_list_loses_only_what_is_missing(tmp_path, published):
    """A training copy naming shared values that the inference record lacks still loads; the rest is restored."""
    from mlee.results import read_result_file

    infer = _raw(next(published.glob("infer_*.json")))
    training = dict(infer["training"])
    del training["requirements"]
    training["same_as_inference"] = ["requirements", "no_such_key", "config.no_such_entry", 7]
    (tmp_path / "infer_x.json").write_text(json.dumps({**infer, "training": training}))
    back = read_result_file(tmp_path / "infer_x.json")["training"]
    assert back["requirements"] == infer["requirements"] and "same_as_inference" not in back
    assert "no_such_key" not in back and back["config"] == infer["training"]["config"]


def test_two_reading_processes_give_the_same_table(published, tmp_path, monkeypatch, caplog):
    """Many files are read by two processes: same rows, same order, same warnings (a bad file and a duplicate
    run, one in each half), as one process."""
    from mlee.results import loader

    for path in sorted(published.glob("*.json"))[:40]:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "zz_broken.json").write_text('{"config": ')
    shutil.copy(sorted(published.glob("*.json"))[0], tmp_path / "zz_duplicate.json")
    (tmp_path / "aa_not_a_result.json").write_text("[]")
    serial = load_results(tmp_path, table=False)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 10)
    # the two-process path even if an earlier test left a thread running (the child runs only the loader's code)
    monkeypatch.setattr(loader, "_can_fork", lambda: True)
    with caplog.at_level("WARNING"):
        parallel = load_results(tmp_path, table=False)
    assert "second reading process" not in caplog.text  # its rows came from the child, not from a re-read
    assert len(parallel) >= 40 and parallel.equals(serial)
    assert parallel.attrs["warnings"] == serial.attrs["warnings"] and len(serial.attrs["warnings"]) == 3


def _load_in_pool_worker(folder: str) -> int:
    from mlee.results import loader

    loader.PARALLEL_MIN_FILES = 10
    return len(load_results(folder, table=False))


def test_many_files_load_inside_a_process_pool_worker(published):
    """A pool worker is a daemonic process, which may not start children: the loader reads alone there."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_load_in_pool_worker, (str(published),)) == 196
