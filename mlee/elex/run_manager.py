"""The sweeps an ELEx server runs: launched from the page, owned by the server (not by a browser tab).

:class:`RunManager` starts each validated :class:`~mlee.elex.run_request.RunRequest` with
:func:`mlee.executors.sweep.start_sweep` on one executor chosen when ELEx starts (an embedded Dask cluster of one
worker process by default, a scheduler address, a scheduler file), keeps the handles, and answers the page's polls
with plain snapshots. Experiment folders go to ``logs_dir``; as runs finish, a background thread merges them with
the merge code of ``merge_results.py`` (atomic, incremental) into ``results_dir`` and reloads the results the page
shows. Nothing here runs inside a request: a Dash callback only launches, polls or cancels.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mlee.elex.live_data import LiveData
from mlee.elex.run_access import RunAccess
from mlee.elex.run_request import SHIPPED, RunLimits, RunRequest, RunRequestError

log = logging.getLogger(__name__)


@dataclass
class Sweep:
    """A sweep launched from the page: its id, request, handle and when it was launched (``time.time()``)."""

    id: int
    request: RunRequest
    handle: Any
    launched: float
    #: the table of what the sweep ran (:func:`mlee.run_summary.folders_summary`), once it has ended
    summary: str | None = None


def embedded_executor() -> Any:
    """An embedded Dask cluster with one worker process (started on first use): experiments run outside the web
    server's process, and cancelling drops a running experiment. Without Dask, the in-process executor (then a
    running experiment finishes before a cancel takes effect)."""
    try:
        from mlee.executors.dask_executor import DaskExecutor
    except ImportError:
        from mlee.executors.sweep import InProcessExecutor

        log.warning("Dask is not installed: runs launched from ELEx execute in the server process")
        return InProcessExecutor()
    return DaskExecutor(cluster="local:1")


@dataclass
class RunOptions:
    """How a server runs experiments launched from its page: the access policy, where run folders go
    (``logs_dir``), where they are merged (``results_dir``, shown with the served results once runs were
    merged there), the executor (built
    on the first launch), whether it is an embedded Dask cluster whose workers a cancel may restart
    (``restart_on_cancel``), scikit-learn's data folder (None: its default), the request limits and the folder
    of data files the panel offers (``data_dir``, ``elex.py --data-dir``; None: none)."""

    access: RunAccess
    logs_dir: Path = Path("logs/sklearn")
    results_dir: Path = Path("results/sklearn")
    make_executor: Callable[[], Any] = embedded_executor
    restart_on_cancel: bool = True
    data_home: str | None = None
    limits: RunLimits = field(default_factory=RunLimits)
    data_dir: Path | None = None


class RunManager:
    """Launches, tracks and cancels the sweeps of one ELEx server and merges their finished runs.

    ``data``: the results the page shows (reloaded after each merge); ``options``: see :class:`RunOptions`.
    """

    def __init__(self, data: LiveData, options: RunOptions) -> None:
        self.data = data
        self.logs_dir = Path(options.logs_dir)
        self.results_dir = Path(options.results_dir)
        self.limits = options.limits
        self.data_home = options.data_home
        self.data_dir = options.data_dir
        self._make_executor = options.make_executor
        self._restart_on_cancel = options.restart_on_cancel
        self._executor: Any = None
        self._sweeps: dict[int, Sweep] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._finished = threading.Event()
        #: how often the merge thread looks for sweeps that ended, to write their summary (seconds)
        self.summary_poll_s = 1.0
        self._closed = threading.Event()
        self._merger = threading.Thread(target=self._merge_loop, name="elex-merge", daemon=True)
        self._merger.start()

    # ----------------------------------------------------------------------------------------------- actions
    def launch(self, request: RunRequest) -> Sweep:
        """Start ``request`` as a sweep; returns at once. Raises :class:`RunRequestError` when too many sweeps
        are still running."""
        from mlee.runs.user_registry import CONFIG_KEY, snapshot
        from mlee.runs.runner import RunSettings
        from mlee.executors.sweep import SweepPlan, start_sweep
        from mlee.monitoring.config import MeterConfig

        with self._lock:
            active = sum(not s.handle.done for s in self._sweeps.values())
            if active >= self.limits.max_active_sweeps:
                raise RunRequestError(f"{active} sweeps are still running (at most {self.limits.max_active_sweeps}): "
                                      f"wait for one to end or cancel one.")
            if self._executor is None:
                self._executor = self._make_executor()
            executor = self._executor
            settings = RunSettings(
                output_dir=self.logs_dir, repeats=request.repeats, data_home=self.data_home,
                hyperparameters=None if request.hyperparameters == SHIPPED else request.hyperparameters,
                monitor_options=MeterConfig(monitor=request.monitor, idle_seconds=request.idle_seconds,
                                            country=request.country).to_dict(),
                extra_config={"launched_from": "elex", "elex_request": request.as_dict(), **({CONFIG_KEY: snapshot()} if snapshot() else {})})
            handle = start_sweep(SweepPlan(request.pairs, settings), executor, on_finish=self._on_finish)
            sweep = Sweep(next(self._ids), request, handle, time.time())
            self._sweeps[sweep.id] = sweep
        log.info("sweep %d launched: %d runs on %s", sweep.id, len(handle.status()), executor.name)
        return sweep

    def cancel(self, sweep_id: int) -> bool:
        """Cancel sweep ``sweep_id`` (runs not ended are dropped; nothing is half-saved); False if unknown. On an
        embedded cluster (``restart_on_cancel``) the workers executing its runs are restarted in the background,
        so that an abandoned experiment does not keep the machine busy (other runs there are rerun by Dask)."""
        sweep = self._sweeps.get(sweep_id)
        if sweep is None:
            return False
        busy = sorted({s.worker for s in sweep.handle.status() if s.state.value == "running" and s.worker})
        sweep.handle.cancel()
        log.info("sweep %d cancelled", sweep_id)
        if busy and self._restart_on_cancel:
            threading.Thread(target=self._restart_workers, args=(busy,), name="elex-restart", daemon=True).start()
        return True

    def _restart_workers(self, workers: list[str]) -> None:
        try:
            self._executor.client.restart_workers(workers, raise_for_error=False)
            log.info("restarted worker(s) %s after a cancel", ", ".join(workers))
        except Exception:  # noqa: BLE001 - the abandoned run then just ends on its own
            log.warning("could not restart worker(s) %s", ", ".join(workers), exc_info=True)

    def close(self) -> None:
        """Cancel every sweep, stop merging and close the executor (an embedded cluster stops)."""
        self._closed.set()
        self._finished.set()
        for sweep in list(self._sweeps.values()):
            sweep.handle.cancel()
        executor, self._executor = self._executor, None
        if executor is not None:
            try:
                executor.close()
            except Exception:  # noqa: BLE001 - shutting down anyway
                log.debug("closing the executor failed", exc_info=True)

    # ----------------------------------------------------------------------------------------------- polling
    def snapshot(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every sweep, newest first, as JSON-able dicts: ``id``, ``launched``, ``done``, ``cancelled``,
        ``error`` (why the executor stopped, or None), ``counts`` (runs per state) and ``runs`` (each with
        ``dataset``, ``method``, ``repeat``, ``state``, ``elapsed_s`` (None before it started), ``node``,
        ``error``)."""
        now = now or time.time()
        out = []
        for sweep in sorted(self._sweeps.values(), key=lambda s: -s.id):
            handle = sweep.handle
            runs = [{"dataset": s.key.dataset, "method": s.key.method, "repeat": s.key.repeat,
                     "state": s.state.value, "elapsed_s": s.elapsed(now), "node": s.node, "error": s.error}
                    for s in handle.status()]
            out.append({"id": sweep.id, "launched": sweep.launched, "done": handle.done,
                        "cancelled": handle.cancelled, "error": str(handle.error) if handle.error else None,
                        "counts": handle.counts(), "runs": runs, "summary": sweep.summary})
        return out

    # ----------------------------------------------------------------------------------------------- merging
    def _on_finish(self, status: Any) -> None:
        """A run ended (called in the sweep's thread): let the merge thread pick it up."""
        if status.state.value == "done":
            self._finished.set()

    def _merge_loop(self) -> None:
        while not self._closed.is_set():
            fired = self._finished.wait(self.summary_poll_s)
            if self._closed.is_set():
                return
            if fired:
                self._finished.clear()
                self.merge_now()
            self.summarise_ended()

    def summarise_ended(self) -> None:
        """Write the summary table (energy, time, CO2e, letters of what just ran) of each sweep that has ended
        since the last call: to the server's log, the terminal ELEx runs in, and to the sweep's ``summary``, which
        the page shows under its runs (also called by the merge thread)."""
        for sweep in list(self._sweeps.values()):
            if sweep.summary is not None or not sweep.handle.done:
                continue
            from mlee.run_summary import folders_summary  # only once a sweep ended: a page never waits for it

            folders = [d for s in sweep.handle.status() if s.state.value == "done" for d in (s.train_dir, s.infer_dir)]
            try:
                text = folders_summary(folders) if folders else "no run of this sweep completed"
            except (OSError, ValueError) as exc:
                text = f"no summary: {exc}"
            sweep.summary = text
            log.info("sweep %d ended:\n%s", sweep.id, text)

    def merge_now(self) -> None:
        """Merge the run folders of ``logs_dir`` into ``results_dir`` and reload the shown results when
        something was merged, showing ``results_dir`` from then on besides the served folder (also called by the
        merge thread)."""
        from mlee.merge import merge_directory

        if not self.logs_dir.is_dir():
            return
        try:
            report = merge_directory(self.logs_dir, self.results_dir, progress=False)
        except (OSError, ValueError) as exc:
            log.error("merging %s into %s failed: %s", self.logs_dir, self.results_dir, exc)
            return
        if report.merged:
            self.data.reload([self.results_dir / f"{name}.json" for name in report.merged], also=[self.results_dir])


__all__ = ["RunManager", "RunOptions", "Sweep", "embedded_executor"]
