"""A merged file that is truncated is skipped at load with a hint that repairs it when followed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mlee.results import load_results

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_hint_for_a_truncated_merged_file_repairs_it(tmp_path):
    logs, results = tmp_path / "logs", tmp_path / "results"
    assert run("evaluate_sklearn.py", "--dataset", "iris", "--model", "GNB", "--hyperparameters", "default",
               "--output-dir", str(logs), "--no-progress").returncode == 0
    merge = ("merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results), "--quiet")
    assert run(*merge).returncode == 0
    (infer,) = results.glob("infer_*.json")
    infer.write_bytes(infer.read_bytes()[:200])
    warning = next(w for w in load_results(results).attrs["warnings"] if infer.name in w)
    assert "--clean" in warning and "a plain re-run skips it" in warning
    assert run(*merge).returncode == 0  # what the old hint said: the file stays broken
    assert len(load_results(results)) == 1
    assert run(*merge, "--clean").returncode == 0  # what the hint says now
    json.loads(infer.read_text())
    assert len(load_results(results)) == 2
