"""Sweeps on a real Dask cluster (worker processes): the same folders as in-process, one measured experiment at a
time per node, a killed worker, cancel + --resume, a lost scheduler, and the CLI flags."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from mlee.cli import evaluate as cli
from mlee.runs.runner import RunSettings
from mlee.executors.sweep import RunKey, RunState, SweepError, SweepPlan, complete_runs, run_sweep, start_sweep

pytest.importorskip("distributed")
from distributed import Client  # noqa: E402

from mlee.executors.dask_executor import DaskExecutor, local_cluster  # noqa: E402
from run_support import strip_run_specific  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _settings(out: Path, repeats: int = 1) -> RunSettings:
    return RunSettings(output_dir=out, hyperparameters="default", repeats=repeats,
                       monitor_options={"monitor": "estimate"})


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _runs(out: Path) -> dict[RunKey, list[tuple[Path, Path]]]:
    """(train, infer) folders per run key, from the infer folders' config.json."""
    runs: dict[RunKey, list[tuple[Path, Path]]] = {}
    for infer in out.glob("infer_*"):
        config = _read(infer / "config.json")
        train = out / Path(config["train_logdir"]).name
        runs.setdefault(RunKey(config["dataset"], config["model"], config["repeat"]), []).append((train, infer))
    return runs


def estimate_meter():
    from mlee.monitoring import Meter

    return Meter(monitor="estimate")


@pytest.fixture(scope="module")
def executor():
    """Three single-threaded worker processes: two on simulated node 'node-a', one on 'node-b'."""
    cluster = local_cluster(node_ids=["node-a", "node-a", "node-b"])
    client = Client(cluster, set_as_default=False)
    ex = DaskExecutor(client=client)
    yield ex
    ex.close()
    client.close()
    cluster.close()


def test_cluster_sweep_writes_the_same_folders_as_in_process(tmp_path, executor):
    pairs = [("iris", "Gaussian Naive Bayes"), ("wine", "Logistic Regression"), ("iris", "k-Nearest Neighbors")]
    local = run_sweep(pairs, _settings(tmp_path / "local", repeats=2), estimate_meter(), progress=False)
    assert all(o.ok for o in local)
    handle = start_sweep(SweepPlan(pairs, _settings(tmp_path / "cluster", repeats=2)), executor)
    outcomes = handle.wait(timeout=120)
    assert len(outcomes) == 6 and all(o.ok for o in outcomes)

    local_runs, cluster_runs = _runs(tmp_path / "local"), _runs(tmp_path / "cluster")
    assert set(local_runs) == set(cluster_runs) and len(cluster_runs) == 6
    assert not [p for p in (tmp_path / "cluster").iterdir() if p.name.startswith(".")]
    for key, [(train, infer)] in cluster_runs.items():
        [(local_train, local_infer)] = local_runs[key]
        for mine, theirs in ((train, local_train), (infer, local_infer)):
            assert mine.name.split("_")[0] == theirs.name.split("_")[0]
            assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in theirs.iterdir())
            assert (mine / "requirements.txt").read_bytes() == (theirs / "requirements.txt").read_bytes()
            for name in ("config.json", "results.json"):
                assert strip_run_specific(_read(mine / name)) == strip_run_specific(_read(theirs / name)), \
                    (key, mine.name, name)
            assert _read(mine / "measurement.json").keys() == _read(theirs / "measurement.json").keys()
            config = _read(mine / "config.json")
            assert config["output_dir"] == str(tmp_path / "cluster")
            assert config["execution"]["executor"] == "dask" and config["execution"]["node_id"] in ("node-a", "node-b")
            assert config["execution"]["worker"].startswith("tcp://")
            assert config["execution"]["isolation"] == f"node lock mlee-node-{config['execution']['node_id']}"
        assert _read(infer / "config.json")["train_logdir"] == str(train)
    statuses = handle.status()
    assert {s.state for s in statuses} == {RunState.DONE} and all(s.node and s.elapsed() > 0 for s in statuses)


def test_a_failing_experiment_on_the_cluster_writes_error_json(tmp_path, executor):
    hp = tmp_path / "hp" / "hyperparameters_2026_02_02_00_00_00"
    hp.mkdir(parents=True)
    (hp / "hyperparameters__iris__Logistic_Regression.json").write_text(json.dumps(
        {"params": [{"C": -1.0}], "rank_test_score": [1], "mean_test_score": [0.9]}))  # rejected at fit
    settings = _settings(tmp_path / "runs")
    settings.hyperparameters = str(hp)
    handle = start_sweep(SweepPlan([("iris", "Logistic Regression")], settings), executor)
    [outcome] = handle.wait(timeout=60)
    [status] = handle.status()
    assert status.state == RunState.FAILED and status.error.startswith("training:") and status.node
    error = _read(outcome.train_dir / "error.json")
    assert "C" in error["error"] and "Traceback" in error["traceback"]
    assert outcome.infer_dir is None and [p.name for p in (tmp_path / "runs").iterdir()] == [outcome.train_dir.name]


def test_a_search_on_the_cluster_gives_the_in_process_cv_results(executor):
    from mlee.runs.datasets import load_dataset
    from mlee.runs.hyperparams import run_search
    from mlee.runs.preparation import prepare

    pairs = [("iris", "Logistic Regression"), ("wine", "Random Forest")]
    found = {(d, m): r for d, m, r in executor.searches(pairs, RunSettings(), n_iter=4, folds=3)}
    assert set(found) == set(pairs)
    for (dataset, method), result in found.items():
        assert isinstance(result, dict), result
        expected = run_search(prepare(load_dataset(dataset), seed=42), method, n_iter=4, folds=3, seed=42)
        assert strip_run_specific(result) == strip_run_specific(expected) and len(result["params"]) == 4


def test_measured_runs_take_turns_on_one_node_and_run_in_parallel_across_nodes(tmp_path, executor):
    pairs = [("digits", "Random Forest"), ("digits", "Extra Random Forest")]
    handle = start_sweep(SweepPlan(pairs, _settings(tmp_path, repeats=4)), executor)
    assert all(o.ok for o in handle.wait(timeout=180))
    windows: dict[str, list[tuple[float, float]]] = {}
    workers: dict[str, set[str]] = {}
    for train, infer in (pair for [pair] in _runs(tmp_path).values()):
        execution = _read(train / "config.json")["execution"]
        # the measured windows of one run: fit (train) and predict (infer); the run holds the lock over both
        span = (_read(train / "results.json")["start"], _read(infer / "results.json")["end"])
        windows.setdefault(execution["node_id"], []).append(span)
        workers.setdefault(execution["node_id"], set()).add(execution["worker"])
    assert sum(len(w) for w in windows.values()) == 8
    assert len(workers["node-a"]) == 2, "both workers of node-a must have measured runs for the check to mean much"
    spans = sorted(windows["node-a"])
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"two measured runs overlapped on node-a: {spans}"
    overlapping = [(a, b) for a in windows["node-a"] for b in windows.get("node-b", [])
                   if a[0] < b[1] and b[0] < a[1]]
    assert overlapping, f"node-a and node-b never measured at the same time: {windows}"


def test_cancel_leaves_only_complete_runs_and_resume_runs_only_what_is_missing(tmp_path, executor):
    pairs = [("iris", "Gaussian Naive Bayes"), ("digits", "Random Forest")]
    plan = SweepPlan(pairs, _settings(tmp_path, repeats=3))
    cancelled: list = []

    def cancel_after_first(status) -> None:
        if not cancelled:
            cancelled.append(status.key)
            handle.cancel()

    handle = start_sweep(plan, executor, on_finish=cancel_after_first)
    handle.wait(timeout=120)
    assert handle.counts()["cancelled"] >= 1
    first = set(complete_runs(tmp_path))
    assert 1 <= len(first) < 6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a half-written folder was left"
    assert {k: len(v) for k, v in _runs(tmp_path).items()} == {k: 1 for k in first}
    trains = list(tmp_path.glob("train_*"))
    assert len(trains) == len(first)  # no training folder without its inference folder

    resumed = start_sweep(SweepPlan(pairs, _settings(tmp_path, repeats=3), resume=True), executor)
    ran = {s.key for s in resumed.status()}
    assert all(o.ok for o in resumed.wait(timeout=120))
    everything = {RunKey(d, m, r) for d, m in pairs for r in range(3)}
    assert ran == everything - first
    assert {k: len(v) for k, v in _runs(tmp_path).items()} == {k: 1 for k in everything}


def test_a_killed_worker_reruns_its_experiment_elsewhere_and_writes_it_once(tmp_path):
    import dask

    # a killed worker's lock lease expires after the lease timeout; keep it short so the rerun need not wait 30 s
    with dask.config.set({"distributed.scheduler.locks.lease-timeout": "3s",
                          "distributed.scheduler.locks.lease-validation-interval": "1s"}):
        cluster = local_cluster(node_ids=["kill-a", "kill-b"])
        client = Client(cluster, set_as_default=False)
    try:
        executor = DaskExecutor(client=client)
        pairs = [("digits", "Multilayer Perceptron"), ("iris", "Gaussian Naive Bayes")]
        handle = start_sweep(SweepPlan(pairs, _settings(tmp_path)), executor)
        slow = RunKey("digits", "Multilayer Perceptron", 0)
        deadline = time.time() + 60
        while (status := {s.key: s for s in handle.status()}[slow]).state != RunState.RUNNING:
            assert time.time() < deadline and not handle.done, "the slow run never started"
            time.sleep(0.05)
        time.sleep(0.5)  # inside the fit (MLP on digits fits for seconds)
        victim = status.worker
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        outcomes = handle.wait(timeout=180)
        assert sorted((o.dataset, o.method) for o in outcomes if o.ok) == sorted(pairs)
        runs = _runs(tmp_path)
        assert {k: len(v) for k, v in runs.items()} == {RunKey(d, m, 0): 1 for d, m in pairs}
        assert len(list(tmp_path.glob("train_*"))) == 2
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        final = {s.key: s for s in handle.status()}[slow]
        assert final.state == RunState.DONE and final.worker != victim
        [(train, _)] = runs[slow]
        assert _read(train / "config.json")["execution"]["worker"] == final.worker
    finally:
        client.close()
        cluster.close()


def test_losing_the_scheduler_stops_with_an_error_naming_what_finished(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    env = dict(os.environ, MLEE_NODE_ID="lost")
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.time() + 60
        while not scheduler_file.exists():
            assert time.time() < deadline
            time.sleep(0.1)
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                   str(scheduler_file), "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        with DaskExecutor(scheduler_file=scheduler_file) as executor:
            assert list(executor.workers().values()) == ["lost"]
            handle = start_sweep(SweepPlan([("digits", "Random Forest")], _settings(tmp_path / "out", 6)), executor)
            while handle.counts()["done"] < 1:
                assert not handle.done
                time.sleep(0.05)
            scheduler.kill()
            with pytest.raises(SweepError) as info:
                handle.wait(timeout=60)
        message = str(info.value)
        finished = [s.key for s in handle.status() if s.state == RunState.DONE]
        assert "Lost the Dask scheduler" in message and "--resume" in message
        assert f"{len(finished)} of 6 runs had finished" in message and str(finished[0]) in message
        assert set(complete_runs(tmp_path / "out")) == set(finished)
    finally:
        logging.getLogger("distributed").setLevel(logging.NOTSET)
        for process in (worker, scheduler):
            if process is not None:
                process.kill()
                process.wait()


def test_cli_cluster_run_and_resume(tmp_path, capsys):
    out = tmp_path / "runs"
    argv = ["--dataset", "iris", "--model", "GNB", "--hyperparameters", "default", "--output-dir", str(out),
            "--monitor", "estimate", "--no-progress", "--repeats", "2"]
    assert cli.evaluate_main(argv + ["--cluster", "local:1"]) == 0
    captured = capsys.readouterr()
    assert "2 of 2 runs completed" in captured.out and "Per node:" in captured.out
    assert "1 worker(s) on 1 node(s)" in captured.err
    first = set(p.name for p in out.iterdir())
    # in-process --resume with one more repeat runs only repeat 2
    assert cli.evaluate_main(argv[:-1] + ["3", "--resume"]) == 0
    assert "1 of 1 runs completed" in capsys.readouterr().out
    assert Counter(k.repeat for k in complete_runs(out)) == Counter({0: 1, 1: 1, 2: 1})
    assert first < set(p.name for p in out.iterdir())


@pytest.mark.parametrize("flags, expected", [
    (["--cluster", "lokal"], "is not a cluster: use 'local'"),
    (["--cluster", "local:0"], "is not a cluster"),
    (["--scheduler-file", "/nonexistent/scheduler.json"], "does not exist. Start a scheduler"),
])
def test_bad_cluster_gives_a_clear_message(flags, expected, tmp_path, capsys):
    status = cli.evaluate_main(["--dataset", "iris", "--model", "GNB", "--hyperparameters", "default",
                                "--output-dir", str(tmp_path), "--no-progress"] + flags)
    assert status == 2 and expected in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_without_the_flag_nothing_of_dask_is_imported(tmp_path):
    code = ("import sys; from mlee.cli.evaluate import evaluate_main; "
            f"status = evaluate_main(['--dataset', 'iris', '--model', 'GNB', '--hyperparameters', 'default', "
            f"'--output-dir', {str(tmp_path)!r}, '--monitor', 'estimate', '--no-progress']); "
            "print(status, sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


def test_ctrl_c_on_the_client_cancels_the_rest_and_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "runs"
    command = [sys.executable, str(ROOT / "evaluate_sklearn.py"), "--dataset", "digits", "--model", "RF", "XRF",
               "--hyperparameters", "default", "--repeats", "20", "--cluster", "local:1", "--output-dir", str(out),
               "--monitor", "estimate", "--no-progress"]
    # a new session, and SIGINT to its whole process group: what Ctrl-C in a terminal does (workers included)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, cwd=tmp_path)
    try:
        deadline = time.time() + 120
        while not list(out.glob("infer_*")):
            assert time.time() < deadline and process.poll() is None, process.communicate()
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Interrupted:" in err and "Rerun with --resume" in err and "Traceback" not in err
    written = set(complete_runs(out))
    assert 1 <= len(written) < 40
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert len(list(out.glob("train_*"))) == len(list(out.glob("infer_*"))) == len(written)
