"""Fake powercap trees for the RAPL reader: zone folders as the kernel lays them out, and counters that a
separate process advances at a steady power (with scheduled faults), so that the reader sees a counter moving in
real time as a real one does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RANGE_262KJ = 262_143_328_850  # a common package max_energy_range_uj

WRITER = r"""
import json, os, sys, time
spec = json.loads(sys.argv[1])
t0 = spec["t0"]
while True:
    now = time.time() - t0
    for zone in spec["zones"]:
        value, text = zone["base"] + zone["power_w"] * now * 1e6, None
        for at, kind, amount in zone.get("events", []):
            if kind == "restart" and now >= at:
                value = zone["power_w"] * (now - at) * 1e6
            elif kind == "step" and now >= at:
                value += amount
            elif kind in ("hide", "garbage") and at <= now < amount:
                text = kind
        if text == "hide":
            if os.path.exists(zone["path"]):
                os.remove(zone["path"])
            continue
        tmp = zone["path"] + ".tmp"
        with open(tmp, "w") as f:
            f.write("" if text == "garbage" else f"{int(value) % zone['range_uj']}\n")
        os.replace(tmp, zone["path"])
    if not os.path.exists(spec["ready"]):
        open(spec["ready"], "w").close()
    time.sleep(0.001)
"""


def make_zone(root: Path, zone: str, name: str, energy_uj: int | None = 0, max_uj: int | str | None = RANGE_262KJ,
              **extra: str) -> Path:
    """One zone folder (``name``, ``energy_uj``, ``max_energy_range_uj`` and any ``extra`` files)."""
    d = root / zone
    d.mkdir(parents=True)
    (d / "name").write_text(name + "\n")
    if energy_uj is not None:
        (d / "energy_uj").write_text(f"{energy_uj}\n")
    if max_uj is not None:
        (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    for file, text in extra.items():
        (d / file).write_text(text + "\n")
    return d


def set_energy(root: Path, zone: str, value: int | str) -> None:
    """Replace a zone's counter value atomically, like the kernel's file: a reader sees the old or the new."""
    tmp = root / zone / ".energy_uj.tmp"
    tmp.write_text(f"{value}\n")
    os.replace(tmp, root / zone / "energy_uj")


class CounterWriter:
    """A separate process writing each zone's ``energy_uj`` every millisecond: ``base + power_w * t`` (µJ,
    modulo the range), with events ``(t, "step", uj)`` (the counter jumps by ``uj``), ``(t, "restart", 0)``
    (it starts again from 0, like a driver reload), ``(t, "hide", t_end)`` (the file is gone until ``t_end``) or
    ``(t, "garbage", t_end)`` (it holds no number until ``t_end``), ``t`` in seconds after the start."""

    def __init__(self, root: Path, zones: dict[str, dict[str, Any]]) -> None:
        self.t0 = time.time()
        ready = root / ".writer-ready"
        spec = {"t0": self.t0, "ready": str(ready), "zones": [
            {"path": str(root / zone / "energy_uj"), "base": z.get("base", 0), "power_w": z["power_w"],
             "range_uj": z.get("range_uj", RANGE_262KJ), "events": z.get("events", [])}
            for zone, z in zones.items()]}
        self.process = subprocess.Popen([sys.executable, "-c", WRITER, json.dumps(spec)])
        deadline = time.monotonic() + 60
        while not ready.exists():  # every counter written once: no reader sees the files as they were made
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise RuntimeError("the counter writer did not start")
            time.sleep(0.005)

    def elapsed(self) -> float:
        """Seconds since the counters' time 0."""
        return time.time() - self.t0

    def __enter__(self) -> "CounterWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.process.kill()
        self.process.wait()
