#!/usr/bin/env python
"""Time and energy of each method per backend on the bundled sweep, as ratios to scikit-learn.

python benchmarks/backends.py [--repeats 1] [--monitor auto] [--backends sklearn sklearnex torch]
python benchmarks/backends.py --results shipped/results   # from merged results instead of a fresh sweep

A fresh sweep runs the 4 bundled datasets x every method each backend implements (shipped hyperparameters) into
a temporary folder (backends taking turns per dataset and method), merges it and reads it back like any results
folder. Per method and backend it prints
training and inference time (s) and energy (J), summed over the datasets and averaged over repeats, and each
as a ratio to scikit-learn's (< 1: the backend is cheaper). No target: the figures compare implementations. The
methods sklearnex runs with scikit-learn's own classes (AB, GNB, RR, SGD, MLP) show the noise of the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from mlee.runs.datasets import bundled_datasets  # noqa: E402
from mlee.runs.methods import backend_methods, method_names  # noqa: E402
from mlee.runs.runner import RunSettings  # noqa: E402
from mlee.executors.sweep import run_sweep  # noqa: E402
from mlee.merge import merge_directory  # noqa: E402
from mlee.monitoring import Meter  # noqa: E402
from mlee.results import aggregate_runs, load_results  # noqa: E402


def fresh_sweep(root: Path, backends: list[str], repeats: int, monitor: str) -> Path:
    """Run and merge the bundled sweep for every backend under ``root``; returns the results folder.

    Backends take turns per (dataset, method), so a change of machine load hits them alike."""
    meter = Meter(monitor=monitor)
    spent = dict.fromkeys(backends, 0.0)
    for _ in range(repeats):
        for dataset in bundled_datasets():
            for method in method_names():
                for backend in (b for b in backends if method in backend_methods(b)):
                    settings = RunSettings(output_dir=root / "logs" / backend, backend=backend)
                    start = time.time()
                    [outcome] = run_sweep([(dataset, method)], settings, meter, progress=False)
                    spent[backend] += time.time() - start
                    if not outcome.ok:
                        print(f"{backend} {dataset} {method} failed: {outcome.error}", file=sys.stderr)
    for backend in backends:
        print(f"{backend}: {spent[backend]:.1f} s wall (incl. dataset loading)", file=sys.stderr)
        merge_directory(root / "logs" / backend, root / "results" / backend, progress=False)
    return root / "results"


def comparison(results: Path) -> pd.DataFrame:
    """Per (model, environment, task): time and energy summed over the datasets; ratios to the scikit-learn
    environment on the same hardware."""
    table = aggregate_runs(load_results(results))
    sums = table.groupby(["model", "environment", "task"], as_index=False)[["time", "power_draw"]].sum()
    sums["hardware"] = sums["environment"].str.rpartition(" - ")[0]
    sums["backend"] = sums["environment"].str.rpartition(" - ")[2]
    base = sums[sums["backend"].str.startswith("Scikit-learn")].set_index(["hardware", "model", "task"])
    key = pd.MultiIndex.from_frame(sums[["hardware", "model", "task"]])
    sums["time_ratio"] = sums["time"].to_numpy() / base["time"].reindex(key).to_numpy()
    sums["energy_ratio"] = sums["power_draw"].to_numpy() / base["power_draw"].reindex(key).to_numpy()
    return sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=None, help="merged results folder (default: run a sweep)")
    parser.add_argument("--backends", nargs="+", default=["sklearn", "sklearnex", "torch"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--monitor", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = args.results or fresh_sweep(Path(tmp), args.backends, args.repeats, args.monitor)
        table = comparison(results)
    print(f"{'method':36s} {'backend':32s} {'task':9s} {'time s':>9s} {'energy J':>10s} {'t/sk':>6s} {'E/sk':>6s}")
    for row in table.sort_values(["model", "task", "backend"]).itertuples():
        print(f"{row.model:36s} {row.backend:32s} {row.task:9s} {row.time:9.4f} {row.power_draw:10.3f} "
              f"{row.time_ratio:6.2f} {row.energy_ratio:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
