"""Time the whole ``create_paper_results.py`` on the published results (target <= 15 s).

The original toolkit, run side by side with mlee on this machine type in one sitting (issue 18), took 18.7x as
long as this script for the same tables and figures; the 123 s quoted for it before came from another sitting.

Usage: python benchmarks/paper_speed.py [--repeat 3] [--results ../shared/reference/published-results]
Runs the script as a fresh process (imports included) into a temporary folder and prints each wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT.parent / "shared" / "reference" / "published-results"
TARGET_S = 15.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=PUBLISHED, help="results folder (published results)")
    parser.add_argument("--rating-mode", default="published median")
    parser.add_argument("--repeat", type=int, default=3, help="number of timed runs")
    args = parser.parse_args()
    if not args.results.is_dir():
        print(f"results folder {args.results} not found; pass --results", file=sys.stderr)
        return 2
    times = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "create_paper_results.py"), "--directory", str(args.results),
                            "--rating-mode", args.rating_mode, "--output", out], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
            n_files = len(list(Path(out).iterdir()))
        print(f"run {run + 1}: {times[-1]:.2f} s ({n_files} files)")
    best, median = min(times), statistics.median(times)
    print(f"create_paper_results.py on {args.results}: median {median:.2f} s, best {best:.2f} s "
          f"(target <= {TARGET_S:.0f} s: {'ok' if median <= TARGET_S else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
