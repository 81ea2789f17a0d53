"""The settings controls of the page: boundary sliders (log10 of index thresholds), their text, and how
control values are merged into a page's settings store. Plain functions; no callbacks here."""

from __future__ import annotations

import copy
import math
from typing import Any

from mlee.extras import require

require("elex", "dash")
from dash import html

from mlee.errors import MleeError
from mlee.elex.state import scoped
from mlee.metrics import RATING_COLOURS, RATING_LETTERS, is_rated, scoped_title

SLIDER_LIMIT = 6.0  # boundary sliders span at most 10^-6 .. 10^6


class SettingError(MleeError, ValueError):
    """A settings control holds a value that cannot be used; the message is meant for the page."""


def slider_state(thresholds: list[float] | None, indices: list[float],
                 default: list[float] | None = None) -> dict[str, Any]:
    """min, max, marks and value (ascending log10 of the descending thresholds) of a boundary slider.

    The range covers the data's indices and the default thresholds (plus 15 % of that span each side,
    0.05 to 0.5 decades) and reaches out just far enough for current thresholds beyond that; it does not
    grow when a handle is dragged to its end. Fine steps (0.001) on narrow ranges, 0.01 on wide ones.
    """
    values = [math.log10(t) for t in (thresholds or []) if t and t > 0]
    data = [math.log10(v) for v in indices if v is not None and v == v and v > 0]
    fixed = [math.log10(t) for t in (default or []) if t and t > 0]
    span = data + fixed or values or [-1.0, 1.0]
    margin = min(max((max(span) - min(span)) * 0.15, 0.05), 0.5)
    lo = max(min([min(span) - margin, *values]), -SLIDER_LIMIT)
    hi = min(max([max(span) + margin, *values]), SLIDER_LIMIT)
    lo, hi = math.floor(lo * 1000) / 1000, math.ceil(hi * 1000) / 1000
    marks = _log_marks(lo, hi)
    value = sorted(min(max(v, lo), hi) for v in values) if len(values) == 4 else [lo, lo, hi, hi]
    step = 0.01 if hi - lo > 1 else 0.001
    return {"min": lo, "max": hi, "marks": marks, "value": [round(v, 3) for v in value], "step": step}


def _log_marks(lo: float, hi: float) -> dict[float, dict[str, str]]:
    """Slider marks (positions are log10 of the index): whole decades on wide ranges, else ~5 round values."""
    from mlee.units import format_number

    if hi - lo >= 2:
        step = max(1, math.ceil((hi - lo) / 6))
        return {k: {"label": f"{10.0 ** k:g}"} for k in range(math.ceil(lo), math.floor(hi) + 1, step)}
    marks = {}
    for i in range(5):
        value = float(format_number(10 ** (lo + (hi - lo) * (i + 0.5) / 5), 2))
        marks[round(math.log10(value), 4)] = {"label": format_number(value, 2)}
    return marks


def thresholds_from_slider(value: list[float]) -> list[float]:
    """Descending index thresholds from a slider value (ascending log10), rounded to 4 significant digits."""
    out = []
    for v in sorted(value, reverse=True):
        t = 10.0 ** float(v)
        out.append(float(f"{t:.4g}"))
    return out


def boundary_text(thresholds: list[float] | None) -> Any:
    """``A > 1.71 ≥ B > 1 ≥ C ...`` with coloured letters: the engine's rule, an index exactly on a
    threshold gets the worse rating (:func:`mlee.rating.ratings_from_indices`, as in the study's code)."""
    from mlee.units import format_number

    if not thresholds:
        return html.Span("no boundaries for this metric", className="hint")
    parts: list[Any] = []
    for r, letter in enumerate(RATING_LETTERS):
        parts.append(html.Span(letter, className=f"rating-badge small rating-{r}",
                               style={"backgroundColor": RATING_COLOURS[r]}))
        if r < 4:
            parts.append(html.Span(f" > {format_number(thresholds[r])} ≥ ", className="threshold"))
    return parts


#: one line per rating mode, shown where the mode is chosen
MODE_HELP: dict[str, str] = {
    "optimistic median": "weighted median of the ratings; a tie goes to the better one",
    "pessimistic median": "weighted median; a tie goes to the worse one",
    "optimistic mean": "weighted mean, rounded towards A",
    "pessimistic mean": "weighted mean, rounded towards E",
    "best": "the best rating of the weighted metrics",
    "worst": "the worst rating of the weighted metrics",
    "majority": "the rating with the most weight (a tie goes to the better one)",
    "published median": "the study's rule, often one step better than the weighted median",
}
#: the mode that gives the letters of the publication
PUBLISHED_MODE = "published median"


def mode_options(modes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Radio options of the rating modes, each with its one-line explanation; the published one marked."""
    options = []
    for mode in modes:
        mark = [html.Span("reproduces the publication", className="tag tag-published")] if mode == PUBLISHED_MODE else []
        options.append({"value": mode, "label": html.Span(className="mode-option", children=[
            html.B(mode), " ", *mark, html.Span(f" {MODE_HELP.get(mode, '')}", className="hint")])})
    return options


SETTING_CONTROLS = ("mode", "reference", "weight-x", "weight-y", "boundary-x", "boundary-y")
_LOG_TOLERANCE = 0.004  # slider positions are log10 rounded to 3 decimals: smaller moves are rounding


def merge_controls(store: dict[str, Any], trigger: str, values: dict[str, Any], dataset: str, task: str,
                   x: str, y: str, models: list[str]) -> dict[str, Any]:
    """``store`` updated with every settings control whose value differs from it, the ``trigger`` last.

    Taking all controls (not only the one that fired) keeps a change whose answer was still in flight
    when the next control moved: the page sends the newer request with the older store.
    Raises SettingError (message for the page) when the ``trigger`` weight box holds a value that is not
    a number of 0 or more; the message names the metric, the value and the weight still in use. The weight and
    boundaries of an axis showing an unrated metric (CO2e, net energy) are left out: it has none.
    """
    store = copy.deepcopy(store)
    order = [c for c in SETTING_CONTROLS if c != trigger] + [trigger]
    for control in order:
        value = values.get(control)
        if control == "mode":
            if value:
                store["mode"] = value
        elif control == "reference":
            if value in models:
                store.setdefault("references", {})[dataset] = value
        elif not is_rated(x if control.endswith("-x") else y):
            continue
        elif control in ("weight-x", "weight-y"):
            key = scoped(x if control == "weight-x" else y, task)
            if not _valid_weight(value):
                if control == trigger:
                    shown = "an empty box" if value in (None, "") else repr(value)
                    raise SettingError(f"Weight of {scoped_title(key)}: {shown} is not allowed; a weight is a number of 0 or "
                                       f"more (0 leaves the metric out of the compound rating). Still using "
                                       f"{store.get('weights', {}).get(key, 0)}.")
                continue
            store.setdefault("weights", {})[key] = float(value)
        elif control in ("boundary-x", "boundary-y"):
            key = scoped(x if control == "boundary-x" else y, task)
            if not value or len(value) != 4:
                continue
            new = thresholds_from_slider(value)
            old = store.get("boundaries", {}).get(key)
            if control == trigger or old is None or len(old) != 4 or any(
                    t <= 0 or abs(math.log10(a) - math.log10(t)) > _LOG_TOLERANCE for a, t in zip(new, old)):
                store.setdefault("boundaries", {})[key] = new
    return store


def _valid_weight(value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(number) and number >= 0
