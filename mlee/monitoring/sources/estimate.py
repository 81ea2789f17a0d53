"""Estimated energy where no counter can be read (VMs, containers, machines without RAPL or NVML).

Formula (all numbers recorded in ``SourceEnergy.parameters``)::

    per_core_power_w = tdp_w * sockets / logical_cores
    cpu_energy_j     = cpu_seconds * per_core_power_w
    memory_energy_j  = memory_w_per_gib * (rss_bytes / 2**30) * duration_s

* ``cpu_seconds``: user + system CPU seconds of this process tree in the window (see
  :mod:`mlee.monitoring.process_stats`), so the estimate is the workload's own share, not the machine's.
* ``tdp_w``: per-package thermal design power from ``--cpu-tdp``, else codecarbon's bundled CPU table
  (``codecarbon/data/hardware/cpu_power.csv``), else :data:`~mlee.monitoring.cpu_info.DEFAULT_CPU_TDP_W`
  (85 W, codecarbon's own fallback). The model assumes a package draws its TDP when all its logical cores are
  busy and that power scales with busy core-seconds; idle/static power is not attributed to the workload.
* ``rss_bytes``: peak resident memory of the process in the window plus the resident memory of its live
  children at window end.
* ``memory_w_per_gib`` = 0.375 W per GiB (3 W per 8 GB of DDR3/DDR4), the rule codecarbon used up to 2.x
  (``codecarbon/external/ram.py``, citing https://www.crucial.com/support/articles-faq-memory/how-much-power-does-memory-use).

Both terms carry ``estimated=True``: an estimate is never presented as a measurement.
"""

from __future__ import annotations

from typing import Any

from mlee.monitoring.cpu_info import cpu_info, resolve_tdp
from mlee.monitoring.measurement import SourceEnergy
from mlee.monitoring.sources.base import EnergySource, WindowContext

#: Memory power per GiB of resident memory, W (3 W per 8 GB; see module docstring).
MEMORY_W_PER_GIB = 0.375


class EstimateSource(EnergySource):
    """CPU + memory energy estimated from the process tree's CPU seconds and resident memory.

    Parameters
    ----------
    cpu_tdp_w : per-package TDP in W; None looks the CPU up in codecarbon's table, else uses the default.
    memory_w_per_gib : memory power per GiB of resident memory (W/GiB); 0 disables the memory term.
    include_memory : False leaves the memory term out (used when another source measures DRAM).
    """

    name = "estimate"
    covers = "cpu"
    estimated = True
    resolution_s = 0.01  # CPU seconds are counted in clock ticks of 10 ms

    def __init__(self, cpu_tdp_w: float | None = None, memory_w_per_gib: float = MEMORY_W_PER_GIB,
                 include_memory: bool = True, cpu_name: str | None = None, sockets: int | None = None,
                 logical_cores: int | None = None) -> None:
        info = cpu_info()
        self.cpu_name = info.name if cpu_name is None else cpu_name
        self.tdp = resolve_tdp(cpu_tdp_w, self.cpu_name)
        self.sockets = info.sockets if sockets is None else int(sockets)
        self.logical_cores = info.logical_cores if logical_cores is None else int(logical_cores)
        if memory_w_per_gib < 0:
            raise ValueError(f"memory_w_per_gib must be >= 0 W/GiB, got {memory_w_per_gib}")
        self.memory_w_per_gib = float(memory_w_per_gib)
        self.include_memory = include_memory

    @property
    def per_core_power_w(self) -> float:
        """Power attributed to one busy logical core, W."""
        return self.tdp.tdp_w * self.sockets / self.logical_cores

    def describe_parameters(self) -> dict[str, Any]:
        """Parameters of the CPU term (recorded in every estimate)."""
        return {
            "formula": "cpu_seconds * tdp_w * sockets / logical_cores",
            "cpu_name": self.cpu_name,
            "tdp_w": self.tdp.tdp_w,
            "tdp_origin": self.tdp.origin,
            "tdp_table_name": self.tdp.table_name,
            "sockets": self.sockets,
            "logical_cores": self.logical_cores,
            "per_core_power_w": self.per_core_power_w,
        }

    def begin(self) -> None:
        return None

    def stop(self, state: Any) -> None:
        return None

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        cpu_seconds = ctx.process.cpu_seconds
        params = dict(self.describe_parameters(), cpu_seconds=cpu_seconds)
        parts = [SourceEnergy(name=self.name, method="estimate", device=f"CPU ({self.cpu_name})", domain="cpu",
                              energy_j=cpu_seconds * self.per_core_power_w, estimated=True,
                              library="mlee estimate", parameters=params)]
        if self.include_memory:
            rss = ctx.process.peak_rss_bytes + ctx.process.children_rss_bytes
            gib = rss / 2**30
            parts.append(SourceEnergy(
                name=self.name, method="estimate", device="memory (resident set)", domain="memory",
                energy_j=self.memory_w_per_gib * gib * ctx.duration_s, estimated=True, library="mlee estimate",
                parameters={"formula": "memory_w_per_gib * rss_gib * duration_s",
                            "memory_w_per_gib": self.memory_w_per_gib, "rss_bytes": int(rss),
                            "rss_scope": ctx.process.peak_rss_scope, "duration_s": ctx.duration_s}))
        return parts
