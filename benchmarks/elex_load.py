"""ELEx under many users: N simulated users at once against a real ``python elex.py`` server over HTTP.

Targets (2-core machine): 50 concurrent users, p95 selection latency <= 500 ms, zero errors, server
memory flat over 10 minutes of load (no per-request growth).

Usage: python benchmarks/elex_load.py [--users 50] [--duration 600] [--workers 2] [--think 1.0 3.0]
                                      [--results ../shared/reference/published-results]

Each user loads the page like a browser (``/``, ``/_dash-layout``, ``/_dash-dependencies``, the
initial callbacks), then repeats, with a think time drawn uniformly from ``--think`` seconds between
actions: hover a point (the selection callback: tables and label; 60 %), click a point (pinned in
the page, then the selection callback, as the page sends it; 20 %) or change the dataset
(environments, settings and figures callbacks; 20 %). Every request is a real
``/_dash-update-component`` call built from the app's callback graph with the values the page holds,
updated from the answers. An action's latency is from its first request to its last answer.
``--workers 0`` serves with the default single process (Flask's threaded server).
Printed: throughput, p50/p95/p99 latency per action, errors, and the server's memory (all its
processes, RSS) every ``--sample`` seconds, and its growth after the first fifth of the run (while
the first users arrive, the bounded caches of rated tables, summaries and labels fill).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' free-port helper
PUBLISHED = ROOT.parent / "shared" / "reference" / "published-results"

from mlee.elex.dash_client import callback_payload, find_callback, layout_values  # noqa: E402
from elex_support import free_port  # noqa: E402

TARGET_P95_MS = 500.0
UPDATE = "_dash-update-component"


class User(threading.Thread):
    """One simulated user: a page's values, updated from each answer, and a loop of actions."""

    def __init__(self, url: str, seed: int, stop: threading.Event, think: tuple[float, float],
                 record: Any) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.think, self.record = url, stop, think, record
        self.random = random.Random(seed)
        self.session = requests.Session()
        self.values: dict[str, Any] = {}
        self.graph: list[dict[str, Any]] = []
        self.points: list[list[str]] = []

    # ------------------------------------------------------------------------------------------- requests
    def get(self, path: str) -> Any:
        reply = self.session.get(self.url + path, timeout=60)
        reply.raise_for_status()
        return reply

    def call(self, output: str, changed: list[str]) -> None:
        """One callback request; its answer updates the page's values."""
        payload = callback_payload(find_callback(self.graph, output), self.values, changed)
        reply = self.session.post(self.url + UPDATE, json=payload, timeout=60)
        if reply.status_code == 204:  # PreventUpdate / nothing to update
            return
        reply.raise_for_status()
        for component, props in reply.json().get("response", {}).items():
            for prop, value in props.items():
                self.values[f"{component}.{prop}"] = value
        figure = self.values.get("scatter.figure") or {}
        self.points = [c for trace in figure.get("data", []) for c in trace.get("customdata") or []]

    # ------------------------------------------------------------------------------------------- actions
    def load_page(self) -> None:
        self.get("")
        self.values = layout_values(self.get("_dash-layout").json())
        self.graph = self.get("_dash-dependencies").json()
        self.call("environments.options", ["dataset.value"])
        self.call("settings.data", ["dataset.value"])
        self.call("scatter.figure", ["settings.data"])

    def hover(self) -> None:
        env, model = self.random.choice(self.points)
        self.values["scatter.hoverData"] = {"points": [{"curveNumber": 0, "customdata": [env, model]}]}
        self.values["pin.data"] = None
        self.call("label-img.src", ["scatter.hoverData"])

    def click(self) -> None:
        env, model = self.random.choice(self.points)
        self.values["pin.data"] = {"environment": env, "model": model}  # pinned in the page (clientside)
        self.call("label-img.src", ["pin.data"])  # the ring moves in the page too: no figure request

    def change_dataset(self) -> None:
        options = [o["value"] for o in self.values.get("dataset.options", [])]
        self.values["dataset.value"] = self.random.choice(options)
        self.call("environments.options", ["dataset.value"])
        self.call("settings.data", ["dataset.value"])
        self.call("scatter.figure", ["environments.value"])

    def timed(self, kind: str, action: Any) -> None:
        start = time.perf_counter()
        try:
            action()
            self.record(kind, (time.perf_counter() - start) * 1000, None)
        except Exception as error:  # noqa: BLE001 - every failure is counted and reported
            self.record(kind, (time.perf_counter() - start) * 1000, f"{type(error).__name__}: {error}"[:200])

    def run(self) -> None:
        self.timed("page load", self.load_page)
        while not self.stop.is_set():
            if self.stop.wait(self.random.uniform(*self.think)):
                break
            if not self.points:
                self.timed("page load", self.load_page)
                continue
            roll = self.random.random()
            if roll < 0.6:
                self.timed("selection (hover)", self.hover)
            elif roll < 0.8:
                self.timed("selection (click + pin)", self.click)
            else:
                self.timed("dataset change", self.change_dataset)


# ----------------------------------------------------------------------------------------------- server
def start_server(directory: Path, workers: int, log: Any) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, str(ROOT / "elex.py"), "--port", str(port), "--directory", str(directory)]
    if workers:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"elex.py exited with {proc.returncode}; its log: {log.name}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise TimeoutError("ELEx did not start within 90 s")


def server_rss_mb(proc: subprocess.Popen) -> float:
    """Resident memory of the server and all its worker processes, in MB."""
    try:
        parent = psutil.Process(proc.pid)
        members = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 1e6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes; 0: one process")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                        help="seconds a user waits between actions (uniform; default 1 3)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples")
    parser.add_argument("--results", type=Path, default=PUBLISHED)
    args = parser.parse_args()
    if not args.results.is_dir():
        print(f"elex_load: results folder {args.results} not found: pass --results", file=sys.stderr)
        return 2

    log = tempfile.NamedTemporaryFile(prefix="elex_load_", suffix=".log", delete=False)
    proc, url = start_server(args.results, args.workers, log)
    lock = threading.Lock()
    records: list[tuple[float, str, float, str | None]] = []

    def record(kind: str, ms: float, error: str | None) -> None:
        with lock:
            records.append((time.monotonic(), kind, ms, error))

    stop = threading.Event()
    memory: list[tuple[float, float]] = []
    try:
        load = psutil.getloadavg()[0]
        users = [User(url, seed, stop, tuple(args.think), record) for seed in range(args.users)]
        start = time.monotonic()
        for user in users:
            user.start()
        while time.monotonic() - start < args.duration:
            memory.append((time.monotonic() - start, server_rss_mb(proc)))
            time.sleep(min(args.sample, max(0.0, args.duration - (time.monotonic() - start))))
        memory.append((time.monotonic() - start, server_rss_mb(proc)))
        stop.set()
        for user in users:
            user.join(120)
        elapsed = time.monotonic() - start
        load_after = psutil.getloadavg()[0]
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()

    served = "one process (Flask threaded)" if not args.workers else f"gunicorn, {args.workers} workers"
    print(f"ELEx load: {args.users} users, {elapsed:.0f} s, think {args.think[0]:g}-{args.think[1]:g} s, "
          f"{served}, {psutil.cpu_count()} CPUs, load average {load:.2f} before / {load_after:.2f} after")
    actions = [r for r in records if r[1] != "page load"]
    requests_done = len(records)
    print(f"throughput: {len(actions) / elapsed:.1f} actions/s ({requests_done} actions incl. page loads)")
    errors = [r for r in records if r[3]]
    print(f"{'action':26} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in ("page load", "selection (hover)", "selection (click + pin)", "dataset change"):
        ms = [r[2] for r in records if r[1] == kind and not r[3]]
        if ms:
            print(f"{kind:26} {len(ms):6d} {statistics.median(ms):8.0f} {percentile(ms, 95):8.0f} "
                  f"{percentile(ms, 99):8.0f}")
    selections = [r[2] for r in records if r[1].startswith("selection") and not r[3]]
    p95 = percentile(selections, 95) if selections else float("nan")
    print(f"selection p95: {p95:.0f} ms (target <= {TARGET_P95_MS:.0f} ms) - "
          f"{'met' if p95 <= TARGET_P95_MS else 'NOT met'}")
    print(f"errors: {len(errors)} (target 0)" + "".join(f"\n  {e[1]}: {e[3]}" for e in errors[:5])
          + (f"\n  server log: {log.name}" if errors else ""))
    print("server memory (RSS of all its processes):")
    for t, mb in memory:
        print(f"  {t:6.0f} s  {mb:7.1f} MB")
    # the caches (rated tables, summaries, labels; all bounded) fill while the first users arrive: growth
    # is measured from the end of the first fifth of the run to its end
    settled = [mb for t, mb in memory if t >= elapsed / 5] or [mb for _, mb in memory]
    print(f"memory growth after the first fifth: {settled[-1] - settled[0]:+.1f} MB ({settled[0]:.1f} -> "
          f"{settled[-1]:.1f} MB; max {max(settled):.1f} MB; target: flat)")
    return 0 if not errors and p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
