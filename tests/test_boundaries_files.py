"""A boundaries file with no thresholds, or without the ones the paper's figure draws, gets a clear error naming
the problem and the fix (exit 2), never a traceback, in the paper script and the label CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlee.layout import SHIPPED_RESULTS

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture
def empty(tmp_path) -> Path:
    path = tmp_path / "boundaries.json"
    path.write_text("{}")
    return path


def test_paper_script_refuses_a_boundaries_file_without_thresholds(empty, tmp_path):
    done = run(str(ROOT / "create_paper_results.py"), "--directory", str(SHIPPED_RESULTS), "--boundaries",
               str(empty), "--output", str(tmp_path / "paper"))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "holds no thresholds" in done.stderr and "mlee/data/boundaries.json" in done.stderr


def test_a_partial_boundaries_file_changes_only_what_it_names_and_says_so(tmp_path):
    path = tmp_path / "boundaries.json"
    path.write_text(json.dumps({"inference time": [2.0, 1.0, 0.5, 0.25]}))
    done = run(str(ROOT / "create_paper_results.py"), "--directory", str(SHIPPED_RESULTS), "--boundaries",
               str(path), "--output", str(tmp_path / "paper"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "thresholds for 1 metric key(s); the other 25 keep the package defaults" in done.stderr
    assert (tmp_path / "paper").is_dir() and any((tmp_path / "paper").iterdir())


def test_label_cli_refuses_a_boundaries_file_without_thresholds(empty):
    done = run("-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--boundaries", str(empty),
               "--list")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "holds no thresholds" in done.stderr
