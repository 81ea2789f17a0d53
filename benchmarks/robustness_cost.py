#!/usr/bin/env python
"""What do the robustness, calibration and latency properties cost per experiment on the bundled sweep?

Every (dataset, method) pair of the bundled sweep (4 datasets x 10 methods, shipped hyperparameters) runs
``run_experiment`` twice, with and without the properties (the order flips every pair so drift cancels).
Per experiment: ``extra`` = the ``duration`` the robustness block records itself (noise, calibration and
latency together); ``wall`` = wall time of the ``run_experiment`` call without the properties (train and
infer folders, meter windows, everything). Printed: extra / wall per experiment, and over the sweep the
median, the largest, and sum(extra) / sum(wall); plus the measured difference of the two runs' wall times
as a cross-check of the self-timed figure.

Target (issue 17): extra cost under 20 % of the experiment's wall time.

    python benchmarks/robustness_cost.py [--runs N] [--monitor estimate] [--dataset iris ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlee.catalog import methods  # noqa: E402
from mlee.cli.evaluate import build_evaluate_parser  # noqa: E402
from mlee.runs.datasets import load_dataset  # noqa: E402
from mlee.runs.hyperparams import find_hyperparameters  # noqa: E402
from mlee.runs.preparation import prepare  # noqa: E402
from mlee.runs.runner import RunSettings, run_experiment  # noqa: E402
from mlee.cli.monitor_options import meter_from_args  # noqa: E402

TARGET = 0.20
BUNDLED = ("iris", "wine", "breast_cancer", "digits")


def timed_run(data, method, settings, meter, hp) -> tuple[float, float]:
    """(wall seconds of one run_experiment call, the robustness block's own duration or 0)."""
    start = time.perf_counter()
    outcome = run_experiment(data, method, settings, meter, hp=hp)
    wall = time.perf_counter() - start
    if not outcome.ok:
        raise RuntimeError(f"{data.dataset} / {method}: {outcome.error}")
    results = json.loads((outcome.infer_dir / "results.json").read_text())
    return wall, float(results.get("robustness", {}).get("duration", 0.0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="with/without pairs per experiment (medians taken)")
    parser.add_argument("--monitor", default="auto")
    parser.add_argument("--dataset", nargs="+", default=list(BUNDLED))
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    meter = meter_from_args(build_evaluate_parser().parse_args(["--monitor", args.monitor]))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        with_props = RunSettings(output_dir=Path(tmp), robustness=True)
        without = replace(with_props, robustness=False)
        flip = False
        for dataset in args.dataset:
            data = prepare(load_dataset(dataset), seed=with_props.seed)
            for method in methods():
                hp = find_hyperparameters(dataset, method, None)
                walls_on, walls_off, extras = [], [], []
                for _ in range(args.runs):
                    order = (True, False) if flip else (False, True)
                    flip = not flip
                    for on in order:
                        wall, extra = timed_run(data, method, with_props if on else without, meter, hp)
                        if on:
                            walls_on.append(wall)
                            extras.append(extra)
                        else:
                            walls_off.append(wall)
                wall, extra = statistics.median(walls_off), statistics.median(extras)
                rows.append((dataset, method, wall, extra, statistics.median(walls_on) - wall))
    print(f"{'dataset':14s} {'method':36s} {'wall s':>8s} {'extra s':>8s} {'extra/wall':>10s} {'on-off s':>9s}")
    for dataset, method, wall, extra, diff in rows:
        print(f"{dataset:14s} {method:36s} {wall:8.3f} {extra:8.3f} {extra / wall:10.1%} {diff:9.3f}")
    ratios = [extra / wall for _, _, wall, extra, _ in rows]
    total = sum(r[3] for r in rows) / sum(r[2] for r in rows)
    worst = max(rows, key=lambda r: r[3] / r[2])
    print(f"\nextra cost per experiment: median {statistics.median(ratios):.1%}, largest {max(ratios):.1%} "
          f"({worst[0]} / {worst[1]}), over the sweep {total:.1%} "
          f"(target < {TARGET:.0%}); {sum(r > TARGET for r in ratios)} of {len(ratios)} experiments above")
    print(f"cross-check: sum(wall with) - sum(wall without) = {sum(r[4] for r in rows):.2f} s, "
          f"sum(extra) = {sum(r[3] for r in rows):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
