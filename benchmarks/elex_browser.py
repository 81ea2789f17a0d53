"""ELEx in a real browser: from a click on a point of the scatter plot to the details (tables + label) showing
that model pinned, measured inside headless chromium.

Target: <= 200 ms from the click to updated tables and label (median over later clicks), and the first
click on a freshly started server not much slower than later ones (the server warms itself at start).

Usage: python benchmarks/elex_browser.py [--results ../shared/reference/published-results] [--servers 3]
                                         [--points 8] [--repeats 2] [--quick] [--trace]

Each of ``--servers`` runs starts a real ``python elex.py`` (a fresh process), opens the page in headless
Debian chromium (Selenium, the system chromedriver, as the tests use) and clicks ``--points`` different
points of the scatter plot (the first on the fresh server, then each on a server that has not shown it yet:
"new point"; never the plot's first point, which the server's warm-up selected), then the same points again
``--repeats`` times ("repeated": answered from the server's caches), then, on a reloaded page, one point again.
The mouse moves onto the point and clicks at once, as a user does; the move also sends the hover preview.

Timing is taken in the page with ``performance.now()``: the click = the ``pointerup`` event (capture phase,
before plotly sees it: the button's release completes a click, and nothing can answer before it); the
update = the first DOM mutation after which the details show the clicked model pinned (info table's model and
environment, "Pinned", and a new label image naming the model), seen by a ``MutationObserver``, and then the
label image decoded (``img.decode()``, ready to paint): that is the figure held against the target. The
details in the DOM before the label is decoded, and the ring around the pinned point in the plot, are timed
the same way and reported. Python only polls for the result; its sleeps are the user's pauses between clicks,
never timed. ``--trace`` prints every callback request of each click (sent and answered, after the click).
The machine's load average is printed with every figure: the figures mean little at a load above 1.
``--quick``: one server, 5 points, one repeat (well under a minute).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' server and driver helpers
PUBLISHED = Path(os.environ.get("MLEE_REFERENCE") or ROOT.parent / "shared" / "reference") / "published-results"

from elex_support import CHROMEDRIVER, Server, make_driver  # noqa: E402

TARGET_MS = 200.0
#: what is timed: the first click on a fresh server's first page, clicks on points new to the server, repeated
#: clicks, the first click on a reloaded page of the same (warm) server; the ring and the details in the DOM; the
#: round trip of the selection request of the first click on a fresh server and of the later ones
KINDS = ("first", "new", "repeated", "reloaded", "ring", "shown", "trip first", "trip later")

#: installs the probe: the click time (pointerup) and the times the details and the ring show ``want``; every
#: callback request (its output, when it was sent and answered) for ``--trace``
PROBE_JS = """
var probe = window.__probe = {want: null, t0: null, shown: null, details: null, ring: null, src: null};
function decoded(src) {
  try { return atob((src || '').split(',', 2)[1] || ''); } catch (e) { return ''; }
}
var lastSrc = null, lastText = '';
function labelNames(model) {
  var src = document.getElementById('label-img').getAttribute('src');
  if (src !== lastSrc) { lastSrc = src; lastText = decoded(src); }
  return src !== probe.src && lastText.indexOf(model) >= 0;
}
function detailsShow(w) {
  var cells = {};
  document.querySelectorAll('#info-table tr').forEach(function(r) {
    var th = r.querySelector('th'), td = r.querySelector('td');
    if (th && td) { cells[th.textContent.trim()] = td.textContent.trim(); }
  });
  var state = document.getElementById('details-state');
  return (cells['Model'] || '').indexOf(w.model + ' (') === 0 && cells['Environment'] === w.env
      && state && state.textContent.indexOf('Pinned') >= 0 && labelNames(w.model);
}
function ringShows(w) {
  // the ring drawn: plotly's shape path element of the layout shape named 'pinned', at the point
  var gd = document.querySelector('#scatter .js-plotly-plot');
  var shapes = (gd && gd._fullLayout && gd._fullLayout.shapes) || [];
  var k = shapes.findIndex(function(s) { return s.name === 'pinned'; });
  var near = function(a, b) { return Math.abs(a - b) <= 1e-9 * Math.abs(b); };  // a log axis round-trips
  return k >= 0 && near(shapes[k].xanchor, w.x) && near(shapes[k].yanchor, w.y)
      && !!gd.querySelector('.shapelayer path[data-index="' + k + '"]');
}
function check() {
  var w = probe.want;
  if (!w || probe.t0 === null) { return; }
  var now = performance.now();
  if (probe.shown === null && detailsShow(w)) {
    probe.shown = now - probe.t0;
    var t0 = probe.t0;
    // the label counts once its image is decoded (ready to paint), not when its src is set
    document.getElementById('label-img').decode().then(function() { probe.details = performance.now() - t0; },
                                                       function() { probe.details = -1; });
  }
  if (probe.ring === null && ringShows(w)) { probe.ring = now - probe.t0; }
}
window.addEventListener('pointerup', function() {
  if (probe.want && probe.t0 === null) { probe.t0 = performance.now(); }
}, true);
var options = {subtree: true, childList: true, attributes: true, characterData: true};
new MutationObserver(check).observe(document.getElementById('details'), options);
new MutationObserver(check).observe(document.getElementById('scatter'), options);
probe.requests = [];
probe.long = [];
new PerformanceObserver(function(list) {
  list.getEntries().forEach(function(e) { probe.long.push([e.startTime, e.duration]); });
}).observe({type: 'longtask'});
var fetchPage = window.fetch;
window.fetch = function(url, init) {
  var sent = performance.now(), body = String((init || {}).body || ''), output = '';
  try { output = JSON.parse(body).output; } catch (e) {}
  return fetchPage.apply(this, arguments).then(function(reply) {
    probe.requests.push({output: output, sent: sent, answered: performance.now(), bytes: body.length});
    return reply;
  });
};
"""

ARM_JS = """
var p = window.__probe;
p.want = {env: arguments[0], model: arguments[1], x: arguments[2], y: arguments[3]};
p.t0 = null; p.shown = null; p.details = null; p.ring = null;
p.src = document.getElementById('label-img').getAttribute('src');
p.requests = []; p.long = [];
"""

POINTS_JS = """
var gd = document.querySelector('#scatter .js-plotly-plot');
var out = [], trace = 0;
gd.data.forEach(function(t) {
  if (!t.customdata) { return; }
  t.customdata.forEach(function(c, i) { out.push([trace, i, c[0], c[1], t.x[i], t.y[i]]); });
  trace += 1;
});
return out;
"""


def load() -> str:
    """The 1-minute load average, as printed next to each figure."""
    return f"{os.getloadavg()[0]:.2f}"


def point_element(driver: Any, trace: int, index: int) -> Any:
    groups = [g for g in driver.find_elements("css selector", "#scatter .scatterlayer .trace")
              if g.find_elements("css selector", ".point")]
    return groups[trace].find_elements("css selector", ".point")[index]


def click(driver: Any, point: list[Any], trace: bool = False, timeout: float = 15.0) -> dict[str, float]:
    """Click ``point`` ([trace, index, env, model, x, y]); ms from the click to: the details in the DOM
    (``shown``), their label decoded too (``details``, the figure of the target) and the ring (``ring``)."""
    from selenium.webdriver.common.action_chains import ActionChains

    number, index, env, model, x, y = point
    driver.execute_script(ARM_JS, env, model, x, y)
    ActionChains(driver).move_to_element(point_element(driver, number, index)).click().perform()
    deadline = time.monotonic() + timeout
    result: dict[str, Any] = {}
    while time.monotonic() < deadline:
        result = driver.execute_script("var p = window.__probe; "
                                       "return {shown: p.shown, details: p.details, ring: p.ring, t0: p.t0};")
        if result["details"] is not None and result["ring"] is not None:
            break
        if result["details"] is not None:  # a page without a ring shape (an older ELEx) is timed too
            deadline = min(deadline, time.monotonic() + 2.0)
        time.sleep(0.02)
    if result.get("details") is None or result["details"] < 0:
        raise RuntimeError(f"the details did not show {model} ({env}) pinned within {timeout} s: {result}")
    # the round trip of the selection request the click sent (the server's share, with the network's)
    trips = driver.execute_script(
        "var p = window.__probe; return p.requests.filter(function(r) {"
        " return r.sent >= p.t0 && r.output.indexOf('selection.data') >= 0; })"
        ".map(function(r) { return r.answered - r.sent; });")
    if trips:
        result["trip"] = trips[0]
    if trace:
        time.sleep(0.3)  # answers still on their way
        requests = driver.execute_script("return window.__probe.requests;")
        long_tasks = driver.execute_script("return window.__probe.long;")
        print(f"    {model} ({env}): shown {result['shown']:.0f} ms, label decoded {result['details']:.0f} ms, "
              f"ring {result['ring'] or float('nan'):.0f} ms")
        for r in requests:
            print(f"      {r['output'][:70]:70s} sent {r['sent'] - result['t0']:6.0f} "
                  f"answered {r['answered'] - result['t0']:6.0f} ms")
        for start, duration in long_tasks:
            print(f"      long task (page busy) from {start - result['t0']:6.0f} ms for {duration:.0f} ms")
    return {k: float(v) for k, v in result.items() if k != "t0" and v is not None}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def open_page(driver: Any, url: str) -> list[list[Any]]:
    """Load the page, wait for the plot's points and the initial callbacks, install the probe; the points."""
    driver.get(url)
    deadline = time.monotonic() + 60
    while not driver.find_elements("css selector", "#scatter .scatterlayer .point"):
        if time.monotonic() > deadline:
            raise RuntimeError("the scatter plot did not render within 60 s")
        time.sleep(0.05)
    time.sleep(1.0)  # let the page's initial callbacks settle (a user looks before clicking)
    driver.execute_script(PROBE_JS)
    return driver.execute_script(POINTS_JS)


def one_server(driver: Any, results: Path, n_points: int, repeats: int, log_dir: Path,
               number: int, trace: bool) -> dict[str, list[float]]:
    """Start a fresh server, click points; the times (ms) of first / new / repeated clicks and the rings."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    t_start = time.perf_counter()
    with Server(results, log_dir / f"server{number}.log") as server:
        started = time.perf_counter() - t_start
        points = open_page(driver, server.url)
        points = points[1:]  # the first point is the one the server's warm-up selected: never clicked
        chosen = points[:: max(1, len(points) // n_points)][:n_points]
        if len(chosen) < 2:
            raise RuntimeError(f"the default view has {len(points)} point(s); need at least 2")
        for round_no in range(1 + repeats):
            for i, point in enumerate(chosen):
                result = click(driver, point, trace)
                kind = "repeated" if round_no else ("first" if i == 0 else "new")
                times[kind].append(result["details"])
                if "trip" in result:
                    times["trip first" if kind == "first" else "trip later"].append(result["trip"])
                times["shown"].append(result["shown"])
                if "ring" in result:
                    times["ring"].append(result["ring"])
                time.sleep(0.3)  # the user's pause before the next click
        # the same server (warm), a new page: what of the first click's extra time is the fresh page's
        open_page(driver, server.url)
        times["reloaded"].append(click(driver, chosen[1], trace)["details"])
    print(f"  server {number}: started in {started:.2f} s; first click {times['first'][0]:.0f} ms "
          f"(on a reloaded page {times['reloaded'][0]:.0f} ms), new points "
          f"{' '.join(f'{t:.0f}' for t in times['new'])} ms, repeated median "
          f"{statistics.median(times['repeated']):.0f} ms (load {load()})", flush=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=PUBLISHED)
    parser.add_argument("--servers", type=int, default=3, help="fresh server processes, one after the other")
    parser.add_argument("--points", type=int, default=8, help="different points clicked per server")
    parser.add_argument("--repeats", type=int, default=2, help="times the same points are clicked again")
    parser.add_argument("--quick", action="store_true", help="one server, 5 points, one repeat (< 60 s)")
    parser.add_argument("--trace", action="store_true",
                        help="print each click's callback requests (sent / answered, ms after the click)")
    args = parser.parse_args()
    if args.quick:
        args.servers, args.points, args.repeats = 1, 5, 1
    if not args.results.is_dir():
        print(f"no results at {args.results}: pass --results (a folder of merged results)", file=sys.stderr)
        return 2
    if not Path(CHROMEDRIVER).exists():
        print(f"no chromedriver at {CHROMEDRIVER}: apt-get install chromium chromium-driver", file=sys.stderr)
        return 2
    print(f"ELEx click -> tables + label pinned, in headless chromium; {args.results} (load {load()} at start)")
    all_times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as tmp:
        driver = make_driver(Path(tmp))
        try:
            for number in range(1, args.servers + 1):
                for kind, values in one_server(driver, args.results, args.points, args.repeats, Path(tmp),
                                               number, args.trace).items():
                    all_times[kind] += values
        finally:
            driver.quit()
    later = all_times["new"] + all_times["repeated"]
    median, p90 = statistics.median(later), percentile(later, 90)
    verdict = "ok" if median <= TARGET_MS else "MISSED"
    print(f"click -> details, later clicks ({len(later)}): median {median:.0f} ms, p90 {p90:.0f} ms "
          f"(target <= {TARGET_MS:.0f} ms: {verdict}); new points median {statistics.median(all_times['new']):.0f} ms,"
          f" repeated median {statistics.median(all_times['repeated']):.0f} ms")
    first = all_times["first"]
    reloaded = all_times["reloaded"]
    print(f"first click on a fresh server ({len(first)}): median {statistics.median(first):.0f} ms "
          f"(max {max(first):.0f} ms) vs later median {median:.0f} ms: {statistics.median(first) / median:.2f}x; "
          f"first click on a reloaded page of the warm server: median {statistics.median(reloaded):.0f} ms "
          f"(a fresh page's own first-click cost)")
    if all_times["trip first"] and all_times["trip later"]:
        print(f"the click's selection request, sent to answered (server + network): first click on a fresh server "
              f"median {statistics.median(all_times['trip first']):.0f} ms, later clicks median "
              f"{statistics.median(all_times['trip later']):.0f} ms")
    shown = all_times["shown"]
    print(f"click -> details in the DOM, label not yet decoded ({len(shown)}, all clicks): median "
          f"{statistics.median(shown):.0f} ms, p90 {percentile(shown, 90):.0f} ms")
    if all_times["ring"]:
        ring = all_times["ring"]
        print(f"click -> ring around the point in the plot ({len(ring)}): median {statistics.median(ring):.0f} ms, "
              f"p90 {percentile(ring, 90):.0f} ms")
    print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
