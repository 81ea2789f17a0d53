"""What a label says, as plain text: every string and rating of the label, derived from a ModelSummary.

This module decides the wording and the numbers; :mod:`mlee.label.drawing` decides where they go.
All numbers go through :mod:`mlee.units` (the formatter shared with ELEx and the paper tables), so a
missing value prints as ``"n.a."`` and values are rounded (not truncated) to 3 significant digits.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from mlee.catalog import method_doc_url
from mlee.metrics import METRICS, TASK_DISPLAY, get_metric, rating_letter
from mlee.rating.summary import MetricSummary, ModelSummary
from mlee.rating.stability import is_borderline, range_text
from mlee.units import (MISSING, format_count, format_duration, format_energy, format_grams, format_interval,
                        format_number, format_percent, is_missing)

#: joins a number and its unit on the label: never a line break between them (:func:`mlee.label.drawing.wrap_text`)
NO_BREAK = "\u00a0"



@dataclass(frozen=True)
class TileLine:
    """One value line of a tile: a caption, the formatted value, and the metric's rating (0..4 or None)."""

    caption: str
    value: str
    rating: int | None = None
    rated: bool = False  # True when this line carries a rating chip (the line of a rated metric)


@dataclass(frozen=True)
class Tile:
    """One of the metric tiles: four, and a fifth (robustness) when the result has robustness values.

    kind: pictogram to draw (``energy``, ``time``, ``quality``, ``complexity``, ``robustness``).
    rating: the rating that colours the pictogram: that of the tile's first metric with a rating.
    """

    kind: str
    title: str
    lines: tuple[TileLine, ...]
    rating: int | None


@dataclass(frozen=True)
class LabelContent:
    """All text of one label, top to bottom."""

    model: str
    model_short: str
    task: str
    dataset: str
    compound_rating: int | None
    compound_letter: str
    compound_sureness: str
    environment: str
    doc_url: str
    tiles: tuple[Tile, ...]
    energy_sources: str
    rating_line: str
    fingerprint_line: str
    issue_line: str
    title: str = field(default="")


def _metric(summary: ModelSummary, key: str) -> MetricSummary:
    return summary.metrics.get(key) or MetricSummary(key=key, value=None)


def _value(metric: MetricSummary) -> float | None:
    value = metric.value
    if is_missing(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _rating(metric: MetricSummary) -> int | None:
    """The metric's rating 0..4; None when unrated or when its value is missing (nothing to rate)."""
    rating = metric.rating
    if rating is None or (isinstance(rating, float) and math.isnan(rating)) or _value(metric) is None:
        return None
    return int(rating)


def _per_sample(total: float | None, n_samples: int | None) -> float | None:
    if total is None or n_samples is None or is_missing(n_samples) or n_samples <= 0:
        return None
    return total / float(n_samples)


def energy_estimated(summary: ModelSummary) -> bool:
    """True when the energy shown is an estimate (flag of the summary or of the energy metric)."""
    return bool(summary.energy_estimated or _metric(summary, "power_draw").estimated)


def energy_incomplete(summary: ModelSummary) -> bool:
    """True when some run's energy counters were not read cleanly (or read 0 J, below their resolution)."""
    return not (summary.energy_complete and _metric(summary, "power_draw").complete)


def energy_title(summary: ModelSummary) -> str:
    """Title of the energy tile: ``"Energy"``, with ``(estimated)`` and/or ``(incomplete)`` marks."""
    marks = [word for word, on in (("estimated", energy_estimated(summary)),
                                   ("incomplete", energy_incomplete(summary))) if on]
    return f"Energy ({', '.join(marks)})" if marks else "Energy"


def _tile_rating(lines: tuple[TileLine, ...]) -> int | None:
    for line in lines:
        if line.rated and line.rating is not None:
            return line.rating
    return None


def sureness(stability: float | None, best: int | None, worst: int | None) -> str:
    """How sure a letter is, compactly: ``"62 % sure, B-D"`` (``"100 % sure"``); ``""`` when unknown."""
    if stability is None or stability != stability:
        return ""
    span = range_text(best, worst)
    return f"{stability:.0%} sure" + (f", {span}" if len(span) > 1 else "")


def _total_caption(metric: MetricSummary, unit: str, n_runs: int) -> str:
    """``"Total, 95 %: 2.1 mJ–210 mJ"`` (one run without an interval: ``"Total (1 run)"``), and the letter's range
    where it is borderline."""
    span = format_interval(metric.low, metric.high, unit) if _value(metric) is not None else ""
    caption = f"Total, 95 %: {span}" if "\u2013" in span else "Total" + (" (1 run)" if n_runs == 1 else "")
    if is_borderline(metric.stability):
        caption += f"; letter {range_text(metric.letter_best, metric.letter_worst)}"
    return caption


def _resource_tile(summary: ModelSummary, key: str, kind: str, title: str, formatter) -> Tile:
    metric = _metric(summary, key)
    total = _value(metric)
    unit = get_metric(key).unit
    lines = [TileLine(_total_caption(metric, unit, summary.n_runs), formatter(total), _rating(metric), True)]
    if summary.task == "inference":
        per_sample = _per_sample(total, summary.n_test_samples)
        lines.append(TileLine("Per sample", formatter(per_sample)))
    tile_lines = tuple(lines)
    return Tile(kind, title, tile_lines, _tile_rating(tile_lines))


def is_regression(summary: ModelSummary) -> bool:
    """True when ``summary`` is a regressor's (its quality tile shows R^2 and RMSE)."""
    return getattr(summary, "learning_task", "classification") == "regression"


def _regression_quality_tile(summary: ModelSummary) -> Tile:
    r2, rmse = _metric(summary, "r2_val"), _metric(summary, "rmse_val")
    lines = (
        TileLine(get_metric("r2_val").short, format_number(_value(r2)), _rating(r2), True),
        TileLine(get_metric("rmse_val").short, format_number(_value(rmse)), _rating(rmse), True),
    )
    return Tile("quality", "Quality", lines, _tile_rating(lines))


def _quality_tile(summary: ModelSummary) -> Tile:
    if is_regression(summary):
        return _regression_quality_tile(summary)
    f1 = _metric(summary, "f1_val")
    accuracy = _metric(summary, "top1_val")
    if _value(accuracy) is None and _value(_metric(summary, "top5_val")) is not None:
        accuracy = _metric(summary, "top5_val")
    lines = (
        TileLine(get_metric("f1_val").short, format_percent(_value(f1)), _rating(f1), True),
        TileLine(get_metric(accuracy.key).short, format_percent(_value(accuracy)), _rating(accuracy), True),
    )
    return Tile("quality", "Quality", lines, _tile_rating(lines))


def _complexity_tile(summary: ModelSummary) -> Tile:
    params = _metric(summary, "parameters")
    flops = _metric(summary, "flops")
    lines = (
        TileLine("Parameters", format_count(_value(params)), _rating(params), True),
        TileLine("FLOPs / sample", format_count(_value(flops)), _rating(flops), True),
    )
    return Tile("complexity", "Complexity", lines, _tile_rating(lines))


def has_robustness(summary: ModelSummary) -> bool:
    """True when ``summary`` holds any robustness or calibration value (results measured before have none)."""
    return any(_value(_metric(summary, m.key)) is not None for m in METRICS if m.group == "Robustness")


def _robustness_tile(summary: ModelSummary) -> Tile:
    """The fifth tile: relative accuracy drop under noise and calibration error (n.a. without probabilities)."""
    drop = _metric(summary, "noise_drop")
    ece = _metric(summary, "ece")
    lines = (
        TileLine(get_metric("noise_drop").short, format_percent(_value(drop)), _rating(drop), True),
        TileLine(get_metric("ece").short, format_percent(_value(ece)), _rating(ece), True),
    )
    return Tile("robustness", "Robustness", lines, _tile_rating(lines))


def sources_line(summary: ModelSummary) -> str:
    """``"Energy: CPU package + DRAM (RAPL), measured"`` or ``"..., estimated"``; says when the counters were not
    read cleanly (``INCOMPLETE``) or the energy was not measurable."""
    sources = summary.energy_sources or MISSING
    if _value(_metric(summary, "power_draw")) is None:
        if energy_incomplete(summary):
            return f"Energy sources: {sources}; not measurable (below the counter's resolution, unreadable or a counter fault)"
        return f"Energy sources: {sources}"
    text = f"Energy sources: {sources}, {'estimated' if energy_estimated(summary) else 'measured'}"
    text += "; INCOMPLETE: counters not read cleanly" if energy_incomplete(summary) else ""
    return text + recorded_line(summary)


def recorded_line(summary: ModelSummary) -> str:
    """What the runs recorded beside the energy: ``"; 1.2 mg CO2e (DEU); 8 mJ net of idle"``, ``""`` without (a
    number and its unit joined by :data:`NO_BREAK`, so that wrapping keeps them on one line)."""
    text = ""
    if not is_missing(summary.co2e_g) and summary.co2e_g is not None:
        text += (f"; {format_grams(summary.co2e_g).replace(' ', NO_BREAK)} CO2e"
                 + (f" ({summary.carbon_country})" if summary.carbon_country else ""))
    if not is_missing(summary.net_energy_j) and summary.net_energy_j is not None:
        text += f"; {format_energy(summary.net_energy_j).replace(' ', NO_BREAK)} net of idle"
    return text


def backend_note(summary: ModelSummary) -> str:
    """``" - fell back to stock scikit-learn"`` when the accelerated backend did not run this method."""
    status = summary.backend_status
    if "fallback" in status or status == "mixed":
        return " - fell back to stock scikit-learn" if status == "fallback" else " - partly stock scikit-learn"
    return ""


def label_content(summary: ModelSummary, issue_date: datetime.date) -> LabelContent:
    """Every text and rating on the label of ``summary``, issued on ``issue_date``."""
    if summary.task not in TASK_DISPLAY:
        raise ValueError(f"summary of {summary.model!r} has task {summary.task!r}; a label needs "
                         f"'inference' or 'training'")
    tiles = (
        _resource_tile(summary, "power_draw", "energy", energy_title(summary), format_energy),
        _resource_tile(summary, "time", "time", "Running time", format_duration),
        _quality_tile(summary),
        _complexity_tile(summary),
    ) + ((_robustness_tile(summary),) if has_robustness(summary) else ())
    compound = summary.compound_rating
    if compound is not None and (isinstance(compound, float) and math.isnan(compound)):
        compound = None
    task = TASK_DISPLAY[summary.task]
    reference = summary.reference_model or MISSING
    if summary.reference_fallback:
        reference += " (fallback reference)"
    runs = f"{summary.n_runs} run" + ("" if summary.n_runs == 1 else "s")
    return LabelContent(
        model=summary.model,
        model_short=summary.model_short,
        task=task,
        dataset=summary.dataset_display or summary.dataset,
        compound_rating=None if compound is None else int(compound),
        compound_letter=rating_letter(compound),
        compound_sureness=sureness(summary.compound_stability, summary.compound_letter_best,
                                   summary.compound_letter_worst) if compound is not None else "",
        environment=(summary.environment or MISSING) + backend_note(summary),
        doc_url=summary.doc_url or method_doc_url(summary.model),
        tiles=tiles,
        energy_sources=sources_line(summary),
        rating_line=f"Rating: {summary.rating_mode}, relative to {reference} ({runs})",
        fingerprint_line=f"Boundaries + weights: {summary.fingerprint or MISSING}",
        issue_line=f"Issued {issue_date.isoformat()}",
        title=f"Energy label: {summary.model} ({task}) on {summary.dataset_display or summary.dataset}",
    )
