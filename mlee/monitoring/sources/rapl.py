"""RAPL energy through the Linux powercap interface (``/sys/class/powercap/intel-rapl:*``; AMD CPUs expose
the same files).

Every ``package-N`` zone and every ``dram`` zone is read; ``core``, ``uncore`` and ``psys`` are never added on
top (they are parts of, or overlap with, the package). AMD Zen 1/2 die zones (``package-0-die-0``,
``package-0-die-1`` ...) that mirror one socket counter are counted once per socket. Each zone's cumulative
``energy_uj`` counter (microjoules) is read at window start and end, and while a window is open by a background
watcher every ``watch_interval_s`` (the time the fastest zone needs to run through half its range at
``max_power_w``, capped at 60 s). The counter wraps to 0 after ``max_energy_range_uj``::

    delta_uj = now - last                          if now >= last
    delta_uj = now + max_energy_range_uj - last    otherwise (one wraparound)

Robustness (every case is recorded in the zone's ``problems`` and the measurement's ``quality``):

* each zone is read on its own: one that fails (OSError, ValueError) is skipped until it reads again, the
  others go on; the energy across the gap is counted from its last good read;
* every read compares the time since the zone's last good read with its wrap time at ``max_power_w``: a C call
  holding the GIL can starve the watcher, so a longer gap may hide whole wraps; their number is recovered from
  the zone's mean power over its cleanly read intervals. The window edges are always read, so no gap passes
  unchecked even when the watcher never ran;
* the watcher (one thread per process, shared by every source) reads a source only while one of its windows
  is open and survives any error; ``close()`` takes the source off it at once.
"""

from __future__ import annotations

import getpass
import logging
import math
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlee.monitoring.measurement import SourceEnergy, frozen_record
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path("/sys/class/powercap")
#: Generous upper bound of one zone's power (W) used to size the wraparound watcher's interval.
MAX_POWER_W = 1000.0
MAX_WATCH_INTERVAL_S = 60.0
_perf_counter = time.perf_counter

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
    """One counted powercap zone and its wrap-free running total (µJ) since the source opened.

    ``last_ok`` is the ``time.perf_counter()`` of the last good read (None before the first one);
    ``failing`` the reason while the counter cannot be read; ``problems`` every reason this zone was not read
    cleanly (windows take the slice added while they were open); ``clean_uj`` / ``clean_s`` the energy and time
    of the intervals read cleanly, whose ratio is the power used to recover wraps a long gap hid.
    """

    zone: str            # folder name, e.g. intel-rapl:0:2
    name: str            # content of the name file: package-0, dram
    domain: str          # package or dram
    device: str          # package-0, dram-0
    path: Path           # the energy_uj file
    max_range_uj: int
    last_uj: int = 0
    acc_uj: int = 0
    wraps: int = 0
    last_ok: float | None = None
    last_before: float = 0.0  # time.perf_counter() just before that read
    failing: str | None = None
    problems: list[str] = field(default_factory=list)
    mirrors: list[str] = field(default_factory=list)
    clean_uj: int = 0
    clean_s: float = 0.0
    wrap_s: float = 0.0  # shortest time (s) its counter needs to wrap (set by the source from max_power_w)
    faults: int = 0      # steps back or jumps no power explains (not counted as energy)
    fault: str | None = None  # why a zone that should be counted cannot be (it is then never read)

    def __post_init__(self) -> None:
        self._file = os.fspath(self.path)  # os.open takes it without a conversion at every window edge

    @property
    def label(self) -> str:
        """``intel-rapl:0 (package-0)``: how messages name the zone."""
        return f"{self.zone} ({self.name})"

    def read(self) -> int:
        """Current raw counter value, µJ (raw os calls: this runs at every window boundary). Raises OSError when
        the file cannot be read, ValueError when it does not hold a number."""
        fd = os.open(self._file, os.O_RDONLY)
        try:
            return int(os.read(fd, 64))
        finally:
            os.close(fd)


def _zone_socket(zone: str, names: dict[str, str]) -> str:
    """Socket of a zone: from its parent package zone's name (``package-1``, ``package-0-die-1``), else from the
    zone's own number."""
    parts = zone.split(":")
    match = _PACKAGE.match(names.get(":".join(parts[:2]), ""))
    if match:
        return match.group(1)
    return parts[1] if len(parts) > 1 else "0"


def entry_names(root: Path) -> frozenset[str]:
    """Names of the zone folders (``intel-rapl:*``) under ``root``; empty when it cannot be listed."""
    try:
        return frozenset(n for n in os.listdir(root) if n.startswith("intel-rapl:"))
    except OSError:
        return frozenset()


_SCANS: dict[Path, tuple[Any, Any]] = {}  # root -> (fingerprint, scan result or SourceUnavailable)


def _fingerprint(root: Path) -> tuple[Any, ...]:
    """What a scan's result depends on and can change while a process runs: the zone folders and who may read
    their counters (a chmod, a udev rule applied, a driver loaded)."""
    names = entry_names(root)
    stats = []
    for name in sorted(names):
        try:
            st = os.stat(f"{root}/{name}/energy_uj")
            stats.append((st.st_mode, st.st_uid, st.st_gid))
        except OSError:
            stats.append(None)
    return bool(names) or os.path.isdir(root), names, tuple(stats)


def cached_scan(root: Path) -> tuple[list[RaplZone], list[RaplZone], list[str], frozenset[str]]:
    """:func:`scan_zones` once per process and tree state: a meter created per window costs no scan (and logs
    nothing again); the scan runs again when the zone folders or their counters' permissions change. Returns
    fresh zone objects (their running totals are the caller's) and the zone folders' names (:func:`entry_names`)."""
    fingerprint = _fingerprint(root)
    hit = _SCANS.get(root)
    if hit is not None and hit[0] == fingerprint:
        result = hit[1]
    else:
        try:
            result = scan_zones(root)
        except SourceUnavailable as exc:
            result = exc
        _SCANS[root] = (fingerprint, result)
    if isinstance(result, SourceUnavailable):
        raise SourceUnavailable(result.source, result.reason, result.fix)
    zones, faulty, notes = result
    return [_copy(z) for z in zones], [_copy(z) for z in faulty], list(notes), fingerprint[1]


def _copy(zone: RaplZone) -> RaplZone:
    copy = object.__new__(RaplZone)  # the scanned zone's fields as they are (the dataclass __init__ costs more)
    copy.__dict__.update(zone.__dict__, problems=[], mirrors=list(zone.mirrors))
    return copy


def discover_zones(root: Path) -> tuple[list[RaplZone], list[str]]:
    """Zones to count under ``root`` and human notes about skipped ones. Raises SourceUnavailable."""
    zones, faulty, notes = scan_zones(root)
    return zones, notes


def scan_zones(root: Path) -> tuple[list[RaplZone], list[RaplZone], list[str]]:
    """Zones to count under ``root``, zones that should be counted but cannot be (``fault`` says why: a
    ``max_energy_range_uj`` of 0 or less, with which no wrap can be handled) and human notes about skipped ones.
    Raises SourceUnavailable."""
    user = _user()
    if not root.is_dir():
        raise SourceUnavailable("rapl", f"{root} does not exist (no powercap interface: not Linux, or a VM or "
                                f"container that hides it).", _driver_fix(root))
    entries = sorted(p for p in root.glob("intel-rapl:*") if p.is_dir())
    if not entries:
        raise SourceUnavailable("rapl", f"no RAPL zones (intel-rapl:*) under {root}: this machine or VM does not "
                                f"expose RAPL.", _driver_fix(root))
    zones: list[RaplZone] = []
    faulty: list[RaplZone] = []
    notes: list[str] = []
    unreadable: list[str] = []
    seen: set[Path] = set()
    names: dict[str, str] = {}
    for entry in entries:
        try:
            names[entry.name] = (entry / "name").read_text().strip()
        except OSError:
            pass
    for entry in entries:
        real = entry.resolve()
        if real in seen:
            continue
        seen.add(real)
        name = names.get(entry.name)
        if name is None:
            notes.append(f"{entry.name}: no readable name file; skipped")
            continue
        if name.startswith("package"):
            domain, device = "package", name
        elif name == "dram":
            domain, device = "dram", f"dram-{_zone_socket(entry.name, names)}"
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
        if max_range <= 0:
            zone.fault = (f"{zone.label}: max_energy_range_uj is {max_range} (a counter range must be > 0), so its "
                          f"wraparound cannot be handled: not counted (0 J); the driver reports a broken zone")
            notes.append(zone.fault)
            faulty.append(zone)
            continue
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
    notes += _drop_mirrored_dies(zones, names)
    for note in notes:
        log.warning("RAPL: %s", note)
    if not any(z.domain == "dram" for z in zones):
        notes.append("no RAPL DRAM counter: memory energy not included")
    return zones, faulty, notes


_DIE = re.compile(r"package-(\d+)-die-(\d+)$")
_PACKAGE = re.compile(r"package-(\d+)")


def _mirror(first: RaplZone, others: list[RaplZone]) -> bool:
    """Whether every zone of ``others`` reads ``first``'s counter: each value lies between two reads of ``first``
    taken around them (separate counters never agree to the microjoule)."""
    try:
        before = first.read()
        values = [z.read() for z in others]
        after = first.read()
    except (OSError, ValueError):
        return False
    return all(before <= value <= after for value in values)


def _drop_mirrored_dies(zones: list[RaplZone], names: dict[str, str] | None = None) -> list[str]:
    """Count a socket once where its die zones mirror one counter (AMD Zen 1/2 EPYC and Threadripper expose
    ``package-0-die-0``, ``package-0-die-1`` ... that all read the socket's counter), and with it the DRAM zones
    under those dies where they mirror the kept die's DRAM zone. Removes the mirrors from ``zones`` in place;
    returns a note per socket."""
    by_socket: dict[str, list[RaplZone]] = {}
    for z in zones:
        match = _DIE.match(z.name)
        if match:
            by_socket.setdefault(match.group(1), []).append(z)
    notes = []
    for socket, dies in by_socket.items():
        if len(dies) < 2 or not _mirror(dies[0], dies[1:]):
            continue
        kept = dies[0]
        kept.device = f"package-{socket}"
        kept.mirrors = [d.label for d in dies[1:]]
        for d in dies[1:]:
            zones.remove(d)
        notes.append(f"{', '.join(kept.mirrors)} mirror{'s' if len(kept.mirrors) == 1 else ''} {kept.label}, the "
                     f"same socket counter: socket {socket} counted once")
        notes += _drop_mirrored_drams(zones, kept, dies[1:])
    return notes


def _drop_mirrored_drams(zones: list[RaplZone], kept: RaplZone, dropped: list[RaplZone]) -> list[str]:
    """The DRAM zones under the ``dropped`` dies that read the same counter as the DRAM zone under ``kept``."""
    def drams_under(die: RaplZone) -> list[RaplZone]:
        return [z for z in zones if z.domain == "dram" and z.zone.startswith(die.zone + ":")]
    kept_drams = drams_under(kept)
    if not kept_drams:
        return []
    mirrors = [z for die in dropped for z in drams_under(die) if _mirror(kept_drams[0], [z])]
    for z in mirrors:
        zones.remove(z)
    kept_drams[0].mirrors = [z.label for z in mirrors]
    return [f"{', '.join(kept_drams[0].mirrors)} mirror{'s' if len(mirrors) == 1 else ''} {kept_drams[0].label}, "
            f"the same DRAM counter: counted once"] if mirrors else []


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
    max_power_w : generous bound of one zone's power, W: sizes the watcher interval and decides when the time
        since a zone's last good read is long enough for a wrap to pass unseen.
    watch_interval_s : override the watcher interval (seconds).
    """

    name = "rapl"
    covers = "cpu"
    estimated = False
    resolution_s = 0.001  # RAPL counters update about every millisecond

    def __init__(self, root: str | Path | None = None, max_power_w: float = MAX_POWER_W,
                 watch_interval_s: float | None = None) -> None:
        self.root = Path(root) if root is not None else DEFAULT_ROOT
        self.max_power_w = float(max_power_w)
        self._fixed_interval = watch_interval_s
        self.zones: list[RaplZone] = []
        *scanned, self._entries = cached_scan(self.root)
        self._use_zones(*scanned)
        self._late: list[str] = []  # zone folders that appeared while the current window was open
        self._fresh = True  # the zone folders were listed by this constructor: the first window needs no check
        self._lock = threading.Lock()
        self._open = 0
        self._closed = False
        self._bg_cpu = 0.0
        self.watch_reads = 0
        log.info("RAPL zones: %s (watcher every %.1f s)",
                 ", ".join(f"{z.zone}={z.name}" for z in self.zones), self.watch_interval_s)

    def _use_zones(self, zones: list[RaplZone], faulty: list[RaplZone], notes: list[str]) -> None:
        """Count ``zones`` from now on, keeping the running totals of those already counted."""
        known = {z.zone: z for z in self.zones}
        self.zones = [known.get(z.zone, z) for z in zones]
        self.faulty, self.notes = faulty, notes
        for z in self.zones:
            z.wrap_s = self.wrap_time_s(z)
        self._zone_paths = [str(z.path) for z in self.zones]  # for every window's record, converted once
        interval = self._fixed_interval
        if interval is None:
            interval = max(0.001, min(MAX_WATCH_INTERVAL_S, min(map(self.wrap_time_s, self.zones)) / 2))
        self.watch_interval_s = float(interval)

    def _rescan(self) -> None:
        """Take in zones that appeared since the last scan (a CPU brought online, a driver loaded late); called
        with no window open. Keeps the current zones when the tree cannot be scanned now."""
        before = {z.zone for z in self.zones}
        try:
            *scanned, self._entries = cached_scan(self.root)
            self._use_zones(*scanned)
        except SourceUnavailable as exc:
            self._entries = entry_names(self.root)
            log.warning("RAPL: zones changed but cannot be scanned (%s); the known zones go on", exc.reason)
            return
        for z in self.zones:
            if z.zone not in before:
                log.info("RAPL %s appeared after the meter opened: counted from this window on", z.label)

    def wrap_time_s(self, zone: RaplZone) -> float:
        """Shortest time (s) in which ``zone``'s counter can run through its whole range (at ``max_power_w``)."""
        return zone.max_range_uj / 1e6 / self.max_power_w

    # counters --------------------------------------------------------------------------------------
    def _advance(self) -> None:
        """Fold every zone's current value into its wrap-free total. A zone that cannot be read is skipped (the
        others go on) and recorded; a gap since its last good read long enough to hide a wrap is detected and
        recovered from the zone's cleanly read power. Never raises. Caller holds the lock."""
        for z in self.zones:
            before = _perf_counter()
            try:
                now = z.read()
            except (OSError, ValueError) as exc:
                if z.failing is None:
                    z.failing = f"{type(exc).__name__}: {exc}"
                    then = ("energy before its first good read in this window is not counted" if z.last_ok is None
                            else "counted across the gap from its last good read")
                    z.problems.append(f"{z.label}: read failed ({z.failing}); {then}")
                    log.warning("RAPL %s cannot be read (%s); other zones go on", z.label, z.failing)
                continue
            t = _perf_counter()
            if z.failing is not None:
                log.info("RAPL %s readable again", z.label)
                z.failing = None
            if z.last_ok is None:  # first good read of this window: the baseline
                z.last_uj, z.last_ok, z.last_before = now, t, before
                continue
            self._fold(z, now, t - z.last_ok, t - z.last_before)
            z.last_uj, z.last_ok, z.last_before = now, t, before

    def _fold(self, z: RaplZone, now: int, elapsed: float, span: float) -> None:
        """Add the change since the zone's last good read, ``elapsed`` seconds ago (between the instants after
        each read); ``span`` is the longest the change can have taken (from before the last read to after this
        one: a reader descheduled between a read and its clock read cannot make a real change look too fast)."""
        wrapped = now < z.last_uj
        delta = now - z.last_uj + (z.max_range_uj if wrapped else 0)
        extra = 0
        # the counter moves in steps of about resolution_s: one step more than the time between the reads
        if elapsed < z.wrap_s and delta > (span + self.resolution_s) * self.max_power_w * 1e6:
            self._fault(z, now, span, delta, wrapped)
            return
        if elapsed < z.wrap_s:
            z.clean_uj += delta
            z.clean_s += elapsed
        else:
            possible = int((elapsed * self.max_power_w * 1e6 - delta) // z.max_range_uj)
            power = z.clean_uj / 1e6 / z.clean_s if z.clean_s > 0 else None
            if power is not None:
                extra = min(possible, max(0, round((power * elapsed * 1e6 - delta) / z.max_range_uj)))
            how = (f"{extra} assumed from its cleanly read mean power {power:.3g} W" if power is not None
                   else "none counted (no cleanly read interval to estimate them from)")
            z.problems.append(
                f"{z.label}: not read for {elapsed:.3g} s (a call that held the interpreter, or a read failure), "
                f"longer than the {z.wrap_s:.3g} s its counter needs to wrap at {self.max_power_w:g} W: "
                f"up to {max(possible, 0)} unseen wrap(s) possible, {how}")
            log.warning("RAPL %s", z.problems[-1])
        z.acc_uj += delta + extra * z.max_range_uj
        z.wraps += int(wrapped) + extra

    def _fault(self, z: RaplZone, now: int, elapsed: float, delta: int, wrapped: bool) -> None:
        """A change no power can explain: the counter went back (reset, driver reload) or jumped. Its interval
        is not counted (the zone's energy is a lower bound) and the window says so."""
        power = delta / 1e6 / max(elapsed + self.resolution_s, 1e-9)
        what = (f"went back from {z.last_uj} to {now} µJ" if wrapped else f"jumped from {z.last_uj} to {now} µJ")
        as_energy = "a wraparound" if wrapped else "energy"
        z.problems.append(
            f"{z.label}: counter fault: it {what} in {elapsed:.3g} s; as {as_energy} that would be "
            f"{delta / 1e6:.6g} J ({power:.3g} W), more than the {self.max_power_w:g} W a zone can draw: a counter "
            f"reset or step, not energy; this interval ({elapsed:.3g} s) is not counted")
        z.faults += 1
        log.warning("RAPL %s", z.problems[-1])

    def _snapshot(self, n_problems: list[int] | None = None) -> tuple[tuple[int, int, int, int, int], ...]:
        counts = n_problems if n_problems is not None else [len(z.problems) for z in self.zones]
        return tuple([(z.acc_uj, z.wraps, z.last_uj, n, z.faults) for z, n in zip(self.zones, counts)])

    def _watch_tick(self) -> None:
        """One read of the shared watcher: folds the counters in while a window is open; with none open (or
        closed) the source leaves the watcher until its next window. Survives any error of a read."""
        t0 = time.thread_time()
        with self._lock:
            if self._open and not self._closed:
                try:
                    self._advance()
                    entries = entry_names(self.root)
                    if entries != self._entries:
                        self._late = sorted(entries - self._entries)
                except Exception:  # pragma: no cover - _advance handles read errors itself
                    log.exception("RAPL watcher: unexpected error (the watcher goes on)")
                self.watch_reads += 1
            else:  # under the lock, so that a window opening now is not left unwatched
                WATCHER.forget(self)
        self._bg_cpu += time.thread_time() - t0

    def begin(self) -> Any:
        with self._lock:
            n_problems = [len(z.problems) for z in self.zones]  # problems of the first read belong to the window
            if self._open == 0:
                self._late = []
                if self._fresh:  # scanned just now (a meter opens its sources at its first window)
                    self._fresh = False
                elif entry_names(self.root) != self._entries:
                    self._rescan()
                    n_problems = [len(z.problems) for z in self.zones]
                for z in self.zones:
                    z.last_ok = z.failing = None
            self._advance()
            self._open += 1
            if not self._closed:
                WATCHER.watch(self)
            return self._snapshot(n_problems)

    def stop(self, state: Any) -> Any:
        with self._lock:
            try:
                self._advance()
                for z in self.zones:
                    if z.failing is not None:
                        z.problems.append(f"{z.label}: unreadable at window end ({z.failing}); energy counted up "
                                          f"to its last good read only")
                return self._snapshot(), tuple(self._late)
            finally:
                self._open = max(0, self._open - 1)

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        out = []
        end_state, late = end_state
        for z, path, (acc0, wraps0, raw0, n0, faults0), (acc1, wraps1, raw1, n1, faults1) in zip(
                self.zones, self._zone_paths, begin_state, end_state):
            problems = list(dict.fromkeys(z.problems[n0:n1])) if n1 > n0 else []
            params = {"zone": z.zone, "zone_name": z.name, "energy_uj_start": raw0, "energy_uj_end": raw1,
                      "max_energy_range_uj": z.max_range_uj, "wraparounds": wraps1 - wraps0,
                      "watch_interval_s": self.watch_interval_s}
            if faults1 > faults0:
                params["counter_faults"] = faults1 - faults0
            if z.mirrors:
                params["mirrored_zones_not_counted"] = list(z.mirrors)
            out.append(frozen_record(
                SourceEnergy, name="rapl", method="rapl", device=z.device, domain=z.domain,
                energy_j=(acc1 - acc0) / 1e6,
                estimated=False, path=path, library="linux powercap", parameters=params,
                complete=not problems, problems=problems))
        for z in self.faulty:
            out.append(self._not_counted(z, z.fault or "", {"max_energy_range_uj": z.max_range_uj}))
        for entry in late:
            try:
                name = (self.root / entry / "name").read_text().strip()
            except OSError:
                name = "unnamed"
            zone = RaplZone(zone=entry, name=name, domain="dram" if name == "dram" else "package", device=name,
                            path=self.root / entry / "energy_uj", max_range_uj=0)
            out.append(self._not_counted(zone, f"{zone.label}: a RAPL zone that appeared while the window was open: "
                                               f"not counted in it (0 J); counted from the next window on", {}))
        return out

    def _not_counted(self, z: RaplZone, why: str, params: dict[str, Any]) -> SourceEnergy:
        """The record of a zone that should be counted but is not: 0 J, incomplete, ``why``."""
        return frozen_record(
            SourceEnergy, name="rapl", method="rapl-not-counted", device=z.device, domain=z.domain, energy_j=0.0,
            estimated=False, path=str(z.path), library="linux powercap", parameters={"zone": z.zone, **params},
            complete=False, problems=[why])

    def background_cpu_seconds(self) -> float:
        return self._bg_cpu

    def close(self) -> None:
        """Leave the watcher (at once, whatever its interval); never blocks: nothing is waited for."""
        self._closed = True
        if not sys.is_finalizing():  # at exit the daemon watcher may be frozen holding its lock: the read ends anyway
            WATCHER.forget(self)


class SharedWatcher:
    """One daemon thread per process that folds in the counters of every RAPL source with a window open, each
    every ``watch_interval_s`` (a meter created for every window then starts no thread of its own)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._due: dict[RaplSource, float] = {}  # source -> perf_counter() of its next read
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # perf_counter() the watcher sleeps until

    def watch(self, source: RaplSource) -> None:
        """Read ``source`` from now on (its first read one interval from now)."""
        with self._cond:
            if source in self._due:
                return
            due = self._due[source] = _perf_counter() + source.watch_interval_s
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mlee-rapl-wrap-watcher", daemon=True)
                self._thread.start()
            if due < self._wakes_at:  # else the watcher wakes in time anyway: no thread switch per window
                self._cond.notify()

    def forget(self, source: RaplSource) -> None:
        """Stop reading ``source``. Never waits long: a closed source is skipped by its next read anyway."""
        if not self._cond.acquire(timeout=1.0):  # pragma: no cover - the watcher thread frozen at interpreter exit
            return
        try:
            self._due.pop(source, None)  # no wake-up: the watcher finds it gone when it wakes
        finally:
            self._cond.release()

    def watching(self, source: RaplSource) -> bool:
        """Whether ``source`` is read."""
        return source in self._due

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._due:
                    self._wakes_at = math.inf
                    self._cond.wait()
                    continue
                source, due = min(self._due.items(), key=lambda item: item[1])
                now = _perf_counter()
                if due > now:
                    self._wakes_at = due
                    self._cond.wait(due - now)
                    continue
                self._wakes_at = math.inf  # awake: a new source is seen before the next wait
                self._due[source] = now + source.watch_interval_s
            source._watch_tick()  # outside the watcher's lock: a slow read delays only this thread


WATCHER = SharedWatcher()
