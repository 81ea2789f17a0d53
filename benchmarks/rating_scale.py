"""Load + aggregate + rate + per-model summaries of 196 / 2,000 / 20,000 result files: cold and warm.

Targets (issue 18): 20,000 files cold, summaries included, <= 1.5 s and <= 200 MB peak; the earlier targets
(load + rate, warm) <= 0.1 / 0.5 / 4 s for 196 / 2,000 / 20,000 files. The original tool on this kind of
machine: 0.79 / 6.5 / 71.5 s (905 MB), load + rate only.

Usage: python benchmarks/rating_scale.py [--sizes 196 2000 20000] [--layouts published mlee] [--repeats 3]
                                         [--keep DIR] [--quick]

What is timed, per size and layout, each in a fresh Python process (the work is the same in every pass:
``load_results`` + ``aggregate_runs`` + ``rate`` + ``summaries`` of every rated row, what the label command's
"every label" and the paper compute):

- imports: ``import mlee.results, mlee.rating`` (numpy, pandas), timed apart from the work;
- cold, disk: the first pass after the folder's files were evicted from the page cache (``os.sync`` then
  ``posix_fadvise(POSIX_FADV_DONTNEED)`` on every file; the script prints how much of the folder the kernel
  really dropped, read from /proc/meminfo's ``Cached``), so every file is read from the disk;
- cold, cached: the first pass of a fresh process with the files in the page cache (what a second command on
  the same folder sees);
- warm: the best of ``--repeats`` further passes in that process.

Every pass reads the JSON files (``load_results(..., table=False)``): no results table or cached run table is
read or written, so the figures are those of a folder's first load; ``benchmarks/results_table.py`` measures
loads through the table.

CPU is the process's CPU time (user + system, so a read from the disk counts); with two reading processes the
second one's is printed next to it. On a busy machine the wall-clock figures exceed the CPU ones: compare the
load average printed first. The peak memory is the process's maximum resident set size (ru_maxrss: interpreter, numpy, pandas included);
from 4,000 files on, a second (forked) process reads half of the files, and its peak is printed apart (its pages
are largely shared with the first process: the interpreter and the imported libraries).

Layouts: ``published`` = synthetic copies of the study's 196 published files (~15-22 KB each, indented, with
the original's monitoring blocks); ``mlee`` = copies of mlee's shipped results (``shipped/results/sklearn``)
written as ``merge_results.py`` writes them now (compact JSON, the embedded training copy without what it
repeats). Copy i of train/infer pair j gets new directory names and the model name "<model> #i.j" (every
copy of every pair is a distinct model, so 20,000 files give ~20,000 rated rows and summaries; copy 0 keeps the
original names, so the reference models are there), and its energy, time and quality are scaled by random factors.
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
SHIPPED = ROOT / "shipped" / "results" / "sklearn"
ORIGINAL_S = {196: 0.79, 2000: 6.5, 20000: 71.5}
WARM_TARGET_S = {196: 0.1, 2000: 0.5, 20000: 4.0}  # load + rate, warm (the earlier targets)
COLD_TARGET_S = {20000: 1.5}  # load + rate + summaries, cold (issue 18)
TARGET_MB = 200

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
from mlee.results import load_results, aggregate_runs
from mlee.rating import RatingSettings, rate, summaries
imports = time.perf_counter() - t

def one_pass():
    settings = RatingSettings.default()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, t0 = time.process_time(), time.perf_counter()
    runs = load_results({folder!r}, table=False)
    t1 = time.perf_counter()
    table = aggregate_runs(runs)
    t2 = time.perf_counter()
    rated = rate(table, settings)
    t3 = time.perf_counter()
    done = summaries(rated, settings)
    t4 = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reader = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return {{"total": t4 - t0, "rate_total": t3 - t0, "cpu": time.process_time() - c0, "reader_cpu": reader,
             "load": t1 - t0,
             "aggregate": t2 - t1, "rate": t3 - t2, "summaries": t4 - t3, "runs": len(runs), "rows": len(rated),
             "rated": int(rated["compound_rating"].notna().sum()), "n_summaries": len(done)}}

first = one_pass()
warm = min((one_pass() for _ in range({repeats})), key=lambda p: p["total"], default=first)
print(json.dumps({{"imports": imports, "first": first, "warm": warm,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "reader_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def _dump(obj: object) -> bytes:
    try:
        import orjson

        return orjson.dumps(obj, option=orjson.OPT_INDENT_2)
    except ImportError:
        return json.dumps(obj, indent=4).encode()


def _pairs(source: Path) -> list[tuple[dict, dict]]:
    """(training record, inference record) of every inference file of ``source`` (the training one complete)."""
    from mlee.results import read_result_file

    pairs = []
    for infer in sorted(source.glob("infer_*.json")):
        raw = read_result_file(infer)
        pairs.append((read_result_file(source / f"{raw['training']['directory_name']}.json"), raw))
    return pairs


def _scale_energy(phase: dict, factor: float) -> None:
    if isinstance(phase.get("measurement"), dict):
        phase["measurement"]["energy_j"] *= factor
    else:
        phase["monitoring_pyrapl"]["total"]["total_power_draw"] *= factor


def make_copies(n_files: int, dest: Path, layout: str = "published", seed: int = 0) -> int:
    """Write ``n_files`` result files (train/infer pairs) of ``layout`` (see the module docstring) into ``dest``."""
    from mlee.results import compact_training, jsonio

    rng = random.Random(seed)
    pairs = _pairs(PUBLISHED if layout == "published" else SHIPPED)
    dest.mkdir(parents=True, exist_ok=True)
    written, copy = 0, 0
    while written < n_files:
        for j, (train, infer) in enumerate(pairs):
            if written >= n_files:
                break
            t = json.loads(json.dumps(train))
            v = json.loads(json.dumps(infer))
            if copy:
                suffix = f"_copy{copy}"
                t["directory_name"] += suffix
                v["directory_name"] += suffix
                model = f"{t['config']['model']} #{copy}.{j}"
                t["config"]["model"] = v["config"]["model"] = model
                for phase in (t, v["validation"]):
                    _scale_energy(phase, rng.uniform(0.5, 2.0))
                    phase["duration"] *= rng.uniform(0.5, 2.0)
                metrics = v["validation"]["results"]["metrics"]
                for k in ("accuracy", "f1", "precision", "recall", "r2"):  # a regressor's: r2 (and errors)
                    if isinstance(metrics.get(k), (int, float)):
                        metrics[k] *= rng.uniform(0.9, 1.0)
            v["training"] = t
            if layout == "mlee":
                v["training"] = compact_training(v, t)
            encode = _dump if layout == "published" else (lambda obj: jsonio.dumps(obj, indent=False))
            (dest / f"{t['directory_name']}.json").write_bytes(encode(t))
            written += 1
            if written < n_files:
                (dest / f"{v['directory_name']}.json").write_bytes(encode(v))
                written += 1
        copy += 1
    return written


def _cached_kb() -> int | None:
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("Cached:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def evict(folder: Path) -> str:
    """Evict ``folder``'s files from the page cache; a line saying how and how much the kernel dropped."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return "files NOT evicted (no posix_fadvise here): 'cold, disk' is a cached read"
    files = [f for f in folder.iterdir() if f.is_file()]
    size_mb = sum(f.stat().st_size for f in files) / 2 ** 20
    os.sync()
    before = _cached_kb()
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    after = _cached_kb()
    dropped = f"{(before - after) / 1024:.0f} MB" if before is not None and after is not None else "n.a."
    return f"evicted with posix_fadvise(DONTNEED): page cache shrank by {dropped} for {size_mb:.0f} MB of files"


def measure(folder: Path, repeats: int) -> dict:
    """Evict ``folder`` from the page cache, then time the work in a fresh Python process (see the docstring)."""
    how = evict(folder)
    code = CHILD.format(root=str(ROOT), folder=str(folder), repeats=repeats)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    cold_disk = json.loads(done.stdout.strip().splitlines()[-1])
    cached = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), folder=str(folder), repeats=0)],
                            capture_output=True, text=True, check=True)
    cold_cached = json.loads(cached.stdout.strip().splitlines()[-1])
    return {"evicted": how, "imports": cold_disk["imports"], "cold_disk": cold_disk["first"],
            "cold_cached": cold_cached["first"], "warm": cold_disk["warm"],
            "peak_mb": max(cold_disk["peak_mb"], cold_cached["peak_mb"]),
            "reader_peak_mb": max(cold_disk["reader_peak_mb"], cold_cached["reader_peak_mb"])}


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return f" (target <= {target} s: {'ok' if value <= target else 'MISSED'})"


def _line(name: str, fig: dict, size: int, target: float | None) -> str:
    reader = f" + second reading process {fig['reader_cpu']:.3f} s" if fig["reader_cpu"] else ""
    return (f"    {name:<12} {fig['total']:.3f} s{_verdict(fig['total'], target)} | CPU {fig['cpu']:.3f} s{reader} | load "
            f"{fig['load']:.3f}, aggregate {fig['aggregate']:.3f}, rate {fig['rate']:.3f}, summaries "
            f"{fig['summaries']:.3f} | {1e3 * fig['total'] / size:.3f} ms/file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[196, 2000, 20000])
    parser.add_argument("--layouts", nargs="+", choices=["published", "mlee"], default=["published", "mlee"])
    parser.add_argument("--repeats", type=int, default=3, help="warm: best of N passes after the first")
    parser.add_argument("--keep", type=Path, default=None, help="keep the synthetic folders here (and reuse them)")
    parser.add_argument("--quick", action="store_true", help="196 and 2,000 files, 1 warm pass (< 1 min)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats = [196, 2000], 1
    if not PUBLISHED.is_dir():
        print(f"published results not found at {PUBLISHED}", file=sys.stderr)
        return 1
    from mlee.results import jsonio

    print(f"JSON parser: {jsonio.BACKEND}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} on "
          f"{os.cpu_count()} CPUs")
    print("cold, disk = fresh process, files evicted from the page cache; cold, cached = fresh process, files "
          "in the page cache; warm = best later pass in one process; each pass = load + aggregate + rate + "
          "summaries of every row (imports timed apart)")
    base = args.keep or Path(tempfile.mkdtemp(prefix="mlee-rating-scale-"))
    peaks = []
    try:
        for layout in args.layouts:
            for size in args.sizes:
                if size == 196 and layout == "published":
                    folder = base / "published_196"
                    if not folder.is_dir():  # a writable copy: eviction needs to open the files, not the originals
                        shutil.copytree(PUBLISHED, folder)
                else:
                    folder = base / f"{layout}_{size}"
                    if not folder.is_dir():
                        make_copies(size, folder, layout)
                mb = sum(f.stat().st_size for f in folder.iterdir()) / 2 ** 20
                fig = measure(folder, args.repeats)
                peaks.append(fig["peak_mb"])
                warm = fig["warm"]
                print(f"{layout:>9} {size:>6} files ({mb:.0f} MB; {warm['runs']} runs -> {warm['rows']} rows, "
                      f"{warm['rated']} rated, {warm['n_summaries']} summaries) | imports {fig['imports']:.2f} s | "
                      f"peak {fig['peak_mb']:.0f} MB" + (f" (second reading process: {fig['reader_peak_mb']:.0f} MB, most of it "
                      f"shared with the first)" if fig["reader_peak_mb"] else "") + f" | {fig['evicted']}")
                cold_target = COLD_TARGET_S.get(size)
                print(_line("cold, disk", fig["cold_disk"], size, cold_target))
                print(_line("cold, cached", fig["cold_cached"], size, cold_target))
                print(_line("warm", warm, size, None))
                if size in WARM_TARGET_S:
                    print(f"    warm load + rate (without summaries) {warm['rate_total']:.3f} s"
                          f"{_verdict(warm['rate_total'], WARM_TARGET_S[size])}; original {ORIGINAL_S[size]} s")
        peak = max(peaks)
        verdict = (f"target <= {TARGET_MB} MB: {'ok' if peak <= TARGET_MB else 'MISSED'}" if 20000 in args.sizes
                   else f"the {TARGET_MB} MB target is for 20,000 files")
        print(f"peak memory {peak:.0f} MB ({verdict})")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
