"""What one ELEx page shows and with which rating settings: plain, JSON-able state, no Dash.

Two kinds of state live in the browser page, never in the server process:

- the *view* (dataset, task, x and y metric, scale) travels in the URL query string
  (``?dataset=credit-g&task=inference&x=power_draw&y=top1_val&scale=index``) so a view can be shared;
- the *settings* (rating mode, reference models, boundaries, weights) live in a ``dcc.Store`` of the
  page as a plain dict (:func:`default_settings_store`), turned into a
  :class:`mlee.rating.RatingSettings` per callback by :func:`settings_from_store`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from mlee.elex.request_guard import InvalidRequest
from mlee.metrics import AXIS_METRICS_BY_KEY, METRICS_BY_KEY, TASKS

SCALES: tuple[str, ...] = ("index", "value")
DEFAULT_X = "power_draw"
DEFAULT_Y = "top1_val"
#: the y axis of a regression dataset's view (a classification metric would show no point)
REGRESSION_Y = "r2_val"
SETTINGS_KEYS: tuple[str, ...] = ("mode", "references", "boundaries", "weights")


@dataclass(frozen=True)
class View:
    """The part of the page state that is kept in the URL.

    dataset: dataset key; task: ``inference`` or ``training``; x, y: metric keys without scope
    (``power_draw``); scale: ``index`` (relative to the reference model) or ``value`` (with units).
    """

    dataset: str
    task: str = "inference"
    x: str = DEFAULT_X
    y: str = DEFAULT_Y
    scale: str = "index"

    def query(self) -> str:
        """The URL query string of this view, with the leading ``?``."""
        return "?" + urlencode({"dataset": self.dataset, "task": self.task, "x": self.x, "y": self.y,
                                "scale": self.scale})


def parse_view(search: str | None, datasets: list[str], default: View) -> View:
    """The view a URL query string asks for; unknown or missing parts fall back to ``default``.

    ``datasets`` are the dataset keys the loaded results hold; an unknown dataset, task, metric or
    scale in the URL is ignored (the page then shows the default for that part).
    """
    if search is not None and not isinstance(search, str):
        raise InvalidRequest("The page address (url.search) must be text; reload the page.")
    params = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items() if v}
    view = default
    if params.get("dataset") in datasets:
        view = replace(view, dataset=params["dataset"])
    if params.get("task") in TASKS:
        view = replace(view, task=params["task"])
    if params.get("x") in AXIS_METRICS_BY_KEY:
        view = replace(view, x=params["x"])
    if params.get("y") in AXIS_METRICS_BY_KEY:
        view = replace(view, y=params["y"])
    if params.get("scale") in SCALES:
        view = replace(view, scale=params["scale"])
    return view


def axes_for_task(view: View, learning_task: str) -> View:
    """``view`` with every axis whose metric does not apply to ``learning_task`` replaced by that task's default
    quality metric (``r2_val`` for regression, ``top1_val`` for classification).

    Parameters
    ----------
    view : View
        The view asked for.
    learning_task : str
        ``"classification"`` or ``"regression"``: the learning task of the view's dataset.

    Returns
    -------
    View
    """
    fallback = REGRESSION_Y if learning_task == "regression" else DEFAULT_Y

    def fits(key: str) -> bool:
        metric = AXIS_METRICS_BY_KEY.get(key)
        return metric is None or learning_task in metric.learning_tasks

    return replace(view, x=view.x if fits(view.x) else fallback, y=view.y if fits(view.y) else fallback)


def default_settings_store() -> dict[str, Any]:
    """The package default settings (``mlee/data/*.json``) as the plain dict kept in the page."""
    from mlee.rating import RatingSettings

    return settings_to_store(RatingSettings.default())


def settings_to_store(settings: Any) -> dict[str, Any]:
    """A :class:`mlee.rating.RatingSettings` as a JSON-able dict (mode, references, boundaries, weights)."""
    return {
        "mode": settings.mode,
        "references": dict(settings.references),
        "boundaries": {k: [_plain(t) for t in v] for k, v in settings.boundaries.items()},
        "weights": {k: _plain(v) for k, v in settings.weights.items()},
    }


def _plain(number: Any) -> int | float:
    """A JSON number as is (an int stays an int, so fingerprints do not change in the round trip)."""
    return number if isinstance(number, (int, float)) else float(number)


def settings_from_store(store: dict[str, Any] | None) -> Any:
    """The :class:`mlee.rating.RatingSettings` a page's settings dict describes (defaults where absent)."""
    from mlee.rating import RatingSettings

    settings = RatingSettings.default()
    if not store:
        return settings
    try:
        changes = {k: store[k] for k in SETTINGS_KEYS if k in store and store[k] is not None}
        if "boundaries" in changes:
            changes["boundaries"] = {k: tuple(v) for k, v in changes["boundaries"].items()}
        return settings.replace(**changes) if changes else settings
    except (ValueError, TypeError, AttributeError, KeyError) as error:  # no page sends such a store
        raise InvalidRequest(f"The page's rating settings are not valid ({str(error)[:200]}); reload the page "
                             f"(Reset restores the defaults).") from None


def store_key(store: dict[str, Any] | None) -> str:
    """A short stable hash of a settings dict: the key of the server's cache of rated tables."""
    text = json.dumps(store or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def scoped(metric: str, task: str) -> str:
    """Scoped key of ``metric`` in ``task`` as in boundaries/weights files (``"inference power_draw"``)."""
    return AXIS_METRICS_BY_KEY[metric].scoped_key(task)
