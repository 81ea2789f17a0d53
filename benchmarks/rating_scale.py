"""Load + aggregate + rate the published results and synthetic copies of them at 2,000 and 20,000 files.

Original tool on this kind of machine: 0.79 s, 6.5 s and 71.5 s (905 MB peak).
Targets: <= 0.1 s, <= 0.5 s and <= 4 s, peak memory <= 300 MB, time growing linearly.

Usage: python benchmarks/rating_scale.py [--sizes 196 2000 20000] [--repeats 3] [--keep DIR]

Synthetic copies are made in a temporary folder: copy i of a published train/infer pair gets new
directory names and the model name "<model> #i" (so every copy is a distinct model of its dataset, the
unmodified copy 0 keeps the reference models), and its energy, time and quality are scaled by random
factors; the nested training copy inside the inference file is rewritten the same way, so file sizes match
the published ones (~15-22 KB). Each measurement runs in a fresh subprocess: the time covers
load_results + aggregate_runs + rate (imports excluded); the peak memory is that process's maximum
resident set size (ru_maxrss, includes the interpreter, numpy and pandas).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PUBLISHED = ROOT.parent / "shared" / "reference" / "published-results" / "sklearn"
ORIGINAL_S = {196: 0.79, 2000: 6.5, 20000: 71.5}
TARGET_S = {196: 0.1, 2000: 0.5, 20000: 4.0}
TARGET_MB = 300

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from mlee.results import load_results, aggregate_runs
from mlee.rating import RatingSettings, rate
settings = RatingSettings.default()
best = None
for _ in range({repeats}):
    c0 = time.process_time()
    t0 = time.perf_counter()
    runs = load_results({folder!r})
    t1 = time.perf_counter()
    table = aggregate_runs(runs)
    t2 = time.perf_counter()
    rated = rate(table, settings)
    t3 = time.perf_counter()
    times = (t3 - t0, t1 - t0, t2 - t1, t3 - t2, time.process_time() - c0)
    best = times if best is None or times[0] < best[0] else best
print(json.dumps({{"total": best[0], "cpu": best[4], "load": best[1], "aggregate": best[2], "rate": best[3], "runs": len(runs),
                  "rows": len(rated), "rated": int(rated["compound_rating"].notna().sum()),
                  "warnings": len(rated.attrs["warnings"]),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _dump(obj: object) -> bytes:
    try:
        import orjson

        return orjson.dumps(obj, option=orjson.OPT_INDENT_2)
    except ImportError:
        return json.dumps(obj, indent=4).encode()


def make_copies(n_files: int, dest: Path, seed: int = 0) -> int:
    """Write ``n_files`` result files (pairs of train/infer) derived from the published ones into ``dest``."""
    rng = random.Random(seed)
    pairs = []
    for infer in sorted(PUBLISHED.glob("infer_*.json")):
        raw = json.loads(infer.read_text())
        train = json.loads((PUBLISHED / f"{raw['training']['directory_name']}.json").read_text())
        pairs.append((train, raw))
    dest.mkdir(parents=True, exist_ok=True)
    written, copy = 0, 0
    while written < n_files:
        for train, infer in pairs:
            if written >= n_files:
                break
            t = json.loads(json.dumps(train))
            v = json.loads(json.dumps(infer))
            if copy:
                suffix = f"_{copy}"
                t["directory_name"] += suffix
                v["directory_name"] += suffix
                model = f"{t['config']['model']} #{copy}"
                t["config"]["model"] = v["config"]["model"] = model
                for phase in (t, v["validation"]):
                    total = phase["monitoring_pyrapl"]["total"]
                    total["total_power_draw"] *= rng.uniform(0.5, 2.0)
                    phase["duration"] *= rng.uniform(0.5, 2.0)
                for k in ("accuracy", "f1", "precision", "recall"):
                    v["validation"]["results"]["metrics"][k] *= rng.uniform(0.9, 1.0)
                v["training"] = t
            (dest / f"{t['directory_name']}.json").write_bytes(_dump(t))
            written += 1
            if written < n_files:
                (dest / f"{v['directory_name']}.json").write_bytes(_dump(v))
                written += 1
        copy += 1
    return written


def measure(folder: Path, repeats: int) -> dict:
    """Run load + aggregate + rate in a fresh Python process; its figures as a dict."""
    code = CHILD.format(root=str(ROOT), folder=str(folder), repeats=repeats)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[196, 2000, 20000])
    parser.add_argument("--repeats", type=int, default=3, help="best of N load+rate passes per size")
    parser.add_argument("--keep", type=Path, default=None, help="keep the synthetic folders here")
    args = parser.parse_args()
    if not PUBLISHED.is_dir():
        print(f"published results not found at {PUBLISHED}", file=sys.stderr)
        return 1
    from mlee.results import jsonio

    print(f"JSON parser: {jsonio.BACKEND}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} on "
          f"{os.cpu_count()} CPUs")
    base = args.keep or Path(tempfile.mkdtemp(prefix="mlee-rating-scale-"))
    rows = []
    try:
        for size in args.sizes:
            if size == 196:
                folder = PUBLISHED
            else:
                folder = base / f"copies_{size}"
                if not folder.is_dir():
                    make_copies(size, folder)
            figures = measure(folder, args.repeats)
            rows.append((size, figures))
            target = TARGET_S.get(size)
            print(f"{size:>6} files: {figures['total']:.3f} s (CPU {figures['cpu']:.3f} s; load {figures['load']:.3f}, aggregate "
                  f"{figures['aggregate']:.3f}, rate {figures['rate']:.3f}) | {figures['runs']} runs -> "
                  f"{figures['rows']} rows, {figures['rated']} rated | peak {figures['peak_mb']:.0f} MB | "
                  f"{1e3 * figures['total'] / size:.3f} ms/file"
                  + (f" | original {ORIGINAL_S[size]} s, target <= {target} s "
                     f"{'OK' if figures['total'] <= target else 'MISSED'}" if target else ""))
        if len(rows) > 1:
            first = rows[0][1]["total"] / rows[0][0]
            ratios = ", ".join(f"{size}: {fig['total'] / size / first:.2f}" for size, fig in rows)
            print(f"per-file time relative to {rows[0][0]} files (1.00 = linear): {ratios}")
        peak = max(fig["peak_mb"] for _, fig in rows)
        print(f"peak memory {peak:.0f} MB (target <= {TARGET_MB} MB) {'OK' if peak <= TARGET_MB else 'MISSED'}")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
