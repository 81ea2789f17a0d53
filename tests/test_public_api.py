"""The public API of ``import mlee``: a handful of names, each documented (numpydoc Parameters, Returns for
functions, and an example that runs), loaded only when used."""

from __future__ import annotations

import doctest
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import mlee

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ["Meter", "MeterConfig", "RatingSettings", "RunSettings", "aggregate_runs", "load_results", "measured",
          "merge_directory", "rate", "rate_estimator", "render_label", "run_sweep", "summarise", "write_label"]


def test_the_package_exports_exactly_the_public_names():
    assert sorted(mlee.__all__) == sorted(PUBLIC)
    assert set(PUBLIC) <= set(dir(mlee))


def test_importing_mlee_loads_no_heavy_library_until_a_name_is_used():
    code = ("import json, sys, mlee\n"
            "heavy = ('numpy', 'pandas', 'sklearn', 'scipy', 'reportlab', 'dash')\n"
            "before = [m for m in heavy if m in sys.modules]\n"
            "mlee.load_results\n"
            "print(json.dumps({'before': before, 'after': 'mlee.results.loader' in sys.modules}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    seen = json.loads(done.stdout)
    assert seen == {"before": [], "after": True}


def test_an_unknown_name_is_an_attribute_error_listing_the_public_ones():
    with pytest.raises(AttributeError, match="the public names are: Meter"):
        mlee.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_documents_its_parameters_and_has_an_example(name):
    doc = inspect.getdoc(getattr(mlee, name)) or ""
    assert "Parameters\n----------" in doc
    if not inspect.isclass(getattr(mlee, name)):
        assert "Returns\n-------" in doc
    assert "Examples\n--------" in doc and ">>> " in doc


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_example_runs_as_written(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = getattr(mlee, name)
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(target, name, globs={}) if t.examples]
    assert tests, f"{name} has no example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example line(s) of mlee.{name} failed (see the output above)"


def test_a_rating_function_is_itself_after_its_module_was_imported_directly():
    # importing mlee.rating.summarise binds that submodule to the package's name of its function
    code = ("from mlee.rating.summarise import summarise as function\n"
            "from mlee.rating import summarise\n"
            "print(summarise is function)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "True"
