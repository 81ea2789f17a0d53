"""Results table: load merged result files into one pandas DataFrame and aggregate repeated runs.

``load_results(directory)`` -> one row per (dataset, task, environment, model, run);
``aggregate_runs(runs)`` -> one row per (dataset, task, environment, model) with means and standard deviations.
``aggregate_runs`` (pandas) is imported when first used, so reading result files (a merge) does not import pandas.
"""

from typing import Any

from mlee.results.energy import PhaseEnergy, phase_energy
from mlee.results.environment import environment_key, hardware_name, short_cpu_name
from mlee.results.loader import ResultFileError, load_results, read_result_file, result_files
from mlee.results.record import compact_training, expand_training

__all__ = ["aggregate_runs", "load_results", "read_result_file", "result_files", "compact_training",
           "expand_training", "ResultFileError", "environment_key",
           "hardware_name", "short_cpu_name", "phase_energy", "PhaseEnergy"]


def __getattr__(name: str) -> Any:
    if name == "aggregate_runs":
        from mlee.results.aggregate import aggregate_runs

        return aggregate_runs
    raise AttributeError(f"module 'mlee.results' has no attribute {name!r}")
