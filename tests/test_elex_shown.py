"""ELEx says what loading skipped and names metrics by their display names (a real server, real requests)."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
from elex_support import Server
from test_elex_requests import Page, settings_values

from mlee.layout import SHIPPED_RESULTS


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    results = tmp_path_factory.mktemp("results") / "sklearn"
    shutil.copytree(SHIPPED_RESULTS / "sklearn", results)
    victim = sorted(results.glob("infer_*.json"))[0]
    victim.write_bytes(victim.read_bytes()[:300])
    (results / "notes.json").write_text(json.dumps({"hello": "world"}))
    with Server(results, tmp_path_factory.mktemp("log") / "elex.log") as server:
        yield Page(server), victim.name


def test_files_skipped_at_load_are_listed_on_the_page(page):
    client, victim = page
    with urllib.request.urlopen(client.server.url + "_dash-layout", timeout=60) as reply:
        layout = reply.read().decode()
    assert "problem(s) while loading the results" in layout
    assert victim in layout and "notes.json" in layout and "not valid JSON" in layout


def test_headings_and_messages_name_metrics_not_keys(page):
    client, _ = page
    status, text = client.call("settings.data", "weight-x.value",
                               settings_values(**{"weight-x.value": "-1", "task.value": "training"}))
    assert status == 200, text
    response = json.loads(text)["response"]
    assert response["boundary-x-name"]["children"] == "Training energy"
    assert response["boundary-y-name"]["children"] == "Top-1 accuracy"
    message = response["settings-message"]["children"]
    assert "Weight of Training energy" in message and "power_draw" not in message


def test_the_ring_of_points_merged_while_elex_runs_is_in_the_legend():
    from mlee.elex.legend import scatter_legend

    envs = ["EPYC - Scikit-learn 1.9.1"]
    assert "new since ELEx started (2)" in str(scatter_legend(envs, envs, "optimistic median", new=2))
    assert "new since ELEx started" not in str(scatter_legend(envs, envs, "optimistic median"))
