"""Measure any program: run a command and its whole process tree in one :class:`~mlee.monitoring.meter.Meter`
window.

The command runs in its own process group, so an interrupt reaches all of it at once. On Linux this process
becomes a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``) for the run: a process the command starts and
leaves behind (a daemon, a ``nohup`` job, a worker whose parent exited) is re-parented here instead of to init,
so its CPU time is still counted when it ends. The window closes when the command and every process it left
behind have ended; its CPU seconds are the whole tree's (``getrusage(RUSAGE_CHILDREN)`` of everything reaped here).
Elsewhere a process that leaves the tree is not counted, and the record's notes say so.

An interrupt (the first SIGINT or SIGTERM) is forwarded to the command's process group; the measurement of the
part that ran is kept and marked incomplete (``complete`` False, the reason in ``quality``). A second interrupt
kills the group (SIGKILL).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from mlee.monitoring.measurement import Measurement
from mlee.monitoring.meter import Meter

log = logging.getLogger(__name__)

_PR_SET_CHILD_SUBREAPER = 36
#: Seconds the processes a command left behind get to end after an interrupt, before they are killed.
LEFTOVER_GRACE_S = 5.0


class ProgramNotFound(FileNotFoundError):
    """The command to measure cannot be started (no such program, or not executable)."""


@dataclass(frozen=True)
class ProgramRun:
    """One measured run of a command.

    Attributes
    ----------
    command : the command and its arguments, as run.
    returncode : the command's exit status (``128 + N`` when a signal N ended it).
    interrupted : True when the run was stopped by an interrupt; the measurement then covers the part that ran.
    measurement : the window's :class:`~mlee.monitoring.measurement.Measurement` (energy per source in J,
        duration in s, the whole tree's CPU seconds, the largest process's peak resident memory in bytes).
    processes : processes of the tree reaped here (the command and those it left behind; at least 1).
    leftovers : processes of the tree that ended after the command (re-parented here and waited for, or
        stopped after an interrupt).
    notes : what the reader of the measurement should know about how the tree was followed.
    """

    command: tuple[str, ...]
    returncode: int
    interrupted: bool
    measurement: Measurement
    processes: int
    leftovers: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """The run's own facts (``program.json``; the measurement is written apart, as ``measurement.json``)."""
        return {"command": list(self.command), "returncode": self.returncode, "interrupted": self.interrupted,
                "processes": self.processes, "leftovers": self.leftovers, "notes": list(self.notes)}


def _set_subreaper(on: bool) -> bool:
    """Make this process the child subreaper of its descendants, or stop being one (Linux); False where it is
    not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _status_code(status: int) -> int:
    """The shell's exit status for a ``waitpid`` status (``128 + N`` for a signal N)."""
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


class _Interrupts:
    """SIGINT/SIGTERM handlers for the run: the first forwards the signal to the command's process group, a
    later one kills the group. Restores the previous handlers on exit."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.group: int | None = None
        self.count = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "_Interrupts":
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread can handle signals: an interrupt then ends this thread's caller
        for sig in self._SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: object) -> None:
        self.count += 1
        if self.group is not None:
            _signal_group(self.group, signum if self.count == 1 else signal.SIGKILL)

    def __exit__(self, *_: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _children() -> set[int]:
    """This process's live children (every thread's ``/proc/<pid>/task/<tid>/children``; empty elsewhere)."""
    base = f"/proc/{os.getpid()}/task"
    pids: set[int] = set()
    try:
        tasks = os.listdir(base)
    except OSError:
        return pids
    for tid in tasks:
        try:
            with open(f"{base}/{tid}/children") as handle:
                pids.update(int(p) for p in handle.read().split())
        except OSError:
            continue
    return pids


def _reap_leftovers(before: set[int], interrupted: Callable[[], bool]) -> tuple[int, int]:
    """Wait for the processes the command left behind, re-parented here (children that were not children of
    this process before the run: ``before``); returns how many were reaped and the largest ``ru_maxrss`` among
    them. After an interrupt they get :data:`LEFTOVER_GRACE_S` seconds after a SIGTERM, then SIGKILL."""
    reaped = maxrss = 0
    deadline: float | None = None
    while True:
        pids = _children() - before
        if not pids:
            return reaped, maxrss
        if interrupted() and deadline is None:
            deadline = time.monotonic() + LEFTOVER_GRACE_S
            _signal_all(pids, signal.SIGTERM)
        elif deadline is not None and time.monotonic() > deadline:
            _signal_all(pids, signal.SIGKILL)
            deadline = float("inf")
        for pid in pids:
            try:
                done, _status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done:
                reaped, maxrss = reaped + 1, max(maxrss, usage.ru_maxrss)
        time.sleep(0.02)


def _signal_all(pids: set[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def run_program(command: Sequence[str], meter: Meter, *, cwd: str | None = None,
                env: dict[str, str] | None = None) -> ProgramRun:
    """Run ``command`` (and everything it starts) in one window of ``meter`` and return the measured run.

    Parameters
    ----------
    command : the program and its arguments (no shell: pass ``["sh", "-c", "..."]`` for one).
    meter : the meter that measures the window (its sources, country and idle settings apply).
    cwd, env : working directory and environment of the command (default: this process's).

    Returns
    -------
    ProgramRun
        Exit status, whether it was interrupted, and the measurement. An interrupted run is returned, not
        raised: its measurement is marked incomplete.

    Raises
    ------
    ProgramNotFound
        When the command cannot be started (nothing is measured).
    ValueError
        When ``command`` is empty.
    """
    command = tuple(str(part) for part in command)
    if not command:
        raise ValueError("command is empty: give the program to measure, e.g. ['python', 'train.py']")
    subreaper = _set_subreaper(True)
    notes: list[str] = []
    if not subreaper:
        notes.append("processes that leave the command's process tree (daemons) are not counted on this system")
    before = _children()
    try:
        with _Interrupts() as interrupts:
            window = meter.window()
            with window:
                try:
                    child = subprocess.Popen(command, cwd=cwd, env=env, process_group=0)
                except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
                    raise ProgramNotFound(f"cannot start {command[0]!r}: {exc.strerror or exc}; check the "
                                          f"name and that it is on PATH and executable") from None
                interrupts.group = child.pid
                returncode, maxrss = _wait_child(child)
                leftovers, leftover_maxrss = (_reap_leftovers(before, lambda: interrupts.count > 0)
                                              if subreaper else (0, 0))
            interrupted = interrupts.count > 0
    finally:
        if subreaper:
            _set_subreaper(False)
    measurement = window.measurement
    if leftovers:
        notes.append(f"{leftovers} process(es) of the command's tree ended after it (re-parented here and "
                     f"counted); the window closed when the last ended")
    measurement = _with_tree_peak(measurement, max(maxrss, leftover_maxrss))
    if interrupted:
        measurement = replace(measurement, complete=False, quality=[
            *measurement.quality, "the program was interrupted: the measurement covers only the part that ran"])
    return ProgramRun(command=command, returncode=returncode, interrupted=interrupted, measurement=measurement, processes=1 + leftovers,
                      leftovers=leftovers, notes=tuple(notes))


def _wait_child(child: subprocess.Popen) -> tuple[int, int]:
    """The command's exit status (``128 + N`` for a signal N) and its ``ru_maxrss`` (with the children it
    waited for; KiB on Linux, bytes on macOS)."""
    _pid, status, usage = os.wait4(child.pid, 0)  # PEP 475: retried after a signal handler ran
    child.returncode = _status_code(status)
    return child.returncode, usage.ru_maxrss


def _with_tree_peak(measurement: Measurement, maxrss: int) -> Measurement:
    """The measurement with the largest process of the tree as its peak memory where it exceeds this
    process's own peak in the window (``maxrss``: KiB on Linux, bytes on macOS)."""
    process = measurement.process
    peak = maxrss if sys.platform == "darwin" else maxrss * 1024
    if process is None or peak <= process.peak_rss_bytes:
        return measurement
    return replace(measurement, process=replace(process, peak_rss_bytes=int(peak),
                                                peak_rss_scope="largest process of the tree"))
