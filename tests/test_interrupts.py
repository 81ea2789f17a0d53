"""Ctrl-C never produces a "complete" run: a real SIGINT to a real evaluate_sklearn.py during an MLP fit
(scikit-learn's MLP swallows KeyboardInterrupt) writes nothing of the run; what merge_results.py says of, and
cleans from, the hidden folder a writer that died left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mlee.runs.folders import WRITER_FILE, is_abandoned, reserve_folder
from mlee.runs.interrupts import RunInterrupted, interrupt_guard

ROOT = Path(__file__).resolve().parents[1]


def _read_lines(stream, needle: str, seen: list[str]) -> tuple[threading.Event, threading.Thread]:
    """Read ``stream`` to its end in a thread, every line into ``seen``; the event is set when ``needle`` shows up."""
    found = threading.Event()

    def reader() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return found, thread


def test_sigint_during_mlp_fit_discards_the_run_stops_the_sweep_and_exits_130(tmp_path):
    logs = tmp_path / "logs"
    # ~10 s of MLP training (default hyperparameters on 20,000 x 50 rows): the signal lands inside fit()
    cmd = [sys.executable, "evaluate_sklearn.py", "--dataset", "synthetic", "--synthetic-samples", "20000",
           "--synthetic-features", "50", "--hyperparameters", "default", "--model", "MLP", "--repeats", "3",
           "--output-dir", str(logs), "--no-progress", "-v"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    training, reader = _read_lines(proc.stderr, "training Multilayer Perceptron", seen)
    try:
        assert training.wait(120), "".join(seen)
        time.sleep(1.0)  # inside the fit: the MLP's epochs are running
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        stdout = proc.stdout.read()
        reader.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = "".join(seen)
    assert proc.returncode == 130, stderr + stdout
    assert "runs completed" not in stdout
    assert "Interrupted" in stderr and "nothing of it was written" in stderr and "--resume" in stderr
    # a run is measured in memory and written as one unit: the half-trained model left nothing, not even hidden
    assert not logs.exists() or list(logs.iterdir()) == []

    # a writer that dies while writing (kill -9 between its files) leaves a hidden folder that merge reports
    logs.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-c", "import sys; from mlee.runs.folders import reserve_folder; "
                    "reserve_folder(sys.argv[1], 'train')", str(logs)], cwd=ROOT, check=True, timeout=60)
    hidden = [p.name for p in logs.iterdir()]
    assert len(hidden) == 1 and hidden[0].startswith(".tmp-train_") and is_abandoned(logs / hidden[0])

    merged = tmp_path / "results"
    first = subprocess.run([sys.executable, "merge_results.py", "--directory", str(logs), "--output-agglog-dir",
                            str(merged), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "0 still being written" in first.stdout and "1 abandoned run folder" in first.stdout
    assert hidden[0] in first.stderr and "interrupted" in first.stderr and "--clean" in first.stderr
    assert (logs / hidden[0]).is_dir()  # only reported without --clean

    clean = subprocess.run([sys.executable, "merge_results.py", "--directory", str(logs), "--output-agglog-dir",
                            str(merged), "--quiet", "--clean"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert not (logs / hidden[0]).exists()
    again = subprocess.run([sys.executable, "merge_results.py", "--directory", str(logs), "--output-agglog-dir",
                            str(merged), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "abandoned" not in again.stdout + again.stderr


def test_guard_raises_after_a_swallowed_interrupt():
    before = signal.getsignal(signal.SIGINT)
    with_swallow = None
    try:
        with interrupt_guard() as guard:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
            except KeyboardInterrupt:  # what scikit-learn's MLP does: catch it and carry on
                with_swallow = True
            assert guard.interrupted
    except RunInterrupted:
        pass
    else:
        raise AssertionError("the guard did not raise after the swallowed interrupt")
    assert with_swallow
    assert signal.getsignal(signal.SIGINT) is before  # the previous handler restored


def test_folder_of_a_live_writer_is_in_progress_one_of_a_dead_writer_is_abandoned(tmp_path):
    live = reserve_folder(tmp_path, "train")
    assert (live.tmp_path / WRITER_FILE).is_file() and not is_abandoned(live.tmp_path)
    dead = reserve_folder(tmp_path, "infer")
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    writer = json.loads((dead.tmp_path / WRITER_FILE).read_text())
    writer["pid"] = int(child.stdout)  # a process that has exited
    (dead.tmp_path / WRITER_FILE).write_text(json.dumps(writer))
    assert is_abandoned(dead.tmp_path)
    final = live.finish()
    assert not (final / WRITER_FILE).exists()  # the finished folder holds only the run's files
