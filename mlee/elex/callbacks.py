"""ELEx callbacks. Every callback computes its answer from the data of the request (the page's settings
store, control values, URL): the server keeps no per-user state, so sessions cannot affect each other.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, no_update

from mlee.elex import downloads
from mlee.elex.data import ExplorerData
from mlee.elex.live_data import LiveData, mark_new
from mlee.elex.figures import rating_bars_figure, scatter_figure, short_environment
from mlee.elex.state import View, parse_view, scoped
from mlee.elex.tables import info_table, metrics_table
from mlee.elex.controls import SETTING_CONTROLS, SettingError, boundary_text, merge_controls, slider_state
from mlee.elex.uploads import UploadError, parse_upload
from mlee.metrics import METRICS_BY_KEY
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


def energy_note(rows: pd.DataFrame) -> str:
    """What the shown energies cannot say: estimates beside measurements, counters not read cleanly."""
    if rows.empty:
        return ""
    complete = rows["energy_complete"] if "energy_complete" in rows else pd.Series(True, index=rows.index)
    notes = [comparability_note(rows["energy_estimated"].astype(bool).tolist()),
             incomplete_note(int((~complete.astype(bool)).sum()))]
    return " ".join(n for n in notes if n)


def view_rows(rated: pd.DataFrame, dataset: str, task: str, environments: list[str] | None) -> pd.DataFrame:
    """Rows of the rated table shown for one dataset, task and set of environments."""
    mask = (rated["dataset"] == dataset) & (rated["task"] == task)
    if environments is not None:
        mask &= rated["environment"].isin(environments)
    return rated[mask]


def _metric_indices(rated: pd.DataFrame, dataset: str, task: str, metric: str) -> list[float]:
    rows = view_rows(rated, dataset, task, None)
    return pd.to_numeric(rows[f"{metric}_index"], errors="coerce").dropna().astype(float).tolist()


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
        if ctx.triggered_id in (None, "url"):
            wanted = parse_view(search, data.dataset_keys(), default_view)  # reloads may add datasets
            if wanted == current:
                return (no_update,) * 6
            return wanted.dataset, wanted.task, wanted.x, wanted.y, wanted.scale, no_update
        query = current.query()
        return (no_update,) * 5 + (query if query != search else no_update,)

    # -------------------------------------------------------------------------------- environments
    @app.callback(
        Output("environments", "options"), Output("environments", "value"),
        Input("dataset", "value"), Input("task", "value"), Input("results-version", "data"),
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
        Output("settings-message", "className"), Output("upload-boundaries", "contents"),
        Output("upload-weights", "contents"),
        Input("dataset", "value"), Input("task", "value"), Input("x-metric", "value"), Input("y-metric", "value"),
        Input("mode", "value"), Input("reference", "value"), Input("weight-x", "value"), Input("weight-y", "value"),
        Input("boundary-x", "value"), Input("boundary-y", "value"), Input("compute-boundaries", "n_clicks"),
        Input("reset-settings", "n_clicks"), Input("upload-boundaries", "contents"),
        Input("upload-weights", "contents"),
        State("upload-boundaries", "filename"), State("upload-weights", "filename"), State("settings", "data"),
    )
    def settings(dataset, task, x, y, mode, reference, weight_x, weight_y, slider_x, slider_y, _compute, _reset,
                 upload_b, upload_w, name_b, name_w, store):
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
            elif trigger == "upload-boundaries" and upload_b:
                loaded = parse_upload(upload_b, name_b, "boundaries")
                store["boundaries"] = {**store.get("boundaries", {}), **loaded}
                message = f"Loaded boundaries of {len(loaded)} metrics from {name_b}."
            elif trigger == "upload-weights" and upload_w:
                loaded = parse_upload(upload_w, name_w, "weights")
                store["weights"] = {**store.get("weights", {}), **loaded}
                message = f"Loaded weights of {len(loaded)} metrics from {name_w}."
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
            boundary_text(bx), boundary_text(by), f"{METRICS_BY_KEY[x].name} ({xs})",
            f"{METRICS_BY_KEY[y].name} ({ys})", message, message_class,
            None if trigger == "upload-boundaries" else no_update,
            None if trigger == "upload-weights" else no_update,
        )

    # -------------------------------------------------------------------------------- figures
    @app.callback(
        Output("scatter", "figure"), Output("bars", "figure"), Output("energy-note", "children"),
        Input("settings", "data"), Input("dataset", "value"), Input("task", "value"),
        Input("environments", "value"), Input("x-metric", "value"), Input("y-metric", "value"),
        Input("scale", "value"), Input("theme", "data"), Input("results-version", "data"),
    )
    def figures(store, dataset, task, environments, x, y, scale, theme, _version):
        store = store or default_store
        rated = data.rated(store)
        rows = view_rows(rated, dataset, task, environments or [])
        shown_envs = [e for e in data.environments if e in set(environments or [])]
        reference = None
        if not rows.empty:
            refs = rows["reference_model"].dropna()
            reference = str(refs.iloc[0]) if not refs.empty else None
        reference = reference or store.get("references", {}).get(dataset)
        scatter = scatter_figure(
            rows, x, y, scale or "index", task, store.get("boundaries", {}), store.get("weights", {}),
            zone_compound(store.get("mode", default_store["mode"])), data.environments, theme or "light",
            reference_model=reference, reference_environment=shown_envs[0] if shown_envs else None,
            uirevision=f"{dataset}|{task}|{x}|{y}|{scale}")
        bars = rating_bars_figure(rows, data.environments, theme or "light")
        return mark_new(scatter, data.new_models(dataset, task)), bars, energy_note(rows)

    # -------------------------------------------------------------------------------- selection
    @app.callback(
        Output("selection", "data"), Output("details-body", "className"), Output("details-empty", "className"),
        Output("details-info", "children"), Output("details-metrics", "children"), Output("label-img", "src"),
        Output("label-note", "children"), Output("doc-link", "href"), Output("doc-link", "children"),
        Input("scatter", "clickData"), Input("scatter", "hoverData"), Input("settings", "data"),
        Input("dataset", "value"), Input("task", "value"), State("selection", "data"),
    )
    def select(click, hover, store, dataset, task, selection):
        trigger = ctx.triggered_id
        point_data = click if ctx.triggered_prop_ids.get("scatter.clickData") else hover
        if trigger == "scatter" and point_data:
            custom = (point_data.get("points") or [{}])[0].get("customdata")
            if not custom:
                return (no_update,) * 9
            selection = {"environment": custom[0], "model": custom[1]}
        if not selection or not data.has_row(dataset, task, selection["environment"], selection["model"]):
            return None, "details-body hidden", "hint", None, None, None, "", "#", "Method documentation"
        selection = {"dataset": dataset, "task": task, "environment": selection["environment"],
                     "model": selection["model"]}
        store = store or default_store
        summary = data.summary(store, dataset, task, selection["environment"], selection["model"])
        src, note = label_svg_src(data, store, summary)
        doc = summary.doc_url
        return (selection, "details-body", "hint hidden", info_table(summary), metrics_table(summary), src,
                note, doc, f"{summary.model}: scikit-learn documentation")

    # -------------------------------------------------------------------------------- downloads
    @app.callback(
        Output("download", "data"),
        Input("download-label", "n_clicks"), Input("download-summary", "n_clicks"),
        Input("download-logs", "n_clicks"), Input("download-boundaries", "n_clicks"),
        Input("download-weights", "n_clicks"),
        State("selection", "data"), State("settings", "data"),
        prevent_initial_call=True,
    )
    def download(_label, _summary, _logs, _boundaries, _weights, selection, store):
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
            if trigger == "download-label":
                name, payload = downloads.label_pdf(summary)
            elif trigger == "download-summary":
                name, payload = downloads.summary_json(summary)
            else:
                logs = data.logs(selection["dataset"], selection["task"], selection["environment"],
                                 selection["model"])
                name, payload = downloads.logs_json(summary, logs)
        return dcc.send_bytes(payload, name)

    # -------------------------------------------------------------------------------- client side
    app.clientside_callback(
        """
        function(n) {
            var root = document.documentElement;
            var theme = root.getAttribute('data-theme') || 'light';
            if (n) {
                theme = theme === 'dark' ? 'light' : 'dark';
                root.setAttribute('data-theme', theme);
                try { window.localStorage.setItem('elex-theme', theme); } catch (e) {}
            }
            return theme;
        }
        """,
        Output("theme", "data"), Input("theme-toggle", "n_clicks"),
    )
    app.clientside_callback(
        """
        function(openClicks, closeClicks, src) {
            var fired = (window.dash_clientside.callback_context.triggered || [])
                .map(function(t) { return t.prop_id; });
            if (fired.indexOf('label-img.n_clicks') >= 0 && src) { return ['modal', src]; }
            return ['modal hidden', window.dash_clientside.no_update];
        }
        """,
        Output("label-modal", "className"), Output("label-modal-img", "src"),
        Input("label-img", "n_clicks"), Input("label-modal", "n_clicks"), State("label-img", "src"),
    )
