"""Helpers shared by the browser tests: a real ``python elex.py`` server on a free port, headless Debian
chromium through the system chromedriver (passed explicitly: no network), and readers of the page."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMEDRIVER = "/usr/bin/chromedriver"

needs_browser = pytest.mark.skipif(not Path(CHROMEDRIVER).exists() or shutil.which("chromium") is None,
                                   reason="needs Debian chromium and chromedriver (installed by .ci/run)")


# ------------------------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python [launcher] elex.py --port <free> --directory <dir> [extra args]`` as a child process (``launcher``:
    interpreter arguments before the script, e.g. ``("-c", code)`` where ``code`` runs ``sys.argv[1]``)."""

    def __init__(self, directory: Path, log_path: Path, extra_args: tuple[str, ...] = (),
                 launcher: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, *launcher, str(ROOT / "elex.py"), "--port", str(self.port),
                                      "--directory", str(directory), *extra_args], cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.log_path = log_path

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"elex.py exited with {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"ELEx did not answer on {self.url} within {timeout} s")

    def __enter__(self) -> "Server":
        """Wait until it answers (stopping it if it never does)."""
        try:
            self.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


# ------------------------------------------------------------------------------------------- browser
def make_driver(download_dir: Path) -> Any:
    """Headless chromium via the system chromedriver, downloads into ``download_dir``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--window-size=1280,800"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


FIGURE_JS = """
var gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!gd || !gd.data || !gd._fullLayout) { return null; }
return {
  traces: gd.data.filter(function(t) { return t.customdata || t.type === 'bar'; }).map(function(t) {
    return {name: t.name, x: t.x, y: t.y, text: t.text, custom: t.customdata,
            colors: t.marker ? t.marker.color : null, symbol: t.marker ? t.marker.symbol : null};
  }),
  legend: gd.data.filter(function(t) { return t.showlegend; }).map(function(t) { return t.name; }),
  xtitle: gd.layout.xaxis && gd.layout.xaxis.title ? gd.layout.xaxis.title.text : null,
  ytitle: gd.layout.yaxis && gd.layout.yaxis.title ? gd.layout.yaxis.title.text : null,
  shapes: (gd.layout.shapes || []).map(function(s) { return [s.x0, s.x1, s.y0, s.y1, s.fillcolor]; })
};
"""


def figure(driver: Any, graph_id: str = "scatter") -> dict[str, Any] | None:
    """The data of a plotted figure, read from plotly's graph div in the page."""
    return driver.execute_script(FIGURE_JS, graph_id)


def svg_of(src: str) -> str:
    """The SVG text of a ``data:image/svg+xml;base64,...`` URL."""
    assert src.startswith("data:image/svg+xml;base64,"), src[:60]
    return base64.b64decode(src.split(",", 1)[1]).decode("utf-8")


def wait(driver: Any, condition: Any, timeout: float = 15.0, message: str = "") -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # an element re-rendered by a callback while the condition reads it is asked for again
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def open_page(driver: Any, url: str) -> dict[str, Any]:
    """Load ``url`` and wait until the scatter plot shows points; return its figure."""
    driver.get(url)
    wait(driver, lambda d: (figure(d) or {}).get("traces") and d.find_elements("css selector", "#scatter .point"),
         message="scatter plot did not render")
    wait(driver, lambda d: d.find_element("id", "boundary-x-text").text.strip(), message="settings not filled")
    return figure(driver)
