"""The rated table as a tidy file for pandas and R users: one row per (dataset, task, environment, model).

Columns: the identifiers (``dataset``, ``dataset_display``, ``task``, ``environment``, ``model``,
``model_short``), ``n_runs``, ``compound_rating`` (letter A-E, ``n.a.``); per metric ``<key>`` (mean over the
runs, in ``<key>_unit``; quality metrics as fractions in [0, 1]), ``<key>_std``, ``<key>_unit``, ``<key>_index`` (relative to the reference model,
higher is better) and ``<key>_rating`` (letter); then the provenance: ``reference_model``,
``reference_fallback``, ``energy_estimated``, ``energy_sources``, ``n_test_samples``, ``rating_mode``,
``settings_fingerprint`` (boundaries and weights) and ``files`` (the runs' merged result files, ``;``-joined).
CSV is written by pandas; Parquet needs ``pyarrow`` (``pip install "mlee[parquet]"``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from mlee.atomic import write_bytes_atomic
from mlee.metrics import METRICS, rating_letter
from mlee.rating.settings import RatingSettings

EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet")
_IDS = ["dataset", "dataset_display", "task", "environment", "model", "model_short", "n_runs"]
_PROVENANCE = ["reference_model", "reference_fallback", "energy_estimated", "energy_sources", "n_test_samples"]


def tidy_table(rated: pd.DataFrame, settings: RatingSettings) -> pd.DataFrame:
    """The tidy form of a table returned by :func:`mlee.rating.rate` (see the module doc for the columns)."""
    out = rated[_IDS].reset_index(drop=True).copy()
    out["compound_rating"] = [rating_letter(r) for r in rated["compound_rating"]]
    for metric in METRICS:
        key = metric.key
        out[key] = rated[key].to_numpy()
        out[f"{key}_std"] = rated[f"{key}_std"].to_numpy()
        out[f"{key}_unit"] = "fraction" if metric.unit == "%" else metric.unit  # stored in [0, 1], not x 100
        out[f"{key}_index"] = rated[f"{key}_index"].to_numpy()
        out[f"{key}_rating"] = [rating_letter(r) for r in rated[f"{key}_rating"]]
    for column in _PROVENANCE:
        out[column] = rated[column].to_numpy()
    out["rating_mode"] = settings.mode
    out["settings_fingerprint"] = settings.fingerprint()
    out["files"] = [";".join(str(f) for f in files) for files in rated["files"]]
    return out


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``table`` atomically as CSV or Parquet, chosen by the suffix of ``path``; ValueError for another
    suffix or (Parquet) without pyarrow, saying how to fix it."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"--export {str(target)!r}: give a file ending in "
                         f"{' or '.join('.' + f for f in EXPORT_FORMATS)}")
    if fmt == "csv":
        return write_bytes_atomic(target, table.to_csv(index=False).encode("utf-8"))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ValueError("Parquet export needs pyarrow: pip install \"mlee[parquet]\" (or pip install pyarrow), "
                         "or export .csv") from None
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return write_bytes_atomic(target, buffer.getvalue())
