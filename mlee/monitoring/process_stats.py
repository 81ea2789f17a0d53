"""Cheap process-tree statistics for a measurement window: CPU seconds, peak resident memory, utilisation.

A window's edges cost a handful of system calls and little Python (/proc files stay open and are re-read):

* this process: ``time.process_time()`` (``CLOCK_PROCESS_CPUTIME_ID``, all threads) at window start, read last
  before the workload; at window end one ``getrusage(RUSAGE_SELF)``, read first after it, gives both the CPU
  seconds (µs resolution) and ``ru_maxrss``;
* finished children reaped by this process: ``getrusage(RUSAGE_CHILDREN)``;
* live children, only when a ``waitid(WNOHANG | WNOWAIT)`` call says there are any: found through
  ``/proc/<pid>/task/<tid>/children`` (only our own tree is read, never a scan of
  all of ``/proc``) and read from ``/proc/<pid>/stat`` (utime + stime + cutime + cstime, clock ticks). A process
  that vanished during the window is accounted through its parent's reaped time minus its value at window
  start; processes that escape the tree (daemonised, reparented to init) are lost.
* peak RSS of this process *in the window*: ``/proc/self/clear_refs`` is written ``5`` at window start (which
  resets the kernel's high-water mark, Linux >= 4.0) and the mark read at the end: ``ru_maxrss`` of the end's
  ``getrusage`` where it is seen to follow ``VmHWM`` (to within :data:`MAXRSS_LAG_BYTES`), else ``VmHWM`` from
  ``/proc/self/status``. The reset also lowers what ``getrusage().ru_maxrss`` reports afterwards. Where it is
  impossible the process-lifetime peak from ``getrusage`` is reported and ``peak_rss_scope`` says so.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
from pathlib import Path

from mlee.monitoring.measurement import ProcessStats, frozen_record

log = logging.getLogger(__name__)

_getrusage = resource.getrusage
_SELF, _CHILDREN = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN

_pid = os.getpid()  # this process's id, kept current across os.fork() (getpid is a system call in glibc)


def _forked() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PROC = Path("/proc")
LOGICAL_CORES = os.cpu_count() or 1
_DARWIN = sys.platform == "darwin"
#: How far ``getrusage().ru_maxrss`` may lie below ``VmHWM`` (bytes): Linux counts a process's file, anonymous
#: and shared pages in per-CPU counters that fold into their totals every ``max(32, 2 * CPUs)`` pages, and
#: ``getrusage`` reads the folded totals where ``/proc/self/status`` sums them (768 KiB with 2 CPUs).
MAXRSS_LAG_BYTES = 3 * LOGICAL_CORES * max(32, 2 * LOGICAL_CORES) * _PAGE
#: ``ru_maxrss`` stands in for ``VmHWM`` only where that lag is at most this (4 MiB: up to 10 logical CPUs).
MAXRSS_LAG_LIMIT = 4 * 2**20


class ProcessSnapshot:
    """Counters of the process tree at one instant: this process's CPU seconds (``self_cpu``), its reaped
    children's (``reaped_cpu``), each live descendant's by (pid, start time) (``children``), their resident bytes
    (``children_rss``) and, at window end, ``ru_maxrss`` (``maxrss_kib``: KiB on Linux, bytes on macOS)."""

    __slots__ = ("self_cpu", "reaped_cpu", "children", "children_rss", "maxrss_kib")

    def __init__(self, self_cpu: float, reaped_cpu: float, maxrss_kib: int = 0) -> None:
        self.self_cpu, self.reaped_cpu, self.maxrss_kib = self_cpu, reaped_cpu, maxrss_kib
        self.children: dict[tuple[int, int], float] = {}
        self.children_rss = 0


class _ProcFiles:
    """Open /proc files kept open and re-read with ``pread`` at offset 0 (the kernel regenerates their text on
    every read from the start), which halves the meter's cost per window against open/read/close.

    A descriptor of a process or thread that has ended fails with an error (ESRCH, ENOENT) instead of reading
    another process that reused the pid: it is then closed and the error raised, as for a fresh open.
    """

    LIMIT = 512  # descriptors kept at most; beyond that the cache starts over

    def __init__(self) -> None:
        self._fds: dict[str, int] = {}
        self._owner = _pid

    def read(self, path: str) -> bytes:
        if self._owner != _pid:  # a forked child: the inherited /proc/self descriptors are the parent's
            self._fds, self._owner = {}, _pid
        fd = self._fds.get(path)
        if fd is None:
            if len(self._fds) >= self.LIMIT:
                self.close()
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            self._fds[path] = fd
        try:
            return os.pread(fd, 65536, 0)
        except OSError:
            self._drop(path)
            raise

    def _drop(self, path: str) -> None:
        fd = self._fds.pop(path, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for path in list(self._fds):
            self._drop(path)


_FILES = _ProcFiles()


def _read_small(path: str) -> bytes:
    """Read a small /proc file (through the descriptor cache)."""
    return _FILES.read(path)


def _read_children_ids(pid: int) -> list[int] | None:
    """Direct children of ``pid`` from /proc/<pid>/task/*/children, or None if the kernel lacks the file."""
    task_dir = f"/proc/{pid}/task"
    try:
        tids = os.listdir(task_dir)
    except OSError:
        return []
    out: list[int] = []
    for tid in tids:
        try:
            data = _read_small(f"{task_dir}/{tid}/children")
        except FileNotFoundError:
            if not os.path.exists(f"{task_dir}/{tid}"):
                continue  # thread ended meanwhile
            return None
        except OSError:
            continue
        if data:
            out.extend(int(x) for x in data.split())
    return out


def _read_stat(pid: int) -> tuple[int, float, int] | None:
    """(start time in ticks, CPU seconds incl. reaped descendants, RSS bytes) of ``pid``, None if gone."""
    try:
        data = _read_small(f"/proc/{pid}/stat")
    except OSError:
        return None
    # the command name may contain spaces and parentheses: split after the last ')'
    rest = data[data.rindex(b")") + 2:].split()
    # rest[0] is field 3 (state); utime=14, stime=15, cutime=16, cstime=17, starttime=22, rss=24
    ticks = int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
    return int(rest[19]), ticks / _CLK_TCK, int(rest[21]) * _PAGE


def _has_children() -> bool:
    """Whether this process has a child (running, stopped or not yet reaped): one ``waitid`` call that reaps
    nothing (WNOWAIT) and waits for nothing (WNOHANG); ECHILD means none. Spares the /proc walk, the
    costliest part of a window, in the common case of a process without children."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WSTOPPED | os.WCONTINUED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    except (OSError, AttributeError):  # no waitid on this platform: walk the tree
        return True
    return True


def _children_tree(pid: int) -> list[int]:
    """All descendants of ``pid`` (breadth first)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        kids = _read_children_ids(current)
        if kids is None:  # kernel without CONFIG_PROC_CHILDREN: fall back to psutil (slower)
            import psutil
            try:
                return [p.pid for p in psutil.Process(pid).children(recursive=True)]
            except psutil.Error:
                return found
        found.extend(kids)
        todo.extend(kids)
    return found


def _status_hwm() -> int | None:
    """VmHWM of /proc/self/status in bytes, None if unreadable."""
    try:
        data = _read_small("/proc/self/status")
        at = data.find(b"VmHWM:")
        return int(data[at + 6:data.index(b"\n", at)].split()[0]) * 1024 if at >= 0 else None
    except (OSError, ValueError):
        return None


class ProcessMonitor:
    """Takes :class:`ProcessSnapshot` at window start and end and turns the pair into :class:`ProcessStats`."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = os.getpid() if pid is None else pid
        self._linux = _PROC.is_dir()
        self._hwm_ok: bool | None = None
        self._clear_refs: int | None = None  # kept open: one write per window
        self._clear_refs_owner = -1  # pid that opened it (a forked child must open its own)
        self._maxrss_follows_hwm: bool | None = None  # decided at the first window (see peak_rss)

    def reset_peak(self) -> None:
        """Reset this process's peak-RSS mark so that the window's peak can be read at the end."""
        if not self._linux or self._hwm_ok is False:
            return
        try:
            if self._clear_refs_owner != _pid:  # first window, or a forked child: open its own file
                self._clear_refs = os.open("/proc/self/clear_refs", os.O_WRONLY | os.O_CLOEXEC)
                self._clear_refs_owner = _pid
            os.write(self._clear_refs, b"5")  # type: ignore[arg-type]
            self._hwm_ok = True
        except OSError as exc:
            log.debug("cannot reset peak RSS through /proc/self/clear_refs (%s); reporting lifetime peak", exc)
            self._hwm_ok = False

    def _add_children(self, snap: ProcessSnapshot) -> ProcessSnapshot:
        """``snap`` with the live descendants' CPU seconds and RSS added (the walk only when there are any)."""
        if self._linux and (self.pid != _pid or _has_children()):
            for child in _children_tree(self.pid):
                stat = _read_stat(child)
                if stat is not None:
                    snap.children[(child, stat[0])] = stat[1]
                    snap.children_rss += stat[2]
        return snap

    def start(self) -> ProcessSnapshot:
        """Window start: reset the peak-RSS mark and read the children. The caller sets ``self_cpu``
        (``time.process_time()``) last, right before the workload."""
        self.reset_peak()
        ru = _getrusage(_CHILDREN)
        return self._add_children(ProcessSnapshot(0.0, ru.ru_utime + ru.ru_stime))

    def end(self, own: "resource.struct_rusage") -> ProcessSnapshot:
        """Window end from ``own``, ``getrusage(RUSAGE_SELF)`` read right after the workload (CPU seconds and
        ``ru_maxrss`` in one call), and the children read now."""
        snap = ProcessSnapshot(own.ru_utime + own.ru_stime, 0.0, own.ru_maxrss)
        ru = _getrusage(_CHILDREN)
        snap.reaped_cpu = ru.ru_utime + ru.ru_stime
        return self._add_children(snap)

    def peak_rss(self, maxrss_kib: int) -> tuple[int, str]:
        """(peak RSS bytes, scope) of this process: the window's peak if the reset worked, else the lifetime
        peak. ``maxrss_kib`` is ``ru_maxrss`` read at window end (KiB on Linux, bytes on macOS)."""
        if self._hwm_ok:
            if self._maxrss_follows_hwm:
                return maxrss_kib * 1024, "window"
            hwm = _status_hwm()
            if hwm is not None:
                if self._maxrss_follows_hwm is None:
                    # Linux's ru_maxrss is max(peak before the last exec, VmHWM read from the folded per-CPU
                    # counters): once it is seen to follow VmHWM after a reset (to within MAXRSS_LAG_BYTES), the
                    # getrusage call that reads the CPU seconds at window end also gives the peak, and generating
                    # /proc/self/status (~20-50 µs) is spared from then on.
                    lag = hwm - _getrusage(_SELF).ru_maxrss * 1024
                    self._maxrss_follows_hwm = MAXRSS_LAG_BYTES <= MAXRSS_LAG_LIMIT and 0 <= lag <= MAXRSS_LAG_BYTES
                return hwm, "window"
        return (maxrss_kib if _DARWIN else maxrss_kib * 1024), "process lifetime"

    @staticmethod
    def cpu_seconds_between(start: ProcessSnapshot, end: ProcessSnapshot) -> float:
        """CPU seconds the tree used between two snapshots (see module docstring for the accounting)."""
        total = (end.self_cpu - start.self_cpu) + (end.reaped_cpu - start.reaped_cpu)
        for key, value in end.children.items():
            total += value - start.children.get(key, 0.0)
        for key, value in start.children.items():
            if key not in end.children:
                total -= value  # its lifetime total now sits in a parent's reaped time
        return max(total, end.self_cpu - start.self_cpu, 0.0)

    def stats(self, start: ProcessSnapshot, end: ProcessSnapshot, duration_s: float) -> ProcessStats:
        """:class:`ProcessStats` of the window between two snapshots lasting ``duration_s`` seconds."""
        cpu = self.cpu_seconds_between(start, end)
        peak, scope = self.peak_rss(end.maxrss_kib)
        return frozen_record(
            ProcessStats, cpu_seconds=cpu,
            peak_rss_bytes=int(peak),
            cpu_utilisation=cpu / duration_s if duration_s > 0 else 0.0,
            peak_rss_scope=scope,
            children_rss_bytes=int(end.children_rss),
            logical_cores=LOGICAL_CORES,
            n_children=len(end.children))
