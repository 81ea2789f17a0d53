"""Estimated energy where no counter can be read (VMs, containers, machines without RAPL or NVML).

**What it estimates.** The energy that the CPU package and DRAM counters (RAPL) of the hardware this process
sees would read over the window: the static power of the visible CPUs and memory for the whole window plus the
dynamic power of the CPU seconds the workload spent. Formula (every number is recorded in
``SourceEnergy.parameters``)::

    cpu_energy_j    = vcpus * min_w * duration_s + cpu_seconds * (max_w - min_w)
    memory_energy_j = memory_w_per_gb * memory_gb * duration_s

* ``vcpus``: the CPUs this process may run on: its affinity mask (``taskset``), lowered by a cgroup CPU quota
  (containers, Slurm) (a VM sees its vCPUs, not the host's package: the static power of the share it rents is
  counted, not the whole package's).
* ``cpu_seconds``: user + system CPU seconds of this process tree in the window (at most ``vcpus * duration_s``).
  Other processes' work is not included (a counter would include it).
* ``min_w`` / ``max_w``: power of one vCPU at idle / at full load from Cloud Carbon Footprint's SPECpower-derived
  coefficients per micro-architecture (``mlee/data/cpu_power_per_vcpu.json``), chosen by the CPU model name;
  a CPU matching no family gets the families' median. With ``--cpu-tdp`` the TDP share of one logical CPU
  (``tdp_w * sockets / logical_cores``) is ``max_w`` and ``min_w`` keeps the family's min/max ratio.
* ``memory_gb``: memory visible to this machine or VM (10^9 bytes); ``memory_w_per_gb`` 0.392 W/GB (CCF).

SPECpower measures whole servers at the wall, so the coefficients include more than package + DRAM (power
supply, fans, board) but describe efficient servers: on the study's Xeon W-2155 workstation the estimate reads
a median of 0.83x the RAPL energy, p10 0.46x, p90 1.29x (``benchmarks/estimate_accuracy.py``).

Both terms carry ``estimated=True``: an estimate is never presented as a measurement.
"""

from __future__ import annotations

import functools
import json
import os
import re
import statistics
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mlee.monitoring.cpu_info import cpu_info, usable_cpus
from mlee.monitoring.measurement import SourceEnergy, frozen_record
from mlee.monitoring.sources.base import EnergySource, WindowContext

TABLE = "cpu_power_per_vcpu.json"
UNKNOWN_FAMILY = "unknown (median of the families)"


@dataclass(frozen=True)
class PowerModel:
    """Power of one logical CPU: ``min_w`` at idle, ``max_w`` at full load (W); ``family`` and ``origin`` say
    where the numbers come from."""

    family: str
    min_w: float
    max_w: float
    origin: str


@functools.lru_cache(maxsize=1)
def power_table() -> dict[str, Any]:
    """The bundled per-vCPU power table (``mlee/data/cpu_power_per_vcpu.json``)."""
    return json.loads(resources.files("mlee").joinpath("data", TABLE).read_text(encoding="utf-8"))


def cpu_family(cpu_name: str) -> str | None:
    """Micro-architecture family of ``cpu_name`` in the power table, None when no pattern matches."""
    for family, entry in power_table()["families"].items():
        if any(re.search(p, cpu_name) for p in entry["patterns"]):
            return family
    return None


@functools.lru_cache(maxsize=64)
def power_model(cpu_name: str, cpu_tdp_w: float | None = None, sockets: int = 1,
                logical_cores: int = 1) -> PowerModel:
    """Per-vCPU idle and full-load power for ``cpu_name`` (see the module docstring)."""
    families = power_table()["families"]
    family = cpu_family(cpu_name)
    if family is not None:
        min_w, max_w = families[family]["min_w"], families[family]["max_w"]
    else:
        family = UNKNOWN_FAMILY
        min_w = statistics.median(f["min_w"] for f in families.values())
        max_w = statistics.median(f["max_w"] for f in families.values())
    if cpu_tdp_w is None:
        return PowerModel(family, float(min_w), float(max_w), "Cloud Carbon Footprint coefficients (SPECpower)")
    if not cpu_tdp_w > 0:
        raise ValueError(f"--cpu-tdp must be a positive number of watts, got {cpu_tdp_w!r}; pass e.g. --cpu-tdp 140 "
                         f"(the TDP of one CPU package from the vendor's data sheet).")
    share = float(cpu_tdp_w) * sockets / logical_cores
    return PowerModel(family, share * min_w / max_w, share, "--cpu-tdp share, idle fraction of the family")


def memory_bytes() -> int:
    """Physical memory visible to this machine or VM, bytes (0 when unknown)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 0


def estimate_energy(model: PowerModel, vcpus: float, duration_s: float, cpu_seconds: float,
                    memory_gb: float, memory_w_per_gb: float) -> tuple[float, float]:
    """(CPU energy, memory energy) in J of a window of ``duration_s`` seconds (formula in the module docstring)."""
    busy = min(max(cpu_seconds, 0.0), vcpus * duration_s)
    cpu = vcpus * model.min_w * duration_s + busy * (model.max_w - model.min_w)
    return cpu, memory_w_per_gb * memory_gb * duration_s


class EstimateSource(EnergySource):
    """CPU + memory energy estimated from the visible CPUs and memory and the process tree's CPU seconds.

    Parameters
    ----------
    cpu_tdp_w : per-package TDP in W; None uses the per-vCPU table (see the module docstring).
    memory_w_per_gb : memory power per GB (W/GB); 0 disables the memory term.
    include_memory : False leaves the memory term out (used when another source measures DRAM).
    cpu_name, sockets, logical_cores, memory_gb : override what is read from this machine (``logical_cores``:
        the host's logical CPUs, which share a ``cpu_tdp_w``).
    vcpus : CPUs charged static power; default the CPUs this process may run on
        (:func:`~mlee.monitoring.cpu_info.usable_cpus`: affinity and cgroup quota), or ``logical_cores`` when
        that is given.
    """

    name = "estimate"
    covers = "cpu"
    estimated = True
    resolution_s = 0.01  # CPU seconds are counted in clock ticks of 10 ms

    def __init__(self, cpu_tdp_w: float | None = None, memory_w_per_gb: float | None = None,
                 include_memory: bool = True, cpu_name: str | None = None, sockets: int | None = None,
                 logical_cores: int | None = None, memory_gb: float | None = None,
                 vcpus: float | None = None) -> None:
        info = cpu_info()
        self.cpu_name = info.name if cpu_name is None else cpu_name
        self.sockets = info.sockets if sockets is None else int(sockets)
        self.logical_cores = info.logical_cores if logical_cores is None else int(logical_cores)
        if vcpus is not None:
            self.vcpus, self.vcpus_limit = float(vcpus), "given"
        elif logical_cores is not None:
            self.vcpus, self.vcpus_limit = float(logical_cores), "given"
        else:
            usable = usable_cpus()
            self.vcpus, self.vcpus_limit = usable.count, usable.limit
        self.model = power_model(self.cpu_name, cpu_tdp_w, self.sockets, self.logical_cores)
        if memory_w_per_gb is None:
            memory_w_per_gb = float(power_table()["memory_w_per_gb"])
        if memory_w_per_gb < 0:
            raise ValueError(f"memory_w_per_gb must be >= 0 W/GB, got {memory_w_per_gb}")
        self.memory_w_per_gb = float(memory_w_per_gb) if include_memory else 0.0
        self.memory_gb = memory_bytes() / 1e9 if memory_gb is None else float(memory_gb)
        self.include_memory = include_memory
        self._cpu_parameters = self.describe_parameters()  # constant: copied into every window's record
        self._cpu_device = f"CPU ({self.cpu_name})"

    def describe_parameters(self) -> dict[str, Any]:
        """Parameters of the CPU term (recorded in every estimate)."""
        return {
            "formula": "vcpus * min_w * duration_s + cpu_seconds * (max_w - min_w)",
            "estimates": "package + DRAM counters of the visible hardware",
            "cpu_name": self.cpu_name,
            "family": self.model.family,
            "min_w_per_vcpu": self.model.min_w,
            "max_w_per_vcpu": self.model.max_w,
            "origin": self.model.origin,
            "sockets": self.sockets,
            "vcpus": self.vcpus,
            "vcpus_limit": self.vcpus_limit,
            "host_logical_cpus": self.logical_cores,
        }

    def begin(self) -> None:
        return None

    def stop(self, state: Any) -> None:
        return None

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        cpu_seconds = ctx.process.cpu_seconds
        cpu, memory = estimate_energy(self.model, self.vcpus, ctx.duration_s, cpu_seconds, self.memory_gb,
                                      self.memory_w_per_gb)
        params = dict(self._cpu_parameters, cpu_seconds=cpu_seconds, duration_s=ctx.duration_s)
        parts = [frozen_record(SourceEnergy, name=self.name, method="estimate", device=self._cpu_device,
                               domain="cpu", energy_j=cpu, estimated=True, path=None, library="mlee estimate",
                               parameters=params, complete=True, problems=[])]
        if self.include_memory:
            parts.append(frozen_record(
                SourceEnergy, name=self.name, method="estimate", device="memory (installed)", domain="memory",
                energy_j=memory, estimated=True, path=None, library="mlee estimate",
                parameters={"formula": "memory_w_per_gb * memory_gb * duration_s",
                            "memory_w_per_gb": self.memory_w_per_gb, "memory_gb": self.memory_gb,
                            "duration_s": ctx.duration_s}, complete=True, problems=[]))
        return parts
