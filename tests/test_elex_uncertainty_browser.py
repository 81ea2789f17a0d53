"""ELEx in headless chromium shows how sure its numbers are: error bars on both axes of the scatter, each value's
95 % interval and each letter's stability in the details, and in the main view that every energy is estimated
and which backends fell back (a real ``elex.py`` server over the shipped results)."""

from __future__ import annotations

from typing import Any

import pytest
from elex_support import Server, figure, needs_browser, open_page, wait
from test_elex_browser import info, metric_row, select_point

from mlee.layout import SHIPPED_RESULTS

pytestmark = needs_browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(SHIPPED_RESULTS, tmp_path_factory.mktemp("elex-log") / "server.log") as srv:
        yield srv


def _error_bars(driver: Any, axis: str) -> int:
    """Drawn error bars (plotly's SVG paths) of the scatter along ``axis`` with a visible length."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#scatter .errorbar path.' + arguments[0] + 'error'))"
        ".filter(function(p) { var b = p.getBBox(); return b.width + b.height > 2; }).length;", axis)


def test_scatter_has_error_bars_on_both_axes_and_details_show_interval_and_stability(server, browser):
    open_page(browser, server.url + "?dataset=iris&task=inference&x=power_draw&y=time")
    wait(browser, lambda d: _error_bars(d, "x") > 5 and _error_bars(d, "y") > 5, timeout=30,
         message="no error bars drawn on both axes")
    note = browser.find_element("id", "energy-note").text
    assert "Every energy shown is estimated" in note and "running time and CPU use" in note
    assert "Backend fallback" in note and "RF" in note and "stock scikit-learn" in note
    fig = figure(browser)
    trace = next(i for i, t in enumerate(fig["traces"]) if t["custom"] and "Scikit-learn 1.9" in t["custom"][0][0])
    model = fig["traces"][trace]["custom"][0][1]
    select_point(browser, trace, 0)
    energy = metric_row(browser, "Energy")
    assert "\u2013" in energy[1].split("\n")[-1], energy  # the 95 % interval under the value
    assert energy[3].split("\n")[-1].split("%")[0].strip().isdigit(), energy  # the letter's stability
    table = info(browser)
    assert table["Stability"] == "certain" or "%" in table["Stability"], (model, table)
    assert table["Runs"].startswith("3")
