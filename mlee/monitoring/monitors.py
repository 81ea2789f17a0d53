"""The names of the energy sources a meter can use (``--monitor``), in one place that the meter and its command
line both import."""

from __future__ import annotations

import argparse

MONITORS = ("auto", "rapl", "nvml", "pyrapl", "codecarbon", "estimate")


def parse_monitor(value: str) -> str:
    """Validate a ``--monitor`` value: ``auto`` or a comma list of source names (``rapl,nvml``). Raises
    :class:`argparse.ArgumentTypeError` (a ValueError) naming the choices."""
    names = [n.strip().lower() for n in str(value).split(",") if n.strip()]
    bad = [n for n in names if n not in MONITORS]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"invalid --monitor {value!r}: choose one of {', '.join(MONITORS)} or a comma list such as rapl,nvml")
    if "auto" in names and len(names) > 1:
        raise argparse.ArgumentTypeError("--monitor auto cannot be combined with other sources")
    return ",".join(names)
