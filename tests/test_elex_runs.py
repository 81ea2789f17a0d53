"""Running experiments from ELEx, in a real browser: a real ``python elex.py`` server whose runs go to a real
embedded Dask cluster (one worker process), driven in headless Debian chromium. The runs are real scikit-learn
fits measured by the estimate monitor; their folders are merged by the merge code and shown by the page."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from elex_support import Server, figure, needs_browser, open_page, wait

pytestmark = needs_browser

RUN_TIMEOUT_S = 240  # embedded cluster start + two short runs + merge on a loaded 2-core machine


def credit_g_results(reference_dir: Path, target: Path) -> Path:
    """``target`` holding the published credit-g results (a small folder the page loads fast)."""
    out = target / "sklearn"
    out.mkdir(parents=True)
    for path in sorted((reference_dir / "published-results" / "sklearn").glob("*.json")):
        if json.loads(path.read_text())["config"]["dataset"] == "credit-g":
            shutil.copy(path, out / path.name)
    return target


def start(tmp: Path, results: Path, *args: str) -> Server:
    server = Server(results, tmp / "server.log", ("--runs-logs", str(tmp / "logs"), "--runs-results",
                                                  str(tmp / "user-results" / "sklearn"), *args))
    try:
        server.wait()
    except BaseException:
        server.stop()
        raise
    return server


def tick(driver: Any, dropdown_id: str, *values: str) -> None:
    """Tick ``values`` in a Dash 4 multi-value dropdown, then close it."""
    from selenium.webdriver.common.keys import Keys

    driver.find_element("id", dropdown_id).click()
    for value in values:
        option = wait(driver, lambda d: d.find_element(
            "css selector", f".dash-dropdown-options input[value='{value}']"), message=f"no option {value}")
        driver.execute_script("arguments[0].closest('label').click();", option)
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)


def set_number(driver: Any, input_id: str, value: Any) -> None:
    field = driver.find_element("id", input_id)
    field.clear()
    field.send_keys(str(value))


def run_rows(driver: Any, sweep: int) -> list[dict[str, str]]:
    """The rows of a sweep's progress table: dataset, method, repeat, state, elapsed, node, error."""
    keys = ("dataset", "method", "repeat", "state", "elapsed", "node", "error")
    cells = driver.execute_script("""
        var rows = document.querySelectorAll('#runs-sweep-' + arguments[0] + ' tbody tr');
        return Array.from(rows).map(function(r) {
            return Array.from(r.children).map(function(c) { return c.textContent; }); });
    """, sweep)
    return [dict(zip(keys, row)) for row in cells]


def message(driver: Any) -> str:
    return driver.find_element("id", "runs-message").text


def run_folders(logs: Path) -> list[str]:
    return sorted(p.name for p in logs.iterdir()) if logs.is_dir() else []


# ============================================================================================ launching
@pytest.fixture(scope="module")
def runs_server(reference_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("elex-runs")
    server = start(tmp, credit_g_results(reference_dir, tmp / "results"))
    server.tmp = tmp  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_launch_iris_lr_rf_shows_progress_and_new_points(runs_server, browser):
    open_page(browser, runs_server.url)
    tick(browser, "runs-datasets", "iris")
    tick(browser, "runs-methods", "Logistic Regression", "Random Forest")
    set_number(browser, "runs-repeats", 1)
    browser.find_element("id", "runs-launch").click()
    wait(browser, lambda d: "Sweep 1 launched: 2 run(s)" in message(d), message="launch not confirmed")
    wait(browser, lambda d: [r["state"] for r in run_rows(d, 1)] == ["done", "done"], timeout=RUN_TIMEOUT_S,
         message="the runs did not reach done")
    rows = run_rows(browser, 1)
    assert [(r["dataset"], r["method"]) for r in rows] == [("iris", "Logistic Regression"), ("iris", "Random Forest")]
    assert all(r["node"] and r["elapsed"] and not r["error"] for r in rows)
    # the state belongs to the server: a reloaded page shows the same sweep
    open_page(browser, runs_server.url + "?dataset=iris")
    wait(browser, lambda d: [r["state"] for r in run_rows(d, 1)] == ["done", "done"], message="lost on reload")
    # the new points are in the scatter, ringed as new, without a restart
    wait(browser, lambda d: {"Logistic Regression", "Random Forest"} <= {
        c[1] for t in (figure(d) or {}).get("traces", []) for c in (t.get("custom") or [])},
        timeout=30, message="new points not in the scatter")
    new = browser.execute_script("""
        var gd = document.querySelector('#scatter .js-plotly-plot');
        return gd.data.filter(function(t) { return t.meta === 'new-points'; }).map(function(t) { return t.x.length; });
    """)
    assert new == [2]
    logs = runs_server.tmp / "logs"
    merged = sorted(p.name for p in (runs_server.tmp / "user-results" / "sklearn").glob("[!.]*.json"))
    assert len([n for n in run_folders(logs) if not n.startswith(".")]) == 4 and len(merged) == 4
    assert not (runs_server.tmp / "results" / "sklearn" / ".mlee-merge-state.json").exists()  # served folder untouched


def test_cancel_running_sweep_leaves_no_half_saved_run(runs_server, browser):
    logs = runs_server.tmp / "logs"
    before = run_folders(logs)
    open_page(browser, runs_server.url)
    tick(browser, "runs-datasets", "synthetic")
    set_number(browser, "runs-rows", 200000)  # an MLP fit of many minutes
    set_number(browser, "runs-features", 100)
    tick(browser, "runs-methods", "Multilayer Perceptron")
    set_number(browser, "runs-repeats", 2)
    browser.find_element("id", "runs-hyperparameters").click()
    option = wait(browser, lambda d: d.find_element("css selector", ".dash-dropdown-options input[value='default']"))
    browser.execute_script("arguments[0].closest('label').click();", option)
    browser.find_element("id", "runs-launch").click()
    wait(browser, lambda d: "Sweep 2 launched: 2 run(s)" in message(d), message="launch not confirmed")
    wait(browser, lambda d: [r["state"] for r in run_rows(d, 2)][:1] == ["running"], timeout=RUN_TIMEOUT_S,
         message="the run did not start")
    for _ in range(3):  # the table is redrawn each second: find the button afresh
        try:
            browser.find_element("css selector", "#runs-sweep-2 .runs-cancel").click()
            break
        except Exception:  # noqa: BLE001 - stale element while redrawn
            time.sleep(0.2)
    wait(browser, lambda d: [r["state"] for r in run_rows(d, 2)] == ["cancelled", "cancelled"], timeout=30,
         message="the sweep was not cancelled")
    assert "cancelled" in browser.find_element("css selector", "#runs-sweep-2 .runs-head").text
    # the abandoned experiment's worker was restarted: a new sweep runs at once instead of waiting minutes
    open_page(browser, runs_server.url)
    tick(browser, "runs-datasets", "wine")
    tick(browser, "runs-methods", "Gaussian Naive Bayes")
    browser.find_element("id", "runs-launch").click()
    wait(browser, lambda d: [r["state"] for r in run_rows(d, 3)] == ["done"], timeout=150,
         message="the sweep after the cancel did not run")
    # nothing of the cancelled runs was written, then or later
    assert [n for n in run_folders(logs) if n not in before and "wine" not in (logs / n / "config.json").read_text()] == []
    assert not any("synthetic" in p.read_text() for p in (runs_server.tmp / "user-results" / "sklearn").glob("[!.]*.json"))
    assert not any(n.startswith(".tmp") for n in run_folders(logs))


# ============================================================================================ not allowed
def test_panel_disabled_off_loopback_and_hidden_read_only(reference_dir, tmp_path, browser):
    results = credit_g_results(reference_dir, tmp_path / "results")
    server = start(tmp_path, results, "--host", "0.0.0.0")
    try:
        open_page(browser, server.url)
        text = browser.find_element("id", "runs-disabled").text
        assert "Launching runs is off: ELEx listens on 0.0.0.0" in text and "--allow-runs" in text
        assert browser.find_element("id", "runs-launch").get_attribute("disabled") is not None
    finally:
        server.stop()
    server = start(tmp_path, results, "--read-only")
    try:
        open_page(browser, server.url)
        assert not browser.find_elements("id", "runs") and not browser.find_elements("id", "runs-launch")
    finally:
        server.stop()
    assert not (tmp_path / "logs").exists()


def test_allow_runs_needs_the_printed_token(reference_dir, tmp_path, browser):
    results = credit_g_results(reference_dir, tmp_path / "results")
    server = start(tmp_path, results, "--allow-runs")
    try:
        log = server.log_path.read_text()
        assert "Runs: allowed with the token " in log
        open_page(browser, server.url)
        tick(browser, "runs-datasets", "iris")
        tick(browser, "runs-methods", "Gaussian Naive Bayes")
        browser.find_element("id", "runs-token").send_keys("not-the-token")
        browser.find_element("id", "runs-launch").click()
        wait(browser, lambda d: "Enter the run token" in message(d), message="wrong token not refused")
    finally:
        server.stop()
    assert not (tmp_path / "logs").exists()
