"""mlee: measure, rate and label what machine-learning methods cost (energy, time, size) and deliver.

The public API is the handful of names below; each is imported on first use (``import mlee`` itself loads
neither numpy nor pandas):

- measuring: :class:`Meter`, :class:`MeterConfig`, :func:`measured`;
- running the study's sweep: :class:`RunSettings`, :func:`run_sweep`;
- results: :func:`merge_directory`, :func:`load_results`, :func:`aggregate_runs`;
- rating: :class:`RatingSettings`, :func:`rate`, :func:`summarise`;
- labels: :func:`render_label`, :func:`write_label`;
- your own estimator in a notebook, measured, rated and labelled in one call: :func:`rate_estimator`.

Everything else lives in the packages by job (``mlee.monitoring``, ``mlee.runs``, ``mlee.results``,
``mlee.rating``, ``mlee.label``, ...) and may change between versions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Meter": "mlee.monitoring.meter",
    "MeterConfig": "mlee.monitoring.config",
    "measured": "mlee.measure.decorator",
    "RunSettings": "mlee.runs.runner",
    "run_sweep": "mlee.executors.sweep",
    "merge_directory": "mlee.merge.merger",
    "load_results": "mlee.results.loader",
    "aggregate_runs": "mlee.results.aggregate",
    "RatingSettings": "mlee.rating.settings",
    "rate": "mlee.rating.engine",
    "summarise": "mlee.rating.summarise",
    "render_label": "mlee.label",
    "write_label": "mlee.label",
    "rate_estimator": "mlee.notebook",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from mlee.executors.sweep import run_sweep
    from mlee.label import render_label, write_label
    from mlee.measure.decorator import measured
    from mlee.merge.merger import merge_directory
    from mlee.monitoring.config import MeterConfig
    from mlee.monitoring.meter import Meter
    from mlee.notebook import rate_estimator
    from mlee.rating.engine import rate
    from mlee.rating.settings import RatingSettings
    from mlee.rating.summarise import summarise
    from mlee.results.aggregate import aggregate_runs
    from mlee.results.loader import load_results
    from mlee.runs.runner import RunSettings


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562).

    Parameters
    ----------
    name : str
        One of :data:`__all__`.

    Returns
    -------
    object
        The class or function, also kept in this module's namespace for the next use.
    """
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlee' has no attribute {name!r}; the public names are: {', '.join(__all__)}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names and the module's own attributes.

    Returns
    -------
    list of str
        Sorted names.
    """
    return sorted(set(globals()) | set(__all__))
