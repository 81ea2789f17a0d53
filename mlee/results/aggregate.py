"""Aggregate repeated runs: one row per (dataset, task, environment, model) with mean and standard deviation.

The original tool stopped with an error on a second run of the same model; here repeated runs are
averaged. ``<key>`` is the mean over the runs that have a value (NaN when none has), ``<key>_std`` the
sample standard deviation (ddof=1; NaN for a single run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlee.catalog import dataset_display, method_short
from mlee.metrics import METRICS
from mlee.results.provenance import aggregate_provenance

GROUP_KEYS: list[str] = ["dataset", "task", "environment", "model"]
_METRIC_KEYS = [m.key for m in METRICS]


def table_columns() -> list[str]:
    """Columns of :func:`aggregate_runs`' table, in order."""
    cols = ["dataset", "dataset_display", "task", "environment", "model", "model_short", "n_runs"]
    for key in _METRIC_KEYS:
        cols += [key, f"{key}_std"]
    return cols + ["energy_estimated", "energy_sources", "energy_complete", "energy_quality", "n_test_samples",
                   "files", "method", "identity", "learning_task"]


def aggregate_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, task, environment, model) of the run table of :func:`mlee.results.load_results`.

    Columns (Contract 4): ``dataset``, ``dataset_display``, ``task``, ``environment``, ``model``,
    ``model_short``, ``n_runs``; per metric key ``k`` the mean ``k`` (metric unit) and ``k_std``;
    ``energy_estimated`` (True if any run's energy is estimated), ``energy_sources`` (distinct source texts
    joined by ``" / "``), ``energy_complete`` (False if any run's counters were not read cleanly),
    ``energy_quality`` (the distinct reasons, joined by ``" / "``), ``n_test_samples`` (mean over runs),
    ``files`` (list of the runs' result files), ``method`` (the method's name; ``model`` adds what differs
    for other configurations, :mod:`mlee.results.pooling`), ``identity`` (the configuration pooled) and
    ``learning_task`` (``classification`` or ``regression``).
    ``attrs["warnings"]`` of ``runs`` is carried over.

    Parameters
    ----------
    runs : DataFrame
        The run table of :func:`mlee.results.load_results`.

    Returns
    -------
    DataFrame
        One row per (dataset, task, environment, model), the columns above.

    Examples
    --------
    >>> from mlee import aggregate_runs, load_results
    >>> from mlee.layout import SHIPPED_RESULTS
    >>> runs = load_results(SHIPPED_RESULTS / "sklearn")
    >>> table = aggregate_runs(runs)
    >>> len(table) <= len(runs), int(table["n_runs"].sum()) == len(runs)
    (True, True)
    """
    missing = [c for c in GROUP_KEYS + ["file"] if c not in runs.columns]
    if missing:
        raise ValueError(f"aggregate_runs needs the table of mlee.results.load_results; columns missing: "
                         f"{', '.join(missing)}")
    if runs.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in table_columns()})
        out.attrs["warnings"] = list(runs.attrs.get("warnings", []))
        return out
    codes = runs.groupby(GROUP_KEYS, sort=True, observed=True, dropna=False).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_groups)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    first = order[starts]
    out = runs.iloc[first][GROUP_KEYS].reset_index(drop=True)
    out["n_runs"] = sizes
    present = [k for k in _METRIC_KEYS if k in runs.columns]
    numeric = runs[present + ["n_test_samples"]].astype("float64")
    numeric_grouped = numeric.groupby(codes, sort=True)
    means = numeric_grouped.mean()
    stds = numeric_grouped.std(ddof=1)
    for key in _METRIC_KEYS:
        if key in present:
            out[key] = means[key].to_numpy()
            out[f"{key}_std"] = stds[key].to_numpy()
        else:
            out[key] = np.nan
            out[f"{key}_std"] = np.nan
    estimated = runs["energy_estimated"].to_numpy(dtype=bool)
    out["energy_estimated"] = np.bincount(codes, weights=estimated.astype("float64"), minlength=n_groups) > 0
    sources = runs["energy_sources"].to_numpy(dtype=object)[order]
    files = runs["file"].to_numpy(dtype=object)[order].tolist()
    out["energy_sources"] = _joined_sources(sources, starts, ends)
    if "energy_complete" in runs:
        flawed = ~runs["energy_complete"].to_numpy(dtype=bool)
        out["energy_complete"] = np.bincount(codes, weights=flawed.astype("float64"), minlength=n_groups) == 0
        quality = runs["energy_quality"].to_numpy(dtype=object)[order]
        out["energy_quality"] = [" / ".join(dict.fromkeys(q for q in quality[a:b] if q))
                                 for a, b in zip(starts.tolist(), ends.tolist())]
    else:
        out["energy_complete"], out["energy_quality"] = True, ""
    out["n_test_samples"] = means["n_test_samples"].to_numpy()
    out["files"] = [files[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
    out["dataset_display"] = out["dataset"].map(_display_names(runs))
    firsts = runs.iloc[first]
    out["method"] = (firsts["method"] if "method" in runs else firsts["model"]).to_numpy(dtype=object)
    out["identity"] = (firsts["identity"] if "identity" in runs else pd.Series("", index=firsts.index)).to_numpy(
        dtype=object)
    out["learning_task"] = (firsts["learning_task"] if "learning_task" in runs
                            else pd.Series("classification", index=firsts.index)).to_numpy(dtype=object)
    out["model_short"] = [_short(model, method) for model, method in zip(out["model"], out["method"])]
    out = aggregate_provenance(runs, out[table_columns()])
    out.attrs["warnings"] = list(runs.attrs.get("warnings", []))
    return out


def _short(model: str, method: str) -> str:
    """Short name of a row's model: the method's short name, with the configuration's suffix if any
    (``"RF (n_estimators 100)"``)."""
    short = method_short(method)
    return short + model[len(method):] if model.startswith(method) else method_short(model)


def _display_names(runs: pd.DataFrame) -> dict[str, str]:
    """Dataset key -> display name: the catalog's, else the name the runner recorded (an OpenML dataset's
    name instead of ``openml:3``), else the key."""
    recorded: dict[str, str] = {}
    if "dataset_display" in runs:
        for key, name in zip(runs["dataset"], runs["dataset_display"]):
            if name and key not in recorded:
                recorded[key] = str(name)
    out = {}
    for key in runs["dataset"].unique():
        catalog = dataset_display(key)
        out[key] = catalog if catalog != key else recorded.get(key, key)
    return out


def _joined_sources(sources: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """Distinct source texts per group (rows sorted by group) joined by ``" / "``; fast when uniform."""
    codes, _ = pd.factorize(sources, use_na_sentinel=False)
    lo = np.minimum.reduceat(codes, starts) if len(codes) else codes
    hi = np.maximum.reduceat(codes, starts) if len(codes) else codes
    firsts = sources[starts].tolist()
    for g in np.flatnonzero(lo != hi).tolist():
        firsts[g] = " / ".join(dict.fromkeys(str(v) for v in sources[starts[g]:ends[g]]))
    return [str(v) for v in firsts]
