"""The README's first command, ``bash quickstart.sh`` (with --no-serve: serving waits for Ctrl+C): it says what
the install step does while it runs, and a rerun starts clean instead of silently pooling the earlier runs into
its ratings (``--keep`` pools them, and says so)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mlee.results import aggregate_runs, load_results

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--model", "LR", "GNB", "--no-serve"]


def _quickstart(*args: str, script: bool = False) -> subprocess.CompletedProcess:
    # the script installs into the active environment: this one (its editable install points at ROOT already)
    command = ["bash", "quickstart.sh", *args] if script else [sys.executable, "-m", "mlee.quickstart", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, VIRTUAL_ENV=sys.prefix))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _runs(out: Path) -> list[int]:
    return aggregate_runs(load_results(out / "results"))["n_runs"].tolist()


def test_quickstart_script_shows_install_progress_and_a_rerun_starts_clean(tmp_path):
    out = tmp_path / "quickstart_output"
    first = _quickstart("--output", str(out), *FAST, script=True)
    lines = first.stdout.splitlines()
    assert lines[0].startswith("mlee: installing the locked requirements into ") and "a few minutes" in lines[0]
    assert any(line.startswith("mlee: requirements ready (") for line in lines)
    assert _runs(out) == [1, 1, 1, 1]
    second = _quickstart("--output", str(out), *FAST)
    assert "starting clean: removed the earlier quickstart outputs" in second.stdout
    assert _runs(out) == [1, 1, 1, 1]  # the earlier runs are not pooled into the new ratings
    kept = _quickstart("--output", str(out), "--keep", *FAST)
    assert "pooling with 2 earlier run(s)" in kept.stdout
    assert _runs(out) == [2, 2, 2, 2]


def test_quickstart_never_removes_a_folder_it_did_not_write(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    done = subprocess.run([sys.executable, "-m", "mlee.quickstart", "--output", str(mine), *FAST], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "was not written by the quickstart" in done.stderr
    assert (mine / "thesis.tex").read_text() == "precious"


def test_the_quickstart_warns_only_about_the_energy_it_cannot_measure(tmp_path):
    done = _quickstart("--output", str(tmp_path / "out"), *FAST)
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if "WARNING" in line]
    assert all("energy source" in line and "unavailable" in line for line in warnings), warnings
    assert len(warnings) <= 1
