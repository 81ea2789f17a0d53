"""ELEx without a browser: URL state, settings store, figure geometry against the rating engine, tables,
uploads, downloads, the app's served page and the command line. Uses the published results."""

from __future__ import annotations

import base64
import copy
import io
import json
import math
import re
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlee.elex import downloads  # noqa: E402
from mlee.elex.callbacks import zone_compound  # noqa: E402
from mlee.elex.controls import SettingError, merge_controls, slider_state, thresholds_from_slider  # noqa: E402
from mlee.elex.data import ExplorerData  # noqa: E402
from mlee.elex.figures import (axis_values, rating_bars_figure, scatter_figure,  # noqa: E402
                               short_environment, zone_intervals)
from mlee.elex.state import (View, default_settings_store, parse_view, settings_from_store,  # noqa: E402
                             settings_to_store, store_key)
from mlee.elex.tables import info_rows, metric_rows  # noqa: E402
from mlee.elex.uploads import MAX_UPLOAD_BYTES, UploadError, parse_upload  # noqa: E402
from mlee.metrics import METRICS, METRICS_BY_KEY, RATING_COLOURS, TASKS  # noqa: E402
from mlee.rating import rating_from_index  # noqa: E402


@pytest.fixture(scope="module")
def data(reference_dir) -> ExplorerData:
    return ExplorerData.load(reference_dir / "published-results")


@pytest.fixture(scope="module")
def store() -> dict:
    return default_settings_store()


def data_url(payload: bytes) -> str:
    return "data:application/json;base64," + base64.b64encode(payload).decode()


# ------------------------------------------------------------------------------------------- state
def test_view_round_trips_through_the_url_and_ignores_unknown_parts():
    datasets = ["credit-g", "mnist_784"]
    default = View("credit-g")
    view = View("mnist_784", "training", "time", "f1_val", "value")
    assert parse_view(view.query(), datasets, default) == view
    broken = "?dataset=nope&task=sleeping&x=power_draw&y=colour&scale=value"
    assert parse_view(broken, datasets, default) == View("credit-g", "inference", "power_draw", "top1_val", "value")
    assert parse_view("", datasets, default) == default
    assert parse_view(None, datasets, default) == default


def test_settings_store_round_trips_to_rating_settings(store):
    from mlee.rating import RatingSettings

    default = RatingSettings.default()
    back = settings_from_store(json.loads(json.dumps(store)))  # the page hands back plain JSON
    assert back.mode == default.mode and back.fingerprint() == default.fingerprint()
    assert settings_to_store(back) == store
    changed = {**store, "mode": "worst"}
    assert settings_from_store(changed).mode == "worst"
    assert store_key(changed) != store_key(store) and store_key(dict(store)) == store_key(store)


# ------------------------------------------------------------------------------------------- figures
def test_zone_geometry_matches_the_engine_ratings(data, store):
    """Every rated metric of every row lies in the zone interval of its own rating, on both scales."""
    rated = data.rated(store)
    checked = 0
    for task in TASKS:
        rows = rated[rated["task"] == task]
        for metric in METRICS:
            thresholds = store["boundaries"].get(metric.scoped_key(task))
            if not thresholds:
                continue
            for _, row in rows.iterrows():
                rating, index = row[f"{metric.key}_rating"], row[f"{metric.key}_index"]
                if pd.isna(rating) or pd.isna(index):
                    continue
                assert rating_from_index(float(index), thresholds) == int(rating), (metric.key, row["model"])
                lo, hi = zone_intervals(metric, thresholds, "index", None)[int(rating)]
                assert lo < index <= hi or (index == hi == math.inf)
                ref = rated[(rated["dataset"] == row["dataset"]) & (rated["task"] == task)
                            & (rated["environment"] == row["environment"]) & (rated["model"] == row["reference_model"])]
                value = axis_values(row.to_frame().T, metric, "value").iloc[0]
                zones = zone_intervals(metric, thresholds, "value", float(ref.iloc[0][metric.key]))
                lo, hi = zones[int(rating)]
                assert lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9), (metric.key, row["model"], value, zones)
                checked += 1
    assert checked > 500


@pytest.mark.parametrize("mode", ["optimistic median", "pessimistic mean", "worst"])
@pytest.mark.parametrize("scale", ["index", "value"])
def test_points_sit_in_zones_of_their_own_colour_when_only_x_and_y_count(data, store, mode, scale):
    """With equal weight on the two plotted metrics only, a point's compound rating is the compound of its
    x and y ratings weighted equally: its colour must be the colour of the cell under it."""
    x, y, task, dataset = "power_draw", "top1_val", "inference", "credit-g"
    weights = {k: 0.0 for k in store["weights"]}
    weights[METRICS_BY_KEY[x].scoped_key(task)] = 0.5  # the cells weigh both axes equally
    weights[METRICS_BY_KEY[y].scoped_key(task)] = 0.5
    custom = {**store, "mode": mode, "weights": weights}
    rated = data.rated(custom)
    rows = rated[(rated["dataset"] == dataset) & (rated["task"] == task)]
    fig = scatter_figure(rows, x, y, scale, task, custom["boundaries"], zone_compound(mode),
                         data.environments, reference_model=rows["reference_model"].iloc[0],
                         reference_environment=data.environments[0])
    shapes = fig["layout"]["shapes"]
    assert shapes and all(s["fillcolor"] in RATING_COLOURS for s in shapes)
    checked = 0
    for trace in fig["data"]:
        if not trace.get("customdata"):
            continue
        for px, py, colour in zip(trace["x"], trace["y"], trace["marker"]["color"]):
            under = [s for s in shapes if s["x0"] <= px <= s["x1"] and s["y0"] <= py <= s["y1"]]
            assert under, (px, py)
            # on a zone edge a point touches two zones: its colour is one of them
            assert colour in {s["fillcolor"] for s in under}, (px, py, colour, under)
            checked += 1
    assert checked == len(rows)


def test_a_view_of_many_points_names_them_only_in_the_hover(data, store):
    from mlee.elex.figures import LABELLED_POINTS

    rated = data.rated(store)
    rows = rated[(rated["dataset"] == "credit-g") & (rated["task"] == "inference")]
    many = pd.concat([rows.assign(model=rows["model"] + f" #{i}") for i in range(LABELLED_POINTS // len(rows) + 1)],
                     ignore_index=True)
    envs = sorted(rows["environment"].unique())
    for table, labelled in ((rows, True), (many, False)):
        fig = scatter_figure(table, "power_draw", "f1_val", "index", "inference", store["boundaries"],
                             zone_compound(store["mode"]), envs)
        points = [t for t in fig["data"] if t.get("customdata")]
        assert sum(len(t["x"]) for t in points) == len(table)
        assert all((t["mode"] == "markers+text") == labelled and bool(t["text"]) == labelled for t in points)
        assert all(len(t["hovertext"]) == len(t["x"]) for t in points)


def test_scatter_has_one_trace_per_environment_with_its_own_symbol(data, store):
    rated = data.rated(store)
    rows = rated[(rated["dataset"] == "credit-g") & (rated["task"] == "training")].copy()
    twin = rows.copy()
    twin["environment"] = "AMD EPYC 7302 16-Core Processor - sklearn 1.1.2"
    both = pd.concat([rows, twin], ignore_index=True)
    envs = sorted(both["environment"].unique())
    fig = scatter_figure(both, "time", "f1_val", "index", "training", store["boundaries"],
                         zone_compound(store["mode"]), envs, theme="dark")
    points = [t for t in fig["data"] if t.get("customdata")]
    assert len(points) == 2 and points[0]["marker"]["symbol"] != points[1]["marker"]["symbol"]
    for trace in points:
        assert sorted(trace["text"]) == sorted(rows["model_short"])
        assert {c[1] for c in trace["customdata"]} == set(rows["model"])
    assert fig["layout"]["showlegend"] is False  # the legend is HTML below the plot, never over it
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("Running time index")
    bars = rating_bars_figure(both, envs)
    counts = {t["name"]: t["y"] for t in bars["data"]}
    for r, letter in enumerate("ABCDE"):
        assert counts[letter][0] == int((rows["compound_rating"] == r).sum())


def test_short_environment_drops_trademarks_and_clock():
    assert short_environment("Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz - sklearn 1.1.2") == \
        "Intel Xeon W-2155 - sklearn 1.1.2"


# ------------------------------------------------------------------------------------------- settings
def test_slider_round_trip_and_control_merge(store):
    thresholds = store["boundaries"]["inference power_draw"]
    state = slider_state(thresholds, [0.05, 3.0], thresholds)
    assert state["min"] <= min(state["value"]) and max(state["value"]) <= state["max"]
    back = thresholds_from_slider(state["value"])
    assert all(abs(math.log10(a) - math.log10(b)) < 0.002 for a, b in zip(back, thresholds))
    # a handle dragged to the end does not grow the range
    dragged = [state["min"], *state["value"][1:]]
    again = slider_state(thresholds_from_slider(dragged), [0.05, 3.0], thresholds)
    assert math.isclose(again["min"], state["min"], abs_tol=0.002)

    values = {"mode": "worst", "reference": "Random Forest", "weight-x": 0.9, "weight-y": None,
              "boundary-x": state["value"], "boundary-y": None}
    merged = merge_controls(store, "weight-x", values, "credit-g", "inference", "power_draw", "top1_val",
                            ["Random Forest", "AdaBoost"])
    assert merged["weights"]["inference power_draw"] == 0.9
    assert merged["mode"] == "worst"  # a change still in flight is kept
    assert merged["references"]["credit-g"] == "Random Forest"
    assert merged["boundaries"]["inference power_draw"] == store["boundaries"]["inference power_draw"]
    assert store["mode"] != "worst"  # the input store is not modified
    with pytest.raises(SettingError, match="weight"):
        merge_controls(store, "weight-y", {**values, "weight-y": -1}, "credit-g", "inference", "power_draw",
                       "top1_val", ["Random Forest"])


# ------------------------------------------------------------------------------------------- uploads
def test_upload_of_published_files_is_accepted(reference_dir):
    raw = (reference_dir / "boundaries.json").read_bytes()
    loaded = parse_upload(data_url(raw), "boundaries.json", "boundaries")
    assert loaded == {k: [float(t) for t in v] for k, v in json.loads(raw).items()}
    weights = parse_upload(data_url((reference_dir / "weighting.json").read_bytes()), "w.json", "weights")
    assert weights["inference power_draw"] == 0.6


@pytest.mark.parametrize("content, expected", [
    (b"{not json", r"my\.json is not JSON"),
    (b"[1, 2, 3]", r"must be a JSON object"),
    (json.dumps({"inference power_draw": [0.1, 0.2, 0.3, 0.4]}).encode(), r"inference power_draw"),
    (json.dumps({"inference power_draw": [3, 2, 1]}).encode(), r"inference power_draw"),
    (json.dumps({"nonsense key": [4, 3, 2, 1]}).encode(), r"nonsense key"),
])
def test_invalid_boundaries_uploads_are_refused_with_a_clear_message(content, expected):
    with pytest.raises(UploadError, match=expected) as info:
        parse_upload(data_url(content), "my.json", "boundaries")
    assert "my.json" in str(info.value)


def test_oversized_and_garbled_uploads_are_refused():
    with pytest.raises(UploadError, match="larger than"):
        parse_upload(data_url(b" " * (MAX_UPLOAD_BYTES + 10)), "big.json", "boundaries")
    with pytest.raises(UploadError, match="base64"):
        parse_upload("data:application/json;base64,@@@@", "x.json", "weights")
    with pytest.raises(UploadError, match="weights"):
        parse_upload(data_url(json.dumps({"inference time": "heavy"}).encode()), "w.json", "weights")


# ------------------------------------------------------------------------------------------- downloads
def test_downloads_are_the_published_format_and_the_selected_model(data, store, tmp_path):
    from pypdf import PdfReader

    from mlee.rating import load_boundaries, load_weights

    name, payload = downloads.settings_json("boundaries", store)
    (tmp_path / name).write_bytes(payload)
    assert {k: list(v) for k, v in load_boundaries(tmp_path / name).items()} == store["boundaries"]
    name, payload = downloads.settings_json("weights", store)
    (tmp_path / name).write_bytes(payload)
    assert dict(load_weights(tmp_path / name)) == store["weights"]

    row = data.table[(data.table["dataset"] == "credit-g") & (data.table["task"] == "inference")].iloc[0]
    summary = data.summary(store, "credit-g", "inference", row["environment"], row["model"])
    name, pdf = downloads.label_file(summary, "pdf")
    assert name.endswith(".pdf") and re.fullmatch(r"[A-Za-z0-9._-]+", name)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert row["model"] in text
    name, svg = downloads.label_file(summary, "svg")
    assert name.endswith(".svg") and svg.startswith(b"<?xml") and b"<svg" in svg
    name, raw = downloads.summary_json(summary)
    assert json.loads(raw)["model"] == row["model"]
    name, raw = downloads.logs_json(summary, data.logs("credit-g", "inference", row["environment"], row["model"]),
                                    data.directory)
    logs = json.loads(raw)
    assert logs and all(entry["content"]["config"]["model"] == row["model"] for entry in logs)
    # the server's own paths stay on the server: files are named relative to the served folder
    served = Path(data.directory).name
    assert all(entry["file"].startswith(served + "/") and not entry["file"].startswith("/") for entry in logs)


# ------------------------------------------------------------------------------------------- tables
def test_tables_mark_estimated_energy(data, store):
    row = data.table.iloc[0]
    summary = copy.deepcopy(data.summary(store, row["dataset"], row["task"], row["environment"], row["model"]))
    rows = {r["key"]: r for r in metric_rows(summary)}
    assert rows["power_draw"]["provenance"] == "measured" and rows["power_draw"]["value"].endswith("J")
    # no robustness values in these results, and a classifier's quality metrics only
    assert len(rows) == len([m for m in METRICS if not m.optional and "classification" in m.learning_tasks])
    summary.energy_estimated = True
    summary.metrics["power_draw"].estimated = True
    rows = {r["key"]: r for r in metric_rows(summary)}
    assert rows["power_draw"]["provenance"] == "estimated"
    assert "estimated" in dict(info_rows(summary))["Energy source"]


# ------------------------------------------------------------------------------------------- app + CLI
def test_app_serves_everything_locally(data):
    from mlee.elex.app import create_app

    app = create_app(data=data)
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert any("/assets/elex.css" in s for s in sources)
    for source in sources:
        assert client.get(source).status_code == 200, source
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and b"https://cdn" not in layout.data
    too_big = client.post("/_dash-update-component", data=b"x" * (app.server.config["MAX_CONTENT_LENGTH"] + 1),
                          content_type="application/json")
    assert too_big.status_code == 413


def test_command_line_defaults_and_missing_folder(tmp_path, capsys):
    import elex

    args = elex.parse_args([])
    assert (args.directory, args.host, args.port, args.debug) == (None, "127.0.0.1", 8050, False)
    args = elex.parse_args(["--host", "0.0.0.0", "--port", "9000", "--debug", "--directory", "x"])
    assert (args.directory, args.host, args.port, args.debug) == ("x", "0.0.0.0", 9000, True)
    assert elex.main(["--directory", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_workers_flag_serves_with_gunicorn_processes(reference_dir, tmp_path):
    """``elex.py --workers 2`` answers the page and a callback from gunicorn worker processes."""
    import subprocess
    import urllib.request

    import psutil
    from elex_support import free_port

    port = free_port()
    root = Path(__file__).resolve().parents[1]
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, str(root / "elex.py"), "--port", str(port), "--workers", "2",
                             "--directory", str(reference_dir / "published-results")], cwd=root, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(300):
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    assert reply.status == 200 and b"ELEx" in reply.read()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.1)
        with urllib.request.urlopen(url + "_dash-layout", timeout=10) as reply:
            assert b'"settings"' in reply.read()
        # the worker processes: gunicorn forks them at start, but on a loaded machine the second may still be
        # on its way when the first answers
        deadline = time.monotonic() + 30
        while len(psutil.Process(proc.pid).children()) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(psutil.Process(proc.pid).children()) == 2
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
    import elex

    assert elex.main(["--workers", "2", "--debug"]) == 2  # debug mode is one process


def test_spread_is_not_more_precise_than_the_value():
    """97.9 % +- 0.3 %, not +- 0.257 %: the spread stops at the value's last shown digit."""
    from mlee.elex.tables import spread_digits
    from mlee.units import format_value

    assert format_value(0.00257, "%", spread_digits(0.979, 0.00257)) == "0.3 %"
    assert format_value(0.0025, "J", spread_digits(0.0362, 0.0025)) == "2.5 mJ"
    assert spread_digits(1.0, 3.0) == 3 and spread_digits(0.0, 1.0) == 3


def test_the_pinned_model_is_ringed_by_an_open_marker_trace_at_its_point(data, store):
    """The ring is one open-circle marker at the point (a marker stays centred on log axes), out of the legend and
    of hover events, after the environments' traces; an empty ring when the pinned model is not shown."""
    rated = data.rated(store)
    rows = rated[(rated["dataset"] == "credit-g") & (rated["task"] == "inference")]
    model, env = rows["model"].iloc[2], rows["environment"].iloc[2]
    fig = scatter_figure(rows, "power_draw", "top1_val", "value", "inference", store["boundaries"],
                         zone_compound(store["mode"]), data.environments,
                         pinned={"environment": env, "model": model})
    trace = next(t for t in fig["data"] if t.get("customdata") and [env, model] in t["customdata"])
    j = trace["customdata"].index([env, model])
    ring = fig["data"][-1]
    assert ring["meta"] == "pinned" and (ring["x"], ring["y"]) == ([trace["x"][j]], [trace["y"][j]])
    assert ring["marker"]["symbol"] == "circle-open" and ring["hoverinfo"] == "skip" and not ring["showlegend"]
    assert not [s for s in fig["layout"]["shapes"] if s.get("name") == "pinned"]
    unpinned = scatter_figure(rows, "power_draw", "top1_val", "value", "inference", store["boundaries"],
                              zone_compound(store["mode"]), data.environments,
                              pinned={"environment": env, "model": "not shown"})
    rings = [t for t in unpinned["data"] if t.get("meta") == "pinned"]
    assert len(rings) == 1 and rings[0]["x"] == [] and rings[0]["y"] == []


def test_a_value_being_computed_is_waited_for_not_computed_again():
    """Two requests for the same label at once (a hover, then the click on that point) draw it once."""
    import threading

    from mlee.elex.data import _LRU

    cache, calls, results = _LRU(4), [], []

    def make() -> str:
        calls.append(1)
        time.sleep(0.5)  # the second request arrives meanwhile
        return "label"

    threads = [threading.Thread(target=lambda: results.append(cache.get("k", make))) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert results == ["label", "label"] and len(calls) == 1
    assert cache.get("k", lambda: "other") == "label"


def _component(node, component_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        children = node.get("props", {}).get("children")
        return _component(children, component_id) if children is not None else None
    if isinstance(node, list):
        return next((found for child in node if (found := _component(child, component_id)) is not None), None)
    return None


def test_the_layout_comes_with_the_figures_of_the_view_its_address_asks_for(data):
    from mlee.elex.app import create_app

    client = create_app(data.directory, data=data).server.test_client()
    dataset = data.dataset_keys()[-1]
    asked = client.get("/_dash-layout", headers={"Referer": f"http://host/?dataset={dataset}&task=training&x=time"})
    plain = client.get("/_dash-layout")
    for reply, wanted, task in ((asked, dataset, "training"), (plain, data.dataset_keys()[0], "inference")):
        layout = reply.get_json()
        assert _component(layout, "dataset")["props"]["value"] == wanted
        assert _component(layout, "task")["props"]["value"] == task
        figure = _component(layout, "scatter")["props"]["figure"]
        shown = {point[1] for trace in figure["data"] for point in trace.get("customdata") or []}
        assert shown and shown <= set(data.models_of(wanted))
        assert _component(layout, "bars")["props"]["figure"]["data"]
    assert "Running time" in json.dumps(_component(asked.get_json(), "scatter")["props"]["figure"]["layout"])
