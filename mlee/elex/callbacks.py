"""ELEx callbacks. Every callback computes its answer from the data of the request (the page's settings
store, control values, URL): the server keeps no per-user state, so sessions cannot affect each other.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pandas as pd
from mlee.extras import require

require("elex", "dash")
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from mlee.elex import downloads
from mlee.elex.data import ExplorerData
from mlee.elex.live_data import LiveData, mark_new
from mlee.elex.controls import SETTING_CONTROLS, SettingError, boundary_text, merge_controls, slider_state
from mlee.elex.figures import PIN_META, rating_bars_figure, scatter_figure, short_environment
from mlee.elex.legend import scatter_legend
from mlee.elex.state import View, axes_for_task, parse_view, scoped
from mlee.elex.tables import info_table, metrics_table
from mlee.elex.uploads import UploadError, parse_upload
from mlee.metrics import UNRATED_METRICS, scoped_title
from mlee.rating.boundaries import merge_partial
from mlee.results.energy import comparability_note, incomplete_note

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------------ helpers
def zone_compound(mode: str) -> Any:
    """compound(ratings, weights) of the rating engine in ``mode``, for the background zones."""
    from mlee.rating import compound_rating

    def compound(ratings: list[int], weights: list[float]) -> int | None:
        return compound_rating(ratings, weights, mode)

    return compound


def label_svg_src(data: ExplorerData, store: dict[str, Any], summary: Any) -> tuple[str | None, str]:
    """(data URL of the label SVG or None, note for the page)."""
    try:
        src = data.label_src(store, summary)
    except ImportError as error:  # the label package is optional for browsing tables
        log.warning("label unavailable: %s", error)
        return None, "Label unavailable: the label package could not be imported."
    note = "Energy estimated, not measured (see the label)." if summary.energy_estimated else ""
    return src, note


def point_of(event: dict[str, Any] | None) -> dict[str, str] | None:
    """{environment, model} of the point of a plotly click or hover event (None for other traces)."""
    custom = ((event or {}).get("points") or [{}])[0].get("customdata")
    return {"environment": custom[0], "model": custom[1]} if custom else None


def energy_note(rows: pd.DataFrame) -> str:
    """What the shown energies cannot say: estimates beside measurements, counters not read cleanly."""
    if rows.empty:
        return ""
    complete = rows["energy_complete"] if "energy_complete" in rows else pd.Series(True, index=rows.index)
    estimated = rows["energy_estimated"].astype(bool)
    notes = [comparability_note(estimated.tolist()),
             ESTIMATED_NOTE if estimated.all() else "",
             incomplete_note(int((~complete.astype(bool)).sum()))]
    if "backend_status" in rows:
        fell = rows[rows["backend_status"].astype(str).str.contains("fallback")]
        if not fell.empty:
            notes.append("Backend fallback: " + "; ".join(
                f"{', '.join(sorted(set(group['model_short'].astype(str))))} on {env}"
                for env, group in fell.groupby("environment")) + " ran stock scikit-learn.")
    return " ".join(n for n in notes if n)


#: the main view's note when every energy shown is an estimate
ESTIMATED_NOTE = ("Every energy shown is estimated (no energy counter could be read): the energy letters follow "
                  "running time and CPU use, and the error bars show the estimate's error (0.46-1.29x).")


def view_rows(rated: pd.DataFrame, dataset: str, task: str, environments: list[str] | None) -> pd.DataFrame:
    """Rows of the rated table shown for one dataset, task and set of environments."""
    mask = (rated["dataset"] == dataset) & (rated["task"] == task)
    if environments is not None:
        mask &= rated["environment"].isin(environments)
    return rated[mask]


def _metric_indices(rated: pd.DataFrame, dataset: str, task: str, metric: str) -> list[float]:
    rows = view_rows(rated, dataset, task, None)
    if f"{metric}_index" not in rows:  # an unrated metric (CO2e, net energy): no index, no slider range
        return []
    return pd.to_numeric(rows[f"{metric}_index"], errors="coerce").dropna().astype(float).tolist()


# ------------------------------------------------------------------------------------------------ page side
#: clientside: a click on a model's point pins it ({environment, model}, as :func:`point_of` reads it), Unpin
#: clears the pin; hovering never changes it
PIN_JS = """
function(click, unpin) {
    var fired = (window.dash_clientside.callback_context.triggered || []).map(function(t) { return t.prop_id; });
    if (fired.indexOf('unpin.n_clicks') >= 0) { return null; }
    var point = ((click || {}).points || [{}])[0] || {};
    var custom = point.customdata;
    return custom ? {environment: custom[0], model: custom[1]} : window.dash_clientside.no_update;
}
"""

#: clientside: the ring (the trace whose meta is :data:`~mlee.elex.figures.PIN_META`, as the server draws it) moved
#: onto the pinned model's point with ``Plotly.restyle`` (the figure is not sent back). The plot drawn is read, after
#: every draw too (a plot redrawn while a click was on its way is ringed); nothing changes when the ring is right
RING_JS = """
function(pin, figure) {
    var gd = document.querySelector('#scatter .js-plotly-plot');
    window.__elexPin = pin;
    var ring = function() {
        if (!gd || !gd.data || !window.Plotly) { return; }
        var index = -1, xs = [], ys = [], pinned = window.__elexPin;
        gd.data.forEach(function(trace, t) {
            if (trace.meta === '%s') { index = t; return; }
            (pinned ? trace.customdata || [] : []).forEach(function(c, i) {
                if (c[0] === pinned.environment && c[1] === pinned.model && trace.x[i] != null && trace.y[i] != null) {
                    xs.push(trace.x[i]); ys.push(trace.y[i]);
                }
            });
        });
        if (index < 0) { return; }
        var now = gd.data[index];
        if (JSON.stringify([now.x || [], now.y || []]) !== JSON.stringify([xs, ys])) {
            window.Plotly.restyle(gd, {x: [xs], y: [ys]}, [index]);
        }
    };
    if (gd && gd.on && !gd.__elexRing) { gd.__elexRing = true; gd.on('plotly_afterplot', ring); }
    ring();
    return window.dash_clientside.no_update;
}
""" % PIN_META

#: clientside: an axis showing an unrated metric (CO2e, net energy) has no weight or boundaries to set: its
#: controls are disabled (weight x, boundaries x, weight y, boundaries y)
UNRATED_JS = """
function(x, y) {
    var unrated = %s;
    var ux = unrated.indexOf(x) >= 0, uy = unrated.indexOf(y) >= 0;
    return [ux, ux, uy, uy];
}
""" % json.dumps([m.key for m in UNRATED_METRICS])


def _control_title(scoped_key: str) -> str:
    """The heading of an axis's weight and boundaries: the metric's name, ``(not rated)`` for an unrated one."""
    unrated = scoped_key.partition(" ")[2] in {m.key for m in UNRATED_METRICS}
    return scoped_title(scoped_key) + (" (not rated: no weight or boundaries)" if unrated else "")


def asked_view(data: ExplorerData, search: str | None, default: View) -> View:
    """The view a page address's query (``?dataset=...``) asks for, with the quality axes of its dataset's
    learning task; ``default`` for what the query leaves out or names wrongly (:func:`parse_view`)."""
    wanted = parse_view(search, data.dataset_keys(), default)
    return axes_for_task(wanted, data.learning_task_of(wanted.dataset))


#: the components and properties :func:`view_figures` fills, in its order
FIGURE_OUTPUTS: tuple[tuple[str, str], ...] = (
    ("scatter", "figure"), ("bars", "figure"), ("scatter-legend", "children"), ("energy-note", "children"))


def view_figures(data: LiveData, store: dict[str, Any], default_store: dict[str, Any], dataset: str, task: str,
                 environments: list[str] | None, x: str, y: str, scale: str | None, theme: str | None,
                 pinned: dict[str, str] | None) -> tuple[Any, ...]:
    """The plots of a view, one value per entry of :data:`FIGURE_OUTPUTS`: the scatter (ringing ``pinned``), the
    rating bars, the scatter's legend and the note on estimated energy."""
    rated = data.rated(store)
    rows = view_rows(rated, dataset, task, environments or [])
    shown_envs = [e for e in data.environments if e in set(environments or [])]
    reference = None
    if not rows.empty:
        refs = rows["reference_model"].dropna()
        reference = str(refs.iloc[0]) if not refs.empty else None
    reference = reference or store.get("references", {}).get(dataset)
    mode = store.get("mode", default_store["mode"])
    scatter = scatter_figure(
        rows, x, y, scale or "index", task, store.get("boundaries", {}), zone_compound(mode),
        data.environments, theme or "light", reference_model=reference,
        reference_environment=shown_envs[0] if shown_envs else None,
        uirevision=f"{dataset}|{task}|{x}|{y}|{scale}", pinned=pinned)
    bars = rating_bars_figure(rows, data.environments, theme or "light")
    new = data.new_models(dataset, task)
    shown_new = {(e, m) for e, m in new if e in set(shown_envs)}
    return (mark_new(scatter, new), bars,
            scatter_legend(shown_envs, data.environments, mode, len(shown_new)), energy_note(rows))


def first_view(data: LiveData, view: View, store: dict[str, Any], theme: str) -> dict[str, dict[str, Any]]:
    """What the page's layout carries for ``view`` so that its first plot needs no callback: per component id,
    the properties to set (the environments shown and :data:`FIGURE_OUTPUTS` in ``theme``)."""
    envs = data.environments_of(view.dataset, view.task)
    values: dict[str, dict[str, Any]] = {"environments": {"value": envs}}
    drawn = view_figures(data, store, store, view.dataset, view.task, envs, view.x, view.y, view.scale, theme, None)
    for (component, prop), value in zip(FIGURE_OUTPUTS, drawn):
        values.setdefault(component, {})[prop] = value
    return values


# ------------------------------------------------------------------------------------------------ register
def register_callbacks(app: Dash, data: LiveData, default_view: View, default_store: dict[str, Any]) -> None:
    """Attach all callbacks of the page to ``app``."""
    # -------------------------------------------------------------------------------- URL <-> view
    @app.callback(
        Output("dataset", "value"), Output("task", "value"), Output("x-metric", "value"),
        Output("y-metric", "value"), Output("scale", "value"), Output("url", "search"),
        Input("url", "search"), Input("dataset", "value"), Input("task", "value"), Input("x-metric", "value"),
        Input("y-metric", "value"), Input("scale", "value"),
    )
    def sync_url(search, dataset, task, x, y, scale):
        current = View(dataset, task, x, y, scale)
        if ctx.triggered_id == "dataset":  # another dataset may be of another learning task: its quality axes
            wanted = axes_for_task(current, data.learning_task_of(dataset))
            if wanted != current:
                return no_update, no_update, wanted.x, wanted.y, no_update, no_update
        if ctx.triggered_id in (None, "url"):
            wanted = asked_view(data, search, default_view)  # reloads may add datasets
            # unknown parameters or values leave the address bar: it shows the view the page shows
            canonical = wanted.query() if search and search != wanted.query() else no_update
            if wanted == current:
                return (no_update,) * 5 + (canonical,)
            return wanted.dataset, wanted.task, wanted.x, wanted.y, wanted.scale, canonical
        query = current.query()
        return (no_update,) * 5 + (query if query != search else no_update,)

    # -------------------------------------------------------------------------------- environments
    @app.callback(
        Output("environments", "options"), Output("environments", "value"),
        Input("dataset", "value"), Input("task", "value"), Input("results-version", "data"),
        prevent_initial_call=True,
    )
    def environments(dataset, task, _version):
        """A new dataset or task, or reloaded results, shows all of its environments again."""
        available = data.environments_of(dataset, task)
        options = [{"label": short_environment(e), "value": e, "title": e} for e in available]
        return options, available

    # -------------------------------------------------------------------------------- settings
    @app.callback(
        Output("settings", "data"), Output("mode", "value"), Output("reference", "options"),
        Output("reference", "value"), Output("weight-x", "value"), Output("weight-y", "value"),
        Output("boundary-x", "min"), Output("boundary-x", "max"), Output("boundary-x", "marks"),
        Output("boundary-x", "value"), Output("boundary-x", "step"), Output("boundary-y", "step"),
        Output("boundary-y", "min"), Output("boundary-y", "max"),
        Output("boundary-y", "marks"), Output("boundary-y", "value"), Output("boundary-x-text", "children"),
        Output("boundary-y-text", "children"), Output("boundary-x-name", "children"),
        Output("boundary-y-name", "children"), Output("settings-message", "children"),
        Output("settings-message", "className"), Output("upload", "data"),
        Input("dataset", "value"), Input("task", "value"), Input("x-metric", "value"), Input("y-metric", "value"),
        Input("mode", "value"), Input("reference", "value"), Input("weight-x", "value"), Input("weight-y", "value"),
        Input("boundary-x", "value"), Input("boundary-y", "value"), Input("compute-boundaries", "n_clicks"),
        Input("reset-settings", "n_clicks"), Input("upload", "data"), State("settings", "data"),
    )
    def settings(dataset, task, x, y, mode, reference, weight_x, weight_y, slider_x, slider_y, _compute, _reset,
                 upload, store):
        original = store or default_store
        store = copy.deepcopy(original)
        trigger = ctx.triggered_id
        message, message_class = "", "message"
        try:
            if trigger in SETTING_CONTROLS:
                store = merge_controls(store, trigger, {
                    "mode": mode, "reference": reference, "weight-x": weight_x, "weight-y": weight_y,
                    "boundary-x": slider_x, "boundary-y": slider_y}, dataset, task, x, y, data.models_of(dataset))
            elif trigger == "compute-boundaries":
                from mlee.rating import compute_boundaries

                rated = data.rated(store)
                computed = compute_boundaries(rated)
                store["boundaries"] = {**store.get("boundaries", {}),
                                       **{k: [float(t) for t in v] for k, v in computed.items()}}
                message = (f"Boundaries computed from the 80/60/40/20 % quantiles of the indices of all "
                           f"{len(rated)} results.")
            elif trigger == "reset-settings":
                store = copy.deepcopy(default_store)
                message = "Settings reset to the package defaults."
            elif trigger == "upload" and upload and upload.get("kind"):
                if upload.get("error"):  # refused in the page (too large): the file never came here
                    raise UploadError(upload["error"])
                kind, name = upload["kind"], upload.get("name")
                loaded = parse_upload(upload.get("contents"), name, kind)
                message = f"Loaded {kind} of {len(loaded)} metrics from {name}."
                if kind == "boundaries":
                    store[kind], note = merge_partial(loaded, store.get(kind, {}), name or "the file",
                                                      "their current thresholds")
                    store[kind] = {k: list(v) for k, v in store[kind].items()}
                    message += f" {note[0].upper()}{note[1:]}." if note else ""
                else:
                    store[kind] = {**store.get(kind, {}), **loaded}
            elif mode and mode != store.get("mode"):  # a view change: keep a mode chosen meanwhile
                store["mode"] = mode
        except (UploadError, SettingError) as error:  # raised before the store is touched: it stays as it was
            store = copy.deepcopy(original)
            message, message_class = str(error), "message error"
        store_changed = store != original
        if message and message_class == "message":
            message_class = "message ok"

        rated = data.rated(store)
        references = store.get("references", {})
        models = data.models_of(dataset)
        ref_value = references.get(dataset)
        xs, ys = scoped(x, task), scoped(y, task)
        bx = store.get("boundaries", {}).get(xs)
        by = store.get("boundaries", {}).get(ys)
        defaults = default_store.get("boundaries", {})
        sx = slider_state(bx, _metric_indices(rated, dataset, task, x), defaults.get(xs))
        sy = slider_state(by, _metric_indices(rated, dataset, task, y), defaults.get(ys))
        weights = store.get("weights", {})
        return (
            store if store_changed else no_update, store.get("mode"), models, ref_value,
            weights.get(xs, 0.0), weights.get(ys, 0.0),
            sx["min"], sx["max"], sx["marks"], sx["value"], sx["step"], sy["step"],
            sy["min"], sy["max"], sy["marks"], sy["value"],
            boundary_text(bx), boundary_text(by), _control_title(xs), _control_title(ys), message, message_class,
            {"limit": upload.get("limit")} if trigger == "upload" and upload else no_update,
        )

    # -------------------------------------------------------------------------------- figures
    # not fired when the page loads: the layout comes with the first view's figures (first_view)
    @app.callback(
        *(Output(component, prop) for component, prop in FIGURE_OUTPUTS),
        Input("settings", "data"), Input("dataset", "value"), Input("task", "value"),
        Input("environments", "value"), Input("x-metric", "value"), Input("y-metric", "value"),
        Input("scale", "value"), Input("theme", "data"), Input("results-version", "data"), State("pin", "data"),
        prevent_initial_call=True,
    )
    def figures(store, dataset, task, environments, x, y, scale, theme, _version, pinned):
        """The plots of the view. A click only moves the ring (in the page, :data:`RING_JS`): the pin is read
        here so that a redrawn plot rings the pinned model from the start, but it does not redraw the plots."""
        return view_figures(data, store or default_store, default_store, dataset, task, environments, x, y,
                            scale, theme, pinned)

    # -------------------------------------------------------------------------------- selection
    # a click pins in the page (no round trip): the selection callback then asks for the details
    app.clientside_callback(PIN_JS, Output("pin", "data"), Input("scatter", "clickData"),
                            Input("unpin", "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(RING_JS, Output("scatter", "figure", allow_duplicate=True), Input("pin", "data"),
                            Input("scatter", "figure"), prevent_initial_call=True)
    app.clientside_callback(UNRATED_JS, Output("weight-x", "disabled"), Output("boundary-x", "disabled"),
                            Output("weight-y", "disabled"), Output("boundary-y", "disabled"),
                            Input("x-metric", "value"), Input("y-metric", "value"))

    @app.callback(
        Output("selection", "data"), Output("details-body", "className"), Output("details-empty", "className"),
        Output("details-info", "children"), Output("details-metrics", "children"), Output("label-img", "src"),
        Output("label-note", "children"), Output("doc-link", "href"), Output("doc-link", "children"),
        Output("details-state", "children"), Output("unpin", "className"), Output("details", "className"),
        Input("pin", "data"), Input("scatter", "hoverData"), Input("settings", "data"),
        Input("dataset", "value"), Input("task", "value"), State("selection", "data"),
        prevent_initial_call=True,
    )
    def select(pinned, hover, store, dataset, task, selection):
        """The details show the pinned model; with none pinned (or the pinned one not in this view), the
        model last hovered (a preview)."""
        if pinned and not data.has_row(dataset, task, pinned["environment"], pinned["model"]):
            pinned = None  # kept in its store: back in a view that has it, it is pinned again
        if pinned:
            if ctx.triggered_id == "scatter":
                return (no_update,) * 12  # hover only previews in the plot's tooltip while a model is pinned
            selection = pinned
        elif ctx.triggered_id == "scatter":
            selection = point_of(hover) or selection
        if not selection or not data.has_row(dataset, task, selection["environment"], selection["model"]):
            return (None, "details-body hidden", "hint", None, None, None, "", "#", "Method documentation", "",
                    "btn btn-quiet hidden", "card details")
        selection = {"dataset": dataset, "task": task, "environment": selection["environment"],
                     "model": selection["model"]}
        store = store or default_store
        summary = data.summary(store, dataset, task, selection["environment"], selection["model"])
        src, note = label_svg_src(data, store, summary)
        doc = summary.doc_url
        if pinned:
            state = [html.Span("Pinned", className="tag tag-pinned"),
                     f" {summary.model} (ringed in the plot); click another point to pin it instead"]
        else:
            state = [html.Span("Preview", className="tag"), " hovered model; click its point to pin it"]
        return (selection, "details-body", "hint hidden", info_table(summary), metrics_table(summary), src,
                note, doc, f"{summary.model}: scikit-learn documentation", state,
                "btn btn-quiet" if pinned else "btn btn-quiet hidden",
                "card details pinned" if pinned else "card details")

    # -------------------------------------------------------------------------------- downloads
    @app.callback(
        Output("download", "data"),
        Input("download-label", "n_clicks"), Input("download-label-svg", "n_clicks"),
        Input("modal-download-pdf", "n_clicks"), Input("modal-download-svg", "n_clicks"),
        Input("download-summary", "n_clicks"), Input("download-logs", "n_clicks"),
        Input("download-boundaries", "n_clicks"), Input("download-weights", "n_clicks"),
        State("selection", "data"), State("settings", "data"),
        prevent_initial_call=True,
    )
    def download(*args):
        selection, store = args[-2:]
        store = store or default_store
        trigger = ctx.triggered_id
        if trigger == "download-boundaries":
            name, payload = downloads.settings_json("boundaries", store)
        elif trigger == "download-weights":
            name, payload = downloads.settings_json("weights", store)
        else:
            if not selection:
                return no_update
            summary = data.summary(store, selection["dataset"], selection["task"], selection["environment"],
                                   selection["model"])
            if trigger in ("download-label", "modal-download-pdf"):
                name, payload = downloads.label_file(summary, "pdf")
            elif trigger in ("download-label-svg", "modal-download-svg"):
                name, payload = downloads.label_file(summary, "svg")
            elif trigger == "download-summary":
                name, payload = downloads.summary_json(summary)
            else:
                logs = data.logs(selection["dataset"], selection["task"], selection["environment"],
                                 selection["model"])
                name, payload = downloads.logs_json(summary, logs, data.directory)
        return dcc.send_bytes(payload, name)

    # -------------------------------------------------------------------------------- client side
    app.clientside_callback(
        """
        function(n, drawn) {
            var root = document.documentElement;
            var theme = root.getAttribute('data-theme') || 'light';
            if (n) {
                theme = theme === 'dark' ? 'light' : 'dark';
                root.setAttribute('data-theme', theme);
                try { window.localStorage.setItem('elex-theme', theme); } catch (e) {}
            }
            // the figures are drawn in the theme they came with: only a different one redraws them
            return theme === drawn ? window.dash_clientside.no_update : theme;
        }
        """,
        Output("theme", "data"), Input("theme-toggle", "n_clicks"), State("theme", "data"),
    )
    app.clientside_callback(
        """
        function(openClicks, backdropClicks, closeClicks, src) {
            var fired = (window.dash_clientside.callback_context.triggered || [])
                .map(function(t) { return t.prop_id; });
            if (fired.indexOf('label-img.n_clicks') >= 0 && src) { return ['modal', src]; }
            return ['modal hidden', window.dash_clientside.no_update];
        }
        """,
        Output("label-modal", "className"), Output("label-modal-img", "src"),
        Input("label-img", "n_clicks"), Input("label-modal-backdrop", "n_clicks"),
        Input("label-modal-close", "n_clicks"), State("label-img", "src"),
    )
    # an upload is checked for size in the page: a file over the limit never travels to the server, and
    # it gets its own message (dcc.Upload's own max_size drops it silently)
    app.clientside_callback(
        """
        function(boundaries, weights, nameB, nameW, upload) {
            var fired = (window.dash_clientside.callback_context.triggered || [])
                .map(function(t) { return t.prop_id; });
            var kind = fired.indexOf('upload-weights.contents') >= 0 ? 'weights' : 'boundaries';
            var contents = kind === 'weights' ? weights : boundaries;
            var none = window.dash_clientside.no_update;
            if (!contents) { return [none, none, none]; }
            var name = (kind === 'weights' ? nameW : nameB) || ('the ' + kind + ' file');
            var limit = (upload && upload.limit) || 262144;
            var payload = contents.split(',', 2)[1] || '';
            var out = {limit: limit, kind: kind, name: name, stamp: Date.now()};
            if (payload.length * 3 / 4 > limit + 3) {
                out.error = name + ' is larger than ' + Math.round(limit / 1024) + ' kB; a ' + kind +
                    ' file is a few kB of JSON: upload the right file';
            } else {
                out.contents = contents;
            }
            return [out, null, null];
        }
        """,
        Output("upload", "data", allow_duplicate=True), Output("upload-boundaries", "contents"),
        Output("upload-weights", "contents"),
        Input("upload-boundaries", "contents"), Input("upload-weights", "contents"),
        State("upload-boundaries", "filename"), State("upload-weights", "filename"), State("upload", "data"),
        prevent_initial_call=True,
    )
