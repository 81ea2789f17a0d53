#!/usr/bin/env python
"""Kill -9 a sweep at random moments, again and again, then ``--resume`` it: every (identity, repeat) must end up
complete exactly once and nothing half a run may stay visible.

python benchmarks/kill_resume_loop.py [--kills 20] [--repeats 4] [--seed 0] [--keep DIR]

Each round starts ``evaluate_sklearn.py --resume`` on the same sweep (iris x GNB, LR, k-NN, default
hyperparameters, the estimate meter) and sends SIGKILL after a random 0.3-4 s (imports, data loading, either
half of a run, the renames). Then one last ``--resume`` runs to the end. Printed: the rounds, the runs complete,
duplicates and missing (targets 0), visible folders that are no part of a complete run (target 0), the
folders ``--resume`` moved to ``.broken/``, the hidden ``.tmp-`` leftovers of killed writers (``merge_results.py
--clean`` removes them), what a merge of the folder skipped (target 0) and the runs the loader pools per row.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlee.runs.folders import BROKEN_DIR, TMP_PREFIX, find_complete_runs  # noqa: E402
from mlee.runs.hyperparams import find_hyperparameters  # noqa: E402
from mlee.runs.runner import RunSettings, run_spec  # noqa: E402

METHODS = ("Gaussian Naive Bayes", "Logistic Regression", "k-Nearest Neighbors")


def _command(out: Path, repeats: int) -> list[str]:
    return [sys.executable, "evaluate_sklearn.py", "--dataset", "iris", "--model", *METHODS, "--repeats",
            str(repeats), "--hyperparameters", "default", "--monitor", "estimate", "--no-progress", "--resume",
            "--output-dir", str(out)]


def kill_loop(out: Path, kills: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """Run the loop into ``out``; returns the figures (see the module docstring)."""
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    for _ in range(kills):
        process = subprocess.Popen(_command(out, repeats), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=rng.uniform(0.3, 4.0))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
    final = subprocess.run(_command(out, repeats), cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    settings = RunSettings(output_dir=out, repeats=repeats, hyperparameters="default",
                           monitor_options={"monitor": "estimate"})
    wanted = Counter({(run_spec(settings, "iris", m, find_hyperparameters("iris", m, "default")).identity, r): 0
                      for m in METHODS for r in range(repeats)})
    runs = find_complete_runs(out)
    found = Counter((run.identity, run.repeat) for run in runs)
    in_runs = {p.name for run in runs for p in (run.train, run.infer)}
    visible = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    broken = out / BROKEN_DIR
    figures = {
        "rounds killed": kills,
        "last resume exit status": final.returncode,
        "runs complete": sum(found.values()),
        "runs planned": len(wanted),
        "duplicates": sum(n - 1 for n in found.values() if n > 1),
        "missing": sum(1 for key in wanted if found[key] == 0),
        "unplanned": sum(1 for key in found if key not in wanted),
        "visible folders outside complete runs": len(visible - in_runs),
        "moved to .broken": len(list(broken.iterdir())) if broken.is_dir() else 0,
        "hidden .tmp- leftovers": sum(1 for p in out.iterdir() if p.name.startswith(TMP_PREFIX)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    from mlee.merge import merge_directory
    from mlee.results import aggregate_runs, load_results

    report = merge_directory(out, out.parent / "merged", progress=False)
    figures["merge: folders skipped with errors"] = len(report.failed)
    table = aggregate_runs(load_results(out.parent / "merged"))
    figures["runs pooled per row"] = sorted(set(table["n_runs"].tolist()))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="run in this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        figures = kill_loop(root / "logs", args.kills, args.repeats, args.seed)
    for name, value in figures.items():
        print(f"{name:40s} {value}")
    ok = (figures["duplicates"] == figures["missing"] == figures["unplanned"] == 0
          and figures["visible folders outside complete runs"] == 0 and figures["last resume exit status"] == 0
          and figures["merge: folders skipped with errors"] == 0)
    print("target: every (identity, repeat) exactly once, nothing half-visible:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
