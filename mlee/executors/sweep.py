"""Sweeps behind a handle: start many experiments, watch them, cancel them. The API behind ``--cluster``.

A *sweep* is every (dataset, method, repeat) of a :class:`SweepPlan`. :func:`start_sweep` returns at once with a
:class:`SweepHandle`; an *executor* runs the experiments in the background and the handle reports each run as
``queued``, ``running``, ``done``, ``failed`` or ``cancelled``. Every executor runs the same runner
(:func:`mlee.runs.runner.measure_run`) and every run folder is written by this process, atomically, in
``plan.settings.output_dir``, with the layout of an in-process run. Executors:

- :class:`InProcessExecutor`: in a background thread of this process, one experiment at a time in the process
  (concurrent sweeps take turns).
- :class:`mlee.executors.dask_executor.DaskExecutor`: a Dask cluster (embedded ``LocalCluster``, scheduler
  address, scheduler file); measured experiments hold a lock per node.

This module imports no Dask. ``evaluate_sklearn.py`` uses this API: with ``--cluster`` on a cluster, without it
through :func:`run_sweep_here` in its main thread (Ctrl-C stops the run in progress, which stays hidden).

Example (a long-lived server such as ELEx does the same, polling :meth:`SweepHandle.status`)::

    from pathlib import Path
    from mlee.runs.runner import RunSettings
    from mlee.executors.sweep import InProcessExecutor, SweepPlan, start_sweep

    settings = RunSettings(output_dir=Path("logs/sklearn"), hyperparameters="default",
                           monitor_options={"monitor": "estimate"})
    handle = start_sweep(SweepPlan([("iris", "Gaussian Naive Bayes")], settings), InProcessExecutor())
    for run in handle.finished():          # blocks; yields each run as it ends
        print(run.key, run.state, run.elapsed())
    outcomes = handle.wait()               # RunOutcome per run that ended (raises SweepError if the executor failed)
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Iterator, Protocol

from tqdm.auto import tqdm

from mlee.runs.errors import DiskFullError, ExperimentError, SweepError
from mlee.runs.folders import complete_runs
from mlee.runs.hyperparams import Hyperparameters, find_hyperparameters
from mlee.runs.methods import get_backend
from mlee.runs.run_execution import (RunJob, RunKey, RunResources, execute_run, execution_record, node_id,
                                           with_execution)
from mlee.runs.runner import RunOutcome, RunSettings, _Context, _failed_train_folder, write_record

log = logging.getLogger(__name__)

class RunState(str, enum.Enum):
    """Where a run stands. ``done`` and ``failed`` (``error.json`` written) and ``cancelled`` are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class RunStatus:
    """State of one run. Times are ``time.time()`` seconds; ``node``/``worker`` say where it ran (``worker`` is
    ``None`` in-process); ``error`` is the message of a failed run; the folder paths are set once written."""

    key: RunKey
    state: RunState = RunState.QUEUED
    node: str | None = None
    worker: str | None = None
    started: float | None = None
    ended: float | None = None
    error: str | None = None
    train_dir: Path | None = None
    infer_dir: Path | None = None

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds since the run started (to its end once it ended); ``None`` before it started."""
        if self.started is None:
            return None
        return (self.ended if self.ended is not None else (now or time.time())) - self.started


def resume_skip(pairs: list[tuple[str, str]], settings: RunSettings) -> set[RunKey]:
    """The runs of ``pairs`` x ``settings.repeats`` already complete in ``settings.output_dir`` for the identity
    they are asked for now; broken folders there are set aside (see :func:`complete_runs`). Pairs whose
    hyperparameters do not resolve are not skipped (they fail as runs)."""
    from mlee.runs.runner import run_spec

    complete = complete_runs(Path(settings.output_dir), set_aside=True)
    skip: set[RunKey] = set()
    for dataset, method in pairs:
        try:
            hp = find_hyperparameters(dataset, method, settings.hyperparameters)
        except ExperimentError:
            continue
        wanted = run_spec(settings, dataset, method, hp).identity
        skip.update(key for r in range(settings.repeats)
                    if wanted in complete.get(key := RunKey(dataset, method, r), ()))
    return skip


@dataclass
class SweepPlan:
    """Every (dataset key, method full name) pair of ``pairs`` run ``settings.repeats`` times, writing into
    ``settings.output_dir``. The meter of each run is built from ``settings.monitor_options`` (the ``--monitor``
    options by argument name) where the run executes. ``resume``: skip runs already complete in the output
    directory (see :func:`complete_runs`). ``dry_run``: plan and schedule every run but execute none (no folders;
    measures the executor's own cost)."""

    pairs: list[tuple[str, str]]
    settings: RunSettings
    resume: bool = False
    dry_run: bool = False

    def keys(self) -> list[RunKey]:
        """Every run of the plan, in order (pairs as given, repeats inner)."""
        return [RunKey(dataset, method, r) for dataset, method in self.pairs for r in range(self.settings.repeats)]

    def runs(self) -> list[RunKey]:
        """The runs to execute, in order (pairs as given, repeats inner), without complete ones on ``resume``."""
        skip = resume_skip(self.pairs, self.settings) if self.resume else set()
        return [key for key in self.keys() if key not in skip]


class Executor(Protocol):
    """Runs the jobs of a sweep and reports them to the handle (``mark_running``, ``mark_finished``,
    ``mark_cancelled``); returns when every job ended or the handle was cancelled; raises :class:`SweepError`
    when it cannot go on. Called in the handle's background thread."""

    name: str

    def execute(self, handle: "SweepHandle", jobs: list[RunJob]) -> None: ...


_END = object()


class SweepHandle:
    """A running sweep. Thread-safe: any thread may call :meth:`status`, :meth:`counts`, :meth:`cancel`,
    :meth:`wait`; one consumer may iterate :meth:`finished`. Created by :func:`start_sweep`."""

    def __init__(self, plan: SweepPlan, runs: list[RunKey],
                 on_finish: Callable[[RunStatus], None] | None = None) -> None:
        self.plan = plan
        self.created = time.time()
        self._lock = threading.Lock()
        self._status = {key: RunStatus(key) for key in runs}
        self._outcomes: list[RunOutcome] = []
        self._finished: queue.Queue = queue.Queue()
        self._on_finish = on_finish
        self._cancel = threading.Event()
        self._cancel_hooks: list[Callable[[], None]] = []
        self._done = threading.Event()
        self._error: BaseException | None = None

    # ----------------------------------------------------------------------------------------- for everyone
    @property
    def output_dir(self) -> Path:
        """Where the run folders are written."""
        return Path(self.plan.settings.output_dir)

    def status(self) -> list[RunStatus]:
        """A snapshot (copies) of every run's status, in plan order."""
        with self._lock:
            return [dataclasses.replace(s) for s in self._status.values()]

    def counts(self) -> dict[str, int]:
        """Number of runs per state (every :class:`RunState` value is a key)."""
        counts = {state.value: 0 for state in RunState}
        with self._lock:
            for s in self._status.values():
                counts[s.state.value] += 1
        return counts

    def node_summary(self) -> dict[str, dict[str, float]]:
        """Per node: runs ``done`` and ``failed`` and ``busy_s`` (seconds spent in runs that ended there)."""
        summary: dict[str, dict[str, float]] = {}
        for s in self.status():
            if s.node is None or s.state not in (RunState.DONE, RunState.FAILED):
                continue
            row = summary.setdefault(s.node, {"done": 0, "failed": 0, "busy_s": 0.0})
            row[s.state.value] += 1
            row["busy_s"] += s.elapsed() or 0.0
        return summary

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        """True when nothing runs any more (all ended, or cancelled and wound down, or the executor failed)."""
        return self._done.is_set()

    @property
    def error(self) -> BaseException | None:
        """Why the executor stopped early (a :class:`SweepError`), or ``None``."""
        return self._error

    def cancel(self) -> None:
        """Cancel every run that has not ended. Runs not started are dropped; a run that is executing is
        abandoned by the cluster (in-process it finishes first). Folders already written stay; nothing is left
        half-written. Returns at once; :meth:`wait` for the sweep to wind down."""
        self._cancel.set()
        with self._lock:
            hooks = list(self._cancel_hooks)
        for hook in hooks:
            hook()

    def join(self, timeout: float | None = None) -> bool:
        """Block until the sweep is done or ``timeout`` seconds passed; returns :attr:`done`."""
        return self._done.wait(timeout)

    def wait(self, timeout: float | None = None) -> list[RunOutcome]:
        """Block until the sweep is done; returns the outcome of each run that ended (in the order they ended).
        Raises ``TimeoutError`` after ``timeout`` seconds, and the executor's :class:`SweepError` if it failed."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"the sweep is still running after {timeout} s")
        if self._error is not None:
            raise self._error
        with self._lock:
            return list(self._outcomes)

    def finished(self) -> Iterator[RunStatus]:
        """Yield the status of each run as it ends (done, failed or cancelled), until the sweep is done."""
        while True:
            item = self._finished.get()
            if item is _END:
                self._finished.put(_END)  # later iterators end at once
                return
            yield item

    # ------------------------------------------------------------------------------------------ for executors
    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` (once) when the sweep is cancelled; at once if it already is."""
        with self._lock:
            self._cancel_hooks.append(hook)
        if self.cancelled:
            hook()

    def mark_running(self, key: RunKey, node: str | None, worker: str | None, started: float | None = None) -> None:
        """Record that ``key`` started on ``node``/``worker`` (again, if a worker died and it was resubmitted)."""
        with self._lock:
            status = self._status[key]
            if status.state in (RunState.QUEUED, RunState.RUNNING):
                status.state, status.node, status.worker = RunState.RUNNING, node, worker
                status.started = started or time.time()

    def mark_finished(self, outcome: RunOutcome, node: str | None = None, worker: str | None = None,
                      started: float | None = None, ended: float | None = None) -> None:
        """Record the outcome of a run whose folders are written; calls the ``on_finish`` callback."""
        key = RunKey(outcome.dataset, outcome.method, outcome.repeat)
        with self._lock:
            status = self._status[key]
            status.state = RunState.DONE if outcome.ok else RunState.FAILED
            status.node = node or status.node
            status.worker = worker or status.worker
            status.started = started or status.started
            status.ended = ended or time.time()
            status.error, status.train_dir, status.infer_dir = outcome.error, outcome.train_dir, outcome.infer_dir
            self._outcomes.append(outcome)
            snapshot = dataclasses.replace(status)
        self._report(snapshot)

    def mark_cancelled(self, key: RunKey) -> None:
        """Record that ``key`` will not run (nothing of it was written)."""
        with self._lock:
            status = self._status[key]
            if status.state in (RunState.DONE, RunState.FAILED, RunState.CANCELLED):
                return
            status.state, status.ended = RunState.CANCELLED, time.time()
            snapshot = dataclasses.replace(status)
        self._report(snapshot)

    def _report(self, snapshot: RunStatus) -> None:
        self._finished.put(snapshot)
        if self._on_finish is not None:
            try:
                self._on_finish(snapshot)
            except Exception:  # noqa: BLE001 - a broken callback must not stop the sweep
                log.exception("on_finish callback failed for %s", snapshot.key)

    def _execute(self, executor: Executor, foreground: bool = False) -> None:
        """Body of the background thread (or, ``foreground``, of the caller's: Ctrl-C then cancels the rest and
        is raised again): resolve hyperparameters, hand the jobs to the executor, wind down."""
        try:
            jobs = self._jobs()
            if not self.cancelled:
                executor.execute(self, jobs)
        except BaseException as exc:  # noqa: BLE001 - reported through wait()/error
            if foreground and isinstance(exc, KeyboardInterrupt):
                self._cancel.set()
                raise
            self._error = exc if isinstance(exc, SweepError) else SweepError(
                f"The sweep stopped: {type(exc).__name__}: {exc}")
            log.error("%s", self._error, exc_info=None if isinstance(exc, SweepError) else exc)
        finally:
            for status in self.status():
                self.mark_cancelled(status.key)
            self._done.set()
            self._finished.put(_END)

    def _jobs(self) -> list[RunJob]:
        """Jobs of the runs whose hyperparameters resolve; the others are written as failed runs here."""
        settings = self.plan.settings
        resolved: dict[tuple[str, str], Hyperparameters | ExperimentError] = {}
        jobs: list[RunJob] = []
        context: _Context | None = None
        for status in self.status():
            key = status.key
            pair = (key.dataset, key.method)
            if pair not in resolved:
                try:
                    resolved[pair] = find_hyperparameters(key.dataset, key.method, settings.hyperparameters)
                except ExperimentError as exc:
                    resolved[pair] = exc
            hp = resolved[pair]
            if isinstance(hp, ExperimentError):
                context = context or _Context()
                self.mark_finished(_failed_train_folder(settings, key.dataset, key.method, key.repeat, hp, context))
            else:
                jobs.append(RunJob(key, hp))
        return jobs


#: Held around every in-process experiment: sweeps started concurrently in one process (e.g. by a server)
#: take turns, so their measured windows never overlap.
_IN_PROCESS_LOCK = threading.Lock()


class InProcessExecutor:
    """Runs one experiment at a time in the sweep's background thread; concurrent sweeps of this process take
    turns run by run (their measured windows never overlap). Datasets and meters are kept between runs and sweeps.
    Cancelling lets the running experiment end."""

    name = "in-process"

    def __init__(self, meter: Any = None) -> None:
        self.resources = RunResources(meter=meter)

    def execute(self, handle: SweepHandle, jobs: list[RunJob]) -> None:
        """Run ``jobs`` in order, reporting each to ``handle``; stops early when it is cancelled."""
        plan = handle.plan
        settings = with_execution(plan.settings, execution_record(self.name, None, "one experiment at a time"))
        for job in jobs:
            with _IN_PROCESS_LOCK:
                if handle.cancelled:
                    return
                started = time.time()
                handle.mark_running(job.key, node_id(), None, started)
                outcome = RunOutcome(*dataclasses.astuple(job.key)) if plan.dry_run else \
                    write_record(settings, execute_run(job, settings, self.resources))
                ended = time.time()
            handle.mark_finished(outcome, started=started, ended=ended)

    def close(self) -> None:
        """Nothing to release (present for symmetry with the cluster executor)."""


def run_sweep_here(plan: SweepPlan, runs: list[RunKey] | None = None,
                   on_finish: Callable[[RunStatus], None] | None = None, meter: Any = None) -> SweepHandle:
    """Run ``plan`` in this thread with an :class:`InProcessExecutor`; returns the finished handle.

    In the main thread Ctrl-C interrupts the run in progress (its folders stay hidden), marks the rest cancelled
    and raises ``KeyboardInterrupt``.

    Parameters
    ----------
    plan : SweepPlan
        What to run.
    runs : list of RunKey, optional
        The runs to execute (default :meth:`SweepPlan.runs`; pass them when already planned).
    on_finish : callable, optional
        Called with each run's status as it ends.
    meter : Meter, optional
        The meter of every run (default: one per ``plan.settings.monitor_options``).

    Returns
    -------
    SweepHandle
    """
    handle = SweepHandle(plan, plan.runs() if runs is None else runs, on_finish)
    handle._execute(InProcessExecutor(meter), foreground=True)
    return handle


def run_sweep(pairs: Iterable[tuple[str, str]], settings: RunSettings, meter: Any, progress: bool = True,
              on_outcome: Callable[[RunOutcome], None] | None = None,
              skip: Container[tuple[str, str, int]] = ()) -> list[RunOutcome]:
    """Run every (dataset key, method full name) pair ``settings.repeats`` times in this thread, except the
    (dataset, method, repeat) runs in ``skip``, through the sweep API
    (:func:`run_sweep_here`) with ``meter``.

    The backend is checked first (:attr:`Backend.check`: a missing package or device raises, with the fix). A
    failing run (or a dataset that does not load) is recorded in its folder and in the returned outcomes; the
    sweep goes on. Ctrl-C raises ``KeyboardInterrupt`` and leaves the run in progress hidden; a write refused for
    lack of space raises :class:`~mlee.runs.errors.DiskFullError` (runs written before are kept).

    Parameters
    ----------
    pairs : iterable of (str, str)
        (dataset key, method full name) pairs, e.g. ``("iris", "k-Nearest Neighbors")``.
    settings : RunSettings
        What every run shares (output folder, repeats, hyperparameters, backend, ...).
    meter : Meter
        The meter that measures the training and inference windows.
    progress : bool
        Show a progress bar.
    on_outcome : callable, optional
        Called with each :class:`RunOutcome` as its run finishes.
    skip : container of (str, str, int)
        (dataset, method, repeat) runs not to run (``--resume``).

    Returns
    -------
    list of RunOutcome
        One per run: its training and inference folders, and its error (None when it succeeded).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from mlee import Meter, RunSettings, run_sweep
    >>> logs = Path(tempfile.mkdtemp()) / "logs"
    >>> settings = RunSettings(output_dir=logs, hyperparameters="default", robustness=False)
    >>> outcomes = run_sweep([("iris", "k-Nearest Neighbors")], settings, Meter("estimate"), progress=False)
    >>> [(o.dataset, o.error) for o in outcomes]
    [('iris', None)]
    >>> sorted(p.name.split("_")[0] for p in logs.iterdir())
    ['infer', 'train']
    """
    get_backend(settings.backend).check(settings.device)  # before any window: missing package, no GPU, warm-up
    plan = SweepPlan(list(dict.fromkeys(pairs)), settings)
    runs = [key for key in plan.runs() if (key.dataset, key.method, key.repeat) not in skip]
    outcomes: list[RunOutcome] = []
    with tqdm(total=len(runs), disable=not progress, unit="run", desc="experiments") as bar:

        def finished(status: Any) -> None:
            if status.state == RunState.CANCELLED:
                return
            outcome = RunOutcome(status.key.dataset, status.key.method, status.key.repeat, status.train_dir,
                                 status.infer_dir, status.error)
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
            bar.update(1)

        handle = run_sweep_here(plan, runs, finished, meter)
    if handle.error is not None:
        raise handle.error
    return outcomes


def start_sweep(plan: SweepPlan, executor: Executor | None = None,
                on_finish: Callable[[RunStatus], None] | None = None) -> SweepHandle:
    """Start ``plan`` on ``executor`` (default :class:`InProcessExecutor`) in a background thread; returns at once.

    ``on_finish(status)`` is called (in the background thread) as each run ends; keep it short. The executor is
    not closed when the sweep ends, so one executor (e.g. a cluster connection) can serve many sweeps.
    """
    handle = SweepHandle(plan, plan.runs(), on_finish)
    thread = threading.Thread(target=handle._execute, args=(executor or InProcessExecutor(),),
                              name="mlee-sweep", daemon=True)
    thread.start()
    return handle


__all__ = ["DiskFullError", "Executor", "InProcessExecutor", "RunJob", "RunKey", "RunState", "RunStatus", "SweepError",
           "SweepHandle", "SweepPlan", "complete_runs", "resume_skip", "run_sweep", "run_sweep_here", "start_sweep"]
