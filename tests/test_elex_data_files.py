"""ELEx's run panel with ``--data-dir``: the CSV and Parquet files of the folder are offered as datasets, the
target chooser offers their columns, and a launch runs them (a real ``python elex.py`` server, its embedded Dask
cluster and headless chromium); a file mlee cannot use is refused at launch with the problem."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from elex_support import needs_browser, open_page, wait
from sklearn.datasets import load_iris

from mlee.layout import SHIPPED_RESULTS
from test_elex_runs import RUN_TIMEOUT_S, message, run_rows, start, tick

pytestmark = needs_browser


def choose(driver, dropdown_id: str, value: str) -> None:
    """Pick ``value`` in a single-value Dash dropdown."""
    driver.find_element("id", dropdown_id).click()
    option = wait(driver, lambda d: d.find_element(
        "css selector", f".dash-dropdown-options input[value='{value}']"), message=f"no option {value}")
    driver.execute_script("arguments[0].closest('label').click();", option)


def offered(driver, dropdown_id: str) -> list[str]:
    from selenium.webdriver.common.keys import Keys

    driver.find_element("id", dropdown_id).click()
    values = [e.get_attribute("value") for e in
              wait(driver, lambda d: d.find_elements("css selector", ".dash-dropdown-options input"))]
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    return values


@pytest.fixture(scope="module")
def files_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("elex-files")
    data = tmp / "data"
    data.mkdir()
    frame = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
    frame["colour"] = np.random.default_rng(0).choice(["red", "blue"], size=len(frame))
    frame.to_csv(data / "flowers.csv", index=False)
    frame.assign(species=1).to_parquet(data / "constant.parquet", index=False)
    (data / "notes.txt").write_text("not a table")
    served = tmp / "results" / "sklearn"
    served.mkdir(parents=True)
    for path in sorted(SHIPPED_RESULTS.joinpath("sklearn").glob("*.json"))[:8]:
        shutil.copy(path, served / path.name)
    server = start(tmp, tmp / "results", "--data-dir", str(data))
    server.tmp = tmp  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_a_data_file_of_the_folder_runs_with_the_chosen_target(files_server, browser):
    open_page(browser, files_server.url)
    datasets = offered(browser, "runs-datasets")
    assert "datafile:flowers.csv" in datasets and "datafile:constant.parquet" in datasets
    assert not any("notes" in v for v in datasets)
    tick(browser, "runs-datasets", "datafile:flowers.csv")
    wait(browser, lambda d: "species" in offered(d, "runs-target"), message="no target columns offered")
    assert offered(browser, "runs-target") == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                                               "petal width (cm)", "species", "colour"]
    tick(browser, "runs-methods", "Gaussian Naive Bayes")
    browser.find_element("id", "runs-launch").click()
    wait(browser, lambda d: "Choose the target column" in message(d), message="launched without a target")
    choose(browser, "runs-target", "species")
    browser.find_element("id", "runs-launch").click()
    wait(browser, lambda d: "launched: 1 run(s)" in message(d), message="launch not confirmed")
    sweep = int(message(browser).split()[1])
    wait(browser, lambda d: [r["state"] for r in run_rows(d, sweep)] == ["done"], timeout=RUN_TIMEOUT_S,
         message="the run did not reach done")
    (row,) = run_rows(browser, sweep)
    assert row["dataset"].startswith("file:flowers@") and not row["error"]


def test_a_file_mlee_cannot_use_is_refused_at_launch(files_server, browser):
    open_page(browser, files_server.url)
    tick(browser, "runs-datasets", "datafile:constant.parquet")
    wait(browser, lambda d: "species" in offered(d, "runs-target"), message="no target columns offered")
    choose(browser, "runs-target", "species")
    tick(browser, "runs-methods", "Gaussian Naive Bayes")
    browser.find_element("id", "runs-launch").click()
    wait(browser, lambda d: "single value 1" in message(d), message="the constant target was not refused")
    assert str(files_server.tmp) not in message(browser)  # the page is told the file's name, not the server's path


def test_a_launch_registers_a_data_file_for_the_chosen_task(tmp_path):
    from mlee.elex.run_request import RunRequestError, current_choices, validate_request
    from mlee.runs.data_file import registered_task

    frame = load_iris(as_frame=True).frame
    frame.to_csv(tmp_path / "plants.csv", index=False)
    choices = current_choices(None, tmp_path)
    raw = {"datasets": ["datafile:plants.csv"], "methods": ["Random Forest"], "repeats": 1, "monitor": "estimate",
           "target": "petal width (cm)"}
    with pytest.raises(RunRequestError, match="choose the task regression"):
        validate_request(raw, choices)
    request = validate_request({**raw, "task": "regression"}, choices)
    (key,) = request.datasets
    assert key.startswith("file:plants@") and registered_task(key) == "regression"
    assert request.hyperparameters == "default"  # a data file has no search
    with pytest.raises(RunRequestError, match="Task: pick"):
        validate_request({**raw, "task": "clustering"}, choices)
