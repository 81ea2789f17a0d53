"""Energy of one phase (training or inference) of a merged result, with its provenance.

Two layouts exist:

- this project's merged files carry ``measurement`` (``mlee.monitoring.Measurement.to_dict()``): the energy
  is ``energy_j`` (gross joules), ``estimated`` says whether any part is an estimate and ``description``
  names the sources;
- the study's published files carry ``monitoring_pyrapl`` / ``monitoring_pynvml`` aggregates: the energy is
  ``monitoring_pyrapl.total.total_power_draw`` plus ``monitoring_pynvml.total.total_power_draw`` when
  present, in joules (watt-seconds). ``-1`` (or a missing / null entry) means "not measured" and is never
  used as a value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PYRAPL_SOURCE = "CPU package-0 + DRAM (RAPL via pyRAPL)"
PYNVML_SOURCE = "GPU (NVML via pynvml)"
NO_SOURCE = "n.a."


@dataclass(frozen=True)
class PhaseEnergy:
    """Energy of a phase: ``energy_j`` in joules (NaN when absent), ``estimated`` and a ``sources`` text."""

    energy_j: float
    estimated: bool
    sources: str


def _number(value: Any) -> float:
    """A finite, non-negative float or NaN (``-1`` sentinels, None, strings and negatives are absent)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    value = float(value)
    if not math.isfinite(value) or value < 0:
        return math.nan
    return value


def _monitor_total(block: Any) -> float:
    if not isinstance(block, dict):
        return math.nan
    total = block.get("total")
    if not isinstance(total, dict):
        return math.nan
    return _number(total.get("total_power_draw"))


def phase_energy(phase: dict[str, Any]) -> PhaseEnergy:
    """Energy of a phase record (a train file dict or an infer file's ``validation`` dict)."""
    measurement = phase.get("measurement")
    if isinstance(measurement, dict):
        energy = _number(measurement.get("energy_j"))
        description = measurement.get("description")
        return PhaseEnergy(energy, bool(measurement.get("estimated", False)) and energy == energy,
                           str(description) if description and energy == energy else NO_SOURCE)
    rapl = _monitor_total(phase.get("monitoring_pyrapl"))
    nvml = _monitor_total(phase.get("monitoring_pynvml"))
    parts = []
    total = 0.0
    if rapl == rapl:
        parts.append(PYRAPL_SOURCE)
        total += rapl
    if nvml == nvml:
        parts.append(PYNVML_SOURCE)
        total += nvml
    if not parts:
        return PhaseEnergy(math.nan, False, NO_SOURCE)
    return PhaseEnergy(total, False, " + ".join(parts))
