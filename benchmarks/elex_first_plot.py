"""ELEx's first plot in a real browser: from opening the page to the scatter plot's points drawn, in headless
chromium, on fresh servers.

Target: page open to points drawn <= 1.0 s, for the published results and for 20,000 results. The original
(the study's ELEx, run beside it) took 2.2 s (1.93-2.71) where mlee took 3.0 s (2.48-3.27) on 2026-12-06; the
original is run beside mlee when ``--original DIR`` names its checkout (a folder with its ``main.py``); it is not
installed on this machine by default, and then only mlee's figures are printed.

Usage: python benchmarks/elex_first_plot.py [--results DIR ...] [--servers 4] [--files 20000] [--trace]
                                            [--original DIR]

Per results folder, ``--servers`` fresh ``python elex.py`` processes; for each, one fresh chromium page (empty
cache: every asset is fetched, as on a user's first visit). Times come from the page itself, relative to the
navigation start (``performance.timeOrigin``): a script installed before any page script
(``Page.addScriptToEvaluateOnNewDocument``) watches the DOM and records when the scatter's first point
(``#scatter .point``) is in the document and painted (the next animation frame). ``--trace`` prints, per page,
every request (assets and callbacks) with its start and end, so a gap in which the page asks for nothing shows.
``--files N`` adds a synthetic folder of N results (mlee's merged layout, see benchmarks/rating_scale.py) to
the folders measured; ``--files 0`` leaves it out. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
PUBLISHED = Path(os.environ.get("MLEE_REFERENCE") or ROOT.parent / "shared" / "reference") / "published-results"
TARGET_S = 1.0

from elex_support import Server, free_port, make_driver, wait  # noqa: E402
from results_table import loadavg  # noqa: E402

#: installed before the page's scripts: when the first scatter point is in the DOM and when it is painted
PROBE = """
window.__firstPlot = {inDom: null, painted: null};
new MutationObserver(function(_, observer) {
  if (window.__firstPlot.inDom === null && document.querySelector('#scatter .point')) {
    window.__firstPlot.inDom = performance.now();
    requestAnimationFrame(function() { window.__firstPlot.painted = performance.now(); });
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
TIMES_JS = """
return {plot: window.__firstPlot, requests: performance.getEntriesByType('resource').map(function(e) {
  return [e.name.replace(location.origin, ''), e.startTime, e.responseEnd, e.transferSize || e.encodedBodySize];
})};
"""


def first_plot(url: str, download: Path, trace: bool) -> float:
    """Seconds from navigation start to the first scatter point painted, in a fresh chromium."""
    driver = make_driver(download)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        driver.get(url)
        wait(driver, lambda d: d.execute_script("return window.__firstPlot && window.__firstPlot.painted"),
             timeout=60, message="the scatter plot's points were never drawn")
        times = driver.execute_script(TIMES_JS)
    finally:
        driver.quit()
    if trace:
        for name, start, end, size in sorted(times["requests"], key=lambda r: r[1]):
            print(f"      {start:7.0f} - {end:7.0f} ms  {size / 1024:7.0f} KB  {name[:90]}")
        print(f"      points in the DOM at {times['plot']['inDom']:.0f} ms, painted at {times['plot']['painted']:.0f} ms")
    return times["plot"]["painted"] / 1000


def measure(command: list[str], directory: Path, servers: int, trace: bool, log_dir: Path,
            name: str) -> list[float]:
    figures = []
    for i in range(servers):
        if command:
            port = free_port()
            proc = subprocess.Popen([*command, str(port)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}/"
            _wait_url(url, proc)
            try:
                figures.append(first_plot(url, log_dir, trace))
            finally:
                proc.terminate()
                proc.wait(10)
        else:
            with Server(directory, log_dir / f"{name}-{i}.log") as server:
                figures.append(first_plot(server.url, log_dir, trace))
    return figures


def _wait_url(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the original's server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def _show(name: str, figures: list[float]) -> str:
    median = statistics.median(figures)
    return (f"  {name:<44} {median:.2f} s median ({min(figures):.2f}-{max(figures):.2f}) of {len(figures)} fresh "
            f"servers (target <= {TARGET_S} s: {'ok' if median <= TARGET_S else 'MISSED'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, nargs="+", default=[PUBLISHED])
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--files", type=int, default=20000, help="a synthetic folder of N results too (0: none)")
    parser.add_argument("--trace", action="store_true", help="print every request of every page")
    parser.add_argument("--original", type=Path, default=None,
                        help="checkout of the original ELEx (its main.py), run beside mlee on the published results")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("chromium is not installed", file=sys.stderr)
        return 1
    base = Path(tempfile.mkdtemp(prefix="mlee-first-plot-"))
    os.environ["XDG_CACHE_HOME"] = str(base / "cache")  # the servers' results tables, removed afterwards
    try:
        folders = list(args.results)
        if args.files:
            from rating_scale import make_copies

            synthetic = base / f"mlee_{args.files}"
            make_copies(args.files, synthetic, "mlee")
            folders.append(synthetic)
        print(f"load average before: {loadavg()} on {os.cpu_count()} CPUs (above ~0.5: figures 'under load')")
        basic = ROOT / "mlee" / "elex" / "assets" / "vendor" / "plotly-basic.min.js"
        for folder in folders:
            n_files = len(list(folder.rglob('*.json')))
            figures: dict[str, list[float]] = {"basic": [], "full": []}
            for i in range(args.servers):  # interleaved, so that a change of the machine's load hits both alike
                figures["basic"].extend(measure([], folder, 1, args.trace, base, f"{folder.name}-{i}"))
                if basic.exists():
                    hidden = basic.with_name(".hidden-" + basic.name)
                    basic.rename(hidden)
                    try:
                        figures["full"].extend(measure([], folder, 1, args.trace, base, f"{folder.name}-full-{i}"))
                    finally:
                        hidden.rename(basic)
            print(_show(f"mlee, {folder.name} ({n_files} files)", figures["basic"]))
            if figures["full"]:
                print(_show("  the same with Dash's full plotly.js bundle", figures["full"]))
            else:
                print("  (plotly.js basic bundle not installed: the figure above is with the full bundle; "
                      "scripts/fetch_plotly_basic.sh installs it)")
        if args.original is None:
            print("  the original ELEx: not installed here (pass --original DIR with its checkout to run it beside)")
        else:
            command = [sys.executable, str(args.original / "main.py"), "--port"]
            print(_show("the original, published results", measure(command, PUBLISHED, args.servers, args.trace,
                                                                    base, "original")))
        print(f"load average after: {loadavg()}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
