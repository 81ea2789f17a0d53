"""Energy measurement with provenance: a :class:`Meter` opens windows around a workload and returns
:class:`Measurement` records (energy per source, how each number was obtained, process statistics, carbon).

Importing this package is cheap: codecarbon, pyRAPL and NVML are imported only when their source is used.
"""

from mlee.monitoring.measurement import (Carbon, IdleBaseline, Measurement, ProcessStats, SourceEnergy,
                                         describe_sources)
from mlee.monitoring.meter import Meter, Window
from mlee.monitoring.monitors import MONITORS
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

__all__ = ["Meter", "Window", "Measurement", "SourceEnergy", "ProcessStats", "Carbon", "IdleBaseline",
           "MONITORS", "EnergySource",
           "SourceUnavailable", "WindowContext", "describe_sources"]
