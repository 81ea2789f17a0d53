"""The parts behind ELEx's "Run experiments" panel: request validation and limits, the access policy (also
through the real Dash endpoint), cached-dataset detection, reloadable results with new points marked, and the
RunManager running real experiments (in-process executor) and merging them with the merge code."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from mlee.elex.live_data import LiveData, mark_new
from mlee.elex.run_access import is_loopback, run_access
from mlee.elex.run_manager import RunManager, RunOptions
from mlee.elex.run_request import RunChoices, RunLimits, RunRequestError, validate_request
from mlee.runs.datasets import dataset_cached

CHOICES = RunChoices(datasets=[("iris", "Iris"), ("wine", "Wine"), ("synthetic", "Synthetic")],
                     hyperparameters=[("shipped", "Shipped"), ("default", "Defaults")], countries=["DEU", "FRA"])
GOOD = {"datasets": ["iris"], "methods": ["Logistic Regression", "Random Forest"], "repeats": 1, "monitor": "auto",
        "hyperparameters": "shipped", "idle_seconds": 0, "country": None, "rows": 1000, "features": 20, "classes": 2}


# ============================================================================================ requests
def test_a_good_request_becomes_pairs_and_synthetic_keys():
    request = validate_request({**GOOD, "datasets": ["iris", "synthetic"], "openml": " kc1, openml:31 ,",
                                "rows": 500, "features": 8, "classes": 3, "country": "DEU"}, CHOICES)
    assert request.datasets == ("iris", "synthetic_500x8x3", "openml:kc1", "openml:31")
    assert request.pairs[:2] == [("iris", "Logistic Regression"), ("iris", "Random Forest")]
    assert request.country == "DEU" and request.as_dict()["datasets"][1] == "synthetic_500x8x3"


@pytest.mark.parametrize("change, words", [
    ({"datasets": ["../../etc"]}, "Unknown dataset"),
    ({"datasets": [], "openml": "openml:../../etc/passwd"}, "is not an OpenML name"),
    ({"datasets": [], "openml": "kc1; rm -rf ~"}, "is not an OpenML name"),
    ({"datasets": []}, "at least one dataset"),
    ({"methods": ["os.system"]}, "at least one method"),
    ({"repeats": 0}, "Repeats must be a whole number from 1 to 10"),
    ({"repeats": 11}, "from 1 to 10"),
    ({"repeats": 1.5}, "whole number"),
    ({"repeats": "__import__('os')"}, "whole number"),
    ({"datasets": ["synthetic"], "rows": 10_000_000}, "Synthetic rows must be a whole number from 10 to 200000"),
    ({"datasets": ["synthetic"], "features": 1}, "Synthetic features"),
    ({"datasets": ["synthetic"], "rows": 10, "classes": 6}, "at least twice"),
    ({"monitor": "rapl; reboot"}, "Monitor must be one of"),
    ({"hyperparameters": "/etc"}, "pick shipped, default or a search folder"),
    ({"idle_seconds": 3600}, "Idle baseline must be 0 to 60"),
    ({"country": "XYZ"}, "Country: pick"),
])
def test_bad_requests_are_refused_with_the_fix(change, words):
    with pytest.raises(RunRequestError, match=words.replace("(", r"\(").replace(")", r"\)")):
        validate_request({**GOOD, **change}, CHOICES)


def test_pair_limit():
    with pytest.raises(RunRequestError, match="2 datasets x 2 methods = 4 pairs; at most 3"):
        validate_request({**GOOD, "datasets": ["iris", "wine"]}, CHOICES, RunLimits(max_pairs=3))


# ============================================================================================ access
def test_access_policy():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.1:8050", "localhost:80", "[::1]:8050", "::1"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.4", "evil.example:8050", "localhost.evil.example"))
    local = run_access("127.0.0.1", allow_runs=False, read_only=False)
    assert local.visible and local.enabled and local.token is None
    assert local.allows("127.0.0.1:8050", None, None) is None
    assert local.allows("localhost:8050", "http://localhost:8050", None) is None
    assert "this machine only" in local.allows("evil.example:8050", None, None)  # DNS rebinding
    assert "another site" in local.allows("127.0.0.1:8050", "http://evil.example", None)
    public = run_access("0.0.0.0", allow_runs=False, read_only=False)
    assert public.visible and not public.enabled
    assert public.allows("127.0.0.1:8050", None, None) == public.reason and "--allow-runs" in public.reason
    tokened = run_access("0.0.0.0", allow_runs=True, read_only=False)
    assert tokened.enabled and len(tokened.token) >= 20
    assert "token" in tokened.allows("10.0.0.1:8050", None, "wrong")
    assert tokened.allows("10.0.0.1:8050", None, tokened.token) is None
    assert not run_access("127.0.0.1", allow_runs=True, read_only=True).visible
    several = run_access("127.0.0.1", allow_runs=True, read_only=False, workers=2)
    assert several.visible and not several.enabled and "--workers" in several.reason


def _launch_payload(host_token: str = "") -> dict:
    states = {"runs-datasets": ["iris"], "runs-openml": "", "runs-rows": 1000, "runs-features": 20,
              "runs-classes": 2, "runs-methods": ["Gaussian Naive Bayes"], "runs-repeats": 1, "runs-monitor": "estimate",
              "runs-hyperparameters": "default", "runs-idle": 0, "runs-country": None, "runs-token": host_token,
              "runs-target": None, "runs-task": "classification"}
    return {"output": "..runs-message.children...runs-message.className..",
            "outputs": [{"id": "runs-message", "property": "children"},
                        {"id": "runs-message", "property": "className"}],
            "inputs": [{"id": "runs-launch", "property": "n_clicks", "value": 1}],
            "state": [{"id": k, "property": "value", "value": v} for k, v in states.items()],
            "changedPropIds": ["runs-launch.n_clicks"]}


def test_the_server_refuses_launches_the_policy_forbids(reference_dir, tmp_path):
    """Through the real Dash endpoint, whatever the page shows: nothing is launched."""
    from mlee.elex.app import create_app

    results = _credit_g(reference_dir, tmp_path / "results", 2)
    for host, request_host, words in (("0.0.0.0", "127.0.0.1:8050", "Launching runs is off"),
                                      ("127.0.0.1", "evil.example:8050", "this machine only")):
        options = RunOptions(run_access(host, False, False), tmp_path / "logs", tmp_path / "mine" / "sklearn",
                             make_executor=lambda: pytest.fail("no executor may start"))
        app = create_app(results, runs=options)
        client = app.server.test_client()
        client.get("/", headers={"Host": request_host})
        reply = client.post("/_dash-update-component", json=_launch_payload(), headers={"Host": request_host})
        assert reply.status_code == 200, reply.data[:300]
        assert words in reply.get_data(as_text=True)
        app._elex_runs.close()
    assert not (tmp_path / "logs").exists()


# ============================================================================================ datasets
def test_cached_study_datasets_are_found_by_their_files(tmp_path):
    assert dataset_cached("iris", tmp_path)
    assert not dataset_cached("olivetti_faces", tmp_path) and not dataset_cached("credit-g", tmp_path)
    (tmp_path / "olivetti_py3.pkz").write_bytes(b"x")
    assert dataset_cached("olivetti_faces", tmp_path)
    (tmp_path / "covertype").mkdir()
    (tmp_path / "covertype" / "samples_py3").write_bytes(b"x")
    assert not dataset_cached("covtype", tmp_path)  # half a cache is no cache


# ============================================================================================ live results
def _credit_g(reference_dir: Path, target: Path, count: int) -> Path:
    out = target / "sklearn"
    out.mkdir(parents=True)
    chosen = [p for p in sorted((reference_dir / "published-results" / "sklearn").glob("*.json"))
              if json.loads(p.read_text())["config"]["dataset"] == "credit-g"]
    for path in chosen[:count]:
        shutil.copy(path, out / path.name)
    return target


def test_live_data_reloads_and_marks_new_points(reference_dir, tmp_path):
    served = _credit_g(reference_dir, tmp_path / "served", 4)
    mine = tmp_path / "mine"
    data = LiveData(served, [mine])
    before = len(data.table)
    all_files = sorted((reference_dir / "published-results" / "sklearn").glob("*.json"))
    extra = [p for p in all_files if json.loads(p.read_text())["config"]["dataset"] == "phoneme"][:2]
    mine.mkdir()
    for path in extra:
        shutil.copy(path, mine / path.name)
    assert data.version == 0 and data.new_models("phoneme", "inference") == set()
    data.reload([mine / p.name for p in extra])
    assert data.version == 1 and "phoneme" in data.dataset_keys()
    assert len(data.table) == before + 4  # 2 inference files, each with its embedded training run
    rows = data.table[(data.table["dataset"] == "phoneme") & (data.table["task"] == "inference")]
    new = data.new_models("phoneme", "inference")
    assert new == set(zip(rows["environment"], rows["model"])) and new
    assert data.new_models("credit-g", "inference") == set()
    env, model = next(iter(new))
    figure = {"data": [{"x": [1.0, 2.0], "y": [3.0, 4.0], "customdata": [[env, model], [env, "other"]]}]}
    marked = mark_new(figure, new)
    assert marked["data"][-1]["meta"] == "new-points" and marked["data"][-1]["x"] == [1.0]


# ============================================================================================ manager
def test_manager_runs_merges_and_reloads(reference_dir, tmp_path):
    from mlee.executors.sweep import InProcessExecutor

    served = _credit_g(reference_dir, tmp_path / "served", 2)
    options = RunOptions(run_access("127.0.0.1", False, False), tmp_path / "logs", tmp_path / "mine" / "sklearn",
                         make_executor=InProcessExecutor, limits=RunLimits(max_active_sweeps=1))
    data = LiveData(served)  # shows results_dir once runs were merged there
    manager = RunManager(data, options)
    try:
        request = validate_request({**GOOD, "methods": ["Gaussian Naive Bayes"], "repeats": 2,
                                    "monitor": "estimate", "hyperparameters": "default"}, CHOICES)
        sweep = manager.launch(request)
        with pytest.raises(RunRequestError, match="still running"):
            manager.launch(request)
        sweep.handle.wait(120)
        def iris_runs() -> int:  # runs merged and shown so far
            table = data.table
            rows = table[(table["dataset"] == "iris") & (table["task"] == "inference")]
            return int(rows["n_runs"].sum())

        deadline = time.time() + 60
        while iris_runs() < 2 and time.time() < deadline:
            time.sleep(0.1)
        shown = manager.snapshot()[0]
        assert shown["done"] and shown["counts"]["done"] == 2
        assert [r["state"] for r in shown["runs"]] == ["done", "done"] and all(r["node"] for r in shown["runs"])
        assert "iris" in data.dataset_keys() and data.new_models("iris", "inference")
        merged = sorted(p.name for p in options.results_dir.glob("[!.]*.json"))
        assert len(merged) == 4 and not list(served.rglob(".mlee-merge-state.json"))
        config = json.loads(next(options.logs_dir.glob("infer_*/config.json")).read_text())
        assert config["launched_from"] == "elex" and config["elex_request"]["methods"] == ["Gaussian Naive Bayes"]
    finally:
        manager.close()


def test_an_ended_sweep_gets_the_summary_table_in_the_log_and_the_page(reference_dir, tmp_path, caplog):
    """As after a sweep in the terminal: energy, time and the letters of what just ran, logged by the server and
    shown under the sweep's runs."""
    from mlee.elex.runs_layout import progress_view
    from mlee.executors.sweep import InProcessExecutor

    served = _credit_g(reference_dir, tmp_path / "served", 2)
    options = RunOptions(run_access("127.0.0.1", False, False), tmp_path / "logs", tmp_path / "mine" / "sklearn",
                         make_executor=InProcessExecutor)
    manager = RunManager(LiveData(served), options)
    try:
        with caplog.at_level("INFO", logger="mlee.elex.run_manager"):
            sweep = manager.launch(validate_request({**GOOD, "methods": ["Gaussian Naive Bayes"], "repeats": 1,
                                                     "monitor": "estimate", "hyperparameters": "default"}, CHOICES))
            sweep.handle.wait(120)
            deadline = time.time() + 60
            while manager.snapshot()[0]["summary"] is None and time.time() < deadline:
                time.sleep(0.1)
        summary = manager.snapshot()[0]["summary"]
        assert summary and "energy [95 %]" in summary.splitlines()[0] and "letter" in summary.splitlines()[0]
        assert sorted(line.split()[1] for line in summary.splitlines()[1:3]) == ["inference", "training"]
        assert any(f"sweep {sweep.id} ended" in r.getMessage() and summary in r.getMessage() for r in caplog.records)
        ended = progress_view(manager.snapshot(), can_cancel=True)[0].children[-1]
        assert ended.id == f"runs-ended-{sweep.id}" and ended.children == summary
    finally:
        manager.close()


def test_embedded_cluster_listens_on_loopback_only():
    """A Dask scheduler runs whatever code it is sent: the cluster ELEx embeds must not be reachable from the
    network."""
    pytest.importorskip("distributed")
    from distributed import Client

    from mlee.executors.dask_executor import local_cluster

    with local_cluster(1) as cluster, Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(1, timeout=60)
        addresses = [cluster.scheduler_address, *client.scheduler_info()["workers"]]
        assert addresses and all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
