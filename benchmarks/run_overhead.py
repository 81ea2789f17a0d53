#!/usr/bin/env python
"""Per-run overhead of the run pipeline against another version of mlee, in-process, in one sitting.

python benchmarks/run_overhead.py --baseline DIR [--runs 200] [--rounds 3]

``DIR`` is a checkout of the version to compare with (e.g. ``git worktree add /tmp/base main``). Each round runs
the same sweep once per version, in a fresh process each, alternating: ``runs`` repeats of Gaussian Naive Bayes on
iris (default hyperparameters, no robustness pass) through ``run_sweep`` with a real estimate meter whose minimum
window is 0 (one predict call per window), so that what is timed is the pipeline around fit and predict: the
run's specification and identity, the configuration, the folders and their atomic writes, the sweep API. Printed:
milliseconds per run of each version (median of the rounds) and the difference. Target: the current version at
most 1 ms per run slower.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 1.0


def child(runs: int, out: Path) -> float:
    """Seconds per run of the sweep in this process (the mlee on ``sys.path``)."""
    import logging

    from mlee.monitoring import Meter

    import mlee

    # the checkout's own layout (an editable install elsewhere would otherwise supply the newer packages)
    if (Path(mlee.__file__).parent / "runs").is_dir():
        from mlee.executors.sweep import run_sweep
        from mlee.runs.runner import RunSettings
    else:  # a version before the packages by job
        from mlee.experiment.runner import RunSettings
        try:
            from mlee.experiment.sweep import run_sweep
        except ImportError:  # ... whose run_sweep lived in the runner module
            from mlee.experiment.runner import run_sweep

    logging.disable(logging.WARNING)

    class OneCallMeter(Meter):
        @property
        def min_window_s(self) -> float:
            return 0.0

    settings = RunSettings(output_dir=out / "warm-up", hyperparameters="default", repeats=3, robustness=False,
                           monitor_options={"monitor": "estimate"})
    meter = OneCallMeter(monitor="estimate")
    run_sweep([("iris", "Gaussian Naive Bayes")], settings, meter, progress=False)  # imports, data, first writes
    settings.output_dir, settings.repeats = out / "timed", runs
    start = time.perf_counter()
    outcomes = run_sweep([("iris", "Gaussian Naive Bayes")], settings, meter, progress=False)
    elapsed = time.perf_counter() - start
    assert len(outcomes) == runs and all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok][:3]
    return elapsed / runs


def spec_cost(calls: int = 2000) -> float:
    """Seconds per run of what this version adds to each run: its specification and identity (built for both
    halves) and the meter's configuration."""
    from mlee.runs.hyperparams import find_hyperparameters
    from mlee.runs.runner import RunSettings, run_spec

    settings = RunSettings(hyperparameters="default", monitor_options={"monitor": "estimate", "cpu_tdp": None,
                                                                      "idle_seconds": 0.0, "country": None})
    hp = find_hyperparameters("iris", "Random Forest", "default")
    start = time.perf_counter()
    for _ in range(calls):
        for _half in ("train", "infer"):
            run_spec(settings, "iris", "Random Forest", hp, "0123456789abcdef").identity
    return (time.perf_counter() - start) / calls


def _measure(code: Path, runs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, __file__, "--child", str(runs), "--out", tmp], cwd=code,
                              env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True,
                              timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"the sweep in {code} failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["per_run_s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--baseline", type=Path, default=None, help="checkout of the version to compare with")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps({"per_run_s": child(args.child, args.out)}))
        return 0
    versions = {"current": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    times: dict[str, list[float]] = {name: [] for name in versions}
    for _ in range(args.rounds):
        for name, code in versions.items():
            times[name].append(_measure(code, args.runs))
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    for name, value in medians.items():
        rounds = ", ".join(f"{v * 1000:.2f}" for v in times[name])
        print(f"{name:9s} {value:8.2f} ms per run  (rounds: {rounds}; {args.runs} runs each)  [{versions[name]}]")
    sys.path.insert(0, str(ROOT))
    print(f"specification + identity + meter configuration of one run (both halves): {spec_cost() * 1e6:.1f} us")
    if "baseline" not in medians:
        print("no --baseline: nothing to compare with")
        return 0
    extra = medians["current"] - medians["baseline"]
    print(f"current - baseline: {extra:+.2f} ms per run (target <= {TARGET_MS:.1f} ms): "
          f"{'met' if extra <= TARGET_MS else 'NOT met'}")
    return 0 if extra <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
