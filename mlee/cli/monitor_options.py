"""Command-line options of the meter: ``--monitor``, ``--cpu-tdp``, ``--idle-seconds``, ``--country``, ``--pue``."""

from __future__ import annotations

import argparse
from typing import Any

from mlee.monitoring.config import normalise_monitor
from mlee.monitoring.meter import Meter
from mlee.monitoring.monitors import MONITORS

MONITOR_DESTS = ("monitor", "cpu_tdp", "idle_seconds", "country", "pue")  # what add_monitor_arguments adds


def parse_monitor(value: str) -> str:
    """A ``--monitor`` value, normalised (:func:`~mlee.monitoring.config.normalise_monitor`); an
    :class:`argparse.ArgumentTypeError` naming the choices otherwise."""
    try:
        return normalise_monitor(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --monitor {value!r}: choose one of {', '.join(MONITORS)} or a comma list such as rapl,nvml "
            f"('auto' alone)") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _pue(text: str) -> float:
    from mlee.monitoring.carbon import validate_pue
    try:
        return validate_pue(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _country(text: str) -> str:
    from mlee.monitoring.carbon import resolve_country
    try:
        return resolve_country(text)
    except (ValueError, FileNotFoundError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_monitor_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the energy-measurement options to ``parser`` (in their own argument group) and return it."""
    group = parser.add_argument_group("energy measurement")
    group.add_argument("--monitor", type=parse_monitor, default="auto", metavar="{" + ",".join(MONITORS) + "}",
                       help="energy source: auto (RAPL for the CPU if readable, else an estimate; plus NVML for "
                            "NVIDIA GPUs if present), rapl, nvml, pyrapl, codecarbon (offline), estimate, or a "
                            "comma list such as rapl,nvml (default auto)")
    group.add_argument("--cpu-tdp", type=_positive_float, default=None, metavar="WATTS",
                       help="TDP of one CPU package in watts: the estimate's full-load power per logical CPU "
                            "becomes TDP x sockets / logical CPUs (default: per-vCPU watts of the CPU's "
                            "micro-architecture, mlee/data/cpu_power_per_vcpu.json)")
    group.add_argument("--idle-seconds", type=_non_negative_float, default=0.0, metavar="S",
                       help="measure idle power for S seconds before the first window and report net energy "
                            "(gross - idle power x duration) beside gross (default 0: off)")
    group.add_argument("--country", type=_country, default=None, metavar="COUNTRY",
                       help="country of the grid, as an ISO 3166-1 alpha-2 or alpha-3 code or a name (DE, DEU, "
                            "Germany), for grams CO2e from codecarbon's offline data (default: no carbon figure)")
    group.add_argument("--pue", type=_pue, default=1.0,
                       help="power usage effectiveness of the data centre, multiplies the carbon figure only "
                            "(default 1.0)")
    return parser


def monitor_options(args: argparse.Namespace | dict[str, Any]) -> dict[str, Any]:
    """The meter options found in ``args`` as Meter keyword arguments."""
    get = args.get if isinstance(args, dict) else (lambda k, d=None: getattr(args, k, d))
    return {"monitor": get("monitor", "auto") or "auto", "cpu_tdp_w": get("cpu_tdp", None),
            "idle_seconds": get("idle_seconds", 0.0) or 0.0, "country": get("country", None),
            "pue": get("pue", 1.0) if get("pue", None) is not None else 1.0}


def meter_from_args(args: argparse.Namespace | dict[str, Any], **kwargs: Any) -> Meter:
    """A :class:`~mlee.monitoring.meter.Meter` configured from parsed :func:`add_monitor_arguments` options."""
    return Meter(**monitor_options(args), **kwargs)
