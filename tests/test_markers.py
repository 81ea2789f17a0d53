"""Every test carries exactly one kind marker (unit, end_to_end, browser), so ``pytest -m unit`` runs the quick
ones and ``-m "not browser"`` everything a machine without chromium can run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _collected(expression: str, *paths: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-n", "0", "-m", expression, *paths], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_no_test_is_left_without_a_kind():
    assert _collected("not (unit or end_to_end or browser)", "tests") == []


def test_the_kinds_follow_what_a_test_starts():
    files = ["tests/test_run_spec.py", "tests/test_installed_package.py", "tests/test_elex_click.py"]
    unit, end_to_end, browser = (_collected(kind, *files) for kind in ("unit", "end_to_end", "browser"))
    assert unit and all(t.startswith("tests/test_run_spec.py") for t in unit)
    assert any(t.startswith("tests/test_installed_package.py") for t in end_to_end)
    assert browser and all(t.startswith("tests/test_elex_click.py") for t in browser)
    assert not set(unit) & set(end_to_end) and not set(end_to_end) & set(browser)
