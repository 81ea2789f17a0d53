"""95 % intervals of the aggregated results table: the spread of a result's repeats combined with the
systematic error of its energy source.

Model (stated in docs/explanation/estimate.md, "How sure a number is"):

- A value is treated as log-normal around its recorded mean ``m``: costs (energy, time) and quality shares are
  positive and their errors are relative. The spread of ``n`` repeats with sample standard deviation ``s`` gives
  the statistical half-width ``t * s / sqrt(n) / m`` in log space, ``t`` the 97.5 % quantile of Student's t with
  ``n - 1`` degrees of freedom. One run has no spread: its statistical part is 0 and it says so (``n_runs``).
- Energy adds the systematic error of its source (``mlee/data/uncertainty.json``), as a log-space standard
  deviation ``sigma``: an estimate's error is the measured band of estimate / RAPL (p10-p90, taken as a
  log-normal's 10th and 90th percentiles; its median also shifts the interval: the estimate reads low on
  average); a counter contributes its resolution (one update at each window edge, ``resolution_s /
  duration``) and any stated bound, both as uniform errors (``bound / sqrt(3)``).
- Both parts are independent and add in quadrature: the interval is
  ``m * exp(shift -+ sqrt((z * sigma) ** 2 + (t * s / sqrt(n) / m) ** 2))`` with ``z`` the normal 97.5 %
  quantile. Quality shares are capped at 1. Complexity metrics (parameters, FLOPs, file size) are counted,
  not measured, and have no interval beyond their repeats'.
- A value that is 0 or missing gets the interval ``[m, m]`` (0) or none (NaN).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import special

from mlee.catalog import package_table
from mlee.metrics import METRICS

#: columns :func:`add_intervals` adds per metric key ``k``: ``k_low`` and ``k_high`` (the metric's unit)
INTERVAL_SUFFIXES: tuple[str, str] = ("_low", "_high")


@lru_cache(maxsize=1)
def source_errors() -> Mapping[str, Any]:
    """The systematic errors of the energy sources (``mlee/data/uncertainty.json``, read once)."""
    return package_table("uncertainty.json")


def estimate_shift_and_sigma(ratio_p10: float, ratio_p90: float) -> tuple[float, float]:
    """Log-space shift and standard deviation of the true value relative to an estimate.

    Parameters
    ----------
    ratio_p10, ratio_p90 : float
        10th and 90th percentile of estimate / measurement (dimensionless), taken as those of a log-normal.

    Returns
    -------
    (shift, sigma) : tuple of float
        ``log(true / estimate)`` has mean ``shift`` and standard deviation ``sigma``.
    """
    lo, hi = math.log(ratio_p10), math.log(ratio_p90)
    return -(lo + hi) / 2, (hi - lo) / (2 * float(special.ndtri(0.9)))


def energy_systematic(estimated: np.ndarray, sources: np.ndarray, duration_s: np.ndarray,
                      errors: Mapping[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Log-space shift and standard deviation of each row's energy from the error of its source.

    Parameters
    ----------
    estimated : array of bool
        The energy is an estimate.
    sources : array of str
        What the energy consists of (``energy_sources``: ``"... (RAPL)"``, ``"... (NVML energy counter)"``).
    duration_s : array of float
        The window's duration in seconds (NaN when unknown: no resolution term).
    errors : mapping, optional
        The table of :func:`source_errors` (default: the package's).

    Returns
    -------
    (shift, sigma) : tuple of float arrays
    """
    errors = errors if errors is not None else source_errors()
    n = len(estimated)
    estimated = np.asarray(estimated, dtype=bool)
    text = pd.Series(np.asarray(sources, dtype=object), dtype=object).fillna("").astype(str)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_second = np.where(np.asarray(duration_s, dtype="float64") > 0, 1.0 / np.asarray(duration_s, "float64"), 0)
    per_second = np.fmax(per_second, 0.0)
    variance = np.zeros(n)
    shift = np.zeros(n)
    e_shift, e_sigma = estimate_shift_and_sigma(errors["estimate"]["ratio_p10"], errors["estimate"]["ratio_p90"])
    shift[estimated] = e_shift
    variance[estimated] += e_sigma ** 2
    for kind, marker in (("rapl", "RAPL"), ("nvml", "NVML")):
        entry = errors[kind]
        uses = text.str.contains(marker, regex=False).to_numpy() & ~estimated
        relative = np.minimum(entry["resolution_s"] * per_second, 1.0)
        variance[uses] += (relative[uses] ** 2 + float(entry["relative_bound"]) ** 2) / 3
    return shift, np.sqrt(variance)


def t_quantiles(n: np.ndarray, tail: float) -> np.ndarray:
    """Student's t quantile ``tail`` with ``n - 1`` degrees of freedom per entry (0 where ``n < 2``), computed once
    per distinct ``n``."""
    counts = np.unique(n)
    quantiles = dict(zip(counts.tolist(), special.stdtrit(np.maximum(counts - 1, 1), tail).tolist()))
    if len(counts) == 1:
        return np.where(n >= 2, quantiles[counts[0]], 0.0)
    return np.where(n >= 2, pd.Series(n).map(quantiles).to_numpy(dtype="float64"), 0.0)


def log_half_width(mean: np.ndarray, std: np.ndarray, n: np.ndarray, sigma: np.ndarray | float = 0.0,
                   level: float = 0.95, t: np.ndarray | None = None) -> np.ndarray:
    """Half-width in log space of the ``level`` interval of a mean of ``n`` repeats (see the module doc).

    Parameters
    ----------
    mean, std : array of float
        Mean and sample standard deviation (ddof=1) of the repeats, in the metric's unit; a NaN ``std`` (one run)
        counts as no spread.
    n : array of float
        Number of repeats.
    sigma : array of float or float
        Systematic log-space standard deviation.
    level : float
        Coverage of the interval.
    t : array of float, optional
        :func:`t_quantiles` of ``n`` at this level, when already known.

    Returns
    -------
    array of float
        ``sqrt((z * sigma) ** 2 + (t * std / sqrt(n) / mean) ** 2)``; NaN where ``mean`` is NaN.
    """
    mean = np.asarray(mean, dtype="float64")
    std = np.fmax(np.asarray(std, dtype="float64"), 0.0)  # NaN (one run) -> 0
    n = np.fmax(np.asarray(n, dtype="float64"), 1.0)
    tail = (1 + level) / 2
    t = t_quantiles(n, tail) if t is None else t
    with np.errstate(divide="ignore", invalid="ignore"):
        statistical = np.where((n >= 2) & (mean > 0), t * std / np.sqrt(np.maximum(n, 1)) / mean, 0.0)
    z = float(special.ndtri(tail))
    width = np.sqrt((z * np.asarray(sigma, dtype="float64")) ** 2 + statistical ** 2)
    return np.where(np.isnan(mean), np.nan, width)


def add_intervals(table: pd.DataFrame, errors: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """``table`` (:func:`mlee.results.aggregate_runs`) with ``<key>_low`` and ``<key>_high`` per metric.

    Parameters
    ----------
    table : DataFrame
        The aggregated table: ``<key>``, ``<key>_std``, ``n_runs``, ``energy_estimated``, ``energy_sources`` and
        ``time`` (the window's duration for the counters' resolution).
    errors : mapping, optional
        The systematic errors (default: ``mlee/data/uncertainty.json``).

    Returns
    -------
    DataFrame
        A copy with the 95 % interval bounds in the metric's unit (NaN where the value is missing).
    """
    errors = errors if errors is not None else source_errors()
    level = float(errors.get("level", 0.95))
    n_rows = len(table)
    n = table["n_runs"].to_numpy(dtype="float64") if "n_runs" in table else np.ones(n_rows)

    def column(name: str, default: Any) -> np.ndarray:
        return table[name].to_numpy() if name in table else np.full(n_rows, default)

    shift, sigma = energy_systematic(column("energy_estimated", False).astype(bool),
                                     column("energy_sources", ""), column("time", np.nan).astype("float64"),
                                     errors)
    new: dict[str, np.ndarray] = {}
    t = t_quantiles(np.fmax(n, 1.0), (1 + level) / 2)
    for metric in METRICS:
        mean = column(metric.key, np.nan).astype("float64")
        std = column(f"{metric.key}_std", np.nan).astype("float64")
        energy = metric.key == "power_draw"
        width = log_half_width(mean, std, n, sigma if energy else 0.0, level, t)
        centre = shift if energy else 0.0
        with np.errstate(over="ignore"):
            low, high = mean * np.exp(centre - width), mean * np.exp(centre + width)
        if metric.unit == "%":
            high = np.minimum(high, np.where(mean <= 1, 1.0, mean))
        new[f"{metric.key}_low"], new[f"{metric.key}_high"] = low, high
    out = table.drop(columns=[c for c in new if c in table.columns])
    out = pd.concat([out, pd.DataFrame(new, index=table.index)], axis=1)
    out.attrs = dict(table.attrs)
    return out
