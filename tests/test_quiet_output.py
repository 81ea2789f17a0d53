"""What the commands print unasked: one short line for an energy source ``--monitor auto`` cannot read (once per
process, the details with --verbose), the full fix for a source asked for by name, and no request log from
ELEx unless --verbose."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from elex_support import Server

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_RESULTS = ROOT / "shipped" / "results" / "sklearn"


def _windows(monitor: str, level: str = "WARNING") -> str:
    code = ("import logging\n"
            f"logging.basicConfig(level=logging.{level}, format='%(levelname)s %(name)s: %(message)s')\n"
            "from mlee import Meter\n"
            "for _ in range(50):\n"
            f"    with Meter(monitor={monitor!r}, rapl_root='/nonexistent/powercap').window(): pass\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_auto_monitor_says_in_one_short_line_once_that_rapl_is_unavailable():
    lines = [line for line in _windows("auto").splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "energy source 'rapl' unavailable (/nonexistent/powercap does not exist)" in lines[0]
    assert "CPU energy is estimated" in lines[0] and "docs/how-to/rapl.md" in lines[0]
    assert len(lines[0]) < 200


def test_auto_monitor_gives_the_full_fix_when_verbose():
    logged = _windows("auto", level="INFO")
    assert "To enable it: " in logged and logged.count("WARNING") == 1


def test_a_source_asked_for_by_name_warns_with_its_full_fix():
    lines = [line for line in _windows("rapl").splitlines() if "WARNING" in line]
    assert len(lines) == 1 and "To enable it: " in lines[0] and "Falling back to the estimate" in lines[0]


def test_the_estimate_asked_for_by_name_warns_nothing():
    assert _windows("estimate").strip() == ""


def _served_log(tmp_path: Path, *extra: str) -> str:
    log = tmp_path / f"server{len(extra)}.log"
    with Server(SHIPPED_RESULTS, log, extra_args=extra) as server:
        for _ in range(3):
            with urllib.request.urlopen(server.url + "_dash-layout", timeout=30) as reply:
                assert reply.status == 200
    return log.read_text()


def test_the_explorer_logs_requests_only_when_verbose(tmp_path):
    quiet = _served_log(tmp_path)
    assert "GET /_dash-layout" not in quiet and "INFO" not in quiet
    assert "ELEx: http://127.0.0.1:" in quiet
    verbose = _served_log(tmp_path, "--verbose")
    assert verbose.count("GET /_dash-layout") == 3
