"""The :class:`Meter`: measurement windows around a workload, returning :class:`Measurement` records.

A window reads every source's cumulative counters at its start and end (no millisecond sampling), together
with the process tree's CPU seconds and peak memory. Sources are opened lazily on the first window.

Only raw readings are taken at the window's edges, in an order that keeps the meter's own work outside the
workload's figures: at the start the sources' counters, the peak-memory reset and the children, then the Unix
and monotonic clocks and this process's CPU clock last; at the end the monotonic clock and one
``getrusage`` (CPU seconds and peak memory) first, then the children and the sources. The record is built after
that from the readings, with what stays the same from window to window (descriptions, parameters) cached.
``Measurement.meter_cpu_seconds`` is the process CPU time from the window's creation to the start readings and
from the end's first instruction to the record built, plus the two clock reads' halves a clock cannot see of
itself (:func:`clock_read_seconds`) and the CPU of the sources' background threads during the window.
"""

from __future__ import annotations

import functools
import logging
import math
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from mlee.monitoring.carbon import carbon_for
from mlee.monitoring.config import MeterConfig
from mlee.monitoring.monitors import MONITORS
from mlee.monitoring.measurement import (SCHEMA_VERSION, IdleBaseline, Measurement, SourceEnergy, describe_sources,
                                        frozen_record)
from mlee.monitoring.process_stats import ProcessMonitor
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

log = logging.getLogger(__name__)

#: A window must last this many counter updates for its energy to be read to about 10 %.
WINDOW_RESOLUTIONS = 10
#: Upper bound of the repetitions :meth:`Meter.measure_repeated` runs in one window.
MAX_REPETITIONS = 100_000

_perf_counter, _process_time, _time = time.perf_counter, time.process_time, time.time
_getrusage, _RUSAGE_SELF = resource.getrusage, resource.RUSAGE_SELF


class Window:
    """One measurement window. Use as a context manager (``with meter.window() as win:``) or call
    :meth:`start` / :meth:`stop`. After it closed, :attr:`measurement` holds the result; a window closed by an
    exception is still measured (the exception propagates).

    The meter's own CPU time for the window (``Measurement.meter_cpu_seconds``) counts from the window's
    creation: create it where it starts, as the ``with`` statement does."""

    __slots__ = ("_meter", "_cost0", "_state", "_measurement")

    def __init__(self, meter: "Meter", cost0: float | None = None) -> None:
        # process CPU seconds when the meter's work for this window began (read by Meter.window())
        self._cost0 = _process_time() if cost0 is None else cost0
        self._meter = meter
        self._state: tuple[Any, ...] | None = None
        self._measurement: Measurement | None = None

    def start(self) -> "Window":
        if self._state is not None or self._measurement is not None:
            raise RuntimeError("this window was already started; open a new one with meter.window()")
        self._state = self._meter._begin(self._cost0)
        return self

    __enter__ = start  # one call less at the window's start edge

    def stop(self) -> Measurement:
        return self._stop(_process_time())

    def _stop(self, cost1: float) -> Measurement:
        """Close the window; ``cost1`` is the process CPU time (s) when the meter's work at its end began."""
        if self._state is None:
            raise RuntimeError("window.stop() before window.start(); use `with meter.window() as win:`")
        begun, self._state = self._state, None
        self._measurement = self._meter._end(begun, cost1)
        return self._measurement

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        cost1 = _process_time()
        if exc_type is None:
            self._stop(cost1)
            return
        try:  # the workload failed: measure anyway, but never hide its exception behind a meter error
            self._stop(cost1)
        except Exception as meter_exc:
            log.warning("measurement of the failed window failed too: %s", meter_exc)

    @property
    def measurement(self) -> Measurement:
        """The window's :class:`Measurement` (only after the window closed)."""
        if self._measurement is None:
            raise RuntimeError("the window is still open (or never ran): read .measurement after the with-block")
        return self._measurement


class Meter:
    """Measures the energy of windows of work.

    Parameters
    ----------
    monitor : str
        ``auto`` (RAPL for the CPU where readable, else the estimate; plus NVML where an NVIDIA GPU
        answers), one of ``rapl``, ``nvml``, ``pyrapl``, ``codecarbon``, ``estimate``, or a comma list.
        A requested source that cannot measure here is reported (one warning, with the fix) and the CPU falls
        back to the estimate, unless ``strict`` is True (then :class:`SourceUnavailable` is raised).
    cpu_tdp_w : float or None
        Per-package CPU TDP in W for the estimate (default: per-vCPU watts of the CPU's family, see
        :mod:`mlee.monitoring.sources.estimate`).
    idle_seconds : float
        When > 0, idle power is measured for that long before the first window and every
        measurement gets ``net_energy_j = energy_j - idle_power_w * duration_s``.
    country : str or None
        ISO 3166-1 alpha-3 code for the grams-CO2e figure (None: no carbon figure).
    pue : float
        Data-centre power usage effectiveness applied to the carbon figure only.
    strict : bool
        Raise :class:`SourceUnavailable` instead of falling back to the estimate.
    rapl_root, nvml, pyrapl : optional
        Injection points for tests (powercap folder, module-like NVML / pyRAPL object).
    sources : list of EnergySource, optional
        Ready-made sources (overrides ``monitor``).

    Examples
    --------
    >>> from mlee import Meter
    >>> meter = Meter("estimate")
    >>> with meter.window() as window:
    ...     total = sum(i * i for i in range(100_000))
    >>> measurement = window.measurement
    >>> measurement.duration_s > 0, measurement.estimated
    (True, True)
    >>> result, measurement = meter.measure(sorted, [3, 1, 2])
    >>> result
    [1, 2, 3]
    """

    def __init__(self, monitor: str = "auto", cpu_tdp_w: float | None = None, idle_seconds: float = 0.0,
                 country: str | None = None, pue: float = 1.0, *, strict: bool = False,
                 rapl_root: str | Path | None = None, nvml: Any = None, pyrapl: Any = None,
                 sources: list[EnergySource] | None = None) -> None:
        #: the validated settings (errors name the parameter), recorded with every run
        self.config = MeterConfig(monitor, cpu_tdp_w, idle_seconds, country, pue)
        self.monitor, self.cpu_tdp_w, self.idle_seconds = self.config.monitor, self.config.cpu_tdp_w, \
            self.config.idle_seconds
        self.pue, self.country = self.config.pue, self.config.country
        self.strict = strict
        self._rapl_root, self._nvml, self._pyrapl = rapl_root, nvml, pyrapl
        self._sources: list[EnergySource] | None = None
        self._watched: list[EnergySource] = []  # sources with a background thread whose CPU is the meter's
        self._descriptions: dict[Any, str] = {}
        if sources is not None:
            self._use(list(sources))
        self.notes: list[str] = []
        self.idle: IdleBaseline | None = None
        self._process = ProcessMonitor()
        self._unseen_s = 2 * _clock_read_once()

    # ------------------------------------------------------------------ sources
    @property
    def sources(self) -> list[EnergySource]:
        """The opened sources (opens them on first access)."""
        if self._sources is None:
            self._use(self._open_sources())
        return self._sources  # type: ignore[return-value]

    def _use(self, sources: list[EnergySource]) -> None:
        self._sources = sources
        self._watched = [s for s in sources
                         if type(s).background_cpu_seconds is not EnergySource.background_cpu_seconds]

    def _factory(self, name: str) -> Callable[[], EnergySource]:
        if name == "rapl":
            from mlee.monitoring.sources.rapl import RaplSource
            return lambda: RaplSource(root=self._rapl_root)
        if name == "nvml":
            from mlee.monitoring.sources.nvml import NvmlSource
            return lambda: NvmlSource(nvml=self._nvml)
        if name == "pyrapl":
            from mlee.monitoring.sources.pyrapl_source import PyraplSource
            return lambda: PyraplSource(pyrapl=self._pyrapl)
        if name == "codecarbon":
            from mlee.monitoring.sources.codecarbon_source import CodecarbonSource
            return lambda: CodecarbonSource(country=self.country or "USA", cpu_tdp_w=self.cpu_tdp_w)
        if name == "estimate":
            from mlee.monitoring.sources.estimate import EstimateSource
            return lambda: EstimateSource(cpu_tdp_w=self.cpu_tdp_w)
        raise ValueError(f"unknown monitor {name!r}; choose from {', '.join(MONITORS)}")

    def _open_sources(self) -> list[EnergySource]:
        names = self.monitor.split(",")
        auto = names == ["auto"]
        if auto:
            names = ["rapl", "nvml"]
        if "codecarbon" in names and len(names) > 1:
            raise ValueError("--monitor codecarbon measures CPU, memory and GPU itself; combining it with "
                             f"{', '.join(n for n in names if n != 'codecarbon')} would count hardware twice. "
                             "Pass --monitor codecarbon alone.")
        opened: list[EnergySource] = []
        for name in names:
            try:
                opened.append(self._factory(name)())
            except SourceUnavailable as exc:
                if auto and name == "nvml":
                    log.info("no NVIDIA GPU energy: %s", exc.reason)
                    continue
                if self.strict:
                    raise
                msg = f"energy source '{name}' unavailable: {exc.reason}"
                if exc.fix:
                    msg += f" To enable it: {exc.fix}"
                falls_back = not any(s.covers in ("cpu", "all") for s in opened) and name != "nvml"
                if falls_back:
                    msg += " Falling back to the estimate (static + dynamic power per vCPU), marked as estimated."
                if auto:  # nobody asked for RAPL by name: one short line, the details with --verbose
                    log.info(msg)
                    _warn_once(_short_warning(name, exc.reason, falls_back))
                else:
                    _warn_once(msg)
                self.notes.append(f"{name} unavailable: {exc.reason}")
        if not any(s.covers in ("cpu", "all") for s in opened):
            from mlee.monitoring.sources.estimate import EstimateSource
            if names == ["nvml"] and opened:
                log.info("--monitor nvml: CPU energy not measured")
            else:
                opened.insert(0, EstimateSource(cpu_tdp_w=self.cpu_tdp_w))
        log.info("energy sources: %s", ", ".join(s.name for s in opened))
        return opened

    def close(self) -> None:
        """Stop background threads and release library handles of all sources."""
        for src in self._sources or []:
            try:
                src.close()
            except Exception as exc:  # pragma: no cover - defensive
                log.debug("closing %s: %s", src.name, exc)

    def __enter__(self) -> "Meter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ windows
    def window(self) -> Window:
        """A new measurement window (a context manager)."""
        return Window(self, _process_time())

    def measure(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Measurement]:
        """Run ``func(*args, **kwargs)`` in a window; returns (its result, the Measurement)."""
        with self.window() as win:
            result = func(*args, **kwargs)
        return result, win.measurement

    @property
    def min_window_s(self) -> float:
        """Shortest window (s) whose energy every source can resolve: :data:`WINDOW_RESOLUTIONS` times the
        coarsest counter's update interval (RAPL ~1 ms -> 10 ms, NVML ~100 ms -> 1 s)."""
        return WINDOW_RESOLUTIONS * max([s.resolution_s for s in self.sources] + [0.0])

    def measure_repeated(self, func: Callable[[], Any], min_window_s: float | None = None,
                         max_repetitions: int = MAX_REPETITIONS) -> tuple[Any, Measurement]:
        """Run ``func()`` in a window; when that window is shorter than ``min_window_s`` (default
        :attr:`min_window_s`), run it again, ``n`` times in one window, with ``n`` chosen (and grown) until the
        window is long enough, as MLPerf sets minimum run durations. Returns (the last call's result, the
        measurement per call: ``repetitions`` says how many calls the window held, ``window_energy_j`` and
        ``window_duration_s`` its totals). ``max_repetitions`` caps ``n``; a window still too short then is
        marked incomplete."""
        needed = self.min_window_s if min_window_s is None else float(min_window_s)
        result, measurement = self.measure(func)
        repetitions = 1
        while measurement.duration_s < needed and repetitions < max_repetitions:
            per_call = max(measurement.duration_s / repetitions, 1e-7)
            repetitions = min(max_repetitions, max(2 * repetitions, math.ceil(1.2 * needed / per_call)))
            with self.window() as win:
                for _ in range(repetitions):
                    result = func()
            measurement = win.measurement
        if measurement.duration_s < needed:
            measurement = replace(measurement, complete=False, quality=measurement.quality + [
                f"window of {measurement.duration_s:.3g} s ({repetitions} calls) is shorter than the {needed:.3g} s "
                f"the counters need (max_repetitions reached)"])
        if repetitions > 1:
            log.info("workload repeated %d times to fill a %.3g s window", repetitions, needed)
        return result, measurement.per_call(repetitions)

    def measure_idle(self, seconds: float | None = None) -> IdleBaseline:
        """Measure idle power (W) over ``seconds`` (default ``idle_seconds``) with the meter's sources."""
        seconds = self.idle_seconds if seconds is None else float(seconds)
        if not seconds > 0:
            raise ValueError("measure_idle needs seconds > 0 (pass --idle-seconds 10, for example)")
        log.info("measuring idle power for %.1f s", seconds)
        state = self._begin(_process_time(), idle=True)
        time.sleep(seconds)
        m = self._end(state, _process_time(), idle=True)
        self.idle = IdleBaseline(power_w=m.mean_power_w, seconds=m.duration_s, measured_at=m.start,
                                 estimated=m.estimated, description=m.description)
        log.info("idle power %.3f W (%s)", self.idle.power_w, m.description)
        return self.idle

    def _begin(self, cost0: float, idle: bool = False) -> tuple[Any, ...]:
        """Read every counter at window start; ``cost0`` is the process CPU time (s) when the meter's work for
        this window began. The Unix and monotonic clocks are read next to last, this process's CPU clock last."""
        if not idle and self.idle_seconds > 0 and self.idle is None:
            self.measure_idle()
            cost0 = _process_time()
        sources = self._sources if self._sources is not None else self.sources
        watched = self._watched
        background0 = sum([s.background_cpu_seconds() for s in watched]) if watched else 0.0
        states = [s.begin() for s in sources]
        proc0 = self._process.start()
        start, mono0 = _time(), _perf_counter()
        proc0.self_cpu = _process_time()
        return cost0, background0, states, proc0, mono0, start

    def _end(self, begun: tuple[Any, ...], cost1: float, idle: bool = False) -> Measurement:
        """Read every counter at window end (the monotonic clock and this process's CPU seconds and peak RSS
        first, in one ``getrusage``), then build the record. ``cost1`` is the process CPU time (s) when the
        meter's work for the end began. The record's ``meter_cpu_seconds``: the process CPU time from the
        window's creation to the start readings and from ``cost1`` to the record built (so the few
        microseconds between the workload and the clock reads at its edges count both as the workload's and as
        the meter's), plus the clock reads' unseen halves and what the sources' background threads used while
        the window was open."""
        mono1 = _perf_counter()
        ru = _getrusage(_RUSAGE_SELF)
        cost0, background0, states, proc0, mono0, start = begun
        proc1 = self._process.end(ru)
        sources = self._sources
        ends = [s.stop(state) for s, state in zip(sources, states)]
        duration = mono1 - mono0
        process = self._process.stats(proc0, proc1, duration)
        end = start + duration
        ctx = frozen_record(WindowContext, start=start, end=end, duration_s=duration, process=process)
        parts: list[SourceEnergy] = []
        for src, s0, s1 in zip(sources, states, ends):
            parts.extend(_resolution_flagged(p, src, duration) for p in src.energy(s0, s1, ctx))
        source_notes = self._source_notes()
        energy = float(sum([p.energy_j for p in parts]))
        net = None
        if self.idle is not None and not idle:
            net = energy - self.idle.power_w * duration
        carbon = carbon_for(energy, net, self.country, self.pue) if self.country and not idle else None
        problems = [problem for p in parts for problem in p.problems]
        measurement = frozen_record(
            Measurement, start=start, end=end, duration_s=duration, energy_j=energy, net_energy_j=net,
            mean_power_w=energy / duration if duration > 0 else 0.0, estimated=any([p.estimated for p in parts]),
            description=self._describe(parts, source_notes), sources=parts, process=process,
            meter_cpu_seconds=0.0, carbon=carbon, idle=None if idle else self.idle, monitor=self.monitor,
            notes=_unique(self.notes + source_notes) if self.notes or source_notes else [],
            schema=SCHEMA_VERSION, complete=all([p.complete for p in parts]),
            quality=_unique(problems) if problems else [], repetitions=1, window_energy_j=None,
            window_duration_s=None)
        watched = self._watched
        background = sum([s.background_cpu_seconds() for s in watched]) - background0 if watched else 0.0
        # its cost is set last, so that building the record is part of the cost it reports
        measurement.__dict__["meter_cpu_seconds"] = (proc0.self_cpu - cost0 + _process_time() - cost1
                                                     + self._unseen_s + background)
        return measurement

    def _source_notes(self) -> list[str]:
        notes: list[str] = []
        for src in self._sources or []:
            notes.extend(getattr(src, "notes", ()))
        return notes

    def _describe(self, parts: list[SourceEnergy], notes: list[str]) -> str:
        """:func:`describe_sources` of ``parts``, cached per meter: the text depends only on which domains were
        read and on the notes, which stay the same from window to window."""
        key = (tuple([(p.name, p.method, p.domain, p.device) for p in parts]), tuple(notes))
        text = self._descriptions.get(key)
        if text is None:
            text = self._descriptions[key] = describe_sources(parts, _unique(notes))
        return text


_WARNED: set[str] = set()


def _short_warning(name: str, reason: str, falls_back: bool) -> str:
    """The one-line warning of ``--monitor auto`` for a source it cannot read: the reason's first clause and
    where the fix is described."""
    first = reason.split(" (")[0].split("; ")[0].rstrip(". ")
    then = "CPU energy is estimated" if falls_back else "its energy is not counted"
    return f"energy source '{name}' unavailable ({first}): {then}; to measure it see docs/how-to/rapl.md"


def _warn_once(message: str) -> None:
    """Log ``message`` as a warning the first time in this process (a meter per window would repeat it every
    window), at debug level afterwards; each measurement's ``notes`` still say it."""
    if message in _WARNED:
        log.debug(message)
        return
    _WARNED.add(message)
    log.warning(message)


@functools.lru_cache(maxsize=1)
def _clock_read_once() -> float:
    """:func:`clock_read_seconds`, measured once per process."""
    return clock_read_seconds()


def clock_read_seconds(reads: int = 101) -> float:
    """CPU seconds one ``time.process_time()`` call costs (median over ``reads`` calls, measured now).

    The meter times its own work with that clock, and a clock read only sees the part of itself before (or
    after) the instant it samples: of the four reads bracketing the meter's work in a window, the unseen halves
    add up to two whole reads, which :class:`Meter` adds to ``meter_cpu_seconds``."""
    times = [_process_time() for _ in range(reads)]
    return statistics.median([b - a for a, b in zip(times, times[1:])])


BELOW_MINIMUM = "below minimum window"


def _resolution_flagged(part: SourceEnergy, source: EnergySource, duration_s: float) -> SourceEnergy:
    """``part``, marked incomplete when its window was shorter than :data:`WINDOW_RESOLUTIONS` updates of its
    counter (a reading then is off by up to one update: +-10 % and far worse), or when a counter read 0 J."""
    if part.estimated:
        return part
    minimum = WINDOW_RESOLUTIONS * source.resolution_s
    zero = part.energy_j == 0 and duration_s > 0
    if duration_s < minimum:
        read = "0 J read: not measurable" if zero else "its energy is not measured cleanly"
        return frozen_record(SourceEnergy, **dict(part.__dict__, complete=False, problems=part.problems + [
            f"{part.device}: window of {duration_s:.3g} s, {BELOW_MINIMUM} of {minimum:.3g} s ({WINDOW_RESOLUTIONS} "
            f"updates of a counter that updates about every {source.resolution_s:g} s): {read}; repeat the "
            f"workload (Meter.measure_repeated)"]))
    if not zero or not part.complete:
        return part  # (a part already incomplete says why itself)
    return replace(part, complete=False, problems=part.problems + [
        f"{part.device}: 0 J read over {duration_s:.3g} s, below the counter's resolution (it updates about every "
        f"{source.resolution_s:g} s): not measurable; repeat the workload (Meter.measure_repeated)"])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
