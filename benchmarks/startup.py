#!/usr/bin/env python
"""How long each command line takes to start: ``--help`` (and the label's ``--list``) in a fresh interpreter.

python benchmarks/startup.py [--runs 5]

Prints the median wall time of ``--runs`` fresh processes per command, next to an empty interpreter and the
import of numpy + pandas + scikit-learn for scale. Target: under 1 s for every command whose answer needs no
heavy library (issue 18). ``--list`` loads and rates the results it lists, so it needs pandas.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
COMMANDS = [
    ["evaluate_sklearn.py", "--help"],
    ["evaluate_hyperparams.py", "--help"],
    ["merge_results.py", "--help"],
    ["create_paper_results.py", "--help"],
    ["elex.py", "--help"],
    ["-m", "mlee.label_generator", "--help"],
    ["-m", "mlee.label_generator", "--list"],
]
SCALE = [["-c", "pass"], ["-c", "import numpy, pandas, sklearn.base"]]


def wall(args: list[str], runs: int) -> float:
    """Median wall time (s) of ``python *args`` over ``runs`` fresh processes (output discarded)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"python {' '.join(args)} exited {done.returncode}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command (default 5)")
    args = parser.parse_args()
    for cmd in SCALE:
        print(f"{'python ' + ' '.join(cmd):48s} {wall(cmd, args.runs):6.2f} s  (for scale)")
    for cmd in COMMANDS:
        seconds = wall(cmd, args.runs)
        ok = seconds < TARGET_S
        print(f"{'python ' + ' '.join(cmd):48s} {seconds:6.2f} s  (target < {TARGET_S:g} s: "
              f"{'ok' if ok else 'MISSED'})")
    print(f"median of {args.runs} fresh processes each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
