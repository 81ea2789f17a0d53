"""benchmarks/suite_time.py reads pytest's ``--durations=0`` report into seconds per test module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _suite_time():
    spec = importlib.util.spec_from_file_location("suite_time", ROOT / "benchmarks" / "suite_time.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPORT = """\
============================= slowest durations ==============================
143.00s call     tests/test_readme_commands.py::TestCommandsOf_docs_getting_started::test_command_runs_as_written[python evaluate_sklearn.py]
2.50s setup    tests/test_elex_click.py::test_a_click_selects_the_run
25.64s call     tests/test_readme_commands.py::TestCommandsOf_docs_how_to_cluster::test_command_runs_as_written[command0]
4.00s call     tests/test_elex_click.py::test_a_click_selects_the_run
0.50s teardown tests/test_elex_click.py::test_a_click_selects_the_run
1.00s call     tests/test_run_spec.py::test_spec_round_trips_through_json[a.py::b]
=========================== 2 passed in 177.00s ===========================
"""


def test_module_durations_sum_setup_call_and_teardown_per_module_longest_first():
    seconds = _suite_time().module_durations(REPORT)
    assert list(seconds) == ["tests/test_readme_commands.py", "tests/test_elex_click.py", "tests/test_run_spec.py"]
    assert seconds["tests/test_readme_commands.py"] == 143.00 + 25.64
    assert seconds["tests/test_elex_click.py"] == 2.50 + 4.00 + 0.50
    assert seconds["tests/test_run_spec.py"] == 1.00


def test_module_durations_of_a_report_without_durations_is_empty():
    assert _suite_time().module_durations("3 passed in 1.0s\n") == {}
