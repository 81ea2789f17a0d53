"""The results table: loads of 20,000 results through it against reading the JSON files, and a merge of 200 new
folders into them. One sitting, every figure from a fresh Python process unless it says warm.

Targets (2-core machine):
- load + rate + summaries of 20,000 results from the table: <= 0.3 s cold, peak <= 200 MB;
- first load of a folder without a table no slower than today's path (the JSON files, ``table=False``);
- merging 200 new folders into a folder of 20,000 results: <= 0.5 s including the table update.

Usage: python benchmarks/results_table.py [--files 20000] [--repeats 3] [--keep DIR]

Rows printed, per pass (``load`` = ``load_results``; ``rate`` = ``aggregate_runs`` + ``rate``; ``summaries``):
- today's path: the JSON files read as before the table (``table=False``), files in the page cache; and the same
  read by one process (the loader's second reading process off), to show what that process still saves;
- first load, no table: a fresh cache and no table in the folder: the files are read and the table and the
  loaded run table are written (what the first command on a new folder pays);
- from the table, cold: a fresh process, table and cached run table present (every later command);
- from the table, run table rebuilt: the cached run table deleted (the first load after a merge builds it from
  the table's rows);
- warm: best later pass in the process of "from the table, cold".
Imports (numpy, pandas, pyarrow, mlee) are timed apart. The peak is the process's maximum resident set size.
The merge is ``merge_results.py`` run as a command (its own "in X s" figure, which includes the table update, and
the process's wall time with its imports); the folder it merges into holds the 20,000 results and their table.
The load average is printed first: on a shared machine the figures are "under load".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
TARGET_COLD_S = 0.3
TARGET_MB = 200
TARGET_MERGE_S = 0.5

CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
import numpy, pandas, pyarrow.parquet
from mlee.results import load_results, aggregate_runs, loader
if {one_process!r}:
    loader.PARALLEL_MIN_FILES = 10 ** 12
from mlee.rating import RatingSettings, rate, summaries
imports = time.perf_counter() - t

def one_pass():
    settings = RatingSettings.default()
    t0 = time.perf_counter()
    runs = load_results({folder!r}, table={table!r})
    t1 = time.perf_counter()
    rated = rate(aggregate_runs(runs), settings)
    t2 = time.perf_counter()
    done = summaries(rated, settings)
    t3 = time.perf_counter()
    return {{"total": t3 - t0, "load": t1 - t0, "rate": t2 - t1, "summaries": t3 - t2, "runs": len(runs)}}

first = one_pass()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
warm = min((one_pass() for _ in range({repeats})), key=lambda p: p["total"], default=first)
print(json.dumps({{"imports": imports, "first": first, "warm": warm, "peak_mb": peak}}))
"""


def loadavg() -> str:
    """/proc/loadavg as it reads (the load averages, running / all tasks, last pid)."""
    try:
        return open("/proc/loadavg", encoding="ascii").read().strip()
    except OSError:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())


def run_pass(folder: Path, cache: Path, table: bool, repeats: int = 0, one_process: bool = False) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    code = CHILD.format(root=str(ROOT), folder=str(folder), table=table, repeats=repeats, one_process=one_process)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(name: str, fig: dict, target: float | None = None) -> str:
    verdict = f" (target <= {target} s: {'ok' if fig['total'] <= target else 'MISSED'})" if target else ""
    return (f"  {name:<34} {fig['total']:.3f} s{verdict} | load {fig['load']:.3f}, rate {fig['rate']:.3f}, "
            f"summaries {fig['summaries']:.3f} | {fig['runs']} runs")


def bench_merge(folder: Path, base: Path, cache: Path, n_folders: int) -> None:
    """Merge ``n_folders`` new experiment folders into a copy of ``folder`` (with its table) by the command."""
    from merge_speed import make_folders
    from mlee.locks import folder_lock
    from mlee.results.loader import refresh_table

    out = base / "merge_into"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(folder, out)
    with folder_lock(out):
        refresh_table(out)  # the folder as earlier merges left it: its table in place
    logs = base / "merge_logs"
    shutil.rmtree(logs, ignore_errors=True)
    make_folders(logs, n_folders)
    os.sync()  # the copy's writeback is not the merge's: its own flush to disk would pay for it otherwise
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "merge_results.py"), "--directory", str(logs),
                           "--output-agglog-dir", str(out), "--quiet"], capture_output=True, text=True, env=env,
                          check=True)
    wall = time.perf_counter() - start
    own = float(re.search(r" in ([0-9.]+) s", done.stdout).group(1))
    print(f"  merge {n_folders} new folders into {len(list(folder.glob('*.json')))} results: {own:.3f} s "
          f"including the table update (target <= {TARGET_MERGE_S} s: {'ok' if own <= TARGET_MERGE_S else 'MISSED'})"
          f"; the command with its imports {wall:.2f} s")
    from mlee.results.table import TABLE_FILE

    import pyarrow.parquet as pq

    stored = set(pq.read_table(out / TABLE_FILE, columns=["file"]).column("file").to_pylist())
    merged = {p.name for p in out.glob("*.json") if not p.name.startswith(".")}
    print(f"  table after the merge: {len(stored & merged)} of {len(merged)} result files, "
          f"{len(stored - merged)} others")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3, help="warm: best of N passes after the first")
    parser.add_argument("--merge-folders", type=int, default=200)
    parser.add_argument("--keep", type=Path, default=None, help="keep the synthetic folder here (and reuse it)")
    args = parser.parse_args()
    from rating_scale import make_copies

    print(f"load average before: {loadavg()} on {os.cpu_count()} CPUs (anything above ~0.5: 'under load')")
    base = Path(tempfile.mkdtemp(prefix="mlee-results-table-"))
    folder = (args.keep or base) / f"mlee_{args.files}"
    try:
        if not folder.is_dir():
            make_copies(args.files, folder, "mlee")
        for stale in folder.glob(".mlee-table*"):
            stale.unlink()
        mb = sum(f.stat().st_size for f in folder.glob("*.json")) / 2 ** 20
        print(f"{args.files} result files ({mb:.0f} MB, mlee's merged layout), in the page cache")
        today = run_pass(folder, base / "cache_json", table=False)
        alone = run_pass(folder, base / "cache_json", table=False, one_process=True)
        cache = base / "cache"
        first = run_pass(folder, cache, table=True)
        cold = run_pass(folder, cache, table=True, repeats=args.repeats)
        shutil.rmtree(cache / "mlee" / "frames")
        rebuilt = run_pass(folder, cache, table=True)
        print(f"imports (numpy, pandas, pyarrow, mlee): {cold['imports']:.2f} s, not in the figures below")
        print(_line("today's path (JSON files)", today["first"]))
        print(_line("  the same without the second process", alone["first"]))
        ratio = first["first"]["load"] / today["first"]["load"]
        print(_line("first load, no table", first["first"])
              + f" (load {ratio:.2f}x today's: target <= 1x, {'ok' if ratio <= 1 else 'MISSED'})")
        print(_line("from the table, cold", cold["first"], TARGET_COLD_S))
        print(_line("from the table, run table rebuilt", rebuilt["first"]))
        print(_line("from the table, warm", cold["warm"]))
        print(f"  peak memory, fresh process: today's path {today['peak_mb']:.0f} MB, from the table "
              f"{cold['peak_mb']:.0f} MB (target <= {TARGET_MB} MB: {'ok' if cold['peak_mb'] <= TARGET_MB else 'MISSED'})")
        bench_merge(folder, base, cache, args.merge_folders)
        print(f"load average after: {loadavg()}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
