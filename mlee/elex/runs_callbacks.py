"""Callbacks of the "Run experiments" panel. They only launch, poll and cancel: every experiment runs in the
:class:`~mlee.elex.run_manager.RunManager`'s executor, never inside a request. Every launch and cancel is checked
against the :class:`~mlee.elex.run_access.RunAccess` policy on the server, whatever the page shows."""

from __future__ import annotations

import logging
from typing import Any, Callable

from mlee.extras import require

require("elex", "dash")
from dash import ALL, Dash, Input, Output, State, ctx, no_update

from mlee.elex.run_access import PROXY_HEADERS, RunAccess
from mlee.elex.live_data import LiveData
from mlee.elex.run_manager import RunManager, RunOptions
from mlee.elex.run_request import RunRequestError, current_choices, validate_request
from mlee.elex.runs_layout import progress_view

log = logging.getLogger(__name__)


def _refusal(access: RunAccess, token: str | None) -> str | None:
    """Why the current HTTP request may not launch or cancel (None: it may)."""
    from flask import request

    return access.allows(request.host, request.headers.get("Origin"), token, request.scheme,
                         any(name in request.headers for name in PROXY_HEADERS))


def register_run_callbacks(app: Dash, manager: RunManager, access: RunAccess) -> None:
    """Attach the panel's callbacks."""

    @app.callback(
        Output("runs-message", "children"), Output("runs-message", "className"),
        Input("runs-launch", "n_clicks"),
        State("runs-datasets", "value"), State("runs-openml", "value"), State("runs-rows", "value"),
        State("runs-features", "value"), State("runs-classes", "value"), State("runs-methods", "value"),
        State("runs-repeats", "value"), State("runs-monitor", "value"), State("runs-hyperparameters", "value"),
        State("runs-idle", "value"), State("runs-country", "value"), State("runs-token", "value"),
        State("runs-target", "value"), State("runs-task", "value"),
        prevent_initial_call=True,
    )
    def launch(clicks, chosen, openml, rows, features, classes, methods, repeats, monitor, hp, idle, country, token,
               target, task):
        if not clicks:
            return no_update, no_update
        refused = _refusal(access, token)
        if refused:
            return refused, "message error"
        raw = {"datasets": chosen, "openml": openml, "rows": rows, "features": features, "classes": classes,
               "methods": methods, "repeats": repeats, "monitor": monitor, "hyperparameters": hp,
               "idle_seconds": idle, "country": country, "target": target,
               "task": task}
        try:
            request = validate_request(raw, current_choices(manager.data_home, manager.data_dir), manager.limits)
            sweep = manager.launch(request)
        except RunRequestError as error:
            return str(error), "message error"
        runs = len(request.pairs) * request.repeats
        return f"Sweep {sweep.id} launched: {runs} run(s).", "message ok"

    @app.callback(Output("runs-target", "options"), Input("runs-datasets", "value"))
    def target_columns(chosen):
        from mlee.elex.data_files import target_options

        return target_options(manager.data_dir, chosen)

    @app.callback(
        Output("runs-message", "children", allow_duplicate=True),
        Output("runs-message", "className", allow_duplicate=True),
        Input({"type": "runs-cancel", "sweep": ALL}, "n_clicks"), State("runs-token", "value"),
        prevent_initial_call=True,
    )
    def cancel(clicks, token):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update, no_update
        refused = _refusal(access, token)
        if refused:
            return refused, "message error"
        sweep = trigger.get("sweep")
        if not isinstance(sweep, int) or isinstance(sweep, bool) or not manager.cancel(sweep):
            return f"There is no sweep {str(sweep)[:20]!r} to cancel.", "message error"
        return f"Sweep {trigger['sweep']} cancelled: runs not finished are dropped.", "message ok"

    @app.callback(
        Output("runs-progress", "children"), Output("results-version", "data"), Output("dataset", "options"),
        Input("runs-poll", "n_intervals"), State("results-version", "data"),
    )
    def poll(_n, version):
        view = progress_view(manager.snapshot(), can_cancel=access.enabled)
        data = manager.data
        if data.version == version:
            return view, no_update, no_update
        return view, data.version, [{"label": d, "value": k} for k, d in data.datasets]



def attach_runs(app: Dash, data: LiveData, options: RunOptions | None) -> tuple[RunManager | None, Callable[[], Any]]:
    """Register the "Run experiments" callbacks on ``app``; returns the server's :class:`RunManager` and a
    function that builds the panel for a new page (with the choices of that moment). Without ``options`` or with
    a read-only policy: no manager, and the page gets only the ``results-version`` store (which never changes)."""
    from dash import dcc

    from mlee.elex.runs_layout import runs_panel

    if options is None or not options.access.visible:
        return None, lambda: dcc.Store(id="results-version", data=0)
    manager = RunManager(data, options)
    register_run_callbacks(app, manager, options.access)
    return manager, lambda: runs_panel(options.access, current_choices(options.data_home, options.data_dir),
                                       options.limits)
