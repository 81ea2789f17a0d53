"""A sweep killed with SIGKILL at random moments, several times, then resumed: every (identity, repeat) is
complete exactly once, nothing half a run is visible, and a merge of the folder skips nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_kill_9_at_random_moments_then_resume_gives_each_run_once(tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/kill_resume_loop.py", "--kills", "4", "--repeats", "2",
                           "--seed", "3", "--keep", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    figures = dict(line.rsplit(None, 1) for line in done.stdout.splitlines()[:11])
    assert figures["duplicates"] == figures["missing"] == "0" and figures["runs complete"] == "6"
    assert figures["visible folders outside complete runs"] == "0"
    assert sorted(p.name.split("_")[0] for p in (tmp_path / "logs").glob("[!.]*")) == ["infer"] * 6 + ["train"] * 6
