"""ELEx and the robustness group: a real ``python elex.py`` over a real small sweep measured with the robustness
properties, in headless chromium; and the metric rows with and without those properties."""

from __future__ import annotations

import pytest
from elex_support import Server, figure, needs_browser, open_page, svg_of, wait

from mlee.elex.tables import metric_rows
from mlee.metrics import METRICS
from mlee.rating.summary import MetricSummary, ModelSummary

#: the metrics of a classifier's rows
CLASSIFICATION = [m for m in METRICS if "classification" in m.learning_tasks]
MODELS = ("Logistic Regression", "Ridge Regression", "Gaussian Naive Bayes", "Random Forest")


def _summary(values: dict[str, float | None]) -> ModelSummary:
    return ModelSummary(model="Ridge Regression", model_short="RR", dataset="iris", dataset_display="Iris",
                        task="inference", environment="env", compound_rating=2, rating_mode="optimistic median",
                        fingerprint="00000000",
                        metrics={m.key: MetricSummary(key=m.key, value=values.get(m.key)) for m in METRICS})


def test_metric_rows_show_the_robustness_group_only_for_results_that_have_it():
    old = {r["key"] for r in metric_rows(_summary({"f1_val": 0.9, "time": 1.0}))}
    assert old == {m.key for m in CLASSIFICATION if not m.optional}
    rows = {r["key"]: r for r in metric_rows(_summary({"f1_val": 0.9, "noise_drop": 0.05, "ece": None}))}
    assert set(rows) == {m.key for m in CLASSIFICATION}
    assert rows["noise_drop"]["group"] == "Robustness" and rows["noise_drop"]["value"] == "5\u00a0%"
    assert rows["ece"]["value"] == "n.a." and rows["ece"]["provenance"] == "n.a."  # no probabilities


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import run_sweep
    from mlee.merge.merger import merge_directory
    from mlee.monitoring import Meter

    root = tmp_path_factory.mktemp("elex-robust")
    outcomes = run_sweep([("iris", m) for m in MODELS], RunSettings(output_dir=root / "logs"),
                         Meter(monitor="estimate"), progress=False)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    merge_directory(root / "logs", root / "results")
    with Server(root / "results", root / "server.log") as srv:
        yield srv


def _table(driver) -> list[list[str]]:
    """Rows of the metric table: [group] for a group heading, the cell texts otherwise."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#metrics-table tbody tr')).map(function(r) {"
        " return Array.from(r.querySelectorAll('th, td')).map(function(c) { return c.innerText.trim(); }); });")


@needs_browser
def test_robustness_axes_table_group_and_label_tile(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    fig = open_page(browser, server.url + "?dataset=iris&task=inference&x=noise_drop&y=ece&scale=value")
    assert fig["xtitle"] == "Accuracy drop under noise [%]" and fig["ytitle"] == "Expected calibration error [%]"
    # Ridge has no probabilities: it has no ECE, so it is no point of this plot
    plotted = {c[1] for t in fig["traces"] if t["custom"] for c in t["custom"]}
    assert plotted == set(MODELS) - {"Ridge Regression"}
    browser.find_element("id", "x-metric").click()
    offered = [e.get_attribute("value") for e in browser.find_elements("css selector", ".dash-dropdown-options input")]
    assert {"noise_drop", "ece", "brier", "noise_f1_mid", "latency_p99"} <= set(offered)
    browser.find_element("id", "x-metric").click()

    point = next(p for p in browser.find_elements("css selector", "#scatter .scatterlayer .trace .point"))
    ActionChains(browser).move_to_element(point).perform()
    wait(browser, lambda d: ["ROBUSTNESS"] in [[c.upper() for c in row] for row in _table(d)],
         message="the metric table shows no Robustness group")
    rows = _table(browser)
    groups = [row[0].upper() for row in rows if len(row) == 1]
    assert groups == ["COMPLEXITY", "QUALITY", "RESOURCES", "ROBUSTNESS"]
    cells = {row[0]: row for row in rows if len(row) > 1}
    drop = cells["Accuracy drop under noise"]
    assert drop[1].endswith("%") and drop[3].split("\n")[0] in "ABCDE"  # the letter, its stability below
    assert cells["Latency per sample (median)"][1][-1] == "s"
    label = wait(browser, lambda d: svg_of(d.find_element("id", "label-img").get_attribute("src")
                                           or "data:image/svg+xml;base64,"), message="no label")
    assert "Robustness" in label and "Calibration (ECE)" in label
