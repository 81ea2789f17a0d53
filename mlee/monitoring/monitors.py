"""The names of the energy sources a meter can use (``--monitor``), in one place that the meter and its command
line both import."""

from __future__ import annotations

MONITORS = ("auto", "rapl", "nvml", "pyrapl", "codecarbon", "estimate")
