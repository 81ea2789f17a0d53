"""One sweep, three ways (the plain command line, the command line on an embedded two-worker Dask cluster, and
ELEx's run manager): the same runs with equal identities and equal folder contents, timings aside."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from mlee.elex.live_data import LiveData
from mlee.elex.run_access import run_access
from mlee.elex.run_manager import RunManager, RunOptions
from mlee.elex.run_request import RunChoices, validate_request
from mlee.executors.sweep import InProcessExecutor
from mlee.layout import SHIPPED_RESULTS
from run_support import strip_run_specific

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["Gaussian Naive Bayes", "Logistic Regression"]
def _folders(out: Path) -> dict[tuple[str, int], dict[str, dict]]:
    """(method, repeat) -> {"train"/"infer": {file name: content without run-specific keys}}."""
    runs: dict[tuple[str, int], dict[str, dict]] = {}
    for infer in out.glob("infer_*"):
        config = json.loads((infer / "config.json").read_text())
        train = out / Path(config["train_logdir"]).name
        run = {}
        for kind, folder in (("train", train), ("infer", infer)):
            files = {p.name: p for p in folder.iterdir()}
            run[kind] = {name: strip_run_specific(json.loads(p.read_text())) if name in ("config.json", "results.json")
                         else sorted(json.loads(p.read_text())) if name == "measurement.json" else None
                         for name, p in files.items() if name != "logfile.txt"}
            run[kind]["identity"] = json.loads(files["config.json"].read_text())["identity"]
        runs[(config["model"], config["repeat"])] = run
    return runs


def _evaluate(out: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "evaluate_sklearn.py", "--dataset", "iris", "--model", *METHODS,
                           "--hyperparameters", "default", "--monitor", "estimate", "--no-progress",
                           "--output-dir", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]


def _from_elex(out: Path) -> None:
    options = RunOptions(run_access("127.0.0.1", False, False), out, out.parent / "elex-results",
                         make_executor=InProcessExecutor)
    choices = RunChoices(datasets=[("iris", "Iris")], hyperparameters=[("default", "Defaults")], countries=[])
    request = validate_request({"datasets": ["iris"], "methods": METHODS, "repeats": 1, "monitor": "estimate",
                                "hyperparameters": "default", "idle_seconds": 0, "country": None}, choices)
    served = out.parent / "served"
    shutil.copytree(SHIPPED_RESULTS / "sklearn", served)  # what the page shows beside the new runs
    manager = RunManager(LiveData(served), options)
    try:
        assert all(o.ok for o in manager.launch(request).handle.wait(300))
    finally:
        manager.close()


def test_command_line_cluster_and_elex_write_the_same_runs(tmp_path):
    _evaluate(tmp_path / "plain")
    _evaluate(tmp_path / "cluster", "--cluster", "local:2")
    _from_elex(tmp_path / "elex")
    plain, cluster, elex = (_folders(tmp_path / name) for name in ("plain", "cluster", "elex"))
    assert set(plain) == {(m, 0) for m in METHODS}
    assert plain == cluster == elex
    identities = {run[kind]["identity"] for run in plain.values() for kind in run}
    assert len(identities) == 2  # one per method, the same in both halves and in every execution
