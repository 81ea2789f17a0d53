"""Plotly figures of ELEx as plain dicts (no plotly import: faster start and faster callbacks).

- :func:`scatter_figure`: two metrics of one dataset and task, one trace per environment (its own
  marker symbol), points coloured by compound rating and labelled with the method's short name, over
  a 2-D grid of rating cells: cell (x rating, y rating) is coloured by the compound of those two
  ratings weighted equally in the page's rating mode (:data:`ZONE_RULE` says so in the legend), so
  both axes' boundaries show. Error bars on both axes are the 95 % intervals (:mod:`mlee.results.intervals`;
  of the index on the index scale). The pinned model is ringed. The legend is HTML beside the plot
  (:mod:`mlee.elex.legend`), so it never covers points.
- :func:`rating_bars_figure`: per environment, stacked bars of how many models got each rating.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from mlee.metrics import AXIS_METRICS_BY_KEY, RATING_COLOURS, RATING_LETTERS, Metric, is_rated, rating_letter
from mlee.rating.stability import letter_text
from mlee.units import MISSING, format_energy, format_grams, format_interval, format_number, format_value

SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "pentagon", "star", "hexagon",
                            "triangle-down", "cross", "x")
MISSING_COLOUR = "#9aa0a6"
UNIT_TITLES = {"J": "J", "s": "s", "B": "bytes", "FLOP": "FLOP", "#": "count", "%": "%", "score": "score", "g": "g"}
THEMES: dict[str, dict[str, str]] = {
    "light": {"font": "#1f2933", "grid": "rgba(31,41,51,0.10)", "outline": "#1f2933", "zone_opacity": "0.22"},
    "dark": {"font": "#e4e7eb", "grid": "rgba(228,231,235,0.14)", "outline": "#0f1419", "zone_opacity": "0.30"},
}

#: compound(ratings, weights) -> rating or None: how a zone's x and y ratings combine (the engine's mode)
Compound = Callable[[Sequence[int], Sequence[float]], "int | None"]
#: what a background cell's colour means (shown in the legend; {mode} is the page's rating mode)
ZONE_RULE = ("Background cell: the rating a model would get from the x and y ratings of that cell alone, "
             "weighted equally ({mode}). Point: the model's compound rating over all weighted metrics.")
#: ``meta`` of the one-marker trace that rings the pinned model: a marker is drawn at its data point on any axis
#: type (a layout shape's pixel offsets around a log-axis anchor drew an offset ellipse); the page moves it
#: with ``Plotly.restyle`` (:data:`mlee.elex.callbacks.RING_JS`)
PIN_META = "pinned"
#: radius of the ring, in pixels (it stays the same size at any zoom)
#: a view with more points than this shows them without their names beside them (they would overlap, and
#: drawing thousands of texts delays the first plot); the hover still names each
LABELLED_POINTS = 60
PIN_RADIUS_PX = 15
#: colour of the ring around points merged while ELEx runs (:func:`mlee.elex.live_data.mark_new`)
NEW_RING_COLOUR = "#d6336c"


def symbol_of(environment: str, environments: Sequence[str]) -> str:
    """Marker symbol of an environment: fixed by its position among all loaded environments."""
    try:
        position = list(environments).index(environment)
    except ValueError:
        position = 0
    return SYMBOLS[position % len(SYMBOLS)]


def short_environment(environment: str) -> str:
    """A shorter display form: ``"Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz - sklearn 1.1.2"`` ->
    ``"Intel Xeon W-2155 - sklearn 1.1.2"``."""
    text = re.sub(r"\((R|TM|r|tm)\)", "", environment)
    text = re.sub(r"\s+CPU\s*@\s*[\d.]+\s*GHz", "", text)
    text = re.sub(r"\s+@\s*[\d.]+\s*GHz", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def axis_values(rows: pd.DataFrame, metric: Metric, scale: str, suffix: str = "") -> pd.Series:
    """What a scale plots for ``metric``: the index, or the value in display units (% as 0..100); with
    ``suffix`` ``"_low"`` / ``"_high"`` the bound of its 95 % interval (NaN where the table has none). An unrated
    metric (:data:`mlee.metrics.UNRATED_METRICS`) has no index: its value on either scale."""
    indexed = scale == "index" and is_rated(metric.key)
    column = f"{metric.key}_index{suffix}" if indexed else f"{metric.key}{suffix}"
    if column not in rows:
        return pd.Series(float("nan"), index=rows.index)
    values = pd.to_numeric(rows[column], errors="coerce").astype(float)
    return values * 100.0 if scale != "index" and metric.unit == "%" else values


def error_bar(rows: pd.DataFrame, metric: Metric, scale: str, values: pd.Series) -> dict[str, Any]:
    """Plotly's asymmetric error bar of ``values`` from their 95 % intervals (invisible without them)."""
    low, high = axis_values(rows, metric, scale, "_low"), axis_values(rows, metric, scale, "_high")
    plus = (high - values).clip(lower=0).fillna(0.0)
    minus = (values - low).clip(lower=0).fillna(0.0)
    return {"type": "data", "symmetric": False, "array": plus.tolist(), "arrayminus": minus.tolist(),
            "visible": bool((plus > 0).any() or (minus > 0).any()), "thickness": 1.2, "width": 3}


def axis_title(metric: Metric, scale: str, reference: str | None) -> str:
    """Axis title: ``"Energy index (vs. RR)"``, ``"Energy [J]"`` or ``"CO2e [g] (not rated)"``."""
    if not is_rated(metric.key):
        return f"{metric.name} [{UNIT_TITLES.get(metric.unit, metric.unit)}] (not rated)"
    if scale == "index":
        return f"{metric.name} index" + (f" (relative to {reference})" if reference else "")
    return f"{metric.name} [{UNIT_TITLES.get(metric.unit, metric.unit)}]"


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def axis_layout(values: Sequence[float], extra: Sequence[float] = ()) -> tuple[str, list[float]]:
    """Axis type (``linear`` or ``log``) and range for ``values`` (plus nearby ``extra`` marks, e.g.
    thresholds). Log when all values are positive and span more than a factor of 30."""
    data = _finite(values) or [0.0, 1.0]
    lo, hi = min(data), max(data)
    log = lo > 0 and hi / lo > 30
    if log:
        near = [v for v in _finite(extra) if v > 0 and lo / 10 <= v <= hi * 10]
    else:
        span = (hi - lo) or abs(hi) or 1.0
        near = [v for v in _finite(extra) if lo - span / 2 <= v <= hi + span / 2]
    lo, hi = min([lo, *near]), max([hi, *near])
    if log:
        a, b = math.log10(lo), math.log10(hi)
        pad = max((b - a) * 0.08, 0.1)
        return "log", [a - pad, b + pad]
    span = hi - lo or abs(hi) * 0.2 or 1.0
    return "linear", [lo - span * 0.08, hi + span * 0.08]


def zone_intervals(metric: Metric, thresholds: Sequence[float], scale: str,
                   reference_value: float | None) -> list[tuple[float, float]] | None:
    """For ratings A..E, the interval of the axis (in plotted units) that gets that rating: on the index
    scale rating r is ``thresholds[r] < index <= thresholds[r-1]`` (open at the bottom end).

    On the index scale the thresholds are the interval ends. On the value scale they are turned into
    values with the reference model's value (index = value/ref for higher-is-better metrics, ref/value
    otherwise); None when that needs a reference value that is missing.
    """
    ends = [math.inf, *[float(t) for t in thresholds], -math.inf]  # index ends, descending
    if scale == "index":
        return [(ends[r + 1], ends[r]) for r in range(5)]
    if reference_value is None or not math.isfinite(reference_value) or reference_value <= 0:
        return None
    factor = 100.0 if metric.unit == "%" else 1.0

    def to_value(index: float) -> float:
        if metric.higher_is_better:
            return index * reference_value * factor if math.isfinite(index) else index
        if index == math.inf:
            return 0.0
        if index <= 0:
            return math.inf
        return reference_value / index * factor

    out = []
    for r in range(5):
        a, b = to_value(ends[r + 1]), to_value(ends[r])
        out.append((min(a, b), max(a, b)))
    return out


def _clamp(interval: tuple[float, float], axis_type: str, axis_range: Sequence[float]) -> tuple[float, float] | None:
    lo, hi = axis_range
    if axis_type == "log":
        lo, hi = 10 ** lo, 10 ** hi
    a, b = max(interval[0], lo), min(interval[1], hi)
    return (a, b) if a < b else None


def zone_shapes(x_zones: list[tuple[float, float]], y_zones: list[tuple[float, float]],
                x_axis: tuple[str, list[float]], y_axis: tuple[str, list[float]],
                compound: Compound, opacity: float) -> list[dict[str, Any]]:
    """Background rectangles: cell (rx, ry) coloured by ``compound([rx, ry], [1, 1])`` (both axes count
    equally, so the colour changes along both axes), with a thin white border that draws the grid."""
    shapes = []
    for rx, xi in enumerate(x_zones):
        xc = _clamp(xi, *x_axis)
        if xc is None:
            continue
        for ry, yi in enumerate(y_zones):
            yc = _clamp(yi, *y_axis)
            if yc is None:
                continue
            rating = compound([rx, ry], [1.0, 1.0])
            shapes.append({"type": "rect", "layer": "below", "xref": "x", "yref": "y",
                           "x0": xc[0], "x1": xc[1], "y0": yc[0], "y1": yc[1],
                           "fillcolor": MISSING_COLOUR if rating is None else RATING_COLOURS[int(rating)],
                           "opacity": opacity,
                           "line": {"width": 1, "color": "rgba(255,255,255,0.9)"}})
    return shapes


def tick_format(axis_type: str, axis_range: Sequence[float]) -> dict[str, Any]:
    """Plain numbers on the ticks (no SI prefixes such as "100µ" on a dimensionless index); a log axis
    spanning a decade or more labels whole decades only (not "2" and "5" inside each decade)."""
    out: dict[str, Any] = {"tickformat": "~g", "exponentformat": "none"}
    if axis_type == "log" and axis_range[1] - axis_range[0] >= 1:
        out["dtick"] = 1
    return out


def pin_trace(xs: Sequence[float], ys: Sequence[float], colour: str) -> dict[str, Any]:
    """The ring around the pinned model's point(s) at data coordinates ``xs``, ``ys`` (empty: nothing pinned):
    an open circle of :data:`PIN_RADIUS_PX` pixels, out of the legend and of hover and click events.

    Parameters
    ----------
    xs, ys : sequences of float
        Where the ring goes, in the axes' data units (one point per ringed point).
    colour : str
        The ring's colour (the theme's font colour).

    Returns
    -------
    dict
        A plotly scatter trace whose ``meta`` is :data:`PIN_META`.
    """
    return {"type": "scatter", "mode": "markers", "name": "pinned model", "meta": PIN_META,
            "x": list(xs), "y": list(ys), "hoverinfo": "skip", "showlegend": False, "cliponaxis": False,
            "marker": {"symbol": "circle-open", "size": 2 * PIN_RADIUS_PX, "color": colour,
                       "line": {"width": 3, "color": colour}}}


def _pin_trace(rows: pd.DataFrame, xs: pd.Series, ys: pd.Series, pinned: dict[str, str] | None,
               colour: str) -> dict[str, Any]:
    """The ring around the pinned model's point, if it is shown (an empty ring otherwise)."""
    if not pinned:
        return pin_trace([], [], colour)
    mask = ((rows["environment"] == pinned.get("environment")) & (rows["model"] == pinned.get("model"))
            & xs.notna() & ys.notna())
    return pin_trace(xs[mask].tolist(), ys[mask].tolist(), colour)


def _hover(row: Any, x: Metric, y: Metric) -> str:
    parts = [f"<b>{row['model']}</b>", short_environment(str(row["environment"]))]
    for metric in (x, y) if x.key != y.key else (x,):
        value = format_value(row.get(metric.key), metric.unit)
        if not is_rated(metric.key):
            parts.append(f"{metric.name}: {value} (not rated)")
            continue
        span = format_interval(row.get(f"{metric.key}_low"), row.get(f"{metric.key}_high"), metric.unit)
        index = row.get(f"{metric.key}_index")
        letter = letter_text(row.get(f"{metric.key}_rating"), row.get(f"{metric.key}_stability"),
                             row.get(f"{metric.key}_letter_best"), row.get(f"{metric.key}_letter_worst"))
        parts.append(f"{metric.name}: {value}" + (f" [95 %: {span}]" if "\u2013" in span else "")
                     + f" (index {format_number(index)}, {letter})")
    parts.append("Compound rating: " + letter_text(row.get("compound_rating"), row.get("compound_stability"),
                                                   row.get("compound_letter_best"), row.get("compound_letter_worst")))
    axes = {x.key, y.key}
    co2e = row.get("co2e_g")
    if co2e is not None and co2e == co2e and "co2e_g" not in axes:
        parts.append(f"CO2e: {format_grams(co2e)}")
    net = row.get("net_power_draw")
    if net is not None and net == net and "net_power_draw" not in axes:
        parts.append(f"Energy net of idle: {format_energy(net)}")
    if "fallback" in str(row.get("backend_status") or ""):
        parts.append("Backend fell back to stock scikit-learn for this method")
    if row.get("energy_estimated", False):
        parts.append("Energy estimated, not measured")
    if not row.get("energy_complete", True):
        parts.append("Energy INCOMPLETE: counters not read cleanly")
    return "<br>".join(parts)


def scatter_figure(rows: pd.DataFrame, x: str, y: str, scale: str, task: str,
                   boundaries: dict[str, Sequence[float]], compound: Compound,
                   environments: Sequence[str], theme: str = "light", reference_model: str | None = None,
                   reference_environment: str | None = None, uirevision: str = "",
                   pinned: dict[str, str] | None = None) -> dict[str, Any]:
    """The scatter plot of metric ``y`` over metric ``x`` for the rated ``rows`` of one dataset and task.

    ``environments`` is the list of all loaded environments (fixes each one's marker symbol);
    ``reference_environment`` is whose reference value places the zones on the value scale;
    ``pinned`` ({environment, model}) is the model the page has pinned: ringed by the trace after the
    environments' (:func:`pin_trace`, there also when nothing is pinned, so that the page can move it).
    """
    colours = THEMES.get(theme, THEMES["light"])
    mx, my = AXIS_METRICS_BY_KEY[x], AXIS_METRICS_BY_KEY[y]
    xs, ys = axis_values(rows, mx, scale), axis_values(rows, my, scale)
    x_thresholds = boundaries.get(mx.scoped_key(task))
    y_thresholds = boundaries.get(my.scoped_key(task))

    reference_short = None
    reference_row = None
    if reference_model is not None:
        ref_rows = rows[rows["model"] == reference_model]
        if reference_environment is not None:
            ref_rows = ref_rows[ref_rows["environment"] == reference_environment]
        if not ref_rows.empty:
            reference_row = ref_rows.iloc[0]
            reference_short = str(reference_row["model_short"])
        else:
            reference_short = reference_model

    def ref_value(metric: Metric) -> float | None:
        if reference_row is None:
            return None
        value = reference_row[metric.key]
        return float(value) if value is not None and value == value else None

    x_zones = zone_intervals(mx, x_thresholds, scale, ref_value(mx)) if x_thresholds else None
    y_zones = zone_intervals(my, y_thresholds, scale, ref_value(my)) if y_thresholds else None
    def marks(zones: list[tuple[float, float]] | None, metric: Metric) -> list[float]:
        ends = [v for zone in (zones or []) for v in zone]
        if scale == "value" and metric.unit == "%":
            ends = [v for v in ends if v <= 100.0]  # no share above 100 %
        return ends

    x_marks, y_marks = marks(x_zones, mx), marks(y_zones, my)
    x_axis = axis_layout(xs.tolist(), x_marks)
    y_axis = axis_layout(ys.tolist(), y_marks)

    traces: list[dict[str, Any]] = []
    shown = 0
    labelled = int((xs.notna() & ys.notna()).sum()) <= LABELLED_POINTS
    for env in [e for e in environments if e in set(rows["environment"])]:
        mask = (rows["environment"] == env) & xs.notna() & ys.notna()
        part = rows[mask]
        shown += len(part)
        symbol = symbol_of(env, environments)
        point_colours = [RATING_COLOURS[int(c)] if c == c and c is not None else MISSING_COLOUR
                         for c in part["compound_rating"]]
        traces.append({
            "type": "scatter", "mode": "markers+text" if labelled else "markers", "name": short_environment(env),
            "x": xs[mask].tolist(), "y": ys[mask].tolist(),
            "text": part["model_short"].astype(str).tolist() if labelled else None, "textposition": "top center",
            "textfont": {"color": colours["font"], "size": 12},
            "hovertext": [_hover(r, mx, my) for _, r in part.iterrows()], "hoverinfo": "text",
            "customdata": [[env, m] for m in part["model"].astype(str)],
            "marker": {"symbol": symbol, "size": 14, "color": point_colours,
                       "line": {"width": 1.2, "color": colours["outline"]}},
            "error_x": {**error_bar(part, mx, scale, xs[mask]), "color": colours["font"]},
            "error_y": {**error_bar(part, my, scale, ys[mask]), "color": colours["font"]},
            "showlegend": False,
        })
    shapes: list[dict[str, Any]] = []
    if x_zones and y_zones:
        shapes = zone_shapes(x_zones, y_zones, x_axis, y_axis, compound, float(colours["zone_opacity"]))
    traces.append(_pin_trace(rows, xs, ys, pinned, colours["font"]))

    def note(text: str, x_pos: float, anchor: str) -> dict[str, Any]:
        return {"text": text, "xref": "paper", "yref": "paper", "x": x_pos, "y": 0.01, "xanchor": anchor,
                "yanchor": "bottom", "showarrow": False, "font": {"size": 11, "color": colours["font"]},
                "bgcolor": "rgba(128,128,128,0.12)"}

    annotations = []
    if rows.empty:
        annotations.append(note("no results to show: choose at least one environment", 0.5, "center"))
    else:
        missing = len(rows) - shown
        if missing:
            lacking = " or ".join(m.short for m, v in ((mx, xs), (my, ys)) if v.isna().any())
            annotations.append(note(f"{missing} of {len(rows)} model(s) without {lacking} not shown", 0.99, "right"))
        unrated = [m.short for m in (mx, my) if not is_rated(m.key)]
        if unrated:
            annotations.append(note(f"{' and '.join(dict.fromkeys(unrated))}: not rated (no rating zones)",
                                    0.01, "left"))
        elif scale == "value" and (x_zones is None or y_zones is None):
            annotations.append(note("no rating zones: the reference model has no value here", 0.01, "left"))

    def axis(metric: Metric, layout: tuple[str, list[float]]) -> dict[str, Any]:
        return {"title": {"text": axis_title(metric, scale, reference_short)}, "type": layout[0],
                "range": layout[1], "gridcolor": colours["grid"], "zeroline": False,
                "linecolor": colours["grid"], "automargin": True, **tick_format(*layout),
                **({"tickformat": "~s"} if metric.unit == "g" else {})}  # grams CO2e: 600n, 1.2µ, not 6e-7

    return {"data": traces, "layout": {
        "xaxis": axis(mx, x_axis), "yaxis": axis(my, y_axis), "shapes": shapes, "annotations": annotations,
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": colours["font"], "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
        "margin": {"l": 60, "r": 16, "t": 16, "b": 50}, "hovermode": "closest", "clickmode": "event",
        "showlegend": False, "uirevision": uirevision,
    }}


def rating_bars_figure(rows: pd.DataFrame, environments: Sequence[str], theme: str = "light") -> dict[str, Any]:
    """Per environment (x), stacked bars of the number of models with each compound rating A..E."""
    colours = THEMES.get(theme, THEMES["light"])
    present = [e for e in environments if e in set(rows["environment"])]
    labels = [short_environment(e).replace(" - ", "<br>") for e in present]
    traces = []
    for r, letter in enumerate(RATING_LETTERS):
        counts = [int(((rows["environment"] == e) & (rows["compound_rating"] == r)).sum()) for e in present]
        traces.append({"type": "bar", "name": letter, "x": labels, "y": counts,
                       "marker": {"color": RATING_COLOURS[r], "line": {"width": 0.5, "color": colours["outline"]}},
                       "hovertemplate": f"{letter}: %{{y}} model(s)<extra></extra>"})
    unrated = [int(((rows["environment"] == e) & rows["compound_rating"].isna()).sum()) for e in present]
    if any(unrated):
        traces.append({"type": "bar", "name": MISSING, "x": labels, "y": unrated,
                       "marker": {"color": MISSING_COLOUR}, "hovertemplate": "unrated: %{y}<extra></extra>"})
    return {"data": traces, "layout": {
        "barmode": "stack", "bargap": 0.45, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": colours["font"], "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
        "yaxis": {"title": {"text": "models"}, "gridcolor": colours["grid"], "dtick": 1 if len(rows) <= 12 else None,
                  "rangemode": "tozero"},
        "xaxis": {"tickfont": {"size": 10}, "automargin": True},
        "margin": {"l": 50, "r": 10, "t": 28, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
        "title": {"text": "Compound ratings per environment", "font": {"size": 13}, "x": 0.01, "y": 0.99,
                  "yanchor": "top"},
        "showlegend": True,
    }}
