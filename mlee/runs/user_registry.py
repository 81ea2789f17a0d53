"""What a run needs to know of a user's own inputs, carried to the process that runs it.

A user's data files (:mod:`mlee.runs.data_file`), estimators (:mod:`mlee.runs.user_model`) and methods table
(:mod:`mlee.runs.user_methods`) are registered in the process that checked them, in environment variables.
Worker processes that were started before (a Dask cluster's, ELEx's embedded one) do not see them: the client
puts a :func:`snapshot` into the sweep's settings (``extra_config["user_inputs"]``, so it is also recorded in
``config.json``) and the runner :func:`adopt` s it where the run executes.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from mlee.catalog import USER_METHODS_VARIABLE
from mlee.runs.data_file import REGISTRY_VARIABLE as DATA_FILES_VARIABLE
from mlee.runs.user_model import REGISTRY_VARIABLE as USER_MODELS_VARIABLE

VARIABLES = {"data_files": DATA_FILES_VARIABLE, "models": USER_MODELS_VARIABLE, "methods": USER_METHODS_VARIABLE}
#: the key of a sweep's ``extra_config`` that carries the snapshot
CONFIG_KEY = "user_inputs"


def _table(variable: str) -> dict[str, Any]:
    try:
        value = json.loads(os.environ.get(variable) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def snapshot() -> dict[str, dict[str, Any]]:
    """The user's registered inputs of this process: ``data_files``, ``models``, ``methods`` (only those set).

    Returns
    -------
    dict
        JSON values; empty when nothing is registered.
    """
    return {name: table for name, variable in VARIABLES.items() if (table := _table(variable))}


def adopt(values: Mapping[str, Any] | None) -> None:
    """Register the inputs of a :func:`snapshot` in this process (added to what it has).

    Parameters
    ----------
    values : a snapshot, or None (nothing to do).
    """
    for name, entries in (values or {}).items():
        variable = VARIABLES.get(name)
        if variable is None or not isinstance(entries, dict):
            continue
        current = _table(variable)
        if any(current.get(k) != v for k, v in entries.items()):
            current.update(entries)
            os.environ[variable] = json.dumps(current, sort_keys=True)


__all__ = ["CONFIG_KEY", "adopt", "snapshot"]
