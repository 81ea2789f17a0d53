"""The two tables of a selected model, as rows of strings (testable) and as Dash HTML.

- general information: task, dataset, model, environment (with a backend fallback), compound rating and its
  stability, reference (marked when a fallback), mode, runs, energy source (marked when estimated), CO2e and net
  energy where recorded;
- every metric under a heading row of its group: value with unit (± std over runs), 95 % interval, index,
  rating and its stability (with the letters it could be), weight, measured or estimated.
"""

from __future__ import annotations

import math
from typing import Any

from mlee.catalog import model_display
from mlee.metrics import METRICS, RATING_COLOURS, TASK_DISPLAY, rating_letter
from mlee.rating.stability import letter_text, range_text
from mlee.units import MISSING, format_energy, format_grams, format_interval, format_number, format_value



def info_rows(summary: Any) -> list[tuple[str, str]]:
    """(caption, text) rows of the general-information table of a ModelSummary."""
    energy = summary.energy_sources or MISSING
    if summary.energy_estimated:
        energy = f"{energy} (estimated)" if "estimat" not in energy.lower() else energy
    if not summary.energy_complete:
        energy = f"{energy} - INCOMPLETE: {summary.energy_quality or 'counters not read cleanly'}"
    status = getattr(summary, "backend_status", "")
    backend = summary.environment + (" - fell back to stock scikit-learn for this method" if "fallback" in status
                                     else "")
    rows = [
        ("Task", TASK_DISPLAY.get(summary.task, summary.task)),
        ("Dataset", summary.dataset_display),
        ("Model", model_display(summary.model, summary.model_short)),
        ("Environment", backend),
        ("Compound rating", rating_letter(summary.compound_rating)),
        ("Stability", sureness_text(summary.compound_rating, summary.compound_stability,
                                    summary.compound_letter_best, summary.compound_letter_worst)),
        ("Reference model", (summary.reference_model or MISSING)
         + (" (fallback: the configured reference has no results here)" if summary.reference_fallback else "")),
        ("Rating mode", summary.rating_mode),
        ("Runs", str(summary.n_runs) + (" (one run: no spread)" if summary.n_runs == 1 else "")),
        ("Energy source", energy),
    ]
    if summary.co2e_g is not None:
        rows.append(("CO2e", format_grams(summary.co2e_g) + (f" ({summary.carbon_country})"
                                                            if summary.carbon_country else "")))
    if summary.net_energy_j is not None:
        rows.append(("Energy net of idle", format_energy(summary.net_energy_j)))
    return rows


def sureness_text(rating: Any, stability: Any, best: Any, worst: Any) -> str:
    """``"62 % that it is C; it could be B-D"`` (``"certain"``), ``n.a.`` when unknown."""
    if rating is None or stability is None or stability != stability:
        return MISSING
    text = letter_text(rating, stability, best, worst)
    return "certain" if stability >= 1 else text


def spread_digits(value: float, spread: float, digits: int = 3) -> int:
    """Significant digits of ``spread`` that stop at the last digit shown of ``value`` (itself at ``digits``):
    97.9 % ± 0.3 %, not ± 0.257 %. At least one digit."""
    try:
        finer = math.floor(math.log10(abs(float(value)))) - math.floor(math.log10(abs(float(spread))))
    except (TypeError, ValueError):
        return digits
    return max(1, min(digits, digits - finer))


def _unbroken(text: str) -> str:
    """A number and its unit kept on one line (no-break space): a narrow table wraps before "±" only."""
    return text.replace(" ", "\u00a0")


def _has_value(metric: Any) -> bool:
    return metric is not None and metric.value is not None and metric.value == metric.value


def provenance(metric: Any) -> str:
    """``measured``, ``estimated`` or ``n.a.`` (no value) for one MetricSummary."""
    if not _has_value(metric):
        return MISSING
    word = "estimated" if metric.estimated else "measured"
    return word if metric.complete else f"{word} (incomplete)"


def metric_rows(summary: Any) -> list[dict[str, Any]]:
    """One dict per metric (in metric-table order): name, group, value, index, rating (letter and 0..4 or
    None), weight and provenance, all formatted for display. The optional metrics (robustness, calibration,
    latency) are left out when the result has none of them (results measured before them show the table they
    always had); otherwise a missing one shows as "n.a." (e.g. calibration of a model without probabilities).
    Only the metrics of the summary's learning task are listed (a regressor's R^2, RMSE and MAE, a classifier's
    accuracy, F1 ...)."""
    rows = []
    has_optional = any(_has_value(summary.metrics.get(m.key)) for m in METRICS if m.optional)
    learning_task = getattr(summary, "learning_task", "classification")
    for metric in METRICS:
        m = summary.metrics.get(metric.key)
        value = None if m is None else m.value
        if (metric.optional and not has_optional) or learning_task not in metric.learning_tasks:
            continue
        text = _unbroken(format_value(value, metric.unit))
        if m is not None and m.std is not None and m.std == m.std and text != MISSING and m.std > 0:
            text += f" ± {_unbroken(format_value(m.std, metric.unit, spread_digits(value, m.std)))}"
        rating = None if m is None or m.rating is None or m.rating != m.rating else int(m.rating)
        interval = "" if m is None or text == MISSING else format_interval(m.low, m.high, metric.unit)
        rows.append({
            "key": metric.key, "name": metric.name, "group": metric.group, "value": text,
            "interval": interval if "\u2013" in interval else MISSING,  # none shown without a spread
            "stability": MISSING if m is None or m.stability is None else f"{m.stability:.0%}"
            + (f" ({range_text(m.letter_best, m.letter_worst)})" if m.letter_best != m.letter_worst else ""),
            "index": format_number(None if m is None else m.index), "rating": rating,
            "letter": rating_letter(rating), "weight": format_number(0.0 if m is None else m.weight),
            "provenance": provenance(m),
        })
    return rows


def _badge(rating: int | None) -> Any:
    from dash import html

    if rating is None:
        return html.Span(MISSING, className="rating-badge rating-na")
    return html.Span(rating_letter(rating), className=f"rating-badge rating-{rating}",
                     style={"backgroundColor": RATING_COLOURS[rating]})


def info_table(summary: Any) -> Any:
    """The general-information table as Dash HTML."""
    from dash import html

    body = []
    for caption, text in info_rows(summary):
        if caption == "Compound rating":
            cell = html.Td(_badge(summary.compound_rating))
        elif caption == "Energy source" and (summary.energy_estimated or not summary.energy_complete):
            tags = [html.Span(word, className=f"tag tag-{word}") for word, on in
                    (("estimated", summary.energy_estimated), ("incomplete", not summary.energy_complete)) if on]
            cell = html.Td([text, " ", *tags])
        else:
            cell = html.Td(text)
        body.append(html.Tr([html.Th(caption, scope="row"), cell]))
    return html.Table(html.Tbody(body), className="info-table", id="info-table")


def metrics_table(summary: Any) -> Any:
    """The table of every metric as Dash HTML."""
    from dash import html

    head = html.Thead(html.Tr([html.Th("Metric"), html.Th("Value", title="under it: the 95 % interval"),
                               html.Th("Index"), html.Th("Rating", title="under it: how sure the letter is"),
                               html.Th("Weight"), html.Th("Source")]))
    body = []
    group = None
    for row in metric_rows(summary):
        if row["group"] != group:  # a heading row per group (Complexity, Quality, Resources, Robustness)
            group = row["group"]
            body.append(html.Tr(html.Th(group, colSpan=6, scope="rowgroup"), className="group-row"))
        source = row["provenance"]
        source_cell = html.Span(source, className=f"tag tag-{source.split(' ')[0].replace('.', '')}")
        interval = [html.Br(), html.Small(row["interval"], className="interval")] if row["interval"] != MISSING else []
        stability = [html.Br(), html.Small(row["stability"], className="stability")] \
            if row["stability"] != MISSING else []
        body.append(html.Tr([html.Td(row["name"]), html.Td([row["value"], *interval], className="num"),
                             html.Td(row["index"], className="num"), html.Td([_badge(row["rating"]), *stability]),
                             html.Td(row["weight"], className="num"), html.Td(source_cell)],
                            className="weighted" if row["weight"] not in ("0", MISSING) else "unweighted"))
    return html.Table([head, html.Tbody(body)], className="metrics-table", id="metrics-table")
