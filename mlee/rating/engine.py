"""Rate the aggregated results table: index per metric, rating per metric, compound rating.

Index (higher is better): relative to the reference model of the same (dataset, task, environment),
``value / reference`` for higher-is-better metrics (quality) and ``reference / value`` otherwise. Edge
cases: a missing or negative value or reference gives no index (NaN: unrated, shown as "n.a."). An index is
never infinite: for costs (energy, time, size: lower is better) a 0 is a reading below the measurement's
resolution, not a value, so a 0 value or reference gives no index either; for quality, ``0 / 0`` gives 1
(equal) and a positive value over a 0 reference gives no index. When a group's reference has no value for a
metric that other models of the group have, a warning names the group, the metric and the reference.

Reference: ``settings.references[dataset]``; a regression dataset (``learning_task``) that has none there takes
the linear reference (``_regression_default`` of ``references.json``, Ridge Regression). When a dataset has no configured reference, or the
configured model has no row in a (dataset, task, environment) group, the fallback is the model with the
median energy of the group (lower median; by running time when no energy is known, by name when neither
is), chosen once per dataset among the models that every environment lacking the reference has, on the first
inference group, and used in every environment and for training where that model has a row (a group without it
takes its own and the warning says that its letters rest on a different reference); a warning names the file
to edit (or ``--reference``), is logged and listed in ``rated.attrs["warnings"]``, and the row's
``reference_fallback`` is True.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from mlee.metrics import METRICS, TASKS
from mlee.rating.compound import compound_ratings, ratings_from_indices
from mlee.rating.settings import RatingSettings
from mlee.rating.stability import compound_stability, letter_probabilities, letter_range, log_normal_parameters
from mlee.results.intervals import INTERVAL_SUFFIXES, add_intervals

log = logging.getLogger(__name__)
_Z95 = 1.959963984540054  # normal 97.5 % quantile: the index's 95 % interval

GROUP_KEYS = ["dataset", "task", "environment"]
#: The package's reference models (what the fallback warning tells users to edit).
REFERENCES_FILE = str(resources.files("mlee").joinpath("data", "references.json"))


def regression_default_reference() -> str:
    """The reference of a regression dataset that has none configured: ``_regression_default`` of the package's
    ``references.json`` (the linear reference, Ridge Regression).

    Returns
    -------
    str
    """
    import json

    return str(json.loads(resources.files("mlee").joinpath("data", "references.json").read_text(encoding="utf-8"))
               .get("_regression_default", "Ridge Regression"))


def index_values(values: np.ndarray, reference: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Vectorised index of ``values`` relative to ``reference`` (see the module docstring for edge cases)."""
    v = np.asarray(values, dtype="float64")
    r = np.asarray(reference, dtype="float64")
    num, den = (v, r) if higher_is_better else (r, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    if higher_is_better:
        out = np.where((num == 0) & (den == 0), 1.0, out)
        absent = np.isnan(v) | np.isnan(r) | (v < 0) | (r < 0) | (den == 0)
    else:
        absent = np.isnan(v) | np.isnan(r) | (v <= 0) | (r <= 0)
    return np.where(absent, np.nan, out)


def _unmeasured_reference_warnings(table: pd.DataFrame, ref_pos: np.ndarray, key: str, values: np.ndarray,
                                   index: np.ndarray) -> list[str]:
    """One warning per group whose reference has no usable value of ``key`` while other rows have one."""
    lost = np.isfinite(values) & (values > 0) & np.isnan(index) & ~np.isfinite(values[ref_pos])
    out = []
    for pos in sorted(set(ref_pos[lost].tolist())):
        row = table.iloc[pos]
        out.append(f"{row['dataset']} / {row['task']} / {row['environment']}: the reference {row['model']!r} has "
                   f"no {key} value (not measured, or not measurable: 0 read), so no model of the group is rated "
                   f"on {key} - choose another reference with --reference or in references.json")
    return out


def _fallback_position(positions: np.ndarray, energy: np.ndarray, time: np.ndarray, models: np.ndarray) -> int:
    """Row position of the fallback reference inside one group: median energy, else median time, else name."""
    for values in (energy, time):
        v = values[positions]
        ok = np.isfinite(v)
        if ok.any():
            candidates = positions[ok]
            order = np.lexsort((models[candidates].astype(str), v[ok]))
            return int(candidates[order[(len(order) - 1) // 2]])
    return int(positions[np.argsort(models[positions].astype(str), kind="stable")[0]])


def _models_in_every_group(groups: list[int], order: np.ndarray, bounds: np.ndarray, models: np.ndarray,
                           datasets: np.ndarray, tasks: np.ndarray) -> dict[Any, set[str]]:
    """Per dataset: the models that every one of its inference ``groups`` has."""
    common: dict[Any, set[str]] = {}
    for g in groups:
        positions = order[bounds[g]:bounds[g + 1]]
        if tasks[positions[0]] != "inference":
            continue
        names = set(models[positions].tolist())
        key = datasets[positions[0]]
        common[key] = common[key] & names if key in common else names
    return common


def _reference_positions(table: pd.DataFrame, settings: RatingSettings,
                         warnings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row position of each row's reference, fallback flag per row)."""
    n = len(table)
    codes = table.groupby(GROUP_KEYS, sort=False, observed=True, dropna=False).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if n else 0
    models = table["model"].to_numpy(dtype=object)
    datasets = table["dataset"].to_numpy(dtype=object)
    wanted = table["dataset"].map(dict(settings.references)).to_numpy(dtype=object)
    if "learning_task" in table.columns:  # a regression dataset without a configured one: the linear reference
        unset = pd.isna(wanted) & (table["learning_task"].to_numpy(dtype=object) == "regression")
        wanted[unset] = regression_default_reference()
    is_ref = models == wanted
    ref_of_group = np.full(n_groups, -1, dtype=np.int64)
    hit = np.flatnonzero(is_ref)
    # the first matching row per group (aggregated tables have one row per model and group)
    ref_of_group[codes[hit[::-1]]] = hit[::-1]
    fallback_group = np.zeros(n_groups, dtype=bool)
    missing = np.flatnonzero(ref_of_group < 0)
    if missing.size:
        energy = table["power_draw"].to_numpy(dtype="float64") if "power_draw" in table else np.full(n, np.nan)
        time = table["time"].to_numpy(dtype="float64") if "time" in table else np.full(n, np.nan)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
        tasks = table["task"].to_numpy(dtype=object)
        envs = table["environment"].to_numpy(dtype=object)
        # one fallback model per dataset, for every environment and both tasks: among the models every such
        # environment has, the median inference energy of the first; a group without it says so
        ordered = sorted(missing, key=lambda g: tasks[order[bounds[g]]] != "inference")
        common = _models_in_every_group(ordered, order, bounds, models, datasets, tasks)
        chosen: dict[Any, str] = {}
        for g in ordered:
            positions = order[bounds[g]:bounds[g + 1]]
            first = positions[0]
            key = datasets[first]
            same = positions[models[positions] == chosen[key]] if key in chosen else positions[:0]
            pool = positions[np.isin(models[positions], list(common.get(key, ())))]
            pos = int(same[0]) if same.size else _fallback_position(pool if pool.size else positions, energy, time,
                                                                    models)
            differs = key in chosen and not same.size
            chosen.setdefault(key, models[pos])
            ref_of_group[g] = pos
            fallback_group[g] = True
            dataset, configured = datasets[first], settings.references.get(str(datasets[first]))
            why = (f"reference model {configured!r} has no results here" if configured
                   else "no reference model is configured for this dataset")
            elsewhere = chosen[key] if differs else (
                configured if configured and bool((models[datasets == dataset] == configured).any()) else None)
            how = (f"; the dataset's other environments use {elsewhere!r}, so letters across them rest on "
                   f"different references" if elsewhere else " (median inference energy of the dataset, the same "
                                                              "model in every environment and for inference and "
                                                              "training)")
            message = (f"{dataset} / {tasks[first]} / {envs[first]}: {why}; using {models[pos]!r} as reference{how} - "
                       f"choose one with --reference {dataset}=MODEL or in {REFERENCES_FILE}")
            warnings.append(message)
            log.warning(message)
    return ref_of_group[codes], fallback_group[codes]


def _letter_probabilities(rated: pd.DataFrame, metric: Any, ref_pos: np.ndarray, rating: np.ndarray,
                          task_masks: dict[str, np.ndarray], settings: RatingSettings,
                          new: dict[str, np.ndarray]) -> np.ndarray:
    """Probabilities (rows x 5) of each letter of ``metric``; adds its stability and letter range to ``new``."""
    n = len(rated)
    centre, sigma = log_normal_parameters(rated[f"{metric.key}_low"].to_numpy(dtype="float64"),
                                          rated[f"{metric.key}_high"].to_numpy(dtype="float64"))
    sign = 1.0 if metric.higher_is_better else -1.0
    own = ref_pos == np.arange(n)  # the reference's index is 1 by definition
    index_centre = np.where(own, 0.0, sign * (centre - centre[ref_pos]))
    index_sigma = np.where(own, 0.0, np.hypot(sigma, sigma[ref_pos]))
    index = new[f"{metric.key}_index"]
    if not (index_sigma > 0).any():  # no spread anywhere (counted metrics, single runs): every letter is certain
        rated_rows = ~np.isnan(rating)
        probs = np.full((n, 5), np.nan)
        probs[rated_rows] = np.eye(5)[rating[rated_rows].astype(np.int64)]
        new[f"{metric.key}_stability"] = np.where(rated_rows, 1.0, np.nan)
        new[f"{metric.key}_letter_best"], new[f"{metric.key}_letter_worst"] = rating.copy(), rating.copy()
        new[f"{metric.key}_index_low"], new[f"{metric.key}_index_high"] = index.copy(), index.copy()
        return probs
    probs = np.full((n, 5), np.nan)
    for task, mask in task_masks.items():
        bounds = settings.boundaries.get(metric.scoped_key(task))
        if bounds is not None and mask.any():
            probs[mask] = letter_probabilities(index_centre[mask], index_sigma[mask], bounds, rating[mask])
    shown = np.where(np.isnan(rating), 0, rating).astype(np.int64)
    stability = np.take_along_axis(probs, shown[:, None], axis=1)[:, 0]
    new[f"{metric.key}_stability"] = np.where(np.isnan(rating), np.nan, stability)
    new[f"{metric.key}_letter_best"], new[f"{metric.key}_letter_worst"] = letter_range(probs, rating)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.where(index_sigma > 0, index_sigma, 0.0)
        low, high = np.exp(index_centre - _Z95 * spread), np.exp(index_centre + _Z95 * spread)
    new[f"{metric.key}_index_low"] = np.where(np.isnan(index), np.nan, np.fmin(low, index))
    new[f"{metric.key}_index_high"] = np.where(np.isnan(index), np.nan, np.fmax(high, index))
    return probs


def rate(table: pd.DataFrame, settings: RatingSettings | None = None, *, stability: bool = True) -> pd.DataFrame:
    """The aggregated table (:func:`mlee.results.aggregate_runs`) with indices and ratings added.

    Parameters
    ----------
    table : DataFrame
        The aggregated table.
    settings : RatingSettings, optional
        Boundaries, weights, references and mode (default: the package's).
    stability : bool
        Also compute each letter's stability and range (:mod:`mlee.rating.stability`).

    Returns
    -------
    DataFrame
        Adds, per metric key ``k``: ``k_low`` / ``k_high`` (95 % interval, :mod:`mlee.results.intervals`, when
        the table has none), ``k_index`` (float, NaN when missing) and ``k_rating`` (0..4 as float, NaN when
        unrated: missing value, missing reference value or no boundaries); with ``stability``,
        ``k_stability`` (probability that the letter is the one shown), ``k_letter_best`` /
        ``k_letter_worst`` (its range, 0..4) and ``k_index_low`` / ``k_index_high`` (the index's 95 % interval); the same for the compound letter (``compound_rating``,
        ``compound_stability``, ``compound_letter_best``, ``compound_letter_worst``); ``reference_model`` and
        ``reference_fallback``. ``attrs``: ``warnings`` (load and rating warnings), ``fingerprint``,
        ``rating_mode``.

    Examples
    --------
    >>> from mlee import RatingSettings, aggregate_runs, load_results, rate
    >>> from mlee.layout import SHIPPED_RESULTS
    >>> table = aggregate_runs(load_results(SHIPPED_RESULTS / "sklearn"))
    >>> rated = rate(table, RatingSettings.default(), stability=False)
    >>> set(rated["compound_rating"].dropna()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    True
    """
    settings = settings if settings is not None else RatingSettings.default()
    missing = [c for c in GROUP_KEYS + ["model"] if c not in table.columns]
    if missing:
        raise ValueError(f"rate needs the table of mlee.results.aggregate_runs; columns missing: "
                         f"{', '.join(missing)}")
    warnings: list[str] = list(table.attrs.get("warnings", []))
    rated = table.reset_index(drop=True)
    if not all(f"{m.key}{s}" in rated.columns for m in METRICS for s in INTERVAL_SUFFIXES):
        rated = add_intervals(rated)
    n = len(rated)
    ref_pos, fallback = _reference_positions(rated, settings, warnings) if n else (
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
    tasks = rated["task"].to_numpy(dtype=object)
    task_masks = {t: tasks == t for t in TASKS}
    new: dict[str, np.ndarray] = {}
    probs: dict[str, np.ndarray] = {}
    for metric in METRICS:
        values = (rated[metric.key].to_numpy(dtype="float64") if metric.key in rated.columns
                  else np.full(n, np.nan))
        index = index_values(values, values[ref_pos], metric.higher_is_better)
        for message in _unmeasured_reference_warnings(rated, ref_pos, metric.key, values, index):
            warnings.append(message)
            log.warning(message)
        rating = np.full(n, np.nan)
        for task, mask in task_masks.items():
            bounds = settings.boundaries.get(metric.scoped_key(task))
            if bounds is not None and mask.any():
                rating[mask] = ratings_from_indices(index[mask], bounds)
        new[f"{metric.key}_index"] = index
        new[f"{metric.key}_rating"] = rating
        if stability:
            probs[metric.key] = _letter_probabilities(rated, metric, ref_pos, rating, task_masks, settings, new)
    compound = np.full(n, np.nan)
    for task, mask in task_masks.items():
        if not mask.any():
            continue
        matrix = np.stack([new[f"{m.key}_rating"][mask] for m in METRICS], axis=1)
        weights = [settings.weight(m.scoped_key(task)) for m in METRICS]
        compound[mask] = compound_ratings(matrix, weights, settings.mode)
        used = [i for i, w in enumerate(weights) if w > 0]
        if stability and used:  # no weighted metric: no compound letter, so no stability either
            stacked = np.stack([probs[METRICS[i].key][mask] for i in used], axis=1)
            result = compound_stability(stacked, [weights[i] for i in used], settings.mode, compound[mask])
            for name, values in zip(("compound_stability", "compound_letter_best", "compound_letter_worst"), result):
                new.setdefault(name, np.full(n, np.nan))[mask] = values
    new["compound_rating"] = compound
    new["reference_model"] = rated["model"].to_numpy(dtype=object)[ref_pos] if n else np.array([], dtype=object)
    new["reference_fallback"] = fallback
    rated = pd.concat([rated, pd.DataFrame(new, index=rated.index)], axis=1)
    rated.attrs["warnings"] = warnings
    rated.attrs["fingerprint"] = settings.fingerprint()
    rated.attrs["rating_mode"] = settings.mode
    return rated
