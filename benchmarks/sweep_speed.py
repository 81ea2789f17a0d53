#!/usr/bin/env python
"""Time the default experiment sweep (4 bundled datasets x 10 methods) and the shipped hyperparameter search.

python benchmarks/sweep_speed.py [--search] [--monitor estimate]

Prints wall time of the whole sweep, of each (dataset, method) run (train + inference folders) and the slowest
runs. Target: the default sweep finishes in a few minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlee.experiment.cli import evaluate_main, search_main  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", action="store_true", help="also time evaluate_hyperparams.py (bundled x all)")
    parser.add_argument("--monitor", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.search:
            start = time.time()
            search_main(["--output-dir", str(Path(tmp) / "hp"), "--n-jobs", "2", "--no-progress"])
            print(f"search (4 x 10, 15 iterations, 3 folds, 2 jobs): {time.time() - start:.1f} s")
        out = Path(tmp) / "runs"
        start = time.time()
        status = evaluate_main(["--output-dir", str(out), "--no-progress", "--monitor", args.monitor])
        wall = time.time() - start
        rows = []
        for infer in out.glob("infer_*"):
            config = json.loads((infer / "config.json").read_text())
            train = json.loads((Path(config["train_logdir"]) / "results.json").read_text())
            result = json.loads((infer / "results.json").read_text())
            rows.append((train["duration"] + result["duration"], config["dataset"], config["model"]))
        print(f"default sweep: {wall:.1f} s wall for {len(rows)} runs (exit status {status})")
        for seconds, dataset, model in sorted(rows, reverse=True)[:5]:
            print(f"  slowest: {dataset:14s} {model:36s} fit+predict {seconds:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
