"""Which plotly.js ELEx's page loads: the basic bundle of the installed plotly's release, else the full one."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from mlee.elex.plotly_bundle import BASIC_NAME, assets_ignore, basic_bundle_problem

ROOT = Path(__file__).resolve().parents[1]


def _bundle(assets: Path, release: str) -> None:
    (assets / "vendor").mkdir(parents=True)
    (assets / "vendor" / BASIC_NAME).write_text(f"/**\n* plotly.js (basic - minified) v{release}\n*/\nvar x;\n")


def test_the_basic_bundle_of_the_installed_release_is_served(tmp_path):
    _bundle(tmp_path, get_plotlyjs_version())
    assert basic_bundle_problem(tmp_path) is None and assets_ignore(tmp_path) == ""


def test_a_bundle_of_another_release_is_left_out_with_a_log_line(tmp_path, caplog):
    _bundle(tmp_path, "1.0.0")
    with caplog.at_level(logging.WARNING):
        pattern = assets_ignore(tmp_path)
    assert re.search(pattern, BASIC_NAME) and not re.search(pattern, "elex.css")
    assert "1.0.0" in caplog.text and get_plotlyjs_version() in caplog.text and "fetch_plotly_basic.sh" in caplog.text


def test_without_the_bundle_the_page_says_how_to_install_it(tmp_path):
    assert "scripts/fetch_plotly_basic.sh" in basic_bundle_problem(tmp_path)
    assert re.search(assets_ignore(tmp_path), BASIC_NAME)


def test_the_page_loads_the_basic_bundle_exactly_when_it_is_usable(reference_dir):
    from mlee.elex.app import ASSETS, create_app

    app = create_app(reference_dir / "published-results")
    index = app.server.test_client().get("/").get_data(as_text=True)
    usable = basic_bundle_problem(ASSETS) is None
    assert (f"vendor/{BASIC_NAME}" in index) is usable
    if usable:  # served, and defines window.Plotly before the renderer starts
        assert index.index(BASIC_NAME) < index.index("dash_renderer")
        served = app.server.test_client().get(f"/assets/vendor/{BASIC_NAME}")
        assert served.status_code == 200 and len(served.get_data()) > 500_000
