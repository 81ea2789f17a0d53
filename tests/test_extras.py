"""Optional parts of mlee: without an extra's packages the core still measures, runs, merges and rates, and
using the part says which extra to install (a missing package is simulated by ``sys.modules[name] = None`` in
a fresh interpreter, which makes its import fail as if it were not installed)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlee.extras import EXTRAS, MissingExtra, require

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_RESULTS = ROOT / "shipped" / "results" / "sklearn"
EVERY_EXTRA = sorted({module for extra in EXTRAS.values() for module in extra.modules})
# scipy looks torch up in sys.modules and cannot take a None there: torch stays importable, and unimported
HIDDEN = [module for module in EVERY_EXTRA if module != "torch"]


def _python(code: str, missing: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in which the modules ``missing`` cannot be imported."""
    prelude = f"import sys\nfor _name in {missing!r}:\n    sys.modules[_name] = None\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_require_returns_an_installed_module_and_names_the_extra_of_a_missing_one(monkeypatch):
    assert require("label", "reportlab").__name__ == "reportlab"
    monkeypatch.setitem(sys.modules, "reportlab", None)
    with pytest.raises(MissingExtra, match=r"pip install 'mlee\[label\]'") as caught:
        require("label", "reportlab")
    assert isinstance(caught.value, ImportError) and caught.value.name == "reportlab"


def test_an_unknown_extra_is_refused_with_the_list_of_extras():
    with pytest.raises(ValueError, match="the extras are: label, paper, elex"):
        require("plots", "matplotlib")


def test_the_core_measures_runs_merges_and_rates_without_any_extra(tmp_path):
    done = _python("""
        import json, mlee
        from pathlib import Path
        settings = mlee.RunSettings(output_dir=Path("logs"), hyperparameters="default", robustness=False)
        outcomes = mlee.run_sweep([("iris", "k-Nearest Neighbors")], settings, mlee.Meter("auto"), progress=False)
        report = mlee.merge_directory("logs", "results", progress=False)
        rated = mlee.rate(mlee.aggregate_runs(mlee.load_results("results")), mlee.RatingSettings.default())
        print(json.dumps({"errors": [o.error for o in outcomes], "merged": len(report.merged),
                          "letters": sorted(rated["compound_rating"].dropna().tolist()),
                          "extras": sorted(m for m in sys.modules if m.split(".")[0] in %r
                                           and sys.modules[m] is not None)}))
        """ % EVERY_EXTRA, HIDDEN, tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["errors"] == [None] and seen["merged"] == 2 and len(seen["letters"]) == 2
    assert seen["extras"] == []


@pytest.mark.parametrize("script, args, missing, extra", [
    ("mlee.cli.label", ["--directory", str(SHIPPED_RESULTS), "--dataset", "iris", "--task", "inference",
                        "--model", "kNN", "--output", "label.pdf"], ["reportlab"], "label"),
    ("mlee.cli.paper", ["--directory", str(SHIPPED_RESULTS), "--output", "paper"], ["matplotlib"], "paper"),
    ("mlee.cli.elex", ["--directory", str(SHIPPED_RESULTS), "--port", "PORT"], ["dash"], "elex"),
    ("mlee.cli.evaluate", ["--dataset", "iris", "--model", "kNN", "--cluster", "local:1", "--no-progress",
                           "--hyperparameters", "default"], ["distributed", "dask"], "cluster"),
], ids=["label", "paper", "elex", "cluster"])
def test_a_command_whose_extra_is_missing_says_which_extra_to_install(tmp_path, script, args, missing, extra):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [str(port) if a == "PORT" else a for a in args]
    main = "evaluate_main" if script == "mlee.cli.evaluate" else "main"
    done = _python(f"from {script} import {main}\nsys.exit({main}({args!r}))", missing, tmp_path)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"pip install 'mlee[{extra}]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir()) or extra == "cluster"


@pytest.mark.parametrize("monitor, missing, extra", [("codecarbon", "codecarbon", "codecarbon"),
                                                     ("pyrapl", "pyRAPL", "pyrapl")])
def test_a_requested_energy_source_without_its_extra_names_the_extra(tmp_path, monitor, missing, extra):
    done = _python(f"""
        from mlee import Meter
        from mlee.monitoring import SourceUnavailable
        try:
            with Meter({monitor!r}, strict=True).window():
                pass
        except SourceUnavailable as error:
            print(error.fix)
        """, [missing], tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"pip install 'mlee[{extra}]'" in done.stdout
