"""A run is one unit (an interrupt in its inference half leaves nothing visible) and --resume runs what the
requested sweep lacks: by identity (hyperparameters, test size) and by validity (a truncated file is redone)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mlee.runs.interrupts import RunInterrupted
from mlee.runs.runner import RunSettings
from mlee.executors.sweep import run_sweep
from mlee.cli.monitor_options import meter_from_args

ROOT = Path(__file__).resolve().parents[1]


def _evaluate(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "evaluate_sklearn.py", "--dataset", "iris", "--model", "GNB",
                           "--hyperparameters", "default", "--monitor", "estimate", "--no-progress",
                           "--output-dir", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def test_sigint_in_the_inference_half_leaves_no_visible_folder(tmp_path):
    meter = meter_from_args({"monitor": "estimate"})
    real = meter.measure_repeated

    def interrupted(workload):
        os.kill(os.getpid(), signal.SIGINT)  # a real SIGINT, delivered while inference is measured
        return real(workload)

    meter.measure_repeated = interrupted
    settings = RunSettings(output_dir=tmp_path, hyperparameters="default", robustness=False)
    with pytest.raises(KeyboardInterrupt):
        run_sweep([("iris", "Gaussian Naive Bayes")], settings, meter, progress=False)
    assert _visible(tmp_path) == []  # the training half stays hidden with the inference half


def test_resume_reruns_a_run_of_other_settings_and_one_with_a_truncated_file(tmp_path):
    out = tmp_path / "logs"
    assert _evaluate(out).returncode == 0
    other = _evaluate(out, "--test-size", "0.5", "--resume")
    assert other.returncode == 0 and "0 run(s) already complete, 1 to run" in other.stderr, other.stderr
    identities = {json.loads(p.read_text())["identity"] for p in out.glob("*/config.json")}
    assert len(identities) == 2 and all(len(i) == 16 for i in identities)
    same = _evaluate(out, "--resume")
    assert "1 run(s) already complete, 0 to run" in same.stderr, same.stderr

    measurement = next(p for p in out.glob("train_*/measurement.json")
                       if json.loads((p.parent / "config.json").read_text())["test_size"] == 0.25)
    measurement.write_text(measurement.read_text()[:20])
    redone = _evaluate(out, "--resume")
    assert "0 run(s) already complete, 1 to run" in redone.stderr, redone.stderr
    assert measurement.parent.name in os.listdir(out / ".broken")  # moved aside, not deleted
    assert len(list(out.glob("infer_*"))) == 2 and len(list(out.glob("train_*"))) == 2


#: evaluate_sklearn.py with every file it writes limited to ``sys.argv[1]`` bytes: the kernel then refuses the
#: write as a full disk would (Python ignores SIGXFSZ; the write raises OSError "File too large")
LIMITED = ("import resource, runpy, sys; limit = int(sys.argv.pop(2)); sys.argv.pop(0); "
           "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); "
           "runpy.run_path(sys.argv[0], run_name='__main__')")


def test_a_full_disk_stops_the_sweep_says_what_is_kept_and_leaves_nothing_half_visible(tmp_path):
    out = tmp_path / "logs"
    assert _evaluate(out).returncode == 0
    kept = _visible(out)
    full = subprocess.run([sys.executable, "-c", LIMITED, str(ROOT / "evaluate_sklearn.py"), "1000", "--dataset",
                           "iris", "--model", "GNB", "--hyperparameters", "default", "--monitor", "estimate",
                           "--no-progress", "--repeats", "3", "--resume", "--output-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
    assert "No space to write run iris / Gaussian Naive Bayes (repeat 1)" in full.stderr, full.stderr
    assert "the sweep stopped" in full.stderr and "Kept: every run completed before" in full.stderr
    assert "rerun the same command with --resume" in full.stderr and "0 of 2 run(s)" in full.stderr
    assert _visible(out) == kept  # the run being written stays hidden; nothing was taken for failed
    resumed = _evaluate(out, "--repeats", "3", "--resume")
    assert resumed.returncode == 0 and "1 run(s) already complete, 2 to run" in resumed.stderr, resumed.stderr
    assert len(list(out.glob("infer_*"))) == len(list(out.glob("train_*"))) == 3
