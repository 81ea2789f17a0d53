"""The sweep API a server uses (start_sweep, SweepHandle) with the in-process executor: real fits on bundled data,
status while running, cancel, failures, resume, concurrent sweeps taking turns."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from mlee.runs.runner import RunSettings
from mlee.executors.sweep import InProcessExecutor, RunKey, RunState, SweepPlan, complete_runs, start_sweep

PAIRS = [("iris", "Gaussian Naive Bayes"), ("wine", "Logistic Regression")]


def _settings(out: Path, repeats: int = 2, hyperparameters: str = "default") -> RunSettings:
    return RunSettings(output_dir=out, hyperparameters=hyperparameters, repeats=repeats,
                       monitor_options={"monitor": "estimate"})


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_sweep_reports_each_run_and_writes_its_folders(tmp_path):
    handle = start_sweep(SweepPlan(PAIRS, _settings(tmp_path)), InProcessExecutor())
    assert {s.state for s in handle.status()} <= {RunState.QUEUED, RunState.RUNNING}
    finished = list(handle.finished())
    outcomes = handle.wait(timeout=60)
    keys = [RunKey(d, m, r) for d, m in PAIRS for r in range(2)]
    assert [s.key for s in finished] == keys and all(s.state == RunState.DONE for s in finished)
    assert [(o.dataset, o.method, o.repeat) for o in outcomes] == [(k.dataset, k.method, k.repeat) for k in keys]
    assert handle.done and handle.error is None and handle.counts()["done"] == 4
    for status in handle.status():
        assert status.elapsed() > 0 and status.node and status.worker is None
        assert (status.train_dir / "results.json").is_file() and (status.infer_dir / "results.json").is_file()
        config = _read(status.train_dir / "config.json")
        assert config["execution"]["executor"] == "in-process" and config["repeat"] == status.key.repeat
    assert set(complete_runs(tmp_path)) == set(keys)
    summary = handle.node_summary()
    assert list(summary.values())[0]["done"] == 4


def test_cancel_drops_the_runs_not_started_and_writes_none_of_them(tmp_path):
    def cancel_first(status) -> None:
        handle.cancel()

    handle = start_sweep(SweepPlan(PAIRS, _settings(tmp_path)), InProcessExecutor(), on_finish=cancel_first)
    outcomes = handle.wait(timeout=60)
    assert len(outcomes) == 1 and handle.counts() == {"queued": 0, "running": 0, "done": 1, "failed": 0,
                                                      "cancelled": 3}
    assert len(list(tmp_path.glob("train_*"))) == 1 and not [p for p in tmp_path.iterdir() if p.name[0] == "."]
    assert [s.state for s in handle.finished()] == [RunState.DONE] + [RunState.CANCELLED] * 3


def test_missing_hyperparameters_fail_their_runs_with_error_json(tmp_path):
    hp = tmp_path / "hp" / "hyperparameters_2026_01_01_00_00_00"
    hp.mkdir(parents=True)
    handle = start_sweep(SweepPlan(PAIRS[:1], _settings(tmp_path / "runs", 1, str(hp))), InProcessExecutor())
    [outcome] = handle.wait(timeout=60)
    [status] = handle.status()
    assert status.state == RunState.FAILED and "evaluate_hyperparams.py" in status.error
    assert "No hyperparameter file" in _read(outcome.train_dir / "error.json")["error"]


def test_resume_runs_only_the_missing_repeats(tmp_path):
    start_sweep(SweepPlan(PAIRS, _settings(tmp_path, repeats=1)), InProcessExecutor()).wait(timeout=60)
    handle = start_sweep(SweepPlan(PAIRS, _settings(tmp_path, repeats=2), resume=True), InProcessExecutor())
    assert [s.key for s in handle.status()] == [RunKey(d, m, 1) for d, m in PAIRS]
    handle.wait(timeout=60)
    assert set(complete_runs(tmp_path)) == {RunKey(d, m, r) for d, m in PAIRS for r in range(2)}
    assert len(list(tmp_path.glob("infer_*"))) == 4


def test_concurrent_sweeps_in_one_process_take_turns(tmp_path):
    handles = []
    barrier = threading.Barrier(2)

    def launch(name: str) -> None:
        barrier.wait()
        handles.append(start_sweep(SweepPlan(PAIRS, _settings(tmp_path / name)), InProcessExecutor()))

    threads = [threading.Thread(target=launch, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = sorted((s.started, s.ended) for h in handles for s in (h.wait(timeout=120) and h.status()))
    assert len(spans) == 8
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end


def test_a_dataset_that_does_not_load_fails_each_of_its_runs_with_error_json(tmp_path):
    settings = _settings(tmp_path, repeats=2)
    settings.download = False
    handle = start_sweep(SweepPlan([("openml:no-such-dataset-mlee", "Gaussian Naive Bayes")], settings),
                         InProcessExecutor())
    outcomes = handle.wait(timeout=60)
    assert [s.state for s in handle.status()] == [RunState.FAILED, RunState.FAILED]
    for outcome in outcomes:
        assert outcome.infer_dir is None and "no-such-dataset-mlee" in _read(outcome.train_dir / "error.json")["error"]
