"""Turn rows of the rated table into :class:`~mlee.rating.summary.ModelSummary` records (label, ELEx, paper)."""

from __future__ import annotations

import logging
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from mlee.catalog import method_doc_url
from mlee.metrics import METRICS
from mlee.rating.settings import RatingSettings
from mlee.results.bulk import collector_paused
from mlee.rating.summary import MetricSummary, ModelSummary

log = logging.getLogger(__name__)

#: per-metric columns beyond the value and std that a MetricSummary holds, in its field order, with their kinds
_PER_METRIC_EXTRA: tuple[tuple[str, type], ...] = (("_low", float), ("_high", float), ("_stability", float),
                                                   ("_letter_best", int), ("_letter_worst", int))
_PER_METRIC = ("_index", "_rating", "_std", *(suffix for suffix, _ in _PER_METRIC_EXTRA))
_COMPOUND = ("compound_stability", "compound_letter_best", "compound_letter_worst")


def _number_columns(rated: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """The ``columns`` of ``rated`` as float arrays (NaN where missing or not a number), taken out in one block."""
    frame = rated.reindex(columns=columns)
    try:
        block = frame.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):  # a column holding something else than numbers: those cells become NaN
        block = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return {column: block[:, j] for j, column in enumerate(columns)}


def _python(values: np.ndarray, kind: type) -> list[Any]:
    """``values`` as Python ``kind`` (float or int) values, None for NaN (vectorised)."""
    present = ~np.isnan(values)
    out = np.full(len(values), None, dtype=object)
    out[present] = values[present].tolist() if kind is float else values[present].astype(np.int64).tolist()
    return out.tolist()


def _column(rated: pd.DataFrame, column: str, default: Any) -> list[Any]:
    return rated[column].tolist() if column in rated.columns else [default] * len(rated)


def _summaries(rated: pd.DataFrame, settings: RatingSettings) -> list[ModelSummary]:
    """One :class:`ModelSummary` per row of ``rated``, built column by column (20,000 rows in ~0.3 s)."""
    n = len(rated)
    fingerprint, mode = settings.fingerprint(), settings.mode
    tasks = [str(t) for t in rated["task"].tolist()]
    models = [str(m) for m in rated["model"].tolist()]
    estimated = [bool(v) for v in _column(rated, "energy_estimated", False)]
    complete = [bool(v) for v in _column(rated, "energy_complete", True)]
    weights = {task: {m.key: settings.weight(m.scoped_key(task)) for m in METRICS} for task in set(tasks)}
    keys = [m.key for m in METRICS]
    numbers = _number_columns(rated, [f"{key}{suffix}" for key in keys for suffix in ("", *_PER_METRIC)]
                              + ["compound_rating", "n_test_samples", "n_runs", *_COMPOUND, "co2e_g", "net_power_draw"])
    per_metric = []  # per metric: its MetricSummary of every row (built by map, not a Python loop per cell)
    for key in keys:
        power = key == "power_draw"
        per_metric.append(list(map(
            MetricSummary, repeat(key, n), _python(numbers[key], float), _python(numbers[f"{key}_index"], float),
            _python(numbers[f"{key}_rating"], int), [weights[t][key] for t in tasks],
            _python(numbers[f"{key}_std"], float), estimated if power else repeat(False, n),
            complete if power else repeat(True, n),
            *(_python(numbers[f"{key}{suffix}"], kind) for suffix, kind in _PER_METRIC_EXTRA))))
    doc_urls = {model: method_doc_url(model) for model in set(models)}
    compound, n_test, n_runs = (_python(numbers[c], int) for c in ("compound_rating", "n_test_samples", "n_runs"))
    stability, best, worst = (_python(numbers[c], kind) for c, kind in zip(_COMPOUND, (float, int, int)))
    co2e, net = (_python(numbers[c], float) for c in ("co2e_g", "net_power_draw"))
    countries, statuses = _column(rated, "carbon_country", ""), _column(rated, "backend_status", "")
    fallbacks = [bool(v) for v in _column(rated, "reference_fallback", False)]
    shorts = _column(rated, "model_short", None)
    displays = _column(rated, "dataset_display", None)
    references = _column(rated, "reference_model", None)
    sources = _column(rated, "energy_sources", None)
    qualities = _column(rated, "energy_quality", None)
    datasets = [str(v) for v in rated["dataset"].tolist()]
    learning_tasks = [str(v or "classification") for v in _column(rated, "learning_task", "classification")]
    environments = [str(v) for v in rated["environment"].tolist()]
    out = []
    for i, row_metrics in enumerate(zip(*per_metric)):
        model, reference = models[i], references[i]
        out.append(ModelSummary(
            model=model, model_short=str(shorts[i] or model), dataset=datasets[i],
            dataset_display=str(displays[i] or datasets[i]), task=tasks[i], environment=environments[i],
            compound_rating=compound[i], rating_mode=mode, fingerprint=fingerprint,
            reference_model=None if reference is None or reference != reference else str(reference),
            energy_sources=str(sources[i] or "n.a."), energy_estimated=estimated[i],
            energy_complete=complete[i], energy_quality=str(qualities[i] or ""), n_test_samples=n_test[i],
            n_runs=n_runs[i] or 1, doc_url=doc_urls[model], metrics=dict(zip(keys, row_metrics)),
            compound_stability=stability[i], compound_letter_best=best[i], compound_letter_worst=worst[i],
            co2e_g=co2e[i], net_energy_j=net[i], carbon_country=str(countries[i] or ""),
            backend_status=str(statuses[i] or ""), reference_fallback=fallbacks[i],
            learning_task=learning_tasks[i]))
    return out


def _check_settings(rated: pd.DataFrame, settings: RatingSettings) -> None:
    fingerprint, mode = rated.attrs.get("fingerprint"), rated.attrs.get("rating_mode")
    if fingerprint is not None and (fingerprint != settings.fingerprint() or mode != settings.mode):
        log.warning("the table was rated with settings %s/%s but is summarised with %s/%s; call rate() again "
                    "with these settings", fingerprint, mode, settings.fingerprint(), settings.mode)


def summarise(rated: pd.DataFrame, settings: RatingSettings, *, dataset: str, task: str, environment: str,
              model: str) -> ModelSummary:
    """The summary of one model on one (dataset, task, environment) of the table of :func:`mlee.rating.rate`.

    Parameters
    ----------
    rated : DataFrame
        The table of :func:`mlee.rating.rate`.
    settings : RatingSettings
        The settings it was rated with.
    dataset, task, environment, model : str
        The row to summarise (``task``: ``"inference"`` or ``"training"``).

    Returns
    -------
    ModelSummary
        Every figure a label or report shows: the compound letter (0 = A .. 4 = E), its stability, and
        per metric its value, index, letter and interval.

    Raises
    ------
    KeyError
        No such row; the message names the available choices.

    Examples
    --------
    >>> from mlee import RatingSettings, aggregate_runs, load_results, rate, summarise
    >>> from mlee.layout import SHIPPED_RESULTS
    >>> settings = RatingSettings.default()
    >>> rated = rate(aggregate_runs(load_results(SHIPPED_RESULTS / "sklearn")), settings)
    >>> row = rated.iloc[0]
    >>> summary = summarise(rated, settings, dataset=row["dataset"], task=row["task"],
    ...                     environment=row["environment"], model=row["model"])
    >>> summary.model == row["model"], "ABCDE"[summary.compound_rating] in "ABCDE"
    (True, True)
    """
    _check_settings(rated, settings)
    mask = ((rated["dataset"] == dataset) & (rated["task"] == task) & (rated["environment"] == environment)
            & (rated["model"] == model))
    rows = rated[mask]
    if rows.empty:
        group = rated[(rated["dataset"] == dataset) & (rated["task"] == task)]
        choices = sorted(set(zip(group["environment"].astype(str), group["model"].astype(str))))
        hint = "; available (environment, model): " + ", ".join(f"({e}, {m})" for e, m in choices[:20]) \
            if choices else f"; datasets with results: {', '.join(sorted(rated['dataset'].astype(str).unique()))}"
        raise KeyError(f"no rated result for model {model!r} on {dataset!r} ({task}, {environment!r}){hint}")
    return _summaries(rows.iloc[:1], settings)[0]


def summaries(rated: pd.DataFrame, settings: RatingSettings) -> list[ModelSummary]:
    """Summaries of every row of the rated table, in table order."""
    _check_settings(rated, settings)
    with collector_paused():
        return _summaries(rated, settings)
