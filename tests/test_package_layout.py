"""The packages mirror the jobs: parsers only in mlee.cli, and the old mlee.experiment import paths still work."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_only_the_cli_package_imports_argparse():
    offenders = []
    for path in sorted((ROOT / "mlee").rglob("*.py")):
        if path.relative_to(ROOT / "mlee").parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) else [])
            if "argparse" in names:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_an_old_experiment_import_is_the_moved_module_and_says_where_it_went():
    code = ("import json, warnings\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import mlee.experiment.runner as old\n"
            "    from mlee.experiment.sweep_cli import add_executor_choice\n"
            "import mlee.runs.runner as new, mlee.cli.executor_options as options\n"
            "print(json.dumps({'same': old is new, 'function': add_executor_choice is options.add_executor_choice,\n"
            "                  'warnings': [str(w.message) for w in caught if w.category is DeprecationWarning]}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    seen = json.loads(done.stdout)
    assert seen["same"] and seen["function"]
    assert any("mlee.experiment.runner moved to mlee.runs.runner" in text for text in seen["warnings"])
    assert any("mlee.cli.executor_options" in text for text in seen["warnings"])


def test_a_name_that_never_existed_under_experiment_is_still_an_import_error():
    done = subprocess.run([sys.executable, "-c", "import mlee.experiment.no_such_module"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr
