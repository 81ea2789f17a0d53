"""Rating boundaries: per scoped metric key (``"inference power_draw"``), four descending index thresholds.

File format (the published ``boundaries.json``): a JSON object ``{"<scope> <metric>": [b0, b1, b2, b3]}``
with ``b0 >= b1 >= b2 >= b3`` separating the ratings A | B | C | D | E. Keys whose name starts with ``_``
(comments such as ``"_source"``) are ignored when loading.
"""

from __future__ import annotations

import math
import numbers as _numbers
import os
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence


from mlee.atomic import write_json_atomic
from mlee.metrics import METRICS, TASKS, get_metric, scoped_entries
from mlee.results import jsonio

if TYPE_CHECKING:
    import pandas as pd

Boundaries = dict[str, tuple[float, float, float, float]]
DEFAULT_QUANTILES: tuple[float, float, float, float] = (0.8, 0.6, 0.4, 0.2)


def validate_boundaries(data: Any, source: str = "boundaries") -> Boundaries:
    """Checked copy of a boundaries mapping; ValueError naming the key and the fix when invalid."""
    out: Boundaries = {}
    for key, values in scoped_entries(data, source, "four descending thresholds"):
        if (not isinstance(values, (list, tuple)) or len(values) != 4
                or any(isinstance(v, bool) or not isinstance(v, _numbers.Real)
                       for v in values)):
            raise ValueError(f"{source}: {key!r} must be a list of four numbers [b0, b1, b2, b3] "
                             f"(A above b0 ... E at or below b3), got {values!r}")
        numbers = tuple(float(v) for v in values)
        if not all(math.isfinite(v) for v in numbers):
            raise ValueError(f"{source}: {key!r} has a non-finite threshold {list(numbers)}; use finite numbers")
        if any(a < b for a, b in zip(numbers, numbers[1:])):
            raise ValueError(f"{source}: thresholds of {key!r} must descend (b0 >= b1 >= b2 >= b3), got "
                             f"{list(numbers)}; sort them from largest to smallest")
        out[key] = numbers  # type: ignore[assignment]
    return out


def load_boundaries(path: str | os.PathLike) -> Boundaries:
    """Read a boundaries file (published format); ValueError with the problem and the fix when invalid or when it
    holds no thresholds at all."""
    source = f"boundaries file {str(path)!r}"
    boundaries = validate_boundaries(jsonio.load_file(path, "boundaries file"), source)
    if not boundaries:
        raise ValueError(f"{source} holds no thresholds: nothing could be rated. Give metric keys such as "
                         f"'inference power_draw' four descending thresholds each; start from a copy of the "
                         f"defaults (mlee/data/boundaries.json) or of the file ELEx's 'Download boundaries' writes")
    return boundaries


def save_boundaries(boundaries: Mapping[str, Sequence[float]], path: str | os.PathLike) -> None:
    """Write boundaries in the published format (atomically)."""
    checked = validate_boundaries(boundaries)
    write_json_atomic(path, {k: list(v) for k, v in checked.items()}, indent=4)


def compute_boundaries(rated: pd.DataFrame, quantiles: Iterable[float] = DEFAULT_QUANTILES) -> Boundaries:
    """Data-driven boundaries: per scoped key, the ``quantiles`` (descending) of the observed indices.

    ``rated`` is the table of :func:`mlee.rating.rate`. General metrics use the inference rows (training
    rows repeat the same values); per-task metrics use the rows of their task. Metrics without any finite
    index are left out (merge the result into existing boundaries). Ties between quantiles are kept
    (an empty rating band).
    """
    import numpy as np

    qs = [float(q) for q in quantiles]
    if len(qs) != 4 or any(not 0 <= q <= 1 for q in qs):
        raise ValueError(f"quantiles must be four numbers in [0, 1], e.g. (0.8, 0.6, 0.4, 0.2); got {qs}")
    qs = sorted(qs, reverse=True)
    out: Boundaries = {}
    tasks = rated["task"].to_numpy() if "task" in rated.columns else np.array([])
    for metric in METRICS:
        column = f"{metric.key}_index"
        if column not in rated.columns:
            continue
        values = rated[column].to_numpy(dtype="float64")
        if metric.per_task:
            scopes = [(t, tasks == t) for t in TASKS]
        else:
            mask = tasks == "inference"
            scopes = [("general", mask if mask.any() else np.ones(len(values), bool))]
        for scope, mask in scopes:
            finite = values[mask]
            finite = finite[np.isfinite(finite)]
            if finite.size:
                out[f"{scope} {metric.key}"] = tuple(float(v) for v in np.quantile(finite, qs))  # type: ignore
    return out


def value_boundaries(boundaries: Mapping[str, Sequence[float]], reference_value: float,
                     metric_key: str) -> tuple[float, float, float, float]:
    """Index thresholds of one metric converted to value thresholds for a reference value.

    Higher-is-better metrics: value = index * reference; otherwise value = reference / index (an index of 0
    gives infinity). ``boundaries`` may be the whole mapping (``metric_key`` scoped) or the four thresholds.
    """
    thresholds = boundaries[metric_key] if isinstance(boundaries, Mapping) else boundaries
    metric = get_metric(metric_key)
    ref = float(reference_value)
    if metric.higher_is_better:
        return tuple(float(t) * ref for t in thresholds)  # type: ignore[return-value]
    return tuple(ref / float(t) if t else math.inf for t in thresholds)  # type: ignore[return-value]


def merge_partial(given: Mapping[str, Sequence[float]], current: Mapping[str, Sequence[float]], source: str,
                  kept: str) -> tuple[Boundaries, str]:
    """Boundaries of a file that may name only some metrics, over the ``current`` ones: one rule for every tool.

    The file's thresholds replace those of the metrics it names; every other metric keeps its current thresholds
    (it is rated as before, never silently unrated).

    Parameters
    ----------
    given : the file's boundaries (validated).
    current : the boundaries in use (the package defaults on the command line, the page's settings in ELEx).
    source : what ``given`` came from, for the note (``"boundaries file 'b.json'"``).
    kept : what the other metrics keep, for the note (``"the package defaults"``).

    Returns
    -------
    (boundaries, note) : the merged boundaries, and a sentence saying which metrics kept ``kept`` (``""`` when
    the file names every metric in use).
    """
    merged: Boundaries = {**{k: tuple(v) for k, v in current.items()}, **{k: tuple(v) for k, v in given.items()}}  # type: ignore[misc]
    others = sorted(set(current) - set(given))
    if not others:
        return merged, ""
    return merged, (f"{source} gives thresholds for {len(given)} metric key(s); the other {len(others)} keep "
                    f"{kept} (e.g. {', '.join(others[:3])})")
