"""The "Run experiments" panel of the ELEx page: choices, one launch button, live progress of every sweep.

Component ids start with ``runs-``; the panel polls the server (``runs-poll``) and keeps the version of the
shown results in ``results-version`` so that the plots redraw when runs were merged. The progress table is built
from :meth:`mlee.elex.run_manager.RunManager.snapshot` by :func:`progress_view`.
"""

from __future__ import annotations

from typing import Any

from mlee.extras import require

require("elex", "dash")
from dash import dcc, html

from mlee.elex.run_access import RunAccess
from mlee.elex.run_request import SHIPPED, SYNTHETIC, RunChoices, RunLimits
from mlee.runs.methods import method_names
from mlee.monitoring.monitors import MONITORS

#: milliseconds between two polls of the sweeps' progress
POLL_MS = 1000


def _field(label: str, control: Any, class_name: str = "") -> html.Div:
    return html.Div([html.Label(label, className="field-label"), control], className=f"field {class_name}".strip())


def runs_panel(access: RunAccess, choices: RunChoices, limits: RunLimits = RunLimits()) -> html.Section:
    """The panel offering ``choices``. When ``access`` is disabled, every control is disabled and the panel
    says why."""
    off = not access.enabled
    number = {"type": "number", "debounce": False, "disabled": off, "className": "runs-number"}
    controls = [
        _field("Datasets", dcc.Dropdown(id="runs-datasets", multi=True, value=[], disabled=off,
                                        options=[{"label": label, "value": key} for key, label in choices.datasets],
                                        placeholder="choose datasets"), "runs-wide"),
        _field("OpenML names", dcc.Input(id="runs-openml", type="text", value="", disabled=off, maxLength=1000,
                                         placeholder="e.g. openml:kc1, openml:31", className="runs-text"),
               "runs-wide"),
        html.Div([
            _field("Target column (your files)", dcc.Dropdown(
                id="runs-target", options=[], value=None, disabled=off, placeholder="the column to predict")),
            _field("Task (your files)", dcc.Dropdown(
                id="runs-task", options=["classification", "regression"], value="classification", clearable=False,
                disabled=off)),
        ], id="runs-target-field", className="runs-wide", hidden=choices.data_dir is None),
        _field("Synthetic rows x features x classes", html.Div(className="runs-sizes", children=[
            dcc.Input(id="runs-rows", value=1000, min=10, max=limits.max_synthetic_rows, step=1, **number),
            dcc.Input(id="runs-features", value=20, min=2, max=limits.max_synthetic_features, step=1, **number),
            dcc.Input(id="runs-classes", value=2, min=2, max=limits.max_synthetic_classes, step=1, **number),
        ]), "runs-wide"),
        _field("Methods", dcc.Dropdown(id="runs-methods", multi=True, value=[], disabled=off,
                                       options=[{"label": m, "value": m} for m in method_names()],
                                       placeholder="choose methods"), "runs-wide"),
        _field("Repeats", dcc.Input(id="runs-repeats", value=1, min=1, max=limits.max_repeats, step=1, **number)),
        _field("Monitor", dcc.Dropdown(id="runs-monitor", options=list(MONITORS), value="auto", clearable=False,
                                       disabled=off)),
        _field("Hyperparameters", dcc.Dropdown(id="runs-hyperparameters", clearable=False, value=SHIPPED,
                                               disabled=off, options=[{"label": label, "value": value}
                                                                      for value, label in choices.hyperparameters]),
               "runs-wide"),
        _field("Idle baseline (s)", dcc.Input(id="runs-idle", value=0, min=0, max=limits.max_idle_seconds,
                                              step="any", **number)),
        _field("Country (CO2e)", dcc.Dropdown(id="runs-country", options=choices.countries, value=None, disabled=off,
                                              placeholder="none")),
    ]
    if access.token is not None:
        controls.append(_field("Run token", dcc.Input(id="runs-token", type="password", value="", disabled=off,
                                                      placeholder="printed by ELEx at start",
                                                      className="runs-text")))
    else:
        controls.append(dcc.Input(id="runs-token", type="hidden", value=""))
    return html.Section(className="card runs", id="runs", children=[
        html.H2("Run experiments"),
        html.P(access.reason, id="runs-disabled", className="message error") if off else
        html.P(f"Runs execute on this server's executor; finished runs are merged and appear in the plot, marked "
               f"new. Synthetic sizes apply when '{SYNTHETIC}' is chosen.", className="hint"),
        html.Div(className="runs-grid", children=controls),
        html.Div(className="button-row", children=[
            html.Button("Run", id="runs-launch", className="btn", disabled=off),
            html.Div(id="runs-message", className="message", role="status"),
        ]),
        html.Div(id="runs-progress", className="runs-progress"),
        dcc.Interval(id="runs-poll", interval=POLL_MS),
        dcc.Store(id="results-version", data=0),
    ])


def _elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}" if minutes else f"{seconds:.1f} s"


def progress_view(sweeps: list[dict[str, Any]], can_cancel: bool) -> list[Any]:
    """One block per sweep (newest first): a summary line with a Cancel button while it runs, a row per run
    with its state, elapsed time, node and error, and once it has ended the table of what it ran (energy, time,
    CO2e, letters)."""
    if not sweeps:
        return [html.P("No runs launched yet.", className="hint")]
    blocks = []
    for sweep in sweeps:
        counts = sweep["counts"]
        state = ("failed: " + sweep["error"]) if sweep["error"] else (
            "cancelled" if sweep["cancelled"] else "finished" if sweep["done"] else "running")
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        head = [html.Strong(f"Sweep {sweep['id']}"), html.Span(f" {state} · {summary}", className="runs-summary")]
        if can_cancel and not sweep["done"] and not sweep["cancelled"]:
            head.append(html.Button("Cancel", id={"type": "runs-cancel", "sweep": sweep["id"]},
                                    className="btn btn-quiet runs-cancel"))
        rows = [html.Tr([html.Td(r["dataset"]), html.Td(r["method"]), html.Td(str(r["repeat"])),
                         html.Td(r["state"], className=f"run-state run-{r['state']}"),
                         html.Td(_elapsed(r["elapsed_s"]), className="num"), html.Td(r["node"] or ""),
                         html.Td(r["error"] or "", className="run-error")])
                for r in sweep["runs"]]
        table = html.Table(className="runs-table", children=[
            html.Thead(html.Tr([html.Th(h) for h in ("Dataset", "Method", "Repeat", "State", "Elapsed", "Node",
                                                      "Error")])),
            html.Tbody(rows)])
        ended = [html.Pre(sweep["summary"], className="runs-ended", id=f"runs-ended-{sweep['id']}")] \
            if sweep.get("summary") else []
        blocks.append(html.Div(className="runs-sweep", id=f"runs-sweep-{sweep['id']}",
                               children=[html.Div(head, className="runs-head"), table, *ended]))
    return blocks
