"""Forged requests to a real ELEx server (127.0.0.1 only): each gets a message or an HTTP 4xx, never a 500, and
the server keeps serving. Launching refuses another site's scheme and, without a token, requests that came
through a proxy."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from elex_support import Server
from mlee.layout import SHIPPED_RESULTS

UPDATE = "_dash-update-component"


class Page:
    """Sends callback requests as a page would, with any value in any input or state."""

    def __init__(self, server: Server) -> None:
        self.server = server
        with urllib.request.urlopen(server.url + "_dash-dependencies", timeout=30) as reply:
            self.callbacks = json.loads(reply.read())

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.server.url + UPDATE, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def call(self, output: str, trigger: str, values: dict[str, Any], headers: dict[str, str] | None = None,
             ids: dict[str, Any] | None = None) -> tuple[int, str]:
        """Fire the callback whose output string contains ``output``; ``values``: ``"id.property"`` -> value
        (None where not given); ``ids``: pattern-matching ids to send for a component id."""
        callback = next(c for c in self.callbacks if output in c["output"])

        def item(dep: dict[str, Any]) -> Any:
            key = f"{dep['id']}.{dep['property']}"
            if dep["id"].startswith("{"):  # pattern-matching (ALL): one entry per matching component
                return [{"id": i, "property": dep["property"], "value": values.get(key)}
                        for i in (ids or {}).get(dep["id"], [])]
            return {"id": dep["id"], "property": dep["property"], "value": values.get(key)}

        outputs = []
        for part in callback["output"].strip(".").split("..."):
            ident, _, prop = part.rpartition(".")
            outputs.append({"id": ident, "property": prop.split("@")[0]})
        body = {"output": callback["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": [item(d) for d in callback["inputs"]], "state": [item(d) for d in callback["state"]],
                "changedPropIds": [trigger]}
        return self.post(json.dumps(body).encode(), headers)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    log = tmp_path_factory.mktemp("elex") / "elex.log"
    with Server(SHIPPED_RESULTS, log, ("--runs-logs", str(log.parent / "logs"),
                                       "--runs-results", str(log.parent / "results"))) as server:
        yield Page(server)
        assert server.proc.poll() is None
        with urllib.request.urlopen(server.url, timeout=30) as reply:
            assert reply.status == 200
        assert "Traceback" not in server.log_path.read_text()


def settings_values(**changes: Any) -> dict[str, Any]:
    values = {"dataset.value": "iris", "task.value": "inference", "x-metric.value": "power_draw",
              "y-metric.value": "top1_val", "mode.value": "optimistic median", "weight-x.value": 1,
              "weight-y.value": 1}
    values.update(changes)
    return values


def test_a_body_nested_100000_deep_is_refused(page):
    status, text = page.post(b'{"output": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert status == 400 and "nested too deeply" in text


def test_a_400_digit_number_is_refused(page):
    status, text = page.call("settings.data", "weight-x.value", settings_values(**{"weight-x.value": 10 ** 400}))
    assert status == 400 and "larger than any float" in text


@pytest.mark.parametrize("kind, contents, message", [
    ("scripts", "data:application/json;base64,e30=", "Unknown upload kind"),
    ("boundaries", "data:application/json;base64,e30=", "must be a JSON object mapping metric keys"),
])
def test_an_upload_of_an_unknown_kind_or_without_thresholds_gets_a_message(page, kind, contents, message):
    upload = {"kind": kind, "name": "x.json", "contents": contents}
    status, text = page.call("settings.data", "upload.data", settings_values(**{"upload.data": upload}))
    assert status == 200 and message in text


@pytest.mark.parametrize("store", [{"boundaries": [1, 2]}, {"mode": "sometimes"}, {"weights": {"x": "y"}},
                                   {"boundaries": {"inference power_draw": 5}}])
def test_a_forged_settings_store_is_refused(page, store):
    values = {"settings.data": store, "dataset.value": "iris", "task.value": "inference",
              "environments.value": [], "x-metric.value": "power_draw", "y-metric.value": "top1_val",
              "scale.value": "index"}
    status, text = page.call("scatter.figure", "settings.data", values)
    assert status == 400 and "rating settings are not valid" in text


def test_a_url_search_sent_as_an_object_is_refused(page):
    status, text = page.call("url.search", "url.search", {"url.search": {"dataset": "iris"}})
    assert status == 400 and "must be text" in text


def launch_values(**changes: Any) -> dict[str, Any]:
    from mlee.elex.run_request import bundled_datasets, method_names

    values = {"runs-launch.n_clicks": 1, "runs-datasets.value": [bundled_datasets()[0]],
              "runs-methods.value": [method_names()[0]], "runs-repeats.value": "NaN"}
    values.update(changes)
    return values


@pytest.mark.parametrize("repeats", ["NaN", "inf", "-inf", 1e308])
def test_repeats_that_are_not_a_whole_number_get_a_message(page, repeats):
    status, text = page.call("runs-message.children", "runs-launch.n_clicks",
                             launch_values(**{"runs-repeats.value": repeats}))
    assert status == 200 and "Repeats must be a whole number" in text


def test_a_cancel_of_sweep_abc_gets_a_message(page):
    ident = {"sweep": "abc", "type": "runs-cancel"}
    key = json.dumps(ident, separators=(",", ":"))
    status, text = page.call("runs-message.children@", f"{key}.n_clicks",
                             {'{"sweep":["ALL"],"type":"runs-cancel"}.n_clicks': 1},
                             ids={'{"sweep":["ALL"],"type":"runs-cancel"}': [ident]})
    assert status == 200 and "no sweep 'abc'" in text


def test_an_origin_with_another_scheme_is_another_site(page):
    status, text = page.call("runs-message.children", "runs-launch.n_clicks", launch_values(),
                             headers={"Origin": f"https://127.0.0.1:{page.server.port}"})
    assert status == 200 and "comes from another site" in text
    status, text = page.call("runs-message.children", "runs-launch.n_clicks", launch_values(),
                             headers={"Origin": f"http://127.0.0.1:{page.server.port}"})
    assert status == 200 and "Repeats must be a whole number" in text


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-IP"])
def test_without_a_token_a_request_through_a_proxy_may_not_launch(page, header):
    status, text = page.call("runs-message.children", "runs-launch.n_clicks", launch_values(),
                             headers={header: "203.0.113.7"})
    assert status == 200 and "came through a proxy" in text and "--allow-runs" in text


def test_a_token_sent_as_a_list_is_refused(tmp_path):
    with Server(SHIPPED_RESULTS, tmp_path / "elex.log", ("--allow-runs", "--runs-logs", str(tmp_path / "logs"),
                                                         "--runs-results", str(tmp_path / "results"))) as server:
        page = Page(server)
        for token in (["secret"], {"a": 1}, 5):
            status, text = page.call("runs-message.children", "runs-launch.n_clicks",
                                     launch_values(**{"runs-token.value": token}))
            assert status == 200 and "Enter the run token" in text
        status, _ = page.call("runs-message.children", "runs-launch.n_clicks", launch_values(),
                              headers={"X-Forwarded-For": "203.0.113.7"})
        assert status == 200
        assert server.proc.poll() is None
