"""RAPL through the pyRAPL library (``--monitor pyrapl``), as the original study measured.

pyRAPL reads the same powercap counters as :mod:`~mlee.monitoring.sources.rapl`, package and DRAM per socket,
in microjoules, but does not correct counter wraparound (a negative delta is reported as missing here). Prefer
``rapl``; this source exists for comparison with pyRAPL-based numbers. pyRAPL is imported lazily; its import
warnings about optional output back-ends (pymongo, pandas) are silenced.
"""

from __future__ import annotations

import logging
from typing import Any

from mlee.monitoring.measurement import SourceEnergy
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext
from mlee.monitoring.sources.rapl import DEFAULT_ROOT, permission_fix

log = logging.getLogger(__name__)


def import_pyrapl() -> Any:
    """Import pyRAPL without the root-logger warnings it prints about optional back-ends."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        import pyRAPL
    except ImportError as exc:
        raise SourceUnavailable("pyrapl", f"pyRAPL is not installed ({exc}).", "pip install 'mlee[pyrapl]'") from None
    finally:
        logging.disable(previous)
    return pyRAPL


class PyraplSource(EnergySource):
    """Package + DRAM energy of every socket through ``pyRAPL.Measurement``.

    Parameters
    ----------
    pyrapl : module-like object with pyRAPL's API (tests pass a fake); default imports ``pyRAPL``.
    """

    name = "pyrapl"
    covers = "cpu"
    estimated = False
    resolution_s = 0.001  # the same RAPL counters

    def __init__(self, pyrapl: Any = None) -> None:
        self.pyrapl = import_pyrapl() if pyrapl is None else pyrapl
        self.notes: list[str] = []
        try:
            self.pyrapl.setup()
        except Exception as exc:  # PyRAPLCantRecordEnergyConsumption without powercap
            readable_hint = permission_fix(DEFAULT_ROOT) if DEFAULT_ROOT.is_dir() else (
                "pyRAPL needs the Linux powercap RAPL files (bare-metal Intel or AMD Zen CPU, "
                "`sudo modprobe intel_rapl_msr`)")
            raise SourceUnavailable("pyrapl", f"pyRAPL cannot record energy here ({type(exc).__name__}"
                                    f"{': ' + str(exc) if str(exc) else ''}).", readable_hint) from None
        version = getattr(self.pyrapl, "__version__", "?")
        self.library = f"pyRAPL {version}"

    def begin(self) -> Any:
        meas = self.pyrapl.Measurement("mlee")
        meas.begin()
        return meas

    def stop(self, state: Any) -> Any:
        state.end()
        return state.result

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        out = []
        for domain, values in (("package", end_state.pkg), ("dram", end_state.dram)):
            for socket, uj in enumerate(values or []):
                if uj is None or uj < 0:
                    self.notes.append(f"pyRAPL {domain} {socket}: counter wrapped or unreadable; not counted")
                    continue
                out.append(SourceEnergy(name="pyrapl", method="pyrapl", device=f"{domain}-{socket}", domain=domain,
                                        energy_j=uj / 1e6, estimated=False, library=self.library,
                                        parameters={"socket": socket, "energy_uj": uj}))
        return out
