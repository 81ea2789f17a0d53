"""What runs on a Dask worker: one experiment, under the lock of its node.

Loaded on the workers by pickling references to these functions; workers need mlee installed (same version as
the client). The :class:`WorkerResources` plugin keeps each worker process's prepared datasets, meters and
platform description, so a dataset is loaded once per worker, not per task.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from mlee.extras import require

require("cluster", "distributed")
from distributed import Lock, WorkerPlugin, get_worker

from mlee.runs.folder_transfer import RunRecord
from mlee.runs.runner import RunSettings
from mlee.runs.run_execution import (RunJob, RunKey, RunResources, execute_run, execution_record, node_id,
                                           with_execution)

log = logging.getLogger(__name__)

PLUGIN_NAME = "mlee-resources"


def node_lock_name(node: str) -> str:
    """Name of the Dask lock that one node's measured experiments hold: ``mlee-node-<node id>``."""
    return f"mlee-node-{node}"


class WorkerResources(WorkerPlugin):
    """Worker plugin: the node id and the :class:`~mlee.executors.sweep.RunResources` of one worker process."""

    name = PLUGIN_NAME

    def setup(self, worker: Any) -> None:
        """Read the node id (``$MLEE_NODE_ID`` or the host name) and start with empty caches."""
        self.node = node_id()
        self.resources = RunResources()
        logging.getLogger("codecarbon").setLevel(logging.ERROR)


class EmbeddedWorker(WorkerPlugin):
    """Worker plugin for the processes of an embedded cluster (``--cluster local``). Ctrl-C in a terminal reaches
    the whole process group, but the client cancels the sweep and shuts its workers down itself: they ignore
    SIGINT (instead of dying mid-task with a traceback each) and log nothing of Dask's own below CRITICAL (closed
    under running tasks, they would report failed heartbeats and lock releases; a run's errors go to its
    ``error.json`` anyway)."""

    name = "mlee-embedded-worker"

    def setup(self, worker: Any) -> None:
        """Ignore SIGINT in this worker process (plugins are set up in the process's main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        logging.getLogger("distributed").setLevel(logging.CRITICAL)


@dataclass
class RemoteJob:
    """One experiment sent to a worker: the job, the client's settings, and what the worker must do."""

    job: RunJob
    settings: RunSettings
    topic: str  # event topic on which the worker announces that the run started
    dry_run: bool = False  # execute nothing (and so measure nothing: no lock)


@dataclass
class RemoteResult:
    """What a worker returns: where the run executed, when (``time.time()``), and the measured run (None for a
    dry run); the client writes its folders."""

    key: RunKey
    node: str
    worker: str
    started: float
    ended: float
    record: RunRecord | None = None


def _plugin() -> WorkerResources:
    return get_worker().plugins[PLUGIN_NAME]  # type: ignore[return-value]


def run_on_worker(remote: RemoteJob) -> RemoteResult:
    """Measure one experiment on this worker and return its record (nothing is written here).

    A measured experiment holds the lock ``mlee-node-<node id>`` from before the dataset is touched until it is
    measured, so no two measured windows overlap on one node, whichever worker processes it has.
    """
    worker = get_worker()
    plugin = _plugin()
    key = remote.job.key
    lock = contextlib.nullcontext() if remote.dry_run else Lock(node_lock_name(plugin.node))
    with lock:
        started = time.time()
        worker.log_event(remote.topic, {"key": [key.dataset, key.method, key.repeat], "node": plugin.node,
                                        "worker": worker.address, "started": started})
        if remote.dry_run:
            return RemoteResult(key, plugin.node, worker.address, started, time.time())
        execution = execution_record("dask", worker.address, f"node lock {node_lock_name(plugin.node)}")
        record = execute_run(remote.job, with_execution(remote.settings, execution), plugin.resources)
        return RemoteResult(key, plugin.node, worker.address, started, time.time(), record)
