"""What does the meter cost? Workload time with and without a Meter window, meter CPU and window alignment.

First the meter's CPU cost per window, warm and cold, measured outside and self-reported
(``benchmarks/meter_cost.py``, skipped with ``--only``). Then two workloads: a short fit (iris + logistic
regression, ~30-50 ms) and a long one (random forest, ~15 s; ~3 s with --quick). Runs alternate bare / metered
(the order flips every pair so drift cancels); the ratio is median(metered) / median(bare), where a metered run
is timed around the whole ``with meter.window()`` block, so the meter's start and end work count against it.
The meter's CPU per window is measured outside as in ``meter_cost.py`` (``process_time`` around the block minus
around its body, net of the same clock reads around a bare run), and compared with the bare run's wall time.

Targets (issue 3): ratio <= 1.02 (short) and <= 1.005 (long); meter CPU <= 0.5 % of the workload's wall time;
window start and end within 1 ms of the workload's.

    python benchmarks/monitoring_overhead.py [--quick] [--runs N] [--monitor auto]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sklearn.datasets import load_iris, make_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from tqdm import tqdm  # noqa: E402

from mlee.monitoring import Meter  # noqa: E402

import meter_cost  # noqa: E402  (benchmarks/meter_cost.py: the per-window cost, warm and cold)

TARGETS = {"short": 1.02, "long": 1.005}


def workloads(quick: bool) -> dict[str, Callable[[], object]]:
    X_iris, y_iris = load_iris(return_X_y=True)
    X, y = make_classification(n_samples=20000, n_features=20, n_informative=10, random_state=0)
    trees = 40 if quick else 200
    return {
        "short": lambda: LogisticRegression(max_iter=1000).fit(X_iris, y_iris),
        "long": lambda: RandomForestClassifier(n_estimators=trees, random_state=0, n_jobs=1).fit(X, y),
    }


def run(name: str, work: Callable[[], object], meter: Meter, runs: int) -> dict[str, float]:
    work()  # warm caches and imports
    with meter.window():
        work()
    clock = time.process_time
    bare, metered, cpu_share, skew_start, skew_end, meter_cpu, outside, harness = [], [], [], [], [], [], [], []
    for i in tqdm(range(runs), desc=name, leave=False):
        for metered_first in ((False, True) if i % 2 == 0 else (True, False)):
            if not metered_first:  # the same clock reads as below, without the meter between them
                a = clock()
                t0 = time.perf_counter()
                b = clock()
                work()
                c = clock()
                bare.append(time.perf_counter() - t0)
                harness.append((clock() - a) - (c - b))
                continue
            a = clock()
            t0 = time.perf_counter()
            with meter.window() as win:
                b = clock()
                inside0 = time.time()
                work()
                inside1 = time.time()
                c = clock()
            metered.append(time.perf_counter() - t0)
            m = win.measurement
            outside.append((clock() - a) - (c - b))
            cpu_share.append(m.meter_cpu_seconds / m.duration_s)
            meter_cpu.append(m.meter_cpu_seconds)
            skew_start.append(inside0 - m.start)
            skew_end.append(m.end - inside1)
    b, w = statistics.median(bare), statistics.median(metered)
    cost = statistics.median(outside) - statistics.median(harness)
    return {"bare_s": b, "metered_s": w, "ratio": w / b, "meter_cpu_share": statistics.median(cpu_share),
            "meter_cpu_s": statistics.median(meter_cpu), "outside_s": cost, "outside_share": cost / b,
            "max_start_skew_s": max(skew_start, key=abs), "max_end_skew_s": max(skew_end, key=abs), "runs": runs,
            "description": m.description}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs and a ~3 s forest instead of 10 and ~15 s")
    parser.add_argument("--runs", type=int, default=None, help="alternating pairs per workload (default 10)")
    parser.add_argument("--monitor", default="auto", help="meter source (default auto)")
    parser.add_argument("--only", choices=["short", "long"], default=None, help="run one workload")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    runs = args.runs or (3 if args.quick else 10)
    if not args.only:
        meter_cost.report(40 if args.quick else 200)
    meter = Meter(monitor=args.monitor)
    results = {}
    for name, work in workloads(args.quick).items():
        if args.only and name != args.only:
            continue
        results[name] = r = run(name, work, meter, runs)
        ok_ratio = r["ratio"] <= TARGETS[name]
        ok_cpu = r["outside_share"] <= 0.005
        ok_skew = abs(r["max_start_skew_s"]) <= 1e-3 and abs(r["max_end_skew_s"]) <= 1e-3
        print(f"{name:5s} fit: bare {r['bare_s'] * 1e3:9.2f} ms, metered {r['metered_s'] * 1e3:9.2f} ms, "
              f"ratio {r['ratio']:.4f} (target <= {TARGETS[name]}: {'ok' if ok_ratio else 'MISSED'}), "
              f"median of {runs} alternating runs")
        print(f"      meter CPU per window {r['outside_s'] * 1e6:8.1f} us measured outside = "
              f"{r['outside_share'] * 100:.4f} % of the bare workload's wall time (target <= 0.5 %: "
              f"{'ok' if ok_cpu else 'MISSED'}); self-reported {r['meter_cpu_s'] * 1e6:.1f} us = "
              f"{r['meter_cpu_share'] * 100:.4f} % of the window")
        print(f"      window start {r['max_start_skew_s'] * 1e6:+.1f} us before the workload, end "
              f"{r['max_end_skew_s'] * 1e6:+.1f} us after it (worst run; target within 1 ms: "
              f"{'ok' if ok_skew else 'MISSED'})")
    print(f"sources: {r['description']}")
    meter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
