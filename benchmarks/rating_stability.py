"""What letter stability costs: rating 20,000 results with and without it, in one run.

Target: with stability (intervals, per-metric and compound letter stability and ranges) at most 0.5 s more than
without, for 20,000 rated results.

The table: the shipped results (``shipped/results``, energy estimated, three repeats each) aggregated, then
copied until it has ``--rows`` rows. Copy ``i`` of a row gets the model name ``"<model> #i"`` (copy 0 keeps the
name, so every group has its reference) and its energy, time and quality are scaled by seeded random factors,
its spreads likewise: every copy is a distinct result with a spread, and most letters vary (the worst case for
the compound letters' Monte-Carlo part). Both variants are timed ``--repeats`` times, alternating, and the best
of each is compared.

Usage: python benchmarks/rating_stability.py [--rows 20000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mlee.rating import RatingSettings, rate  # noqa: E402
from mlee.results import aggregate_runs, load_results  # noqa: E402

TARGET_EXTRA_S = 0.5
SCALED = ("power_draw", "time", "top1_val", "f1_val")


def synthetic_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """The shipped results aggregated and copied to ``rows`` rows (see the module doc)."""
    base = aggregate_runs(load_results(ROOT / "shipped" / "results"))
    copies = -(-rows // len(base))
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(copies):
        part = base.copy()
        if i:
            part["model"] = part["model"] + f" #{i}"
            for key in SCALED:
                factor = rng.uniform(0.5, 2.0, len(part)) if key in ("power_draw", "time") else \
                    rng.uniform(0.9, 1.0, len(part))
                part[key] = part[key] * factor
                part[f"{key}_std"] = part[f"{key}_std"] * factor * rng.uniform(0.5, 2.0, len(part))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).iloc[:rows].reset_index(drop=True)
    table.attrs["warnings"] = []
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average: {' '.join(open('/proc/loadavg').read().split()[:3])}  (cpus: {os.cpu_count()})")
    table = synthetic_table(args.rows)
    settings = RatingSettings.default()
    rate(table.iloc[:200], settings)  # imports and caches warm
    timings: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(args.repeats):
        for stability in (False, True):
            start, cpu = time.perf_counter(), time.process_time()
            rated = rate(table, settings, stability=stability)
            timings[stability].append((time.perf_counter() - start, time.process_time() - cpu))
    without, with_ = min(timings[False]), min(timings[True])
    varying = float((rated["compound_stability"] < 1).mean())
    print(f"{len(table)} results, {varying:.0%} of compound letters not certain")
    print(f"rate without stability: {without[0]:.3f} s wall, {without[1]:.3f} s CPU (best of {args.repeats})")
    print(f"rate with stability:    {with_[0]:.3f} s wall, {with_[1]:.3f} s CPU (best of {args.repeats})")
    extra = with_[0] - without[0]
    print(f"stability costs {extra:+.3f} s   target <= +{TARGET_EXTRA_S} s   {'met' if extra <= TARGET_EXTRA_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
