"""Merge 200 experiment folders (100 train/infer pairs), with .tar.gz archives and JSON only; merged file sizes.

The original tool merges the same 200 folders with archives in 4.6 s on this kind of machine (measured like for
like by the author of issue 18; the README's earlier "35 s" was not the same work). Targets: <= 5 s with
archives, <= 0.2 s JSON only. Also reports an incremental re-run (nothing changed), the per-folder time, and the
size of the merged files against the original's: one experiment = its train_<ts>.json + infer_<ts>.json (median).
mlee's real runs are the bundled sweep's (shipped/results/sklearn, written by an earlier mlee) encoded as the
merge writes them now; the original's are the study's published pairs as the original tool wrote them; both
are also shown re-encoded alike (compact JSON, whole training copy) to show what the content alone weighs.
Target: mlee's pair as the merge writes it no larger than the original's as it wrote it.

Usage: python benchmarks/merge_speed.py [--folders 200] [--repeats 3] [--quick]

The folders are written in a temporary directory per Contract 2 (config.json, requirements.txt with this
machine's installed packages, execution_platform.json of this machine, logfile.txt, results.json,
measurement.json with one RAPL-like source per CPU package and DRAM). Every measured merge starts from an
empty output folder, except the incremental one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PUBLISHED = ROOT.parent / "shared" / "reference" / "published-results" / "sklearn"
ORIGINAL_S = 4.6  # issue 18: the original, same 200 folders with archives, this machine type
TARGET_ARCHIVE_S = 5.0
TARGET_JSON_S = 0.2


def _environment() -> tuple[dict, str]:
    try:
        from mlee.runs.platform_info import execution_platform, requirements_text

        return execution_platform(), requirements_text()
    except Exception:  # noqa: BLE001 - the runner package is optional for this benchmark
        import platform

        lines = [f"# {platform.python_version()}"] + [f"package{i}==1.{i}.0" for i in range(150)]
        return {"System": platform.system(), "Processor": platform.processor() or "unknown", "GPU": []}, \
            "\n".join(lines) + "\n"


def _measurement(energy: float, duration: float) -> dict:
    sources = [{"name": "rapl", "method": "rapl", "device": f"package-{i}", "domain": dom,
                "energy_j": energy / 4, "estimated": False,
                "path": f"/sys/class/powercap/intel-rapl:{i}/energy_uj", "library": None,
                "parameters": {"wraps": 0, "max_energy_range_uj": 262143328850}}
               for i in range(2) for dom in ("package", "dram")]
    return {"start": 1.7e9, "end": 1.7e9 + duration, "duration_s": duration, "energy_j": energy,
            "net_energy_j": energy * 0.8, "mean_power_w": energy / duration, "estimated": False,
            "description": "CPU package + DRAM (RAPL)", "sources": sources,
            "carbon": {"country": "DEU", "intensity_g_per_kwh": 380.0, "co2_g": energy / 3.6e6 * 380},
            "process": {"cpu_seconds": duration, "peak_rss_bytes": 2 ** 28, "cpu_utilisation": 0.98},
            "meter_cpu_seconds": 0.002}


def make_folders(logs: Path, n_folders: int) -> None:
    """Write n_folders/2 complete train/infer pairs under ``logs``."""
    platform, requirements = _environment()
    log_text = "".join(f"2026-01-01 10:00:{i % 60:02d} INFO mlee.experiment: step {i}\n" for i in range(40))
    for i in range(n_folders // 2):
        stamp = f"2026_01_01_10_{i // 60:02d}_{i % 60:02d}"
        train, infer = logs / f"train_{stamp}", logs / f"infer_{stamp}"
        info = {"hyperparams": {"n_estimators": 100, "max_depth": None, "criterion": "gini"},
                "params": 1000 + i, "fsize": 50000 + i, "flops": 4000 + i, "flops_measured": None}
        for folder, kind in ((train, "train"), (infer, "infer")):
            folder.mkdir(parents=True)
            config = {"dataset": "iris", "model": "Random Forest", "hyperparameters": "sklearn_hyperparameters/x",
                      "output_dir": str(logs), "seed": 42, "backend": "sklearn", "backend_version": "1.9.1",
                      "timestamp": stamp, "run_id": f"{i:032x}", "repeat": 0, "average": "macro",
                      "monitor": "auto", "cpu_tdp": None, "idle_seconds": 0.0, "country": None, "pue": 1.0}
            if kind == "infer":
                config["train_logdir"] = str(logs / train.name)
            (folder / "config.json").write_text(json.dumps(config, indent=2))
            (folder / "requirements.txt").write_text(requirements)
            (folder / "execution_platform.json").write_text(json.dumps(platform, indent=2))
            (folder / "logfile.txt").write_text(log_text)
        (train / "results.json").write_text(json.dumps(
            {"start": 1.0, "end": 3.0, "duration": 2.0, "history": {"n_iter": 12}, "model": info}, indent=2))
        (train / "measurement.json").write_text(json.dumps(_measurement(12.5 + i, 2.0), indent=2))
        (infer / "results.json").write_text(json.dumps(
            {"metrics": {"accuracy": 0.93, "f1": 0.92, "precision": 0.92, "recall": 0.93, "top_5_accuracy": None},
             "average": "macro", "top_5_scores": None, "start": 4.0, "end": 4.25, "duration": 0.25, "model": info,
             "data": {"shape": {"train": [120, 4], "test": [30, 4]}, "classes": 3, "dropped_classes": []}},
            indent=2))
        (infer / "measurement.json").write_text(json.dumps(_measurement(0.75 + i / 100, 0.25), indent=2))


def _pair_sizes(folder: Path) -> dict[str, float]:
    """Median KB of one experiment (``train_<ts>.json`` + ``infer_<ts>.json``) of ``folder``: as written, as
    the merge writes them now, and compact with the whole training copy (the content alone)."""
    from mlee.results import compact_training, jsonio, read_result_file

    sizes: dict[str, list[int]] = {"as written": [], "now": [], "content": []}
    for infer in sorted(folder.glob("infer_*.json")):
        data = read_result_file(infer)
        train_path = folder / f"{data['training']['directory_name']}.json"
        train = jsonio.dumps(read_result_file(train_path), indent=False)
        sizes["as written"].append(infer.stat().st_size + train_path.stat().st_size)
        sizes["content"].append(len(jsonio.dumps(data, indent=False)) + len(train))
        compact = {**data, "training": compact_training(data, data["training"])}
        sizes["now"].append(len(jsonio.dumps(compact, indent=False)) + len(train))
    return {key: statistics.median(values) / 1e3 for key, values in sizes.items()}


def print_sizes(merged: Path) -> None:
    """Size of one experiment's merged pair: this run's, mlee's real runs (the shipped sweep) and the original's
    (the study's published pairs), as written and re-encoded alike."""
    print("merged size per experiment (train + infer file, median); target: mlee's as the merge writes them <= "
          "the original's as it wrote them")
    print(f"{'this benchmark':>24}: {_pair_sizes(merged)['as written']:.1f} KB as written")
    shipped = ROOT / "shipped" / "results" / "sklearn"
    if not (shipped.is_dir() and PUBLISHED.is_dir()):
        print(f"{'':>24}  (shipped or published results not found: no comparison)")
        return
    mlee, original = _pair_sizes(shipped), _pair_sizes(PUBLISHED)
    print(f"{'mlee, real runs':>24}: {mlee['now']:.1f} KB as the merge writes them now, {mlee['as written']:.1f} KB "
          f"as written before (indented, whole training copy), {mlee['content']:.1f} KB compact with the whole "
          f"training copy ({shipped.relative_to(ROOT)})")
    print(f"{'original':>24}: {original['as written']:.1f} KB as written, {original['content']:.1f} KB compact with "
          f"the whole training copy (the study's published pairs)")
    ratio = mlee["now"] / original["as written"]
    print(f"{'ratio':>24}: {ratio:.2f}x as written (target <= 1.00x: {'ok' if ratio <= 1 else 'MISSED'}); "
          f"{mlee['now'] / original['content']:.2f}x against the original's content written compactly")


def _load() -> str:
    """Load average, to read the figures against (the machine is shared)."""
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "n.a."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="median of N merges per variant")
    parser.add_argument("--quick", action="store_true", help="1 merge per variant (< 1 min)")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    from mlee.merge import merge_directory

    base = Path(tempfile.mkdtemp(prefix="mlee-merge-speed-"))
    try:
        logs = base / "logs"
        make_folders(logs, args.folders)
        size = sum(f.stat().st_size for f in logs.rglob("*") if f.is_file())
        print(f"{args.folders} experiment folders, {size / 1e6:.1f} MB; load average {_load()} "
              f"on {os.cpu_count()} CPUs")
        results = {}
        for variant, archives in (("JSON only", False), ("with .tar.gz archives", True)):
            times, cpu = [], []
            for r in range(args.repeats):
                out, arch = base / f"out_{variant[:4]}_{r}", base / f"arch_{variant[:4]}_{r}"
                start, start_cpu = time.perf_counter(), time.process_time()
                report = merge_directory(logs, out, arch if archives else None, progress=False)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                assert len(report.merged) == args.folders and not report.failed, report.summary()
            results[variant] = statistics.median(times)
            target = TARGET_ARCHIVE_S if archives else TARGET_JSON_S
            print(f"{variant:>24}: {results[variant]:.3f} s median of {args.repeats} "
                  f"(CPU {statistics.median(cpu):.3f} s; {1e3 * results[variant] / args.folders:.2f} ms/folder; target <= {target} s "
                  f"{'OK' if results[variant] <= target else 'MISSED'}"
                  + (f"; original {ORIGINAL_S} s like for like (issue 18): {ORIGINAL_S / results[variant]:.1f}x)"
                     if archives else ")"))
        out = base / "out_incremental"
        merge_directory(logs, out, progress=False)
        start = time.perf_counter()
        report = merge_directory(logs, out, progress=False)
        print(f"{'incremental, unchanged':>24}: {time.perf_counter() - start:.3f} s "
              f"({len(report.unchanged)} unchanged, {len(report.merged)} merged)")
        print_sizes(out)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
