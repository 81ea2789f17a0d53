"""CPU model name, socket count and logical CPUs of this machine, the CPUs this process may run on, and where
codecarbon's data files lie."""

from __future__ import annotations

import functools
import importlib.util
import os
import math
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


def codecarbon_data_dir() -> Path | None:
    """Folder ``codecarbon/data`` of the installed codecarbon (found without importing it), or None."""
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data"
    return path if path.is_dir() else None


@dataclass(frozen=True)
class CpuInfo:
    """Model name, sockets and logical cores of this machine."""

    name: str
    sockets: int
    logical_cores: int


@functools.lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    """Read /proc/cpuinfo (Linux) or :func:`platform.processor` for the CPU model and socket count."""
    name, sockets = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not name:
                    name = value.strip()
                elif key == "physical id":
                    sockets.add(value.strip())
    except OSError:
        pass
    return CpuInfo(name=name or platform.processor() or "unknown CPU", sockets=max(1, len(sockets)),
                   logical_cores=os.cpu_count() or 1)


CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class UsableCpus:
    """CPUs this process may run on: ``count`` (fractional under a CPU quota), ``limit`` what sets it
    (``"affinity"``, ``"cgroup cpu.max"``, ``"cgroup cfs quota"`` or ``"all"``)."""

    count: float
    limit: str


def usable_cpus(cgroup_root: Path = CGROUP_ROOT, self_cgroup: Path = Path("/proc/self/cgroup")) -> UsableCpus:
    """The CPUs this process may use: the CPUs of its affinity mask (``taskset``, ``os.sched_setaffinity``),
    lowered by its cgroup's CPU quota where one is set (a container or a Slurm job with ``--cpus 2`` on a big host:
    ``cpu.max`` in cgroup v2, ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` in v1, the smallest along the path).

    Parameters
    ----------
    cgroup_root : where the cgroup file system is mounted.
    self_cgroup : the process's cgroup membership file.

    Returns
    -------
    UsableCpus
        How many CPUs (at least 1 / 1000 of one) and what limits them.
    """
    try:
        count, limit = float(len(os.sched_getaffinity(0))), "affinity"
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        count, limit = float(os.cpu_count() or 1), "all"
    quota = cgroup_cpu_quota(cgroup_root, self_cgroup)
    if quota is not None and quota[0] < count:
        count, limit = quota
    return UsableCpus(max(count, 0.001), limit)


@functools.lru_cache(maxsize=4)
def cgroup_cpu_quota(cgroup_root: Path, self_cgroup: Path) -> tuple[float, str] | None:
    """The smallest CPU quota (CPUs) on this process's cgroup path and its kind, None without a quota. Read once
    per process."""
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        return None
    best: tuple[float, str] | None = None
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # cgroup v2
            found = _quota_along(cgroup_root, path, "cgroup cpu.max", _v2_quota)
        elif "cpu" in controllers.split(","):
            found = _quota_along(cgroup_root / controllers, path, "cgroup cfs quota", _v1_quota)
        else:
            continue
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    return best


def _quota_along(mount: Path, path: str, kind: str, read: Callable[[Path], float | None]) -> tuple[float, str] | None:
    quotas = []
    folder = mount / path.strip("/")
    while True:
        value = read(folder)
        if value is not None:
            quotas.append(value)
        if folder == mount or mount not in folder.parents:
            break
        folder = folder.parent
    return (min(quotas), kind) if quotas else None


def _v2_quota(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else _ratio(int(quota), int(period))
    except (OSError, ValueError):
        return None


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 else _ratio(quota, period)


def _ratio(quota: int, period: int) -> float | None:
    return quota / period if quota > 0 and period > 0 and math.isfinite(quota / period) else None
