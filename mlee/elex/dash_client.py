"""What a browser sends to a Dash server, built from the app's own callback graph: real callback requests
without a browser, for the server's warm-up at start (:mod:`mlee.elex.warm_up`) and the ELEx benchmarks."""

from __future__ import annotations

from typing import Any


def outputs_of(callback: dict[str, Any]) -> list[dict[str, str]]:
    """[{id, property}] of a callback's output string (``..a.b...c.d..`` or ``a.b``)."""
    out = []
    for part in callback["output"].strip(".").split("..."):
        component, prop = part.rsplit(".", 1)
        out.append({"id": component, "property": prop.split("@")[0]})
    return out


def find_callback(dependencies: list[dict[str, Any]], output: str) -> dict[str, Any]:
    """The server-side callback with ``output`` (``"label-img.src"``) among its outputs."""
    for callback in dependencies:
        if callback.get("clientside_function"):
            continue
        if any(f"{o['id']}.{o['property']}" == output for o in outputs_of(callback)):
            return callback
    raise KeyError(f"no server callback outputs {output}")


def callback_payload(callback: dict[str, Any], values: dict[str, Any], changed: list[str]) -> dict[str, Any]:
    """The ``/_dash-update-component`` request of ``callback`` with the page's ``values``
    (``"id.property"`` -> value) after ``changed`` properties changed."""
    def props(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                for i in items]

    outputs = outputs_of(callback)
    single = not callback["output"].startswith("..")  # the page sends a lone output as an object
    return {"output": callback["output"], "outputs": outputs[0] if single else outputs,
            "inputs": props(callback["inputs"]),
            "state": props(callback["state"]), "changedPropIds": changed}


def layout_values(node: Any, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """``"id.property"`` -> initial value of every component with an id in a ``/_dash-layout`` tree."""
    out = {} if out is None else out
    if isinstance(node, list):
        for child in node:
            layout_values(child, out)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), str):
            for key, value in props.items():
                if key not in ("id", "children"):
                    out[f"{props['id']}.{key}"] = value
        layout_values(props.get("children"), out)
    return out
