"""Executing one run where it lands (this process or a cluster worker): the node id, the ``execution`` record
of ``config.json``, and the resources the runs of one process share (prepared datasets, meters, platform).

Imports no Dask; used by :mod:`mlee.executors.sweep` and :mod:`mlee.executors.dask_worker`.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mlee.runs.hyperparams import Hyperparameters
from mlee.runs.folder_transfer import RunRecord
from mlee.runs.runner import RunSettings, _Context, failed_record, measure_run
from mlee.runs.spec import RunKey
from mlee.runs.user_registry import CONFIG_KEY, adopt

#: Seconds a dataset that failed to load is not tried again (its repeats fail at once, e.g. without network).
FAILURE_MEMORY_S = 60.0
#: Environment variable that overrides the node id (the host name): containers, simulated nodes in tests.
NODE_ID_VARIABLE = "MLEE_NODE_ID"


def node_id() -> str:
    """Id of the machine whose energy counters a run reads: ``$MLEE_NODE_ID`` if set, else the host name."""
    return os.environ.get(NODE_ID_VARIABLE) or socket.gethostname()


def execution_record(executor: str, worker: str | None, isolation: str) -> dict[str, Any]:
    """The ``execution`` entry of a run's ``config.json``: executor name, node id, worker address (``None``
    in-process) and how the measured window was isolated from other measured runs."""
    return {"executor": executor, "node_id": node_id(), "worker": worker, "isolation": isolation}


@dataclass
class RunJob:
    """What an executor runs: the run and its hyperparameters (resolved by the client, so that workers need
    no copy of the hyperparameter files)."""

    key: RunKey
    hyperparameters: Hyperparameters


class RunResources:
    """What the runs of one process share: prepared datasets (the ``keep`` most recent; a sweep runs the
    runs of one dataset together), one meter per monitor settings, the platform description. One run at a time."""

    def __init__(self, keep: int = 2, meter: Any = None) -> None:
        self.keep = keep
        self._data: OrderedDict[tuple, tuple[Any, float]] = OrderedDict()  # key -> (data or error, when)
        self._meters: dict[Any, Any] = {}  # MeterConfig -> Meter
        self._meter = meter  # a ready meter that every run of this process uses (the caller's own)
        self._context: _Context | None = None

    @property
    def context(self) -> _Context:
        """Platform description and package list of this process, read once."""
        if self._context is None:
            self._context = _Context()
        return self._context

    def data(self, dataset: str, settings: RunSettings) -> Any:
        """The prepared dataset (loaded once per process and settings); raises what loading raised (a failure is
        remembered for :data:`FAILURE_MEMORY_S` seconds)."""
        from mlee.runs.datasets import load_dataset
        from mlee.runs.preparation import prepare

        key = (dataset, settings.data_home, settings.seed, settings.synthetic, settings.download, settings.test_size)
        cached = self._data.get(key)
        if cached is None or (isinstance(cached[0], Exception) and time.time() - cached[1] > FAILURE_MEMORY_S):
            try:
                loaded = load_dataset(dataset, data_home=settings.data_home, seed=settings.seed,
                                      synthetic=settings.synthetic, download=settings.download)
                self._data[key] = (prepare(loaded, seed=settings.seed, test_size=settings.test_size), time.time())
            except Exception as exc:  # noqa: BLE001 - the other runs of the dataset fail the same way for a while
                self._data[key] = (exc, time.time())
        self._data.move_to_end(key)
        while len(self._data) > self.keep:
            self._data.popitem(last=False)
        value = self._data[key][0]
        if isinstance(value, Exception):
            raise value
        return value

    def meter(self, settings: RunSettings) -> Any:
        """A :class:`~mlee.monitoring.Meter` for ``settings.monitor_options``, built once per process."""
        from mlee.monitoring import Meter
        from mlee.monitoring.config import MeterConfig

        if self._meter is not None:
            return self._meter
        key = MeterConfig.from_dict(settings.monitor_options)
        if key not in self._meters:
            self._meters[key] = Meter(**key.to_dict())
        return self._meters[key]


def execute_run(job: RunJob, settings: RunSettings, resources: RunResources) -> RunRecord:
    """Measure one run with ``settings``; writes nothing (:func:`~mlee.runs.runner.write_record` does). A
    dataset that does not load gives the record of a training folder with ``error.json``."""
    key = job.key
    adopt(settings.extra_config.get(CONFIG_KEY))  # a user's data files, estimators, methods table
    try:
        data = resources.data(key.dataset, settings)
    except Exception as exc:  # noqa: BLE001 - recorded in the run's folder
        return failed_record(settings, key.dataset, key.method, key.repeat, exc, resources.context)
    return measure_run(data, key.method, settings, resources.meter(settings), key.repeat, job.hyperparameters,
                       resources.context)


def with_execution(settings: RunSettings, record: dict[str, Any], **changes: Any) -> RunSettings:
    """A copy of ``settings`` whose runs record ``record`` as ``execution`` in ``config.json``."""
    return dataclasses.replace(settings, extra_config={**settings.extra_config, "execution": record}, **changes)
