"""CPU model name, socket count and TDP (thermal design power, W) from codecarbon's bundled CPU table.

The table (``codecarbon/data/hardware/cpu_power.csv``, columns ``Name,TDP``) is read directly as a data file:
no codecarbon tracker is started and nothing touches the network. Matching is exact on a normalised name
(lower case, without ``(R)``, ``(TM)``, ``CPU``, ``Processor``, ``@ 3.30GHz``, ``64-Core``...), else the table
entry with the most words that are all words of the CPU's name and include its model number.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import logging
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: TDP in watts used when neither ``--cpu-tdp`` nor the table gives one. It is codecarbon's own fallback
#: (``codecarbon.external.hardware.POWER_CONSTANT``), a typical desktop/server CPU package.
DEFAULT_CPU_TDP_W = 85.0

_DROP = re.compile(r"\(r\)|\(tm\)|®|™|\bcpu\b|\bprocessor\b|@\s*[\d.]+\s*ghz|\b\d+-core\b|\bwith radeon.*$"
                   r"|\bw/ radeon.*$|\bmobile\b")


def normalise_cpu_name(name: str) -> str:
    """Lower-case CPU name without trade marks, clock speed, core count and filler words."""
    text = _DROP.sub(" ", name.lower())
    return " ".join(text.replace(",", " ").split())


def codecarbon_data_dir() -> Path | None:
    """Folder ``codecarbon/data`` of the installed codecarbon (found without importing it), or None."""
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data"
    return path if path.is_dir() else None


@functools.lru_cache(maxsize=4)
def load_tdp_table(path: str | None = None) -> dict[str, tuple[str, float]]:
    """Normalised name -> (name as in the table, TDP W), from ``path`` or codecarbon's ``cpu_power.csv``."""
    if path is None:
        data = codecarbon_data_dir()
        if data is None:
            return {}
        path = str(data / "hardware" / "cpu_power.csv")
    table: dict[str, tuple[str, float]] = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    tdp = float(row["TDP"])
                except (KeyError, TypeError, ValueError):
                    continue
                name = (row.get("Name") or "").strip()
                if name and tdp > 0:
                    table.setdefault(normalise_cpu_name(name), (name, tdp))
    except OSError as exc:
        log.warning("cannot read CPU TDP table %s: %s", path, exc)
    return table


def match_tdp(cpu_name: str, table: dict[str, tuple[str, float]] | None = None) -> tuple[str, float] | None:
    """(table name, TDP W) for ``cpu_name``, or None when the table does not know the CPU."""
    table = load_tdp_table() if table is None else table
    key = normalise_cpu_name(cpu_name)
    if not key:
        return None
    if key in table:
        return table[key]
    words = set(key.split())
    numbers = {w for w in words if any(c.isdigit() for c in w)}
    if not numbers:
        return None  # "AMD EPYC" alone names no model: refuse to guess
    best: tuple[int, tuple[str, float]] | None = None
    for entry, value in table.items():
        entry_words = entry.split()
        if not set(entry_words) <= words or not numbers & set(entry_words):
            continue
        if best is None or len(entry_words) > best[0]:
            best = (len(entry_words), value)
    return best[1] if best else None


@dataclass(frozen=True)
class CpuInfo:
    """Model name, sockets and logical cores of this machine."""

    name: str
    sockets: int
    logical_cores: int


@functools.lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    """Read /proc/cpuinfo (Linux) or :func:`platform.processor` for the CPU model and socket count."""
    name, sockets = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not name:
                    name = value.strip()
                elif key == "physical id":
                    sockets.add(value.strip())
    except OSError:
        pass
    return CpuInfo(name=name or platform.processor() or "unknown CPU", sockets=max(1, len(sockets)),
                   logical_cores=os.cpu_count() or 1)


@dataclass(frozen=True)
class TdpChoice:
    """The TDP used by the estimate and where it came from (``--cpu-tdp``, ``codecarbon table``, ``default``)."""

    tdp_w: float
    origin: str
    table_name: str | None = None


def resolve_tdp(cpu_tdp_w: float | None = None, cpu_name: str | None = None) -> TdpChoice:
    """Per-package TDP: the user's ``--cpu-tdp`` if given, else codecarbon's table, else the default."""
    if cpu_tdp_w is not None:
        if not cpu_tdp_w > 0:
            raise ValueError(f"--cpu-tdp must be a positive number of watts, got {cpu_tdp_w!r}; pass e.g. "
                             f"--cpu-tdp 140 (the TDP of one CPU package from the vendor's data sheet).")
        return TdpChoice(float(cpu_tdp_w), "--cpu-tdp")
    name = cpu_info().name if cpu_name is None else cpu_name
    found = match_tdp(name)
    if found is not None:
        return TdpChoice(found[1], "codecarbon cpu_power.csv", found[0])
    return TdpChoice(DEFAULT_CPU_TDP_W, "default")
