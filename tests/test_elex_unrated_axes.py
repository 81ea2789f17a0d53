"""CO2e and energy net of idle, where runs recorded them, are axes of ELEx's scatter that are not rated: no index,
no zones, no weight or boundaries to set, and a note of how many shown results lack them. Real runs (iris: two
methods with a grid and an idle baseline, one without), a real merge, a real ``elex.py`` server and headless
chromium."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from elex_support import Server, figure, needs_browser, open_page, wait
from test_elex_requests import Page, settings_values

from mlee.layout import SHIPPED_RESULTS

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("unrated")
    logs = base / "logs"
    common = ("--dataset", "iris", "--hyperparameters", "default", "--output-dir", str(logs), "--no-progress")
    _run("evaluate_sklearn.py", "--model", "GNB", "LR", *common, "--country", "DE", "--idle-seconds", "0.2")
    _run("evaluate_sklearn.py", "--model", "kNN", *common)
    _run("merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(base / "results"), "--quiet")
    return base / "results"


@pytest.fixture(scope="module")
def data(results):
    from mlee.elex.data import ExplorerData

    return ExplorerData.load(results)


def _figure(data, x: str, y: str, scale: str = "index") -> dict:
    from mlee.elex.callbacks import zone_compound
    from mlee.elex.figures import scatter_figure
    from mlee.elex.state import default_settings_store

    store = default_settings_store()
    rated = data.rated(store)
    rows = rated[(rated["dataset"] == "iris") & (rated["task"] == "inference")]
    return scatter_figure(rows, x, y, scale, "inference", store["boundaries"], zone_compound(store["mode"]),
                          data.environments)


def test_co2e_and_net_energy_are_offered_only_where_recorded(data):
    from mlee.elex.data import ExplorerData

    assert {"co2e_g", "net_power_draw"} <= set(data.metric_keys)
    shipped = ExplorerData.load(SHIPPED_RESULTS)
    assert not {"co2e_g", "net_power_draw"} & set(shipped.metric_keys)


@pytest.mark.parametrize("scale", ["index", "value"])
def test_an_unrated_axis_plots_values_without_zones_and_counts_the_results_lacking_it(data, scale):
    fig = _figure(data, "co2e_g", "top1_val", scale)
    points = [t for t in fig["data"] if t.get("customdata")]
    assert sum(len(t["x"]) for t in points) == 2  # GNB and LR recorded CO2e, kNN did not
    assert all(0 < x < 1e-3 for t in points for x in t["x"])  # grams, not an index
    assert fig["layout"]["xaxis"]["title"]["text"] == "CO2e [g] (not rated)"
    assert fig["layout"]["xaxis"]["tickformat"] == "~s" and fig["layout"]["yaxis"]["tickformat"] == "~g"
    assert not fig["layout"]["shapes"]
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert "1 of 3 model(s) without CO2e not shown" in notes and "CO2e: not rated (no rating zones)" in notes
    assert all("(not rated)" in h and "Energy net of idle: " in h for t in points for h in t["hovertext"])


def test_net_energy_axis_is_below_the_energy_of_each_result(data):
    net = _figure(data, "net_power_draw", "power_draw", "value")
    points = [t for t in net["data"] if t.get("customdata")]
    pairs = [(x, y) for t in points for x, y in zip(t["x"], t["y"])]
    assert len(pairs) == 2 and all(0 < x < y for x, y in pairs)
    assert net["layout"]["xaxis"]["title"]["text"] == "Energy net of idle [J] (not rated)"


def test_weights_and_boundaries_of_an_unrated_axis_never_enter_the_settings():
    from mlee.elex.controls import merge_controls
    from mlee.elex.state import default_settings_store

    store = default_settings_store()
    merged = merge_controls(store, "weight-x", {"weight-x": 5, "weight-y": 2, "boundary-x": [-1, 0, 0.5, 1]},
                            "iris", "inference", "co2e_g", "top1_val", [])
    assert not [k for k in (*merged["weights"], *merged["boundaries"]) if "co2e_g" in k]
    assert merged["weights"]["general top1_val"] == 2.0


def test_the_settings_answer_of_an_unrated_axis_says_it_is_not_rated(results, tmp_path):
    with Server(results, tmp_path / "elex.log") as server:
        status, text = Page(server).call("settings.data", "x-metric.value",
                                         settings_values(**{"x-metric.value": "co2e_g", "weight-x.value": 3}))
    assert status == 200, text
    response = json.loads(text)["response"]
    assert response["boundary-x-name"]["children"] == "Inference CO2e (not rated: no weight or boundaries)"
    assert response["weight-x"]["value"] == 0.0
    assert "co2e_g" not in json.dumps(response.get("settings", {}).get("data", {}))


@needs_browser
def test_choosing_co2e_disables_its_weight_and_boundaries_in_the_page(results, tmp_path, browser):
    with Server(results, tmp_path / "elex.log") as server:
        open_page(browser, server.url + "?dataset=iris&task=inference&x=co2e_g&y=top1_val&scale=index")
        assert figure(browser)["xtitle"] == "CO2e [g] (not rated)"
        disabled = ("return [document.getElementById('weight-x').disabled,"
                    " document.getElementById('weight-y').disabled,"
                    " !!document.querySelector('#boundary-x [data-disabled], #boundary-x [aria-disabled=true],"
                    " #boundary-x .rc-slider-disabled, #boundary-x [disabled]'),"
                    " !!document.querySelector('#boundary-y [data-disabled], #boundary-y [aria-disabled=true],"
                    " #boundary-y .rc-slider-disabled, #boundary-y [disabled]')];")
        wait(browser, lambda d: d.execute_script(disabled) == [True, False, True, False],
             message="the unrated axis's controls are not disabled (or the rated one's are)")
        notes = browser.execute_script(
            "return Array.from(document.querySelectorAll('#scatter .annotation-text')).map(function(a) {"
            " return a.textContent; });")
        assert "1 of 3 model(s) without CO2e not shown" in notes, notes
        with urllib.request.urlopen(server.url + "_dash-layout", timeout=60) as reply:
            layout = reply.read().decode()
    assert "CO2e (not rated)" in layout and "Energy net of idle (not rated)" in layout
