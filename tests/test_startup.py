"""Command lines answer ``--help`` without loading the libraries that only the work needs.

Importing scikit-learn, SciPy and pandas takes about a second on a small machine; ``--help`` (and the argument
errors that come before any work) must not wait for them. Each check runs the real script in a fresh
interpreter and lists which heavy modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "torch", "dask", "distributed")

PROBE = """
import json, runpy, sys
sys.argv = [sys.argv[1]] + sys.argv[2:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
sys.stderr.write("\\nPROBE " + json.dumps({{"code": code, "heavy": heavy}}) + "\\n")
"""


def _probe(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), str(ROOT / script), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("PROBE ")]
    assert line, done.stderr[-2000:]
    return json.loads(line[-1][len("PROBE "):])


@pytest.mark.parametrize("script", ["evaluate_sklearn.py", "evaluate_hyperparams.py", "merge_results.py",
                                    "mlee/label_generator.py"])
def test_help_loads_no_heavy_library(script: str) -> None:
    result = _probe(script, "--help")
    assert result["code"] == 0
    assert result["heavy"] == [], f"{script} --help imported {result['heavy']}"


def test_a_bad_name_is_refused_before_the_heavy_imports() -> None:
    result = _probe("evaluate_sklearn.py", "--dataset", "no-such-dataset")
    assert result["code"] == 2
    assert result["heavy"] == [], result["heavy"]


def test_a_real_run_still_loads_what_it_needs(tmp_path: Path) -> None:
    result = _probe("evaluate_sklearn.py", "--dataset", "iris", "--model", "GNB", "--no-progress",
                    "--no-robustness", "--output-dir", str(tmp_path / "logs"))
    assert result["code"] == 0
    assert {"numpy", "sklearn"} <= set(result["heavy"])
    assert len(list((tmp_path / "logs").glob("infer_*"))) == 1


def test_which_datasets_are_cached_is_answered_without_scikit_learn(tmp_path: Path) -> None:
    """ELEx's start lists the datasets that load offline; that must not cost scikit-learn's import."""
    (tmp_path / "olivetti_py3.pkz").write_bytes(b"")
    code = ("import json, sys; from mlee import catalog; from mlee.runs.datasets import dataset_cached; "
            f"cached = sorted(k for k in catalog.datasets() if dataset_cached(k, {str(tmp_path)!r})); "
            "print(json.dumps([cached, 'sklearn' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    cached, imported = json.loads(done.stdout)
    assert "olivetti_faces" in cached and "iris" in cached and "covtype" not in cached
    assert imported is False


@pytest.mark.parametrize("given, env", [(None, None), (None, "/srv/data"), ("~/mine", None), ("/abs", "/srv/x")])
def test_data_home_resolves_like_scikit_learn(given: str | None, env: str | None,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sklearn.datasets import get_data_home

    from mlee.runs.datasets import data_home_path

    monkeypatch.setenv("HOME", str(tmp_path))
    if env is None:
        monkeypatch.delenv("SCIKIT_LEARN_DATA", raising=False)
    else:
        monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / env.lstrip("/")))
    home = given if given is None or given.startswith("~") else str(tmp_path / given.lstrip("/"))
    assert str(data_home_path(home)) == get_data_home(home)
