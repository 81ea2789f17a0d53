"""ELEx's first selection and its clicks, in a real browser against a real ``python elex.py``:

- the server warms itself up before it says it is ready: once it answers, the first page and the first
  selection (tables + label) import no module and open no font file (watched by a Python audit hook in the
  server process, written to its log);
- a click pins the model in the page and moves the ring there: the only request it sends is the selection's
  (no round trip for the pin, no redrawn plot); a plot redrawn while a model is pinned rings it at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from elex_support import Server, figure, needs_browser, open_page, svg_of, wait

pytestmark = needs_browser

#: runs ``sys.argv[1]`` (elex.py) with an audit hook that logs every module import and every font file opened
AUDIT = """
import runpy, sys
def hook(event, args):
    if event == "import":
        sys.stderr.write("audit: import %s\\n" % (args[0],))
    elif event == "open" and str(args[0]).lower().endswith((".ttf", ".otf", ".afm", ".pfb")):
        sys.stderr.write("audit: open %s\\n" % (args[0],))
sys.addaudithook(hook)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

#: records the callback requests the page sends (their outputs), from now on
REQUESTS_JS = """
window.__sent = [];
if (!window.__fetchWatched) {
  window.__fetchWatched = true;
  var pageFetch = window.fetch;
  window.fetch = function(url, init) {
    try { window.__sent.push(JSON.parse(String((init || {}).body || '{}')).output || String(url)); }
    catch (e) { window.__sent.push(String(url)); }
    return pageFetch.apply(this, arguments);
  };
}
"""

RING_JS = """
var gd = document.querySelector('#scatter .js-plotly-plot');
var ring = gd.data.filter(function(t) { return t.meta === 'pinned'; })[0] || {x: [], y: []};
return (ring.x || []).map(function(x, i) { return [x, ring.y[i]]; });
"""


def _click(driver: Any, trace: int, index: int) -> tuple[str, str, float, float]:
    """Click point ``index`` of the ``trace``-th point trace; wait until the details show it pinned."""
    from selenium.webdriver.common.action_chains import ActionChains

    fig = figure(driver)
    points = [t for t in fig["traces"] if t["custom"]]
    env, model = points[trace]["custom"][index]
    groups = [g for g in driver.find_elements("css selector", "#scatter .scatterlayer .trace")
              if g.find_elements("css selector", ".point")]
    ActionChains(driver).move_to_element(groups[trace].find_elements("css selector", ".point")[index]).click().perform()
    wait(driver, lambda d: "Pinned" in d.find_element("id", "details-state").text
         and model in svg_of(d.find_element("id", "label-img").get_attribute("src") or "data:image/svg+xml;base64,")
         and d.execute_script("return document.querySelector('#info-table td') !== null"),
         message=f"the click did not pin {model}")
    return env, model, points[trace]["x"][index], points[trace]["y"][index]


def test_first_page_and_selection_import_nothing(reference_dir, tmp_path, browser):
    log = tmp_path / "server.log"
    with Server(reference_dir / "published-results", log, extra_args=("--verbose",), launcher=("-c", AUDIT)) as server:
        ready = log.stat().st_size  # the server answered: from here on it serves
        before = log.read_text()
        assert "audit: import mlee.label" in before and "audit: open" in before and "warmed up in" in before
        open_page(browser, server.url)
        _, model, _, _ = _click(browser, 0, 1)
        assert model in browser.find_element("id", "info-table").text
        served = log.read_bytes()[ready:].decode()
    late = [line for line in served.splitlines() if line.startswith("audit: ")]
    assert not late, f"imported or opened while serving the first page and selection: {late}"


@pytest.fixture(scope="module")
def server(reference_dir, tmp_path_factory):
    with Server(reference_dir / "published-results", tmp_path_factory.mktemp("elex") / "server.log") as srv:
        yield srv


def test_a_click_sends_only_the_selection_and_moves_the_ring(server, browser):
    open_page(browser, server.url)
    for trace, index in ((0, 0), (0, 2), (0, 0)):
        browser.execute_script(REQUESTS_JS)
        _, model, x, y = _click(browser, trace, index)
        wait(browser, lambda d: d.execute_script(RING_JS) == [[x, y]], message=f"the ring is not on {model}")
        sent = browser.execute_script("return window.__sent;")  # besides, the runs panel polls its progress
        assert any("selection.data" in s for s in sent), sent
        assert not any("scatter.figure" in s or s == "pin.data" for s in sent), sent


def test_a_redrawn_plot_rings_the_pinned_model(server, browser):
    open_page(browser, server.url)
    env, model, x, y = _click(browser, 0, 1)
    wait(browser, lambda d: d.execute_script(RING_JS) == [[x, y]], message="the ring is not on the pinned model")
    browser.find_element("css selector", "#scale input[value='value']").click()  # the server redraws the plot
    wait(browser, lambda d: (figure(d) or {}).get("xtitle") and "index" not in figure(d)["xtitle"].lower(),
         message="the plot was not redrawn on the value scale")

    def ring_on_new_point(d: Any) -> bool:
        fig = figure(d)
        trace = next(t for t in fig["traces"] if t["custom"] and [env, model] in t["custom"])
        j = trace["custom"].index([env, model])
        return d.execute_script(RING_JS) == [[trace["x"][j], trace["y"][j]]] and [trace["x"][j], trace["y"][j]] != [x, y]

    wait(browser, ring_on_new_point, message="the redrawn plot lost the ring")
    assert "Pinned" in browser.find_element("id", "details-state").text


#: page centres (x, y) of point ``arguments[1]`` of the ``arguments[0]``-th point trace and of the ring's marker
CENTRES_JS = """
var gd = document.querySelector('#scatter .js-plotly-plot');
var groups = Array.from(gd.querySelectorAll('.scatterlayer .trace'));
var centre = function(el) { var r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; };
var points = groups.filter(function(g) { return g.querySelector('.point') && g.__data__[0].trace.customdata; });
var ring = groups.filter(function(g) { return g.__data__[0].trace.meta === 'pinned'; })[0];
return [centre(points[arguments[0]].querySelectorAll('.point')[arguments[1]]), centre(ring.querySelector('.point'))];
"""


def test_the_ring_is_centred_on_the_pinned_point_on_a_log_axis(server, browser):
    open_page(browser, server.url + "?dataset=covtype&task=inference&x=power_draw&y=top1_val&scale=value")
    assert browser.execute_script(
        "return document.querySelector('#scatter .js-plotly-plot')._fullLayout.xaxis.type;") == "log"
    for index in (0, 2):
        _, model, x, y = _click(browser, 0, index)
        wait(browser, lambda d: d.execute_script(RING_JS) == [[x, y]], message=f"the ring is not on {model}")
        (px, py), (rx, ry) = browser.execute_script(CENTRES_JS, 0, index)
        assert abs(px - rx) <= 2 and abs(py - ry) <= 2, (model, (px, py), (rx, ry))


def test_debug_mode_serves_too(reference_dir, tmp_path):
    """Dash's debug mode registers its handlers when serving starts, which Flask refuses after a request: the
    server is not warmed up then, and still serves."""
    import urllib.request

    log = tmp_path / "server.log"
    with Server(reference_dir / "published-results", log, extra_args=("--debug",)) as server:
        with urllib.request.urlopen(server.url + "_dash-layout", timeout=30) as reply:
            assert reply.status == 200 and b"scatter" in reply.read()
    assert "warmed up in" not in log.read_text()
