"""The :class:`Meter`: measurement windows around a workload, returning :class:`Measurement` records.

A window reads every source's cumulative counters at its start and end (no millisecond sampling), together
with the process tree's CPU seconds and peak memory. Sources are opened lazily on the first window.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from mlee.monitoring.carbon import carbon_for, country_record, validate_pue
from mlee.monitoring.monitors import MONITORS, parse_monitor
from mlee.monitoring.measurement import IdleBaseline, Measurement, SourceEnergy, describe_sources
from mlee.monitoring.process_stats import ProcessMonitor
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

log = logging.getLogger(__name__)

#: A window must last this many counter updates for its energy to be read to about 10 %.
WINDOW_RESOLUTIONS = 10
#: Upper bound of the repetitions :meth:`Meter.measure_repeated` runs in one window.
MAX_REPETITIONS = 100_000


class Window:
    """One measurement window. Use as a context manager (``with meter.window() as win:``) or call
    :meth:`start` / :meth:`stop`. After it closed, :attr:`measurement` holds the result; a window closed by an
    exception is still measured (the exception propagates)."""

    def __init__(self, meter: "Meter") -> None:
        self._meter = meter
        self._state: dict[str, Any] | None = None
        self._measurement: Measurement | None = None

    def start(self) -> "Window":
        if self._state is not None or self._measurement is not None:
            raise RuntimeError("this window was already started; open a new one with meter.window()")
        self._state = self._meter._begin()
        return self

    def stop(self) -> Measurement:
        if self._state is None:
            raise RuntimeError("window.stop() before window.start(); use `with meter.window() as win:`")
        state, self._state = self._state, None
        self._measurement = self._meter._end(state)
        return self._measurement

    def __enter__(self) -> "Window":
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.stop()
            return
        try:  # the workload failed: measure anyway, but never hide its exception behind a meter error
            self.stop()
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
    monitor : ``auto`` (RAPL for the CPU where readable, else the estimate; plus NVML where an NVIDIA GPU
        answers), one of ``rapl``, ``nvml``, ``pyrapl``, ``codecarbon``, ``estimate``, or a comma list.
        A requested source that cannot measure here is reported (one warning, with the fix) and the CPU falls
        back to the estimate, unless ``strict`` is True (then :class:`SourceUnavailable` is raised).
    cpu_tdp_w : per-package CPU TDP in W for the estimate (default: per-vCPU watts of the CPU's family, see
        :mod:`mlee.monitoring.sources.estimate`).
    idle_seconds : when > 0, idle power is measured for that long before the first window and every
        measurement gets ``net_energy_j = energy_j - idle_power_w * duration_s``.
    country : ISO 3166-1 alpha-3 code for the grams-CO2e figure (None: no carbon figure).
    pue : data-centre power usage effectiveness applied to the carbon figure only.
    rapl_root, nvml, pyrapl : injection points for tests (powercap folder, module-like NVML / pyRAPL object).
    sources : ready-made sources (overrides ``monitor``).
    """

    def __init__(self, monitor: str = "auto", cpu_tdp_w: float | None = None, idle_seconds: float = 0.0,
                 country: str | None = None, pue: float = 1.0, *, strict: bool = False,
                 rapl_root: str | Path | None = None, nvml: Any = None, pyrapl: Any = None,
                 sources: list[EnergySource] | None = None) -> None:
        try:
            self.monitor = parse_monitor(monitor)
        except Exception as exc:  # argparse.ArgumentTypeError
            raise ValueError(str(exc)) from None
        if cpu_tdp_w is not None and not float(cpu_tdp_w) > 0:
            raise ValueError(f"cpu_tdp_w must be a positive number of watts, got {cpu_tdp_w!r}")
        if idle_seconds is None or float(idle_seconds) < 0:
            raise ValueError(f"idle_seconds must be >= 0, got {idle_seconds!r}")
        self.cpu_tdp_w = None if cpu_tdp_w is None else float(cpu_tdp_w)
        self.idle_seconds = float(idle_seconds)
        self.pue = validate_pue(pue)
        self.country = country_record(country)["iso_code"] if country else None
        self.strict = strict
        self._rapl_root, self._nvml, self._pyrapl = rapl_root, nvml, pyrapl
        self._sources: list[EnergySource] | None = list(sources) if sources is not None else None
        self.notes: list[str] = []
        self.idle: IdleBaseline | None = None
        self._process = ProcessMonitor()

    # ------------------------------------------------------------------ sources
    @property
    def sources(self) -> list[EnergySource]:
        """The opened sources (opens them on first access)."""
        if self._sources is None:
            self._sources = self._open_sources()
        return self._sources

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
                if not any(s.covers in ("cpu", "all") for s in opened) and name != "nvml":
                    msg += " Falling back to the estimate (static + dynamic power per vCPU), marked as estimated."
                log.warning(msg)
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
        return Window(self)

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
        state = self._begin(idle=True)
        time.sleep(seconds)
        m = self._end(state, idle=True)
        self.idle = IdleBaseline(power_w=m.mean_power_w, seconds=m.duration_s, measured_at=m.start,
                                 estimated=m.estimated, description=m.description)
        log.info("idle power %.3f W (%s)", self.idle.power_w, m.description)
        return self.idle

    def _begin(self, idle: bool = False) -> dict[str, Any]:
        sources = self.sources
        if not idle and self.idle_seconds > 0 and self.idle is None:
            self.measure_idle()
        t0 = time.thread_time()
        background0 = sum(s.background_cpu_seconds() for s in sources)
        self._process.reset_peak()
        states = [s.begin() for s in sources]
        proc0 = self._process.snapshot()
        mono0 = time.perf_counter()
        start = time.time()
        cost = time.thread_time() - t0
        return {"proc": proc0, "states": states, "mono": mono0, "start": start, "cost": cost,
                "background": background0}

    def _end(self, st: dict[str, Any], idle: bool = False) -> Measurement:
        mono1 = time.perf_counter()
        t0 = time.thread_time()
        proc1 = self._process.snapshot()
        sources = self.sources
        ends = [s.stop(state) for s, state in zip(sources, st["states"])]
        duration = mono1 - st["mono"]
        process = self._process.stats(st["proc"], proc1, duration)
        ctx = WindowContext(start=st["start"], end=st["start"] + duration, duration_s=duration, process=process)
        parts: list[SourceEnergy] = []
        source_notes: list[str] = []
        for src, s0, s1 in zip(sources, st["states"], ends):
            parts.extend(_zero_flagged(p, src, duration) for p in src.energy(s0, s1, ctx))
            source_notes.extend(getattr(src, "notes", []))
        notes = _unique(list(self.notes) + source_notes)
        energy = float(sum(p.energy_j for p in parts))
        estimated = any(p.estimated for p in parts)
        net = None
        if self.idle is not None and not idle:
            net = energy - self.idle.power_w * duration
        carbon = carbon_for(energy, net, self.country, self.pue) if self.country and not idle else None
        background = sum(s.background_cpu_seconds() for s in sources) - st["background"]
        cost = st["cost"] + (time.thread_time() - t0) + background
        return Measurement(
            start=st["start"], end=ctx.end, duration_s=duration, energy_j=energy, net_energy_j=net,
            mean_power_w=energy / duration if duration > 0 else 0.0, estimated=estimated,
            description=describe_sources(parts, _unique(source_notes)), sources=parts, process=process,
            meter_cpu_seconds=cost, carbon=carbon, idle=None if idle else self.idle, monitor=self.monitor,
            notes=notes, complete=all(p.complete for p in parts),
            quality=_unique([problem for p in parts for problem in p.problems]))


def _zero_flagged(part: SourceEnergy, source: EnergySource, duration_s: float) -> SourceEnergy:
    """``part``, marked incomplete when a counter read 0 J (its window was below the counter's resolution)."""
    if part.estimated or part.energy_j != 0 or not duration_s > 0:
        return part
    return replace(part, complete=False, problems=part.problems + [
        f"{part.device}: 0 J read over {duration_s:.3g} s, below the counter's resolution (it updates about every "
        f"{source.resolution_s:g} s): not measurable; repeat the workload (Meter.measure_repeated)"])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
