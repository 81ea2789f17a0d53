"""The ELEx page: controls, plots, the selected model's tables and label, and the settings panel.

Component ids are the page's interface to callbacks and browser tests. Nothing here holds per-user data: the settings live in the ``settings``
store of each page, the view in the URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlee.extras import require

require("elex", "dash")
from dash import dcc, html

from mlee.elex.controls import mode_options
from mlee.elex.data import ExplorerData
from mlee.elex.figures import short_environment
from mlee.elex.state import View
from mlee.elex.uploads import MAX_UPLOAD_BYTES
from mlee.metrics import AXIS_METRICS_BY_KEY, TASK_DISPLAY, TASKS, is_rated


#: the theme the page's first figures are drawn in (a page that keeps the other one redraws them once)
FIRST_THEME = "light"

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
                "toImageButtonOptions": {"format": "svg", "filename": "elex"}}


def _field(label: str, control: Any, class_name: str = "") -> html.Div:
    return html.Div([html.Label(label, className="field-label"), control], className=f"field {class_name}".strip())


def _metric_options(keys: list[str]) -> list[dict[str, str]]:
    return [{"label": AXIS_METRICS_BY_KEY[key].name + ("" if is_rated(key) else " (not rated)"), "value": key}
            for key in keys]


def controls(data: ExplorerData, view: View) -> html.Div:
    """The view controls: dataset, task, environments, x and y metric, scale."""
    envs = data.environments_of(view.dataset, view.task)
    return html.Div(className="controls card", children=[
        _field("Dataset", dcc.Dropdown(id="dataset", options=[{"label": d, "value": k} for k, d in data.datasets],
                                       value=view.dataset, clearable=False), "w-dataset"),
        _field("Task", dcc.RadioItems(id="task", options=[{"label": TASK_DISPLAY[t], "value": t} for t in TASKS],
                                      value=view.task, inline=True, className="radio"), "w-task"),
        _field("Environments", dcc.Dropdown(
            id="environments", multi=True, clearable=False, value=envs,
            options=[{"label": short_environment(e), "value": e, "title": e} for e in envs]), "w-envs"),
        _field("X axis", dcc.Dropdown(id="x-metric", options=_metric_options(data.metric_keys), value=view.x,
                                      clearable=False),
               "w-metric"),
        _field("Y axis", dcc.Dropdown(id="y-metric", options=_metric_options(data.metric_keys), value=view.y,
                                      clearable=False),
               "w-metric"),
        _field("Scale", dcc.RadioItems(id="scale", options=[{"label": "Index", "value": "index"},
                                                            {"label": "Value", "value": "value"}],
                                       value=view.scale, inline=True, className="radio"), "w-scale"),
    ])


def _boundary_block(axis: str) -> html.Div:
    return html.Div(className="boundary-block", children=[
        html.Div([html.Span(f"{axis.upper()}: ", className="axis-tag"),
                  html.Span(id=f"boundary-{axis}-name", className="metric-name")], className="block-title"),
        html.Div(className="weight-row", children=[
            html.Label("Weight", htmlFor=f"weight-{axis}", className="field-label"),
            # no min/max: the browser would keep an out-of-range value from the server (no message);
            # every value reaches the settings callback, which refuses it with a message
            dcc.Input(id=f"weight-{axis}", type="number", step="any", debounce=True, className="weight-input"),
        ]),
        html.Label("Boundaries (index, log scale)", className="field-label"),
        dcc.RangeSlider(id=f"boundary-{axis}", min=-2, max=2, step=0.01, count=3, value=[-1, 0, 0.5, 1],
                        pushable=0.01, allow_direct_input=False, updatemode="mouseup", tooltip=None,
                        className="boundary-slider"),
        html.Div(id=f"boundary-{axis}-text", className="boundary-text"),
    ])


def settings_panel(modes: tuple[str, ...]) -> html.Section:
    """Rating settings of this page: mode, reference, weights and boundaries of the shown metrics."""
    upload_style = {"display": "inline-block"}
    # no accept/max_size on the uploads: the browser would drop such a file without a word; every file
    # reaches the size check (in the page) and the JSON check (on the server), each with its message
    return html.Section(className="card settings", children=[
        html.H2("Rating settings"),
        html.P("Only this browser tab sees these settings.", className="hint"),
        html.Div(className="settings-grid", children=[
            html.Div(className="settings-col", children=[
                _field("Rating mode", dcc.RadioItems(id="mode", options=mode_options(modes), value=modes[0],
                                                     className="mode-list")),
                _field("Reference model", dcc.Dropdown(id="reference", options=[], clearable=False)),
            ]),
            html.Div(className="settings-col", children=[_boundary_block("x")]),
            html.Div(className="settings-col", children=[_boundary_block("y")]),
        ]),
        html.Div(className="button-row settings-actions", children=[
            html.Button("Compute boundaries from the data", id="compute-boundaries", className="btn"),
            dcc.Upload(id="upload-boundaries", children=html.Button("Upload boundaries", className="btn"),
                       style=upload_style),
            dcc.Upload(id="upload-weights", children=html.Button("Upload weights", className="btn"),
                       style=upload_style),
            html.Button("Download boundaries", id="download-boundaries", className="btn btn-quiet"),
            html.Button("Download weights", id="download-weights", className="btn btn-quiet"),
            html.Button("Reset to defaults", id="reset-settings", className="btn btn-quiet"),
        ]),
        html.Div(id="settings-message", className="message", role="status"),
        dcc.Store(id="upload", data={"limit": MAX_UPLOAD_BYTES}),
    ])


def details_panel() -> html.Section:
    """The selected model: label, general information, downloads and the metric table."""
    return html.Section(className="card details", id="details", children=[
        html.Div(id="details-empty", className="hint", children="Hover a point to preview a model; click it to "
                                                                  "pin it here."),
        html.Div(id="details-body", className="details-body hidden", children=[
            html.Div(className="details-state", children=[
                html.Span(id="details-state"),
                html.Button("Unpin", id="unpin", className="btn btn-quiet hidden", title="unpin the model"),
            ]),
            html.Div(className="details-top", children=[
                html.Div(className="label-box", children=[
                    html.Img(id="label-img", alt="energy label (click to enlarge)", title="click to enlarge",
                             className="label-img"),
                    html.Div(id="label-note", className="hint"),
                ]),
                html.Div(className="info-box", children=[
                    html.Div(id="details-info"),
                    html.A("Method documentation", id="doc-link", href="#", target="_blank", rel="noopener",
                           className="doc-link"),
                ]),
            ]),
            html.Div(className="button-row downloads", children=[
                html.Button("Label (PDF)", id="download-label", className="btn"),
                html.Button("Label (SVG)", id="download-label-svg", className="btn"),
                html.Button("Summary (JSON)", id="download-summary", className="btn btn-quiet"),
                html.Button("Logs (JSON)", id="download-logs", className="btn btn-quiet"),
            ]),
            html.Div(id="details-metrics", className="table-wide"),
        ]),
    ])


#: at most this many load problems are listed in the page (the server log has them all)
MAX_LOAD_PROBLEMS = 50


def load_problems(warnings: list[str]) -> html.Details | html.Div:
    """What loading skipped or left out (truncated files, files that are not results, values not used), folded
    under one line at the top of the page; an empty ``Div`` when loading reported nothing."""
    if not warnings:
        return html.Div(id="load-problems", className="hidden")
    summary = f"{len(warnings)} problem(s) while loading the results (files skipped, values not used): show"
    items = [html.Li(w) for w in warnings[:MAX_LOAD_PROBLEMS]]
    if len(warnings) > MAX_LOAD_PROBLEMS:
        items.append(html.Li(f"... and {len(warnings) - MAX_LOAD_PROBLEMS} more (see the server log)"))
    return html.Details(id="load-problems", className="card load-problems", role="status",
                        children=[html.Summary(summary), html.Ul(items)])


def page(data: ExplorerData, view: View, default_store: dict[str, Any], modes: tuple[str, ...]) -> html.Div:
    """The whole page for ``data``, starting at ``view`` with ``default_store`` settings."""
    n_models = len(data.table)
    return html.Div(className="app", children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="settings", storage_type="memory", data=default_store),
        dcc.Store(id="selection", storage_type="memory"),
        dcc.Store(id="pin", storage_type="memory"),
        dcc.Store(id="theme", storage_type="memory", data=FIRST_THEME),
        dcc.Download(id="download"),
        html.Header(className="topbar", children=[
            html.Div([html.H1("ELEx"), html.Span("Energy Label Exploration", className="subtitle")],
                     className="brand"),
            html.Div(f"{n_models} rated results · {len(data.datasets)} datasets · "
                     f"{len(data.environments)} environment(s) · {Path(data.directory).name}",
                     className="source hint", title="results folder served"),
            html.Button("◐ Theme", id="theme-toggle", className="btn btn-quiet", title="switch light / dark"),
        ]),
        load_problems(data.load_warnings),
        controls(data, view),
        html.Div(className="grid", children=[
            html.Section(className="card plot-card", children=[
                dcc.Graph(id="scatter", config=GRAPH_CONFIG, className="scatter", clear_on_unhover=False,
                          style={"height": "clamp(360px, 70vh, 540px)"}),
                html.Div(id="scatter-legend", className="plot-legend"),
                html.Div(id="energy-note", className="hint energy-note", role="note"),
            ]),
            details_panel(),
            settings_panel(modes),
            html.Section(className="card bars-card", children=[
                dcc.Graph(id="bars", config={**GRAPH_CONFIG, "displayModeBar": False}, className="bars",
                          style={"height": "300px"}),
            ]),
        ]),
        html.Div(id="label-modal", className="modal hidden", role="dialog", **{"aria-modal": "true"}, children=[
            html.Div(id="label-modal-backdrop", className="modal-backdrop", n_clicks=0),
            html.Div(className="modal-panel", children=[
                html.Img(id="label-modal-img", alt="energy label (enlarged)", className="modal-img"),
                html.Div(className="button-row modal-actions", children=[
                    html.Button("Download PDF", id="modal-download-pdf", className="btn"),
                    html.Button("Download SVG", id="modal-download-svg", className="btn"),
                    html.Button("Close (Esc)", id="label-modal-close", className="btn btn-quiet"),
                ]),
            ]),
        ]),
    ])


def fill(root: Any, values: dict[str, dict[str, Any]]) -> Any:
    """``root`` with the properties ``values`` names set on the components of those ids (other ids: ignored).

    Parameters
    ----------
    root : dash component
        The page (or any part of it).
    values : dict
        Per component id, the properties to set and their values.

    Returns
    -------
    dash component
        ``root`` itself, changed in place.
    """
    pending = [root]
    while pending:
        node = pending.pop()
        props = values.get(getattr(node, "id", None)) if isinstance(getattr(node, "id", None), str) else None
        for prop, value in (props or {}).items():
            setattr(node, prop, value)
        children = getattr(node, "children", None)
        if isinstance(children, (list, tuple)):
            pending.extend(children)
        elif children is not None and hasattr(children, "to_plotly_json"):
            pending.append(children)
    return root
