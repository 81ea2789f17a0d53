"""A meter created for every window (``with Meter(monitor="auto").window():``) discovers its sources once per
process and warns once, and sees a change of the powercap tree all the same."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlee.monitoring import Meter
from mlee.monitoring.sources import rapl
from powercap_support import make_zone, set_energy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def scans(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The roots the real scan ran on."""
    seen: list[Path] = []
    real = rapl.scan_zones

    def counting(root: Path):
        seen.append(root)
        return real(root)

    monkeypatch.setattr(rapl, "scan_zones", counting)
    return seen


def test_zones_are_scanned_once_for_many_meters_and_again_when_the_tree_changes(tmp_path: Path,
                                                                                scans: list[Path]) -> None:
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000)
    for _ in range(20):
        with Meter(monitor="auto", rapl_root=root).window() as win:
            pass
    assert scans == [root]
    assert [s.device for s in win.measurement.sources] == ["package-0"]
    make_zone(root, "intel-rapl:1", "package-1", 5_000)  # a zone appears: the next meter scans again
    with Meter(monitor="auto", rapl_root=root).window() as win:
        time.sleep(0.02)
        set_energy(root, "intel-rapl:1", 5_000 + 1_000_000)
    assert scans == [root, root]
    assert {s.device: s.energy_j for s in win.measurement.sources}["package-1"] == 1.0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_permission_fix_is_seen_by_the_next_meter(tmp_path: Path, scans: list[Path]) -> None:  # pragma: no cover
    root = tmp_path / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000)
    os.chmod(root / "intel-rapl:0" / "energy_uj", 0)
    with Meter(monitor="auto", rapl_root=root).window() as win:
        pass
    assert win.measurement.estimated
    os.chmod(root / "intel-rapl:0" / "energy_uj", 0o444)
    with Meter(monitor="auto", rapl_root=root).window() as win:
        pass
    assert not win.measurement.estimated and len(scans) == 2


def test_an_unavailable_source_is_scanned_and_warned_once(tmp_path: Path, scans: list[Path],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    missing = tmp_path / "no-powercap"
    with caplog.at_level(logging.WARNING, logger="mlee"):
        for _ in range(30):
            with Meter(monitor="auto", rapl_root=missing).window() as win:
                pass
    assert scans == [missing]
    warnings = [r for r in caplog.records if "energy source 'rapl' unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert win.measurement.estimated and any("rapl unavailable" in n for n in win.measurement.notes)  # still said


def test_a_process_making_a_meter_per_window_logs_the_rapl_warning_once() -> None:
    code = ("from mlee.monitoring import Meter\n"
            "for _ in range(200):\n"
            "    with Meter(monitor='auto', rapl_root='/nonexistent/powercap').window(): pass\n"
            "print('done')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr
    assert done.stderr.count("energy source 'rapl' unavailable") == 1
