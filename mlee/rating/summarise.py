"""Turn rows of the rated table into :class:`~mlee.rating.summary.ModelSummary` records (label, ELEx, paper)."""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd

from mlee.catalog import method_doc_url
from mlee.metrics import METRICS
from mlee.rating.settings import RatingSettings
from mlee.rating.summary import MetricSummary, ModelSummary

log = logging.getLogger(__name__)


def _opt_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _opt_int(value: Any) -> int | None:
    number = _opt_float(value)
    return None if number is None else int(number)


def _summary(row: dict[str, Any], settings: RatingSettings) -> ModelSummary:
    task = str(row["task"])
    metrics: dict[str, MetricSummary] = {}
    for metric in METRICS:
        metrics[metric.key] = MetricSummary(
            key=metric.key,
            value=_opt_float(row.get(metric.key)),
            index=_opt_float(row.get(f"{metric.key}_index")),
            rating=_opt_int(row.get(f"{metric.key}_rating")),
            weight=settings.weight(metric.scoped_key(task)),
            std=_opt_float(row.get(f"{metric.key}_std")),
            estimated=bool(row.get("energy_estimated", False)) if metric.key == "power_draw" else False,
            complete=bool(row.get("energy_complete", True)) if metric.key == "power_draw" else True,
        )
    reference = row.get("reference_model")
    return ModelSummary(
        model=str(row["model"]),
        model_short=str(row.get("model_short") or row["model"]),
        dataset=str(row["dataset"]),
        dataset_display=str(row.get("dataset_display") or row["dataset"]),
        task=task,
        environment=str(row["environment"]),
        compound_rating=_opt_int(row.get("compound_rating")),
        rating_mode=settings.mode,
        fingerprint=settings.fingerprint(),
        reference_model=None if reference is None or reference != reference else str(reference),
        energy_sources=str(row.get("energy_sources") or "n.a."),
        energy_estimated=bool(row.get("energy_estimated", False)),
        energy_complete=bool(row.get("energy_complete", True)),
        energy_quality=str(row.get("energy_quality") or ""),
        n_test_samples=_opt_int(row.get("n_test_samples")),
        n_runs=_opt_int(row.get("n_runs")) or 1,
        doc_url=method_doc_url(str(row["model"])),
        metrics=metrics,
    )


def _check_settings(rated: pd.DataFrame, settings: RatingSettings) -> None:
    fingerprint, mode = rated.attrs.get("fingerprint"), rated.attrs.get("rating_mode")
    if fingerprint is not None and (fingerprint != settings.fingerprint() or mode != settings.mode):
        log.warning("the table was rated with settings %s/%s but is summarised with %s/%s; call rate() again "
                    "with these settings", fingerprint, mode, settings.fingerprint(), settings.mode)


def summarise(rated: pd.DataFrame, settings: RatingSettings, *, dataset: str, task: str, environment: str,
              model: str) -> ModelSummary:
    """The summary of one model on one (dataset, task, environment) of the table of :func:`mlee.rating.rate`.

    Raises KeyError naming the available choices when there is no such row.
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
    return _summary(rows.iloc[0].to_dict(), settings)


def summaries(rated: pd.DataFrame, settings: RatingSettings) -> list[ModelSummary]:
    """Summaries of every row of the rated table, in table order."""
    _check_settings(rated, settings)
    return [_summary(row, settings) for row in rated.to_dict("records")]
