"""Describe the machine and the Python environment of a run (``execution_platform.json``, ``requirements.txt``)."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import platform
import socket
import sys
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)


def cpu_model(cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """CPU model name (e.g. ``"Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz"``); ``platform.processor()`` elsewhere."""
    try:
        for line in Path(cpuinfo).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs as ``[{"name", "memory_total"}]`` (bytes) via NVML; empty when there are none or no driver."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no library, no driver, no GPU
        return []
    out = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(handle)
            out.append({"name": name.decode() if isinstance(name, bytes) else str(name),
                        "memory_total": int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)})
    except Exception as exc:  # noqa: BLE001
        log.warning("Could not list GPUs via NVML: %s", exc)
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass
    return out


def execution_platform() -> dict[str, Any]:
    """OS, CPU model, core counts, memory (bytes) and GPUs, with the key names of the published files."""
    uname = platform.uname()
    info: dict[str, Any] = {
        "System": uname.system,
        "Node Name": uname.node,
        "Release": uname.release,
        "Version": uname.version,
        "Machine": uname.machine,
        "Processor": cpu_model(),
        "Physical cores": psutil.cpu_count(logical=False),
        "Total cores": psutil.cpu_count(logical=True),
    }
    try:
        freq = psutil.cpu_freq()
    except Exception:  # noqa: BLE001 - not available in some containers
        freq = None
    if freq is not None:
        info.update({"Max Frequency": freq.max, "Min Frequency": freq.min, "Current Frequency": freq.current})
    memory = psutil.virtual_memory()
    info.update({"Total": int(memory.total), "Available": int(memory.available), "Used": int(memory.used)})
    info["GPU"] = gpus()
    return info


MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


@functools.lru_cache(maxsize=1)
def machine_id(files: tuple[str, ...] = MACHINE_ID_FILES) -> str:
    """A stable identity of this machine (16 hex digits), recorded in every run's ``config.json`` so that runs
    of two machines with the same CPU and software are never averaged together as repeats.

    A salted SHA-256 of the system's machine id (``/etc/machine-id``, as systemd recommends: the raw id is not
    disclosed) and the host name (containers started from one image share the machine id); without a machine
    id file, of the host name and the MAC address.
    """
    raw = ""
    for path in files:
        try:
            raw = Path(path).read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            continue
        if raw:
            break
    if not raw:
        import uuid

        raw = f"mac {uuid.getnode():012x}"
    digest = hashlib.sha256(f"mlee machine id\0{raw}\0{socket.gethostname()}".encode("utf-8"))
    return digest.hexdigest()[:16]


def requirements_text() -> str:
    """``# <python version>`` then ``name==version`` of every installed distribution, sorted by name."""
    lines = [f"# {line}" for line in sys.version.splitlines()]
    seen: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata.get("Name")
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    lines += [seen[k] for k in sorted(seen)]
    return "\n".join(lines) + "\n"
