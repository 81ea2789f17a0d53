"""CPU model name, socket count and logical CPUs of this machine, and where codecarbon's data files lie."""

from __future__ import annotations

import functools
import importlib.util
import os
import platform
from dataclasses import dataclass
from pathlib import Path


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
