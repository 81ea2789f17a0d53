"""How far the energy estimate is from RAPL: the study's 98 inference runs, which carry both RAPL energy
(pyRAPL, package-0 + DRAM of a Xeon W-2155) and psutil CPU utilisation.

For every run the estimate (:mod:`mlee.monitoring.sources.estimate`, coefficients as shipped: nothing here is
fitted to these runs) is computed for the window RAPL read (pyRAPL's ``total_duration``, which for short
predictions is several times the prediction) with the CPU seconds psutil saw (mean ``cpu_percent`` x its
window), the machine's 20 logical CPUs and 67 GB of memory. Printed: median, p10 and p90 of estimate / RAPL, and
how many inference energy letters (rating engine, published defaults) equal the RAPL-based ones, next to
the old estimate (CPU seconds x TDP / logical cores) and a duration-only model (constant power).
35 of the runs have a single psutil sample, whose ``cpu_percent`` is psutil's meaningless first 0.0: their CPU
seconds are unknown (mlee's meter reads them from /proc instead). The estimate is shown with those taken as 0
and, on a second line, with one CPU assumed busy during the prediction.

Targets: median within 0.67-1.5x; letters equal at least as often as the duration-only model.

Usage: python benchmarks/estimate_accuracy.py [--results ../shared/reference/published-results]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PUBLISHED = ROOT.parent / "shared" / "reference" / "published-results"
TARGET_MEDIAN = (0.67, 1.5)
STUDY_TDP_W = 140.0  # Xeon W-2155 (codecarbon's table), for the old formula only


def run_inputs(path: str) -> dict[str, float | str]:
    """Window (s), workload duration (s), CPU seconds, logical CPUs, memory (GB) and CPU name of one run."""
    data = json.loads(Path(path).read_text())
    validation, platform = data["validation"], data["execution_platform"]
    psutil = validation["monitoring_psutil"]
    process = next(v for k, v in psutil.items() if k != "total")
    single = process["nr_measurements"] < 2  # psutil's first cpu_percent() is always 0.0: utilisation unknown
    return {"window_s": validation["monitoring_pyrapl"]["total"]["total_duration"],
            "duration_s": validation["duration"], "single_sample": single,
            "cpu_seconds": process["cpu_percent"]["mean"] / 100 * process["total_duration"],
            "vcpus": platform["Total cores"], "memory_gb": platform["Total"] / 1e9, "cpu": platform["Processor"]}


def letters(table: pd.DataFrame, energy: np.ndarray) -> np.ndarray:
    """Inference energy ratings (0..4, NaN unrated) of the run table with ``energy`` as inference energies."""
    from mlee.rating import RatingSettings, rate
    from mlee.results import aggregate_runs

    runs = table.copy()
    runs.loc[runs["task"] == "inference", "power_draw"] = energy
    rated = rate(aggregate_runs(runs), RatingSettings.default())
    inference = rated[rated["task"] == "inference"].sort_values(["dataset", "model"])
    return inference["power_draw_rating"].to_numpy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(PUBLISHED))
    args = parser.parse_args()
    from mlee.monitoring.sources.estimate import estimate_energy, power_model, power_table
    from mlee.results import load_results

    table = load_results(args.results)
    inference = table[table["task"] == "inference"]
    inputs = pd.DataFrame([run_inputs(f) for f in inference["file"]], index=inference.index)
    measured = inference["power_draw"].to_numpy()
    memory_w = float(power_table()["memory_w_per_gb"])
    model = power_model(str(inputs["cpu"].iloc[0]))
    models: dict[str, dict[str, np.ndarray]] = {}
    for window in ("window_s", "duration_s"):
        new = np.array([sum(estimate_energy(model, int(r.vcpus), r[window], r.cpu_seconds, r.memory_gb, memory_w))
                        for _, r in inputs.iterrows()])
        old = inputs["cpu_seconds"].to_numpy() * STUDY_TDP_W / inputs["vcpus"].to_numpy()
        one_core = inputs["cpu_seconds"].where(~inputs["single_sample"], inputs["duration_s"])
        assumed = np.array([sum(estimate_energy(model, int(r.vcpus), r[window], c, r.memory_gb, memory_w))
                            for c, (_, r) in zip(one_core, inputs.iterrows())])
        models[window] = {"estimate (shipped)": new, "  same, 1 CPU busy if unknown": assumed,
                          "old: CPU s x TDP / cores": old, "duration only": inputs[window].to_numpy(dtype=float)}
    reference = letters(table, measured)
    rated = ~np.isnan(reference)
    print(f"{len(inference)} inference runs of {inputs['cpu'].iloc[0]}; estimate family {model.family} "
          f"({model.min_w:g}-{model.max_w:g} W per vCPU), memory {memory_w:g} W/GB")
    print(f"targets: median estimate/RAPL within {TARGET_MEDIAN[0]}-{TARGET_MEDIAN[1]}x; letters equal >= "
          f"the duration-only model")
    for window, label in (("window_s", "over the window RAPL read"), ("duration_s", "over the prediction only")):
        print(f"\n{label}:")
        print(f"  {'model':28s} {'median':>7s} {'p10':>7s} {'p90':>7s}  letters equal to RAPL's")
        for name, energy in models[window].items():
            ratio = energy / measured
            p10, median, p90 = np.percentile(ratio, [10, 50, 90])
            same = int((letters(table, energy)[rated] == reference[rated]).sum())
            ok = " (median in target)" if TARGET_MEDIAN[0] <= median <= TARGET_MEDIAN[1] else ""
            print(f"  {name:28s} {median:7.3f} {p10:7.3f} {p90:7.3f}  {same} of {int(rated.sum())}{ok}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
