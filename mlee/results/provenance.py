"""What a phase recorded beside its energy: grams CO2e, idle-subtracted energy and whether the backend ran.

Read from a phase of a merged result (a training file dict or an inference file's ``validation`` dict):
``measurement.carbon.grams_co2e`` (with ``--country``), ``measurement.net_energy_j`` (with ``--idle-seconds``)
and ``results.backend_provenance.status`` (``"accelerated"``, ``"fallback"``, ``"mixed"``: whether an
accelerated backend really ran the method or handed it to stock scikit-learn). Absent values are NaN / ``""``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy and pandas are imported where runs are pooled: merge_results.py --help needs neither
    import pandas as pd

#: run-table columns of :func:`phase_provenance`, and how :func:`aggregate_provenance` pools them
NUMBER_COLUMNS: tuple[str, ...] = ("co2e_g", "net_power_draw")
TEXT_COLUMNS: tuple[str, ...] = ("carbon_country", "backend_status")
COLUMNS: tuple[str, ...] = NUMBER_COLUMNS + TEXT_COLUMNS
GROUP_KEYS: list[str] = ["dataset", "task", "environment", "model"]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        return math.nan
    return float(value)


def phase_provenance(phase: dict[str, Any]) -> dict[str, Any]:
    """``co2e_g`` (grams CO2e), ``net_power_draw`` (J, idle baseline subtracted), ``carbon_country`` and
    ``backend_status`` of one phase.

    Parameters
    ----------
    phase : dict
        A training record or an inference record's ``validation`` dict.

    Returns
    -------
    dict
        The four values (NaN or ``""`` where not recorded).
    """
    measurement = phase.get("measurement") if isinstance(phase.get("measurement"), dict) else {}
    carbon = measurement.get("carbon") if isinstance(measurement.get("carbon"), dict) else {}
    results = phase.get("results") if isinstance(phase.get("results"), dict) else {}
    backend = results.get("backend_provenance") if isinstance(results.get("backend_provenance"), dict) else {}
    return {"co2e_g": _number(carbon.get("grams_co2e")), "net_power_draw": _number(measurement.get("net_energy_j")),
            "carbon_country": str(carbon.get("country") or ""), "backend_status": str(backend.get("status") or "")}


def aggregate_provenance(runs: pd.DataFrame, aggregated: pd.DataFrame) -> pd.DataFrame:
    """``aggregated`` (one row per group of :data:`GROUP_KEYS`, in sorted group order) with the pooled
    provenance of its ``runs``: the mean of the numbers over the runs that have one, the distinct texts joined
    by ``" / "``.

    Parameters
    ----------
    runs : DataFrame
        The run table (:func:`mlee.results.load_results`); tables without these columns give NaN / ``""``.
    aggregated : DataFrame
        Its aggregate, rows in the order of ``runs.groupby(GROUP_KEYS, sort=True)``.

    Returns
    -------
    DataFrame
        ``aggregated`` with :data:`COLUMNS` added.
    """
    import numpy as np

    out = aggregated.copy()
    if runs.empty or not all(c in runs.columns for c in COLUMNS):
        for column in NUMBER_COLUMNS:
            out[column] = np.nan
        for column in TEXT_COLUMNS:
            out[column] = ""
        return out
    codes = runs.groupby(GROUP_KEYS, sort=True, observed=True, dropna=False).ngroup().to_numpy()
    frame = runs[list(COLUMNS)].copy()
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].astype(bool), None)
    grouped = frame.groupby(codes, sort=True)
    means = grouped[list(NUMBER_COLUMNS)].mean()
    for column in NUMBER_COLUMNS:
        out[column] = means[column].to_numpy()
    for column in TEXT_COLUMNS:
        first = grouped[column].first().reindex(range(len(out)))
        values = first.where(first.notna(), "").astype(str).to_numpy(dtype=object)
        texts = frame[column].to_numpy()
        for g in np.flatnonzero(grouped[column].nunique().reindex(range(len(out))).to_numpy() > 1):
            values[g] = " / ".join(t for t in dict.fromkeys(texts[codes == g].tolist()) if t)
        out[column] = values
    out.attrs = dict(aggregated.attrs)
    return out
