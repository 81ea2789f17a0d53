"""Files honour the umask: what the chain writes (run folders, merged results, archives, labels, paper
outputs) is readable like any other file (0644 under umask 022), not 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mlee.atomic import AtomicBatch, write_bytes_atomic

ROOT = Path(__file__).resolve().parents[1]


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_get_the_umask_mode(tmp_path, mask, expected):
    old = os.umask(mask)
    try:
        write_bytes_atomic(tmp_path / "one.json", b"{}")
        with AtomicBatch() as batch:
            batch.write(tmp_path / "two.json", b"{}")
    finally:
        os.umask(old)
    assert _modes(tmp_path) == {"one.json": expected, "two.json": expected}


def test_the_whole_chain_writes_0644_files_under_umask_022(tmp_path):
    def run(*args: str) -> None:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              preexec_fn=lambda: os.umask(0o022))
        assert done.returncode == 0, done.stdout + done.stderr

    logs, results = tmp_path / "logs", tmp_path / "results"
    run("evaluate_sklearn.py", "--dataset", "iris", "--model", "LR", "GNB", "--hyperparameters", "default",
        "--output-dir", str(logs), "--no-progress")
    run("merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results / "sklearn"),
        "--output-log-dir", str(tmp_path / "archives"), "--quiet")
    run("-m", "mlee.label_generator", "--directory", str(results), "--all", "--output", str(tmp_path / "labels"))
    run("create_paper_results.py", "--directory", str(results), "--dataset", "iris", "--output",
        str(tmp_path / "paper"))
    modes = _modes(tmp_path)
    for kind in ("logs", "results", "archives", "labels", "paper"):
        assert any(name.startswith(kind) for name in modes), kind
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o644}
    assert not wrong
