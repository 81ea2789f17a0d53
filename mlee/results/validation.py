"""Plausibility checks of loaded results: what no measurement can produce never loads as a value.

:func:`check_record` looks at a parsed result file before its rows are built: a dataset or model that is not a
name (an object, a list, a number) makes the file unusable (:class:`RecordError`, the loader skips the file and
says why). :func:`screen_values` looks at the values of one run: a value outside what its unit allows (a share
outside 0-100 %, negative or absurd energy, time or counts) is replaced by NaN ("n.a.") and named in the note it
returns; an energy so replaced also marks the run's energy incomplete, with the reason, wherever it is shown.
"""

from __future__ import annotations

import math
from typing import Any

from mlee.errors import MleeError
from mlee.metrics import METRICS_BY_KEY

#: highest mean power of one run a machine can draw, W (the largest GPU nodes draw ~10 kW)
MAX_POWER_W = 1e5
#: highest energy of one run when its duration is unknown, J (a week at MAX_POWER_W)
MAX_ENERGY_J = MAX_POWER_W * 7 * 24 * 3600
#: longest run, s (ten years)
MAX_DURATION_S = 10 * 365 * 24 * 3600
#: upper bound of counts, bytes and FLOP (far above any model)
MAX_COUNT = 1e24


class RecordError(MleeError, ValueError):
    """A result file whose identity (dataset, model) is not usable; the message names the file and the fix."""



#: how to repair a merged file that cannot be read: a plain merge skips its folder as unchanged (its state says so)
REMERGE_HINT = ("merge it again with merge_results.py --clean --directory <the folder of its experiment folders> "
                "(a plain re-run skips it as unchanged), or delete it")

def check_record(data: dict[str, Any], path: str) -> None:
    """Raise :class:`RecordError` when the dataset or model of the result file ``data`` is not a name.

    Parameters
    ----------
    data
        The parsed result file (its ``config`` object is checked).
    path
        The file, for the message.
    """
    config = data.get("config")
    if not isinstance(config, dict):
        return  # the loader says "not a result file"
    for key in ("dataset", "model"):
        value = config.get(key)
        if value is not None and not isinstance(value, str):
            raise RecordError(f"{path}: config.{key} is a JSON {type(value).__name__}, not a name; the file was not "
                              f"written by mlee or was altered - {REMERGE_HINT}")


def _limit(key: str, value: float, duration: float) -> str | None:
    """Why ``value`` of metric ``key`` cannot be a measurement, None when it can."""
    metric = METRICS_BY_KEY.get(key)
    if metric is None or value != value:
        return None
    if not math.isfinite(value):
        return "not finite"
    unit = metric.unit
    if unit == "%" and not 0.0 <= value <= 1.0:
        return "a share must lie between 0 and 1 (0-100 %)"
    if unit in ("J", "s", "B", "FLOP", "#") and value < 0:
        return "negative"
    if unit == "J":
        if duration == duration and duration > 0 and value / duration > MAX_POWER_W:
            return f"{value / duration:.3g} W on average, above the {MAX_POWER_W:.0e} W any machine draws"
        if value > MAX_ENERGY_J:
            return f"above {MAX_ENERGY_J:.3g} J (a week at {MAX_POWER_W:.0e} W)"
    if unit == "s" and value > MAX_DURATION_S:
        return "longer than ten years"
    if unit in ("B", "FLOP", "#") and value > MAX_COUNT:
        return f"above {MAX_COUNT:.0e}"
    return None


def screen_values(values: dict[str, float], duration: float) -> dict[str, str]:
    """Replace the impossible values of one run by NaN.

    Parameters
    ----------
    values
        Metric key -> value in the metric's unit (changed in place).
    duration
        The run's duration in seconds (NaN when unknown), for the power an energy implies.

    Returns
    -------
    dict
        Metric key -> ``"<value> <unit>: <why>"`` of every value replaced.
    """
    replaced = {}
    for key, value in values.items():
        reason = _limit(key, value, duration)
        if reason is not None:
            replaced[key] = f"{value:.6g} {METRICS_BY_KEY[key].unit}: {reason}"
            values[key] = math.nan
    return replaced


def screen_run(row: Any, path: str) -> str | None:
    """:func:`screen_values` on the loader's row of one run (``values``, ``energy_complete``, ``energy_quality``
    attributes); an energy replaced marks the energy incomplete with the reason.

    Parameters
    ----------
    row
        The run's row as the loader builds it (changed in place).
    path
        The file, for the note.

    Returns
    -------
    str or None
        The note naming the file, run and every value shown as n.a., None when all values are possible.
    """
    replaced = screen_values(row.values, row.values.get("time", math.nan))
    if not replaced:
        return None
    if "power_draw" in replaced:
        row.energy_complete = False
        reason = f"energy {replaced['power_draw']}: not a measured value, shown as n.a."
        row.energy_quality = "; ".join(q for q in (row.energy_quality, reason) if q)
    details = "; ".join(f"{key} = {why}" for key, why in replaced.items())
    return f"{path}: {row.task} run {row.run}: impossible value(s) shown as n.a. ({details})"
