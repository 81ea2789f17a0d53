"""Energy of one phase (training or inference) of a merged result, with its provenance.

Two layouts exist:

- this project's merged files carry ``measurement`` (``mlee.monitoring.Measurement.to_dict()``): the energy
  is ``energy_j`` (gross joules), ``estimated`` says whether any part is an estimate and ``description``
  names the sources;
- the study's published files carry ``monitoring_pyrapl`` / ``monitoring_pynvml`` aggregates: the energy is
  ``monitoring_pyrapl.total.total_power_draw`` plus ``monitoring_pynvml.total.total_power_draw`` when
  present, in joules (watt-seconds). ``-1`` (or a missing / null entry) means "not measured" and is never
  used as a value.

A measured energy of exactly 0 J is not a value either: it means the window was shorter than the counter's
resolution (RAPL updates about every 1 ms, NVML's energy counter about every 100 ms), so it is "not measurable"
(NaN) and the phase says so in ``quality``. A measurement whose counters were not read cleanly over the whole
window (``complete: false`` in ``measurement.json``) keeps its value and carries its reasons in ``quality``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PYRAPL_SOURCE = "CPU package-0 + DRAM (RAPL via pyRAPL)"
PYNVML_SOURCE = "GPU (NVML via pynvml)"
NO_SOURCE = "n.a."


NOT_MEASURABLE = ("not measurable: 0 J read, the window was shorter than the counter's resolution (RAPL ~1 ms, "
                  "NVML ~100 ms); measure it repeated (mlee repeats short predictions until the window is long enough)")

NEGATIVE = ("not a measured value: {:.6g} J recorded, less than nothing (a counter that went back, e.g. a GPU's "
            "NVML counter restarted by a driver reset); shown as n.a.")


@dataclass(frozen=True)
class PhaseEnergy:
    """Energy of a phase: ``energy_j`` in joules (NaN when absent), ``estimated`` and a ``sources`` text;
    ``complete`` False when the counters were not read cleanly (or read 0 J), ``quality`` the reasons."""

    energy_j: float
    estimated: bool
    sources: str
    complete: bool = True
    quality: str = ""


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
        raw = measurement.get("energy_j")
        energy = _number(raw)
        quality = [str(q) for q in measurement.get("quality") or []]
        complete = bool(measurement.get("complete", True))
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw < 0:
            complete, quality = False, quality + [NEGATIVE.format(raw)]
        if energy == 0.0:
            energy, complete, quality = math.nan, False, quality + [NOT_MEASURABLE]
        description = measurement.get("description")
        return PhaseEnergy(energy, bool(measurement.get("estimated", False)) and energy == energy,
                           str(description) if description and energy == energy else NO_SOURCE,
                           complete, "; ".join(quality))
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


#: Spread (p10-p90 of estimate / RAPL) of the estimate on the study's 98 inference runs, from
#: ``benchmarks/estimate_accuracy.py``: the estimate's stated error.
ESTIMATE_ERROR = (0.46, 1.29)


def comparability_note(estimated: list[bool]) -> str:
    """A plain warning when estimated and measured energies are shown side by side, else ``""``."""
    if not (any(estimated) and not all(estimated)):
        return ""
    low, high = ESTIMATE_ERROR
    return (f"Estimated and measured energies are shown together: they are not comparable to better than the "
            f"estimate's error (estimate/RAPL between {low:g}x and {high:g}x for 8 in 10 of the study's runs).")


def incomplete_note(n_incomplete: int, marker: str = "") -> str:
    """A plain note for results whose counters were not read cleanly (``""`` when there are none)."""
    if not n_incomplete:
        return ""
    return (f"{marker}{n_incomplete} result{'s' if n_incomplete != 1 else ''}: energy counters not read cleanly "
            f"over the whole window (or 0 J read: not measurable); see each result's quality.")
