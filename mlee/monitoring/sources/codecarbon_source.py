"""The window measured by codecarbon (``--monitor codecarbon``), offline only.

An ``OfflineEmissionsTracker`` (no network; nothing written to disk) measures each window as a codecarbon task
(``start_task`` / ``stop_task``). Its result has CPU, RAM and GPU energy in kWh, converted here to joules.
Whether a part is measured or estimated follows codecarbon's own mode: the CPU is measured when codecarbon reads
RAPL (``intel_rapl``), Intel Power Gadget or Windows EMI, and estimated from TDP and load otherwise; RAM is
always a codecarbon estimate; the GPU is NVML-measured. The tracker is created and warmed up (its ~2 s hardware
detection) when the source opens, not inside the first window. codecarbon's log output is silenced.
"""

from __future__ import annotations

import logging
from typing import Any

from mlee.monitoring.carbon import J_PER_KWH
from mlee.monitoring.measurement import SourceEnergy
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

log = logging.getLogger(__name__)

MEASURED_CPU_MODES = {"intel_rapl", "intel_power_gadget", "windows_emi", "apple_powermetrics"}


class CodecarbonSource(EnergySource):
    """CPU, RAM and GPU energy of the window through codecarbon's offline tracker.

    Parameters
    ----------
    country : ISO3 country passed to the tracker (only used by codecarbon for its own emissions figure).
    tracking_mode : codecarbon's ``machine`` (default, like RAPL) or ``process``.
    cpu_tdp_w : accepted for symmetry with the estimate; codecarbon uses its own TDP table.
    """

    name = "codecarbon"
    covers = "all"

    def __init__(self, country: str = "USA", tracking_mode: str = "machine", cpu_tdp_w: float | None = None) -> None:
        try:
            import codecarbon
            from codecarbon import OfflineEmissionsTracker
        except ImportError as exc:
            raise SourceUnavailable("codecarbon", f"codecarbon is not installed ({exc}).",
                                    "pip install 'mlee[codecarbon]'") from None
        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        self.library = f"codecarbon {getattr(codecarbon, '__version__', '?')}"
        self.notes: list[str] = []
        try:
            self.tracker = OfflineEmissionsTracker(country_iso_code=country, output_methods=[],
                                                   log_level="error", tracking_mode=tracking_mode)
            logging.getLogger("codecarbon").setLevel(logging.ERROR)
            self.tracker.start_task("mlee-warmup")
            self.tracker.stop_task("mlee-warmup")
        except Exception as exc:
            raise SourceUnavailable("codecarbon", f"codecarbon's offline tracker failed to start ({exc}).") from None
        self.tracking_mode = tracking_mode
        self.cpu_mode = "unknown"
        for hw in getattr(self.tracker, "_hardware", []):
            if type(hw).__name__ == "CPU":
                self.cpu_mode = str(getattr(hw, "_mode", "unknown"))
        self.cpu_estimated = self.cpu_mode not in MEASURED_CPU_MODES
        self.estimated = self.cpu_estimated
        self._count = 0

    def begin(self) -> Any:
        self._count += 1
        name = f"mlee-{self._count}"
        self.tracker.start_task(name)
        return name

    def stop(self, state: Any) -> Any:
        return self.tracker.stop_task(state)

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        if end_state is None:
            self.notes.append("codecarbon returned no task data")
            return []
        common = {"tracking_mode": self.tracking_mode, "codecarbon_cpu_mode": self.cpu_mode,
                  "codecarbon_duration_s": getattr(end_state, "duration", None)}
        parts = [("cpu", "CPU", float(end_state.cpu_energy), self.cpu_estimated,
                  {"cpu_model": getattr(end_state, "cpu_model", None), "cpu_power_w": end_state.cpu_power}),
                 ("memory", "RAM", float(end_state.ram_energy), True, {"ram_power_w": end_state.ram_power})]
        if getattr(end_state, "gpu_count", 0):
            parts.append(("gpu", f"GPU ({end_state.gpu_model})", float(end_state.gpu_energy), False,
                          {"gpu_power_w": end_state.gpu_power}))
        return [SourceEnergy(name="codecarbon", method="codecarbon", device=device, domain=domain,
                             energy_j=kwh * J_PER_KWH, estimated=est, library=self.library,
                             parameters=dict(common, energy_kwh=kwh, **extra))
                for domain, device, kwh, est, extra in parts]

    def close(self) -> None:
        tracker, self.tracker = getattr(self, "tracker", None), None
        if tracker is not None:
            try:
                tracker.stop()
            except Exception:
                pass
