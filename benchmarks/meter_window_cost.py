"""CPU per ``with Meter(monitor="auto").window():`` (a meter created for every window, the obvious use), and the
warnings it logs.

A meter discovers its sources once per process (RAPL zones, NVML's driver, the CPU model's power figures): a
meter per window then costs little more than a window. Two cases, each a loop of ``--windows`` empty windows,
each with a new meter, measured with ``time.process_time()`` around batches of 100 (median of the batches):

* this machine as it is (``auto``: RAPL where readable, else the estimate; NVML where a driver answers);
* ``auto`` with RAPL read from a fake powercap tree (one package and one DRAM zone) in a temporary folder.

Target: <= 0.2 ms of CPU per meter and window, and at most one warning per process for a source that cannot
measure (it was logged for every meter).

    python benchmarks/meter_window_cost.py [--windows N]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlee.monitoring import Meter  # noqa: E402

TARGET_MS = 0.2
BATCH = 100


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.n = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1


def per_window_ms(windows: int, **meter_args: object) -> float:
    """Median CPU ms per ``with Meter(monitor="auto", **meter_args).window(): pass`` over batches."""
    batches = []
    for _ in range(max(1, windows // BATCH)):
        t0 = time.process_time()
        for _ in range(BATCH):
            with Meter(monitor="auto", **meter_args).window():
                pass
        batches.append((time.process_time() - t0) / BATCH * 1e3)
    return statistics.median(batches)


def fake_tree(root: Path) -> Path:
    for zone, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram")):
        (root / zone).mkdir(parents=True)
        (root / zone / "name").write_text(name + "\n")
        (root / zone / "energy_uj").write_text("123456789\n")
        (root / zone / "max_energy_range_uj").write_text("262143328850\n")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", type=int, default=2000, help="windows per case (default 2000)")
    args = parser.parse_args(argv)
    counter = Count()
    logging.getLogger("mlee").addHandler(counter)
    logging.getLogger("mlee").propagate = False  # counted, not printed
    print(f"target: <= {TARGET_MS} ms CPU per `with Meter(monitor='auto').window():`, <= 1 warning per process")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("this machine (auto)", {}), ("auto, RAPL on a fake tree", {"rapl_root": fake_tree(Path(tmp))})]
        for label, meter_args in cases:
            counter.n = 0
            with Meter(monitor="auto", **meter_args).window():  # the first meter of the process discovers
                pass
            first_warnings = counter.n
            ms = per_window_ms(args.windows, **meter_args)
            met = ms <= TARGET_MS and counter.n <= 1
            ok &= met
            print(f"{label:28s} {ms:7.3f} ms per meter + window   warnings: {first_warnings} for the first meter, "
                  f"{counter.n - first_warnings} for the next {args.windows}   {'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
