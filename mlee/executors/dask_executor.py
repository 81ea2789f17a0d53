"""Run sweeps on a Dask cluster: an embedded ``LocalCluster``, a running scheduler, or a scheduler file.

Only ``--cluster``/``--scheduler-file`` (or using :class:`DaskExecutor`) imports this module, and with it Dask.
Each experiment is one task (``pure=False``, a key per run) that returns its record (``RunRecord``); this
process writes its folders (:func:`mlee.runs.runner.write_record`). Measured experiments hold the lock
``mlee-node-<node id>`` on the worker, so runs on one node never overlap whatever the number of worker
processes there. A task whose worker dies is rerun on another worker by Dask; its result arrives once, so each
run is written once. Hyperparameter searches measure nothing and take no lock: their fits go to any worker.

Cluster specs: ``local`` (one single-threaded worker process per core), ``local:N`` (N workers), or a scheduler
address such as ``tcp://host:8786``; ``scheduler_file`` is the file ``dask scheduler --scheduler-file`` wrote.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any, Iterator

from mlee.extras import require

require("cluster", "distributed")
import dask
from distributed import Client, Future, Nanny, Scheduler, SpecCluster, as_completed

from mlee.executors.dask_worker import PLUGIN_NAME, EmbeddedWorker, RemoteJob, RemoteResult, WorkerResources, run_on_worker
from mlee.runs.errors import ExperimentError
from mlee.runs.runner import RunOutcome, RunSettings, _Context, _failed_train_folder, write_record
from mlee.runs.run_execution import NODE_ID_VARIABLE, RunJob, RunKey, RunResources
from mlee.executors.sweep import RunState, SweepError, SweepHandle

log = logging.getLogger(__name__)

#: The address an embedded cluster's scheduler and workers listen on.
LOOPBACK = "127.0.0.1"
#: Seconds to wait for a scheduler (and, for an embedded cluster, its workers) before giving up.
CONNECT_TIMEOUT_S = 20


def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``("local", N or None)`` for ``local``/``local:N``, ``("address", None)`` for a scheduler address;
    raises :class:`ExperimentError` naming the accepted forms."""
    text = spec.strip()
    if text == "local":
        return "local", None
    if text.startswith("local:"):
        count = text.split(":", 1)[1]
        if count.isdigit() and int(count) >= 1:
            return "local", int(count)
    elif "://" in text and text.split("://", 1)[1]:
        return "address", None
    raise ExperimentError(
        f"--cluster {spec!r} is not a cluster: use 'local' (one worker process per core), 'local:N' (N worker "
        f"processes, N >= 1), a scheduler address such as tcp://host:8786, or --scheduler-file FILE.")


def local_cluster(workers: int | None = None, node_ids: list[str] | None = None) -> SpecCluster:
    """An embedded cluster on this machine: ``workers`` worker processes (default: one per core) with one thread
    each. ``node_ids`` gives each worker its own ``MLEE_NODE_ID`` (simulated machines for tests and benchmarks);
    by default they all share this machine's node id, so their measured experiments take turns."""
    count = len(node_ids) if node_ids else (workers or os.cpu_count() or 1)
    specs: dict[str, Any] = {}
    for i in range(count):
        env = {NODE_ID_VARIABLE: node_ids[i]} if node_ids else {}
        specs[f"worker-{i}"] = {"cls": Nanny, "options": {"nthreads": 1, "env": env, "host": LOOPBACK,
                                                          "silence_logs": logging.ERROR}}
    # loopback only: a scheduler runs whatever code it is sent, so an embedded one must not be reachable from
    # other machines
    scheduler = {"cls": Scheduler, "options": {"dashboard": False, "dashboard_address": f"{LOOPBACK}:0",
                                               "host": LOOPBACK}}
    return SpecCluster(workers=specs, scheduler=scheduler, silence_logs=logging.ERROR, name="mlee-local")


class DaskExecutor:
    """Executor for :func:`mlee.executors.sweep.start_sweep` on a Dask cluster.

    Give exactly one of ``cluster`` (a spec, see :func:`parse_cluster`), ``scheduler_file`` or ``client`` (an
    existing :class:`distributed.Client`, not closed by :meth:`close`). The connection is made on first use and
    kept for later sweeps; an embedded cluster lives until :meth:`close`. Use as a context manager.
    """

    name = "dask"

    def __init__(self, cluster: str | None = None, scheduler_file: str | os.PathLike | None = None,
                 client: Client | None = None) -> None:
        if sum(x is not None for x in (cluster, scheduler_file, client)) != 1:
            raise ExperimentError("Give exactly one of cluster (--cluster), scheduler_file (--scheduler-file) or "
                                  "client.")
        if cluster is not None:
            parse_cluster(cluster)
        if scheduler_file is not None and not Path(scheduler_file).is_file():
            raise ExperimentError(
                f"Scheduler file {scheduler_file} does not exist. Start a scheduler with "
                f"`dask scheduler --scheduler-file {scheduler_file}` (on a shared file system) or pass --cluster.")
        self.cluster_spec = cluster
        self.scheduler_file = scheduler_file
        self._client = client
        self._owns_client = client is None
        self._cluster: SpecCluster | None = None
        self._plugin_registered = False
        self._connecting = threading.Lock()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def client(self) -> Client:
        """The connected client (connects, or starts the embedded cluster, on first use)."""
        with self._connecting:  # a server may start sweeps from several threads
            if self._client is None:
                self._client = self._connect()
            if not self._plugin_registered:
                self._client.register_plugin(WorkerResources(), name=PLUGIN_NAME)
                self._plugin_registered = True
            return self._client

    @property
    def scheduler_address(self) -> str:
        """Address of the scheduler this executor uses."""
        return self.client.scheduler.address

    def _connect(self) -> Client:
        timeout = f"{CONNECT_TIMEOUT_S}s"
        if self.cluster_spec is not None and parse_cluster(self.cluster_spec)[0] == "local":
            self._cluster = local_cluster(parse_cluster(self.cluster_spec)[1])
            client = Client(self._cluster, set_as_default=False)
            client.register_plugin(EmbeddedWorker(), name=EmbeddedWorker.name)
            return client
        where = self.cluster_spec or f"the scheduler in {self.scheduler_file}"
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": timeout}):
                if self.scheduler_file is not None:
                    return Client(scheduler_file=str(self.scheduler_file), timeout=timeout, set_as_default=False)
                return Client(self.cluster_spec, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ExperimentError(
                f"Could not reach the Dask scheduler at {where} within {CONNECT_TIMEOUT_S} s ({exc}). Start it "
                f"with `dask scheduler` and workers with `dask worker <address> --nworkers 1 --nthreads 1`, "
                f"or use --cluster local.") from None

    def workers(self) -> dict[str, str]:
        """Worker address -> node id of every connected worker (waits for one worker at most 20 s)."""
        client = self.client
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise ExperimentError(
                f"The Dask scheduler at {client.scheduler.address} has no workers after {CONNECT_TIMEOUT_S} s. Start "
                f"them with `dask worker {client.scheduler.address} --nworkers 1 --nthreads 1`.") from None
        return client.run(lambda dask_worker: dask_worker.plugins[PLUGIN_NAME].node)

    def close(self) -> None:
        """Close the client and the embedded cluster (a client given by the caller stays open)."""
        if self._client is not None and self._owns_client:
            self._client.close()
        self._client = None
        self._plugin_registered = False
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    # ------------------------------------------------------------------------------------------------ sweeps
    def execute(self, handle: SweepHandle, jobs: list[RunJob]) -> None:
        """Submit every job, write each run's folders as its result arrives, report to ``handle``."""
        client = self.client
        plan = handle.plan
        sweep = uuid.uuid4().hex[:12]
        topic = f"mlee-sweep-{sweep}"

        def started(event: tuple[float, dict[str, Any]]) -> None:
            msg = event[1]
            handle.mark_running(RunKey(*msg["key"]), msg["node"], msg["worker"], msg["started"])

        client.subscribe_topic(topic, started)
        futures: dict[Future, RunJob] = {}
        try:
            remotes = [RemoteJob(job, plan.settings, topic, dry_run=plan.dry_run) for job in jobs]
            keys = [f"mlee-run-{sweep}-{i}" for i in range(len(jobs))]  # one submission message for the sweep
            futures = dict(zip(client.map(run_on_worker, remotes, key=keys, pure=False), jobs))
            log.info("submitted %d runs to %s", len(futures), client.scheduler.address)
            handle.on_cancel(lambda: client.cancel(list(futures), force=True))
            # results are fetched on the client's event loop, not one blocking call per run from this thread
            for future, result in as_completed(futures, loop=client.loop, with_results=True, raise_errors=False):
                self._collect(handle, future.status, result, futures[future])
                future.release()
        finally:
            client.unsubscribe_topic(topic)

    def _collect(self, handle: SweepHandle, status: str, result: RemoteResult | BaseException, job: RunJob) -> None:
        """Write and report one run whose future ended with ``status`` and ``result`` (its exception if it failed)."""
        settings = handle.plan.settings
        if status == "finished":
            assert isinstance(result, RemoteResult)
            outcome = RunOutcome(*dataclasses.astuple(job.key)) if result.record is None else \
                write_record(settings, result.record)
            handle.mark_finished(outcome, result.node, result.worker, result.started, result.ended)
        elif status == "cancelled" and handle.cancelled:
            handle.mark_cancelled(job.key)
        elif status == "cancelled":
            raise SweepError(self._lost_message(handle))
        else:  # the task raised outside the runner (e.g. its worker died repeatedly): record it as a failed run
            outcome = _failed_train_folder(settings, job.key.dataset, job.key.method, job.key.repeat, result,
                                           _Context())
            handle.mark_finished(outcome)

    def _lost_message(self, handle: SweepHandle) -> str:
        ended = [s for s in handle.status() if s.state in (RunState.DONE, RunState.FAILED)]
        names = "; ".join(str(s.key) for s in ended[:20]) + (f"; ... ({len(ended) - 20} more)" if len(ended) > 20
                                                             else "")
        where = self.cluster_spec or f"scheduler file {self.scheduler_file}"
        return (f"Lost the Dask scheduler ({where}). {len(ended)} of {len(handle.status())} runs had finished and "
                f"are written in {handle.output_dir}" + (f": {names}" if ended else "") +
                ". Restart the scheduler and workers, then rerun the same command with --resume to run the rest.")

    # --------------------------------------------------------------------------------------------- searches
    def searches(self, pairs: list[tuple[str, str]], settings: RunSettings, n_iter: int, folds: int,
                 concurrent: int = 4) -> Iterator[tuple[str, str, dict[str, Any] | BaseException]]:
        """Random search of each (dataset, method) pair; yields ``(dataset, method, cv_results or the exception)``
        as each ends. The candidates x folds of every search are spread over all workers (joblib's Dask backend;
        the training split is sent once per search); ``concurrent`` searches run at a time, so that the fits of
        small searches fill the gaps of large ones. Datasets are loaded here (the search splits them here).
        Closing the iterator (or Ctrl-C while iterating) drops the searches not started. Raises
        :class:`SweepError` if the scheduler goes away."""
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import as_completed as threads_completed

        from joblib import parallel_config

        from mlee.runs.hyperparams import run_search

        client = self.client
        datasets = RunResources(keep=len({dataset for dataset, _ in pairs}))
        loading = threading.Lock()

        def search(dataset: str, method: str) -> dict[str, Any]:
            with loading:
                data = datasets.data(dataset, settings)
            with parallel_config(backend="dask", client=client, n_jobs=-1):
                return run_search(data, method, n_iter, folds, -1, settings.seed)

        pool = ThreadPoolExecutor(max_workers=concurrent, thread_name_prefix="mlee-search")
        try:
            jobs = {pool.submit(search, dataset, method): (dataset, method) for dataset, method in pairs}
            finished = 0
            for job in threads_completed(jobs):
                dataset, method = jobs[job]
                error = job.exception()
                if error is not None and client.status != "running":
                    raise SweepError(f"Lost the Dask scheduler ({self.cluster_spec or self.scheduler_file}) after "
                                     f"{finished} of {len(pairs)} searches had finished; rerun the search.")
                finished += 1
                yield dataset, method, error if error is not None else job.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
