#!/usr/bin/env python
"""Sweeps on a Dask cluster against in-process: overhead, search speedup, node scaling, scheduler cost at scale.

python benchmarks/cluster_sweep.py [--only overhead,search,nodes,scale] [--search-n-iter 15] [--trials 3]

Each figure is printed next to its target, with the machine's load average before and after (the figures mean
little on a loaded machine):
- overhead: wall time per experiment (iris x Gaussian Naive Bayes, 30 runs) through ``--cluster local:1`` minus
  in-process, after one warm-up sweep each, best of ``--trials`` alternating trials; target <= 50 ms.
- search: the hyperparameter search of the four bundled datasets x ten methods on ``local:2`` vs in-process
  (``evaluate_hyperparams.py`` defaults, one job); target >= 1.6x faster on a 2-core machine.
- nodes: a measured sweep (digits x Multilayer Perceptron / Random Forest, 4 repeats each) on two simulated nodes
  (two workers, different ``MLEE_NODE_ID``) vs one node (one worker), best of ``--trials`` alternating trials
  (both clusters stay up); target >= 1.7x.
- scale: 10,000 no-op experiments (a dry-run plan) on a separate ``dask scheduler`` process with two workers:
  time from submit to the last result and the scheduler's peak resident memory; target < 60 s and < 1 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402

from mlee.cli.evaluate import evaluate_main, search_main  # noqa: E402
from mlee.runs.runner import RunSettings  # noqa: E402
from mlee.executors.sweep import SweepPlan, start_sweep  # noqa: E402

SECTIONS = ("overhead", "search", "nodes", "scale")


def load() -> str:
    """The 1-minute load average and the core count."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def quiet(func, *args):
    """``func(*args)`` with its stdout/stderr swallowed; returns (result, seconds)."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = func(*args)
    return result, time.perf_counter() - start


def settings(out: Path, repeats: int) -> RunSettings:
    return RunSettings(output_dir=out, hyperparameters="default", repeats=repeats,
                       monitor_options={"monitor": "estimate"})


def timed_sweep(executor, pairs, out: Path, repeats: int, dry_run: bool = False) -> float:
    """Seconds from start_sweep to the last run written."""
    start = time.perf_counter()
    handle = start_sweep(SweepPlan(pairs, settings(out, repeats), dry_run=dry_run), executor)
    outcomes = handle.wait()
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    return time.perf_counter() - start


def overhead(tmp: Path, trials: int) -> None:
    from mlee.executors.dask_executor import DaskExecutor

    runs = 30
    argv = ["--dataset", "iris", "--model", "GNB", "--hyperparameters", "default", "--monitor", "estimate",
            "--no-progress"]
    print(f"overhead per experiment, best of {trials} alternating trials ({load()})")
    quiet(evaluate_main, argv + ["--output-dir", str(tmp / "warm-local")])
    local, cluster = [], []
    with DaskExecutor("local:1") as executor:
        executor.workers()
        timed_sweep(executor, [("iris", "Gaussian Naive Bayes")], tmp / "warm-cluster", 1)
        for trial in range(trials):
            local.append(quiet(evaluate_main, argv + ["--output-dir", str(tmp / f"local-{trial}"), "--repeats",
                                                      str(runs)])[1])
            cluster.append(timed_sweep(executor, [("iris", "Gaussian Naive Bayes")], tmp / f"cluster-{trial}", runs))
    per_run = (min(cluster) - min(local)) / runs * 1000
    print(f"  in-process {min(local) / runs * 1000:.1f} ms/run, local:1 {min(cluster) / runs * 1000:.1f} ms/run: "
          f"overhead {per_run:.1f} ms per experiment (target <= 50 ms)  [{load()}]")


def search(tmp: Path, n_iter: int) -> None:
    argv = ["--n-iter", str(n_iter), "--no-progress"]
    print(f"hyperparameter search, bundled x all methods, --n-iter {n_iter} ({load()})")
    status, local = quiet(search_main, argv + ["--output-dir", str(tmp / "search-local")])
    print(f"  in-process: {local:.1f} s (exit {status})  [{load()}]")
    status, cluster = quiet(search_main, argv + ["--output-dir", str(tmp / "search-cluster"), "--cluster", "local:2"])
    print(f"  local:2:    {cluster:.1f} s (exit {status}, including cluster start)  [{load()}]")
    print(f"  speedup {local / cluster:.2f}x (target >= 1.6x)")


def nodes(tmp: Path, trials: int) -> None:
    from distributed import Client

    from mlee.executors.dask_executor import DaskExecutor, local_cluster

    pairs = [("digits", "Multilayer Perceptron"), ("digits", "Random Forest")]
    print(f"measured sweep on simulated nodes, best of {trials} alternating trials ({load()})")
    setups = {"one node": ["node-1"], "two nodes": ["node-1", "node-2"]}
    seconds: dict[str, list[float]] = {label: [] for label in setups}
    with contextlib.ExitStack() as stack:
        executors = {}
        for label, node_ids in setups.items():
            cluster = stack.enter_context(local_cluster(node_ids=node_ids))
            executors[label] = DaskExecutor(client=stack.enter_context(Client(cluster, set_as_default=False)))
            executors[label].workers()
            timed_sweep(executors[label], pairs, tmp / f"warm-{label}", 1)  # datasets loaded on every worker
        for trial in range(trials):
            for label, executor in executors.items():
                seconds[label].append(timed_sweep(executor, pairs, tmp / f"{label}-{trial}", 4))
    for label, values in seconds.items():
        print(f"  {label}: best {min(values):.1f} s for 8 runs (all: {', '.join(f'{v:.1f}' for v in values)})")
    print(f"  speedup {min(seconds['one node']) / min(seconds['two nodes']):.2f}x (target >= 1.7x)  [{load()}]")


def scale(tmp: Path, runs: int = 10_000) -> None:
    from mlee.executors.dask_executor import DaskExecutor

    print(f"{runs} no-op experiments on a scheduler process ({load()})")
    scheduler_file = tmp / "scheduler.json"
    quiet_io = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(scheduler_file)], **quiet_io)
    workers = None
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        process = psutil.Process(scheduler.pid)
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            stop.wait(0.05)

    try:
        while not scheduler_file.exists():
            time.sleep(0.1)
        workers = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                    str(scheduler_file), "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                   **quiet_io)
        with DaskExecutor(scheduler_file=scheduler_file) as executor:
            executor.client.wait_for_workers(2, timeout=60)
            executor.workers()
            idle = psutil.Process(scheduler.pid).memory_info().rss
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            seconds = timed_sweep(executor, [("iris", "Gaussian Naive Bayes")], tmp / "scale", runs, dry_run=True)
            stop.set()
            watcher.join()
        print(f"  {seconds:.1f} s from submit to the last result (target < 60 s); scheduler resident memory "
              f"{idle / 2**20:.0f} MiB idle, {peak[0] / 2**20:.0f} MiB peak (target < 1 GB)  [{load()}]")
    finally:
        for process in (workers, scheduler):
            if process is not None:
                process.terminate()
                process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument("--search-n-iter", type=int, default=15, help="configurations per search (default 15)")
    parser.add_argument("--trials", type=int, default=3, help="alternating trials of overhead and nodes (best "
                                                              "counts; default 3)")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        for section in chosen:
            folder = Path(tmp) / section
            folder.mkdir()
            if section == "overhead":
                overhead(folder, args.trials)
            elif section == "search":
                search(folder, args.search_n_iter)
            elif section == "nodes":
                nodes(folder, args.trials)
            elif section == "scale":
                scale(folder)
            else:
                parser.error(f"unknown section {section!r}: choose from {', '.join(SECTIONS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
