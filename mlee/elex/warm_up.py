"""Warm a new ELEx server before it serves: the first visitor's first page and first selection then cost what
later ones do.

A fresh process pays once, on its first requests, for what later requests find ready: Dash's set-up of the
server on the first request, the imports done inside callbacks (the rating engine's summaries, reportlab, the
label and its fonts, fontTools, the QR encoder), the first rated table of the default settings, the first
figure and tables, the JSON encoder's first use. :func:`warm_up` pays all of it at start, by answering in
process (Flask's test client, no socket) exactly what a browser asks on its first visit: the page, its layout
and callback graph, every callback the page fires when it loads (the layout itself carries the first view's figures), and the
selection of the first point of the
first view (its tables and label). Only requests a page makes on every visit are sent, so nothing happens
that a visit would not do (no sweep is launched, no file written).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mlee.extras import require

require("elex", "dash")
from dash import Dash

from mlee.elex.dash_client import callback_payload, layout_values, outputs_of

log = logging.getLogger(__name__)

UPDATE = "/_dash-update-component"


def _initial_callbacks(graph: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The server callbacks a page fires when it loads (not clientside, not ``prevent_initial_call``, plain ids)."""
    def plain(items: list[dict[str, Any]]) -> bool:
        return all(not str(i["id"]).startswith("{") for i in items)

    return [c for c in graph if not c.get("clientside_function") and not c.get("prevent_initial_call")
            and plain(c["inputs"]) and plain(c["state"]) and plain(outputs_of(c))]


def warm_up(app: Dash) -> float:
    """Answer a first visit to ``app`` in process: the page, the initial callbacks and the selection of the
    first point of the plot. Returns the seconds it took. A failed request is logged, never raised: the server
    then starts cold but starts."""
    started = time.perf_counter()
    client = app.server.test_client()
    try:
        answers = {}
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            reply = client.get(path)
            if reply.status_code != 200:
                raise RuntimeError(f"GET {path}: HTTP {reply.status_code}")
            answers[path] = reply
        values = layout_values(answers["/_dash-layout"].get_json())
        graph = answers["/_dash-dependencies"].get_json()
        callbacks = _initial_callbacks(graph)

        def call(callback: dict[str, Any], changed: list[str]) -> None:
            reply = client.post(UPDATE, json=callback_payload(callback, values, changed))
            if reply.status_code == 204:  # nothing to update
                return
            if reply.status_code != 200:
                raise RuntimeError(f"callback {callback['output'][:60]}: HTTP {reply.status_code}")
            for component, props in (reply.get_json() or {}).get("response", {}).items():
                for prop, value in props.items():
                    values[f"{component}.{prop}"] = value

        for callback in callbacks:  # in the graph's order, each seeing the values the earlier ones set
            call(callback, [f"{i['id']}.{i['property']}" for i in callback["inputs"]])
        points = [c for trace in (values.get("scatter.figure") or {}).get("data", [])
                  for c in trace.get("customdata") or []]
        select = next((c for c in graph
                       if any((i["id"], i["property"]) == ("scatter", "hoverData") for i in c["inputs"])), None)
        if points and select is not None:
            values["scatter.hoverData"] = {"points": [{"curveNumber": 0, "pointNumber": 0, "customdata": points[0]}]}
            call(select, ["scatter.hoverData"])
    except Exception:  # noqa: BLE001 - warming is an optimisation; the real requests report their errors
        log.warning("warming the server up failed: it starts cold", exc_info=True)
    seconds = time.perf_counter() - started
    log.info("warmed up in %.0f ms (first page, initial callbacks, first selection)", seconds * 1000)
    return seconds
