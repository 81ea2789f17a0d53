"""The rated table as a tidy file for pandas and R users: one row per (dataset, task, environment, model).

Columns: the identifiers (``dataset``, ``dataset_display``, ``task``, ``environment``, ``model``,
``model_short``), ``n_runs``, ``learning_task`` (``classification`` or ``regression``: a regression row has
``r2_val``, ``rmse_val`` and ``mae_val``, the classification metrics empty, and the other way round), ``compound_rating`` (letter A-E, ``n.a.``) with ``compound_rating_stability``
(probability that it is the letter shown, 0-1) and ``compound_rating_range`` (the letters it could be,
``"B-D"``); per metric ``<key>`` (mean over the runs, in ``<key>_unit``; quality metrics as fractions in
[0, 1]), ``<key>_std``, ``<key>_low`` / ``<key>_high`` (its 95 % interval, :mod:`mlee.results.intervals`),
``<key>_unit``, ``<key>_index`` (relative to the reference model, higher is better), ``<key>_rating`` (letter),
``<key>_rating_stability`` and ``<key>_rating_range``; then the provenance: ``reference_model``,
``reference_fallback``, ``energy_estimated``, ``energy_sources``, ``n_test_samples``, what the runs recorded
beside their energy (``co2e_g``: grams CO2e, ``net_power_draw``: J with the idle baseline subtracted,
``carbon_country``, ``backend_status``: ``accelerated`` / ``fallback`` / ``stock``), ``rating_mode``,
``settings_fingerprint`` (boundaries and weights) and ``files`` (the runs' merged result files, ``;``-joined).
CSV is written by pandas; Parquet needs ``pyarrow`` (``pip install "mlee[parquet]"``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from mlee.atomic import write_bytes_atomic
from mlee.metrics import METRICS, rating_letter
from mlee.rating.settings import RatingSettings
from mlee.rating.stability import range_text
from mlee.units import MISSING

EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet")
_IDS = ["dataset", "dataset_display", "task", "environment", "model", "model_short", "n_runs"]
_PROVENANCE = ["reference_model", "reference_fallback", "energy_estimated", "energy_sources", "n_test_samples"]
_RECORDED_NUMBERS = ["co2e_g", "net_power_draw"]
_RECORDED_TEXTS = ["carbon_country", "backend_status"]


def _numbers(rated: pd.DataFrame, column: str) -> np.ndarray:
    return rated[column].to_numpy(dtype="float64") if column in rated.columns else np.full(len(rated), np.nan)


def _letters(out: dict[str, object], rated: pd.DataFrame, rating: str, stability: str, best: str,
             worst: str) -> None:
    """The letter ``rating`` as text, its ``_stability`` (0..1) and ``_range`` (``"B-D"``, ``n.a.`` when unrated)
    columns."""
    out[rating] = [rating_letter(r) for r in rated[rating]]
    out[f"{rating}_stability"] = _numbers(rated, stability)
    out[f"{rating}_range"] = [range_text(b, w) or MISSING for b, w in zip(_numbers(rated, best), _numbers(rated, worst))]


def tidy_table(rated: pd.DataFrame, settings: RatingSettings) -> pd.DataFrame:
    """The tidy form of a table returned by :func:`mlee.rating.rate` (see the module doc for the columns)."""
    out: dict[str, object] = {c: rated[c].to_numpy() for c in _IDS}  # one frame at the end, not a column at a time
    out["learning_task"] = (rated["learning_task"].to_numpy(dtype=object) if "learning_task" in rated.columns
                            else np.full(len(rated), "classification", dtype=object))
    _letters(out, rated, "compound_rating", "compound_stability", "compound_letter_best", "compound_letter_worst")
    for metric in METRICS:
        key = metric.key
        out[key] = rated[key].to_numpy()
        out[f"{key}_std"] = rated[f"{key}_std"].to_numpy()
        for bound in ("low", "high"):
            out[f"{key}_{bound}"] = _numbers(rated, f"{key}_{bound}")
        out[f"{key}_unit"] = "fraction" if metric.unit == "%" else metric.unit  # stored in [0, 1], not x 100
        out[f"{key}_index"] = rated[f"{key}_index"].to_numpy()
        _letters(out, rated, f"{key}_rating", f"{key}_stability", f"{key}_letter_best", f"{key}_letter_worst")
    for column in _PROVENANCE:
        out[column] = rated[column].to_numpy()
    for column in _RECORDED_NUMBERS:
        out[column] = _numbers(rated, column)
    for column in _RECORDED_TEXTS:  # "n.a." where not recorded, as the letters: an empty text reads back from CSV as NaN
        values = rated[column].tolist() if column in rated.columns else [""] * len(rated)
        out[column] = [str(v) if v and v == v else MISSING for v in values]
    out["rating_mode"] = settings.mode
    out["settings_fingerprint"] = settings.fingerprint()
    out["files"] = [";".join(str(f) for f in files) for files in rated["files"]]
    return pd.DataFrame(out, index=pd.RangeIndex(len(rated)))


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
