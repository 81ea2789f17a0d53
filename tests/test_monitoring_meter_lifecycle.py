"""A meter's life: opening, windows and closing never hang, also when the interpreter exits with a meter open."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlee.monitoring import Meter

ROOT = Path(__file__).resolve().parents[1]


def make_tree(root: Path) -> None:
    for zone, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram")):
        d = root / zone
        d.mkdir(parents=True)
        (d / "name").write_text(name + "\n")
        (d / "energy_uj").write_text("1000\n")
        (d / "max_energy_range_uj").write_text("262143328850\n")


def run_python(code: str, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the process hung (still running after {timeout} s)")


def test_500_open_window_close_cycles_with_a_1ms_watcher_never_hang(tmp_path: Path) -> None:
    make_tree(tmp_path / "powercap")
    done = run_python(f"""
        from mlee.monitoring import Meter
        from mlee.monitoring.sources.rapl import RaplSource
        for i in range(500):
            meter = Meter(sources=[RaplSource(root={str(tmp_path / 'powercap')!r}, watch_interval_s=0.001)])
            with meter.window():
                pass
            meter.close()  # right after the window: the watcher is between its wait and its disarm
        print("closed", i + 1)
        """, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "closed 500" in done.stdout


def test_interpreter_exits_with_an_open_meter_left_to_its_finaliser(tmp_path: Path) -> None:
    make_tree(tmp_path / "powercap")
    for _ in range(5):
        done = run_python(f"""
            from mlee.monitoring import Meter
            from mlee.monitoring.sources.rapl import RaplSource
            meter = Meter(sources=[RaplSource(root={str(tmp_path / 'powercap')!r}, watch_interval_s=0.001)])
            window = meter.window().start()  # left open: only __del__ at exit closes the source
            print("exiting")
            """, timeout=30)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "exiting"


def test_close_is_idempotent_and_a_closed_source_is_read_no_more(tmp_path: Path) -> None:
    make_tree(tmp_path / "powercap")
    from mlee.monitoring.sources.rapl import WATCHER, RaplSource
    source = RaplSource(root=tmp_path / "powercap", watch_interval_s=0.001)
    meter = Meter(sources=[source])
    window = meter.window().start()
    assert WATCHER.watching(source)
    meter.close()
    meter.close()
    reads = source.watch_reads
    time.sleep(0.05)  # 50 watcher intervals
    assert source.watch_reads == reads and not WATCHER.watching(source)
    window.stop()


def test_many_meters_share_one_watcher_thread(tmp_path: Path) -> None:
    import threading
    make_tree(tmp_path / "powercap")
    from mlee.monitoring.sources.rapl import RaplSource
    meters = [Meter(sources=[RaplSource(root=tmp_path / "powercap", watch_interval_s=0.002)]) for _ in range(20)]
    windows = [m.window().start() for m in meters]
    time.sleep(0.05)
    assert len([t for t in threading.enumerate() if t.name == "mlee-rapl-wrap-watcher"]) == 1
    assert all(m.sources[0].watch_reads > 0 for m in meters)  # each read by it
    for m, w in zip(meters, windows):
        w.stop()
        m.close()
