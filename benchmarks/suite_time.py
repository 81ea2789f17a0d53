#!/usr/bin/env python
"""Wall time of the whole test suite, as CI runs it, against the 5-minute target.

python benchmarks/suite_time.py                 # bash .ci/run: the docs build, then every test on all cores
python benchmarks/suite_time.py -- -m unit      # arguments after -- go to pytest (through .ci/run)
python benchmarks/suite_time.py --pytest-only   # .ci/run's pytest command alone, in this interpreter (no installs,
                                                # no docs build)

Prints the wall time next to the target, the test counts of pytest's summary line, the machine's cores and its
load average before and after (a figure taken under load says so), and the modules that took longest summed over
their tests (with ``--dist loadscope`` a module, or a class, stays on one worker: the longest bounds the wall time).
Exits with the suite's own status. Run it on a quiet machine for a figure to quote.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 300.0


def module_durations(output: str) -> dict[str, float]:
    """Seconds per test module (setup, call and teardown summed) from pytest's ``--durations=0`` report.

    Parameters
    ----------
    output
        What pytest printed.

    Returns
    -------
    dict
        Module path -> seconds, longest first.
    """
    seconds: dict[str, float] = defaultdict(float)
    for match in re.finditer(r"^\s*([\d.]+)s (?:setup|call|teardown)\s+(\S+?\.py)::", output, flags=re.M):
        seconds[match.group(2)] += float(match.group(1))
    return dict(sorted(seconds.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=10, help="how many of the longest modules to print (default 10)")
    parser.add_argument("--pytest-only", action="store_true",
                        help="run .ci/run's pytest command in this interpreter, without its installs and docs build")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest through .ci/run")
    args = parser.parse_args(argv)

    before = os.getloadavg()
    start = time.perf_counter()
    if args.pytest_only:
        command = [sys.executable, "-m", "pytest", "-q", "-n", "auto", "--dist", "loadscope"]
    else:
        command = ["bash", str(ROOT / ".ci" / "run")]
    done = subprocess.run([*command, "--durations=0", *args.pytest_args], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.getloadavg()
    output = done.stdout + done.stderr

    summary = next((line.strip("= ") for line in reversed(output.splitlines())
                    if re.search(r"\d+ (passed|failed|error)", line)), "no pytest summary line")
    print(f"suite: {wall:.1f} s wall, target {TARGET_S:.0f} s: {'met' if wall < TARGET_S else 'NOT met'}"
          f" (exit {done.returncode})")
    print(f"tests: {summary}")
    print(f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) before "
          f"{before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    print("longest modules (summed over their tests, seconds):")
    for module, seconds in list(module_durations(output).items())[:args.top]:
        print(f"  {seconds:7.1f}  {module}")
    if done.returncode != 0:
        print(output[-3000:], file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
