"""Energy sources of the meter: each reads (or estimates) the energy of one window.

``rapl`` (Linux powercap), ``nvml`` (NVIDIA GPUs), ``pyrapl`` and ``codecarbon`` (the same window through those
libraries) and ``estimate`` (CPU seconds x per-core TDP share + a memory term). Libraries are imported lazily.
"""

from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

__all__ = ["EnergySource", "SourceUnavailable", "WindowContext"]
