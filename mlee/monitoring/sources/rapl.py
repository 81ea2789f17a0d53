"""RAPL energy through the Linux powercap interface (``/sys/class/powercap/intel-rapl:*``; AMD CPUs expose
the same files).

Every ``package-N`` zone and every ``dram`` zone is read; ``core``, ``uncore`` and ``psys`` are never added on
top (they are parts of, or overlap with, the package). Each zone's cumulative ``energy_uj`` counter (microjoules)
is read at window start and end. The counter wraps to 0 after ``max_energy_range_uj``; a background watcher
thread reads the counters every ``watch_interval_s`` (the time the fastest zone needs to run through half its
range at ``max_power_w``, capped at 60 s) so that at most one wrap happens between two reads, and each wrap
adds ``max_energy_range_uj``::

    delta_uj = now - last                          if now >= last
    delta_uj = now + max_energy_range_uj - last    otherwise (one wraparound)

The watcher thread is started with the first window and sleeps ``watch_interval_s`` on an
:class:`threading.Event` between reads (nothing is signalled per window, so window start and end stay cheap
and short windows never wake it). ``close()`` ends it at
once, whatever its interval.
"""

from __future__ import annotations

import getpass
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlee.monitoring.measurement import SourceEnergy
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path("/sys/class/powercap")
#: Generous upper bound of one zone's power (W) used to size the wraparound watcher's interval.
MAX_POWER_W = 1000.0
MAX_WATCH_INTERVAL_S = 60.0

UDEV_RULE = ('ACTION=="add", SUBSYSTEM=="powercap", KERNEL=="intel-rapl:*", '
             'RUN+="/bin/chmod a+r /sys%p/energy_uj"')


def permission_fix(root: Path = DEFAULT_ROOT) -> str:
    """The exact commands that make the RAPL counters readable for non-root users."""
    return (f"for this boot run `sudo chmod a+r {root}/intel-rapl:*/energy_uj`; to keep it across reboots put "
            f"the udev rule '{UDEV_RULE}' into /etc/udev/rules.d/99-powercap-rapl.rules and run "
            f"`sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=powercap`; in a container, "
            f"make the files readable on the host and mount them: `docker run -v {root}:{root}:ro ...`. "
            f"Or run as root.")


@dataclass
class RaplZone:
    """One counted powercap zone."""

    zone: str            # folder name, e.g. intel-rapl:0:2
    name: str            # content of the name file: package-0, dram
    domain: str          # package or dram
    device: str          # package-0, dram-0
    path: Path           # the energy_uj file
    max_range_uj: int
    last_uj: int = 0
    acc_uj: int = 0
    wraps: int = 0

    def read(self) -> int:
        """Current raw counter value, µJ (raw os calls: this runs at every window boundary)."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return int(os.read(fd, 64))
        finally:
            os.close(fd)


def _zone_socket(zone: str) -> str:
    parts = zone.split(":")
    return parts[1] if len(parts) > 1 else "0"


def discover_zones(root: Path) -> tuple[list[RaplZone], list[str]]:
    """Zones to count under ``root`` and human notes about skipped ones. Raises SourceUnavailable."""
    user = _user()
    if not root.is_dir():
        raise SourceUnavailable("rapl", f"{root} does not exist (no powercap interface: not Linux, or a VM or "
                                f"container that hides it).", _driver_fix(root))
    entries = sorted(p for p in root.glob("intel-rapl:*") if p.is_dir())
    if not entries:
        raise SourceUnavailable("rapl", f"no RAPL zones (intel-rapl:*) under {root}: this machine or VM does not "
                                f"expose RAPL.", _driver_fix(root))
    zones: list[RaplZone] = []
    notes: list[str] = []
    unreadable: list[str] = []
    seen: set[Path] = set()
    for entry in entries:
        real = entry.resolve()
        if real in seen:
            continue
        seen.add(real)
        try:
            name = (entry / "name").read_text().strip()
        except OSError as exc:
            notes.append(f"{entry.name}: no readable name file ({exc.strerror or exc}); skipped")
            continue
        if name.startswith("package"):
            domain, device = "package", name
        elif name == "dram":
            domain, device = "dram", f"dram-{_zone_socket(entry.name)}"
        else:
            log.debug("RAPL zone %s (%s) skipped: part of or overlapping the package", entry.name, name)
            continue
        energy = entry / "energy_uj"
        if not energy.exists():
            notes.append(f"{entry.name} ({name}) has no energy_uj file; not counted")
            continue
        try:
            max_range = int((entry / "max_energy_range_uj").read_text())
        except FileNotFoundError:
            notes.append(f"{entry.name} ({name}) has no max_energy_range_uj, so wraparound cannot be handled; "
                         f"not counted")
            continue
        except PermissionError:
            unreadable.append(str(entry / "max_energy_range_uj"))
            continue
        except (OSError, ValueError) as exc:
            notes.append(f"{entry.name} ({name}): bad max_energy_range_uj ({exc}); not counted")
            continue
        zone = RaplZone(zone=entry.name, name=name, domain=domain, device=device, path=energy,
                        max_range_uj=max_range)
        try:
            zone.last_uj = zone.read()
        except PermissionError:
            unreadable.append(str(energy))
            continue
        except (OSError, ValueError) as exc:
            notes.append(f"{entry.name} ({name}): energy_uj unreadable ({exc}); not counted")
            continue
        zones.append(zone)
    if unreadable:
        raise SourceUnavailable(
            "rapl", f"RAPL counters exist but are not readable by user {user} ({', '.join(unreadable[:4])}"
            f"{' ...' if len(unreadable) > 4 else ''}): since Linux 5.10 energy_uj is root-only "
            f"(CVE-2020-8694).", permission_fix(root))
    if not any(z.domain == "package" for z in zones):
        raise SourceUnavailable("rapl", f"no readable RAPL package zone under {root} ({'; '.join(notes) or 'none'}).",
                                _driver_fix(root))
    for note in notes:
        log.warning("RAPL: %s", note)
    if not any(z.domain == "dram" for z in zones):
        notes.append("no RAPL DRAM counter: memory energy not included")
    return zones, notes


def _driver_fix(root: Path) -> str:
    return ("on bare-metal Linux load the powercap driver (`sudo modprobe intel_rapl_msr`, Intel and AMD Zen "
            "CPUs); in a container also mount the host's files (`-v /sys/class/powercap:/sys/class/powercap:ro`). "
            "Virtual machines usually cannot read RAPL.") if root == DEFAULT_ROOT else "point root at a powercap tree"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


class RaplSource(EnergySource):
    """Reads RAPL package and DRAM counters of every socket from a powercap tree.

    Parameters
    ----------
    root : powercap folder (default ``/sys/class/powercap``; tests pass a fake tree).
    max_power_w : generous bound of one zone's power, W, to size the watcher interval.
    watch_interval_s : override the watcher interval (seconds).
    """

    name = "rapl"
    covers = "cpu"
    estimated = False

    def __init__(self, root: str | Path | None = None, max_power_w: float = MAX_POWER_W,
                 watch_interval_s: float | None = None) -> None:
        self.root = Path(root) if root is not None else DEFAULT_ROOT
        self.zones, self.notes = discover_zones(self.root)
        if watch_interval_s is None:
            fastest = min(z.max_range_uj for z in self.zones) / 1e6 / max_power_w / 2
            watch_interval_s = max(0.001, min(MAX_WATCH_INTERVAL_S, fastest))
        self.watch_interval_s = float(watch_interval_s)
        self._lock = threading.Lock()
        self._open = 0
        self._closing = threading.Event()  # set by close(): the watcher ends at once
        self._thread: threading.Thread | None = None
        self._bg_cpu = 0.0
        self.watch_reads = 0
        log.info("RAPL zones: %s (watcher every %.1f s)",
                 ", ".join(f"{z.zone}={z.name}" for z in self.zones), self.watch_interval_s)

    # counters --------------------------------------------------------------------------------------
    def _advance(self) -> None:
        """Fold the current counter values into the extended (wrap-free) totals. Caller holds the lock."""
        for z in self.zones:
            now = z.read()
            if now >= z.last_uj:
                z.acc_uj += now - z.last_uj
            else:
                z.acc_uj += now + z.max_range_uj - z.last_uj
                z.wraps += 1
            z.last_uj = now

    def _snapshot(self) -> tuple[tuple[int, int, int], ...]:
        return tuple((z.acc_uj, z.wraps, z.last_uj) for z in self.zones)

    def _watch(self) -> None:
        """Background watcher: every ``watch_interval_s`` folds the counters in while a window is open."""
        t0 = time.thread_time()
        while not self._closing.wait(self.watch_interval_s):
            with self._lock:
                if self._open:
                    try:
                        self._advance()
                    except OSError as exc:  # pragma: no cover - counters vanished
                        log.warning("RAPL watcher cannot read counters: %s", exc)
                    self.watch_reads += 1
            t1 = time.thread_time()
            self._bg_cpu += t1 - t0
            t0 = t1
        self._bg_cpu += time.thread_time() - t0

    def begin(self) -> Any:
        with self._lock:
            if self._open == 0:
                for z in self.zones:
                    z.last_uj = z.read()
                if self._thread is None and not self._closing.is_set():
                    self._thread = threading.Thread(target=self._watch, name="mlee-rapl-wrap-watcher",
                                                    daemon=True)
                    self._thread.start()
            else:
                self._advance()
            self._open += 1
            return self._snapshot()

    def stop(self, state: Any) -> Any:
        with self._lock:
            self._advance()
            self._open -= 1
            return self._snapshot()

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        out = []
        for z, (acc0, wraps0, raw0), (acc1, wraps1, raw1) in zip(self.zones, begin_state, end_state):
            out.append(SourceEnergy(
                name="rapl", method="rapl", device=z.device, domain=z.domain, energy_j=(acc1 - acc0) / 1e6,
                estimated=False, path=str(z.path), library="linux powercap",
                parameters={"zone": z.zone, "zone_name": z.name, "energy_uj_start": raw0, "energy_uj_end": raw1,
                            "max_energy_range_uj": z.max_range_uj, "wraparounds": wraps1 - wraps0,
                            "watch_interval_s": self.watch_interval_s}))
        return out

    def background_cpu_seconds(self) -> float:
        return self._bg_cpu

    def close(self) -> None:
        """Stop the watcher thread (immediately, whatever its interval)."""
        self._closing.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
