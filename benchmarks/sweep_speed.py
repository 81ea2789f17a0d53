#!/usr/bin/env python
"""Time the default experiment sweep (4 bundled datasets x 10 methods) and the shipped hyperparameter search.

python benchmarks/sweep_speed.py [--search] [--monitor estimate]

Prints the wall time of the whole command in a fresh interpreter (what a user waits for), its start-up (the
imports a sweep needs, timed in another fresh interpreter), the sweep itself in this already-warm process, and
the slowest (dataset, method) runs (train + inference folders). Target: the default sweep finishes in a few
minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlee.cli.evaluate import evaluate_main, search_main  # noqa: E402

#: what a sweep imports before its first fit: the runner (numpy, pandas, scikit-learn), the meter, and the
#: estimator classes of the ten methods
IMPORTS = ("import time; t = time.perf_counter(); import mlee.runs.runner, mlee.monitoring; "
           "from mlee.runs.methods import make_estimator, method_names; "
           "[make_estimator(m) for m in method_names()]; print(time.perf_counter() - t)")


def fresh_command(out: Path, monitor: str) -> float:
    """Wall time (s) of ``python evaluate_sklearn.py`` (the default sweep) in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "evaluate_sklearn.py"), "--output-dir", str(out), "--no-progress",
                    "--monitor", monitor], cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


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
        command = fresh_command(Path(tmp) / "fresh", args.monitor)
        imports = float(subprocess.run([sys.executable, "-c", IMPORTS], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
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
        print(f"python evaluate_sklearn.py (fresh interpreter): {command:.1f} s wall")
        print(f"  start-up: the sweep's imports take {imports:.2f} s in a fresh interpreter")
        print(f"default sweep in this warm process: {wall:.1f} s wall for {len(rows)} runs (exit status {status})")
        for seconds, dataset, model in sorted(rows, reverse=True)[:5]:
            print(f"  slowest: {dataset:14s} {model:36s} fit+predict {seconds:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
