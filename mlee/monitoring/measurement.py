"""The result of one measurement window: energy per source with provenance, process statistics, carbon.

All energies are in joules (J), powers in watts (W), times in seconds (s, Unix time for ``start``/``end``),
memory in bytes. A :class:`Measurement` serialises to a JSON-able dict (:meth:`Measurement.to_dict`) and back
(:meth:`Measurement.from_dict`) without loss.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TypeVar

SCHEMA_VERSION = 1
R = TypeVar("R", bound="_Record")
T = TypeVar("T")


def frozen_record(cls: type[T], **values: Any) -> T:
    """An instance of the frozen dataclass ``cls`` from a value for *every* field, built without the generated
    ``__init__`` and its one ``object.__setattr__`` per field (the meter builds several records per window).
    Equal to ``cls(**values)``."""
    record = object.__new__(cls)
    object.__setattr__(record, "__dict__", values)  # the fresh dict of this call: taken as it is, not copied
    return record


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class _Record:
    """Flat dataclass record: ``to_dict`` gives all fields, ``from_dict`` takes them back (unknown keys ignored)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of all fields."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        """Inverse of :meth:`to_dict`."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class SourceEnergy(_Record):
    """Energy of one domain (one CPU package, DRAM of one socket, one GPU, an estimate term) in a window.

    Attributes
    ----------
    name : source that produced it: ``rapl``, ``nvml``, ``pyrapl``, ``codecarbon`` or ``estimate``.
    method : how it was obtained: ``rapl`` (powercap counter), ``rapl-not-counted`` (a zone that should be counted
        but cannot be: 0 J, incomplete), ``nvml-energy`` (GPU total-energy counter),
        ``nvml-power`` (GPU power samples integrated), ``nvml-lost`` (a GPU that did not answer: 0 J, incomplete),
        ``pyrapl``, ``codecarbon``, ``estimate``.
    device : what was measured, e.g. ``"package-0"``, ``"GPU 0 (NVIDIA H100, GPU-5f...)"``, ``"CPU"``.
    domain : ``package``, ``dram``, ``gpu``, ``cpu``, ``memory`` or ``total``.
    energy_j : energy in joules over the window.
    estimated : True when the number is a model-based estimate and not a reading of a counter.
    path : sysfs file read (RAPL) or ``None``.
    library : library and version used (``"nvidia-ml-py 12.x"``, ``"codecarbon 3.3.2"``) or ``None``.
    parameters : parameters of the estimate or reading (TDP, cores, wraps counted, sample interval...).
    complete : False when the counter was not read cleanly over the whole window (a read failed, a wrap may
        have passed unseen, the window was shorter than the counter's resolution); ``problems`` says why.
    problems : human reasons, empty when ``complete``.
    """

    name: str
    method: str
    device: str
    domain: str
    energy_j: float
    estimated: bool
    path: str | None = None
    library: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    complete: bool = True
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProcessStats(_Record):
    """Resource use of the measured process tree in the window.

    cpu_seconds : user + system CPU seconds of this process and its children (live ones read from /proc,
        finished and reaped ones through ``getrusage(RUSAGE_CHILDREN)``) between window start and end.
    peak_rss_bytes : peak resident memory of this process in the window (``VmHWM`` after a reset through
        ``/proc/self/clear_refs``) when ``peak_rss_scope == "window"``; otherwise the process-lifetime peak
        from ``getrusage`` (``"process lifetime"``).
    children_rss_bytes : resident memory of live child processes at window end (0 when none).
    cpu_utilisation : cpu_seconds / duration, in logical cores (1.0 = one core fully busy).
    logical_cores : logical CPUs of the machine; cpu_utilisation / logical_cores is the machine share.
    """

    cpu_seconds: float
    peak_rss_bytes: int
    cpu_utilisation: float
    peak_rss_scope: str = "window"
    children_rss_bytes: int = 0
    logical_cores: int = 1
    n_children: int = 0


@dataclass(frozen=True)
class Carbon(_Record):
    """Carbon footprint of the window's gross (and net) energy.

    grams_co2e = energy_j / 3.6e6 (kWh) * pue * intensity_g_per_kwh. Raw joules elsewhere are never scaled.
    """

    country: str
    country_name: str
    intensity_g_per_kwh: float
    pue: float
    grams_co2e: float
    net_grams_co2e: float | None
    source: str
    year: int | None = None


@dataclass(frozen=True)
class IdleBaseline(_Record):
    """Idle power measured before the run with the same sources: ``power_w`` over ``seconds``."""

    power_w: float
    seconds: float
    measured_at: float
    estimated: bool
    description: str


def describe_sources(sources: list[SourceEnergy], notes: list[str] | None = None) -> str:
    """Human text of what a total consists of, e.g. ``"CPU packages 0-1 + DRAM (RAPL)"``.

    Groups parts by method in order of appearance; every estimated group says ``estimated``.
    """
    groups: dict[tuple[str, str], list[SourceEnergy]] = {}
    for s in sources:
        groups.setdefault((s.name, s.method), []).append(s)
    texts = []
    for (name, method), parts in groups.items():
        texts.append(_describe_group(name, method, parts))
    text = " + ".join(texts) if texts else "nothing measured"
    if notes:
        text += "; " + "; ".join(notes)
    return text


def _describe_group(name: str, method: str, parts: list[SourceEnergy]) -> str:
    domains = [p.domain for p in parts]
    if name == "rapl":
        packages = sorted({p.device.split("-")[-1] for p in parts if p.domain == "package"}, key=_int_or_str)
        words = []
        if packages:
            if len(packages) == 1:
                words.append(f"CPU package {packages[0]}")
            else:
                words.append(f"CPU packages {', '.join(packages)}")
        if "dram" in domains:
            words.append("DRAM")
        return " + ".join(words) + (" (RAPL, not counted)" if method == "rapl-not-counted" else " (RAPL)")
    if name == "nvml":
        how = {"nvml-energy": "energy counter", "nvml-lost": "not answering, not counted"}.get(method,
                                                                                                "power integrated")
        n = len(parts)
        return f"{n} GPU{'s' if n != 1 else ''} (NVML {how})"
    if name == "pyrapl":
        words = []
        if "package" in domains:
            words.append("CPU package" + ("s" if domains.count("package") > 1 else ""))
        if "dram" in domains:
            words.append("DRAM")
        return " + ".join(words or ["CPU"]) + " (RAPL via pyRAPL)"
    if name == "codecarbon":
        words = [{"cpu": "CPU", "memory": "memory", "gpu": "GPU"}.get(d, d) for d in domains]
        est = any(p.estimated for p in parts)
        return " + ".join(words) + (" (codecarbon, estimated)" if est else " (codecarbon)")
    if name == "estimate":
        words = [{"cpu": "CPU", "memory": "memory"}.get(d, d) for d in domains]
        return " + ".join(words) + " (estimated)"
    return f"{', '.join(domains)} ({name})"


def _int_or_str(text: str) -> tuple[int, Any]:
    return (0, int(text)) if text.isdigit() else (1, text)


#: parameters of a source that grow with the window: per call when a window held repeated calls
WINDOW_PARAMETERS: tuple[str, ...] = ("duration_s", "cpu_seconds")


def per_call_parameters(parameters: dict[str, Any] | None, repetitions: int) -> dict[str, Any] | None:
    """A source's ``parameters`` for one of ``repetitions`` calls in one window.

    Parameters
    ----------
    parameters : dict or None
        The source's parameters over the whole window (an estimate's ``duration_s`` and ``cpu_seconds``).
    repetitions : int
        Calls of the workload in the window.

    Returns
    -------
    dict or None
        The same with :data:`WINDOW_PARAMETERS` divided by ``repetitions`` (so that the source's formula gives its
        per-call ``energy_j``), the window's values kept as ``window_<name>``, and ``repetitions``.
    """
    if not parameters or repetitions == 1:
        return parameters
    out = dict(parameters)
    for name in WINDOW_PARAMETERS:
        value = out.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"window_{name}"] = value
            out[name] = value / repetitions
    out["repetitions"] = repetitions
    return out


@dataclass(frozen=True)
class Measurement:
    """Energy and resource use of one window (see module docstring for units).

    ``energy_j`` is the gross total of all ``sources``; ``net_energy_j`` subtracts the idle baseline
    (``idle.power_w * duration_s``) when one was measured, else ``None``. ``estimated`` is True as soon as any
    part of ``energy_j`` is an estimate. ``meter_cpu_seconds`` is the CPU time the meter itself spent on this
    window: process CPU time from the window's creation to its start readings and from its end to the record
    built, plus its sources' background threads (see :mod:`mlee.monitoring.meter`).

    ``complete`` is False as soon as one part was not read cleanly over the whole window; ``quality`` lists the
    reasons (one line per problem, naming the counter). ``repetitions`` > 1 means the workload ran that many
    times in the window (a window shorter than a counter's resolution cannot be measured): ``energy_j`` and
    ``duration_s`` are then per call, ``window_energy_j`` / ``window_duration_s`` the whole window's.
    """

    start: float
    end: float
    duration_s: float
    energy_j: float
    net_energy_j: float | None
    mean_power_w: float
    estimated: bool
    description: str
    sources: list[SourceEnergy]
    process: ProcessStats | None
    meter_cpu_seconds: float
    carbon: Carbon | None = None
    idle: IdleBaseline | None = None
    monitor: str = "auto"
    notes: list[str] = field(default_factory=list)
    schema: int = SCHEMA_VERSION
    complete: bool = True
    quality: list[str] = field(default_factory=list)
    repetitions: int = 1
    window_energy_j: float | None = None
    window_duration_s: float | None = None

    def per_call(self, repetitions: int) -> "Measurement":
        """This window's measurement divided over ``repetitions`` calls of the workload (energies, durations,
        CPU seconds and carbon are per call; the window totals are kept in ``window_*``)."""
        n = int(repetitions)
        if n < 1:
            raise ValueError(f"repetitions must be >= 1, got {repetitions!r}")
        if n == 1:
            return self
        sources = [replace(s, energy_j=s.energy_j / n, parameters=per_call_parameters(s.parameters, n))
                   for s in self.sources]
        process = None if self.process is None else replace(self.process, cpu_seconds=self.process.cpu_seconds / n)
        carbon = None if self.carbon is None else replace(
            self.carbon, grams_co2e=self.carbon.grams_co2e / n,
            net_grams_co2e=None if self.carbon.net_grams_co2e is None else self.carbon.net_grams_co2e / n)
        return replace(self, duration_s=self.duration_s / n, energy_j=self.energy_j / n,
                       net_energy_j=None if self.net_energy_j is None else self.net_energy_j / n,
                       sources=sources, process=process, carbon=carbon, repetitions=n,
                       window_energy_j=self.energy_j, window_duration_s=self.duration_s)

    @property
    def energy_by_domain(self) -> dict[str, float]:
        """Total joules per domain (``package``, ``dram``, ``gpu``, ``cpu``, ``memory``...)."""
        out: dict[str, float] = {}
        for s in self.sources:
            out[s.domain] = out.get(s.domain, 0.0) + s.energy_j
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (floats are finite or ``None``); :meth:`from_dict` restores an equal object."""
        return {
            "schema": self.schema,
            "monitor": self.monitor,
            "start": self.start,
            "end": self.end,
            "duration_s": self.duration_s,
            "energy_j": self.energy_j,
            "net_energy_j": _finite_or_none(self.net_energy_j),
            "mean_power_w": self.mean_power_w,
            "estimated": self.estimated,
            "description": self.description,
            "sources": [s.to_dict() for s in self.sources],
            "process": self.process.to_dict() if self.process is not None else None,
            "meter_cpu_seconds": self.meter_cpu_seconds,
            "carbon": self.carbon.to_dict() if self.carbon is not None else None,
            "idle": self.idle.to_dict() if self.idle is not None else None,
            "notes": list(self.notes),
            "complete": self.complete,
            "quality": list(self.quality),
            "repetitions": self.repetitions,
            "window_energy_j": self.window_energy_j,
            "window_duration_s": self.window_duration_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Measurement":
        """Rebuild a Measurement from :meth:`to_dict` output (e.g. a ``measurement.json``)."""
        missing = [k for k in ("start", "end", "duration_s", "energy_j", "estimated", "sources") if k not in data]
        if missing:
            raise ValueError(f"measurement dict lacks {', '.join(missing)}; pass the output of "
                             f"Measurement.to_dict() (a measurement.json file).")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            duration_s=float(data["duration_s"]),
            energy_j=float(data["energy_j"]),
            net_energy_j=None if data.get("net_energy_j") is None else float(data["net_energy_j"]),
            mean_power_w=float(data.get("mean_power_w") or 0.0),
            estimated=bool(data["estimated"]),
            description=str(data.get("description", "")),
            sources=[SourceEnergy.from_dict(s) for s in data["sources"]],
            process=ProcessStats.from_dict(data["process"]) if data.get("process") else None,
            meter_cpu_seconds=float(data.get("meter_cpu_seconds") or 0.0),
            carbon=Carbon.from_dict(data["carbon"]) if data.get("carbon") else None,
            idle=IdleBaseline.from_dict(data["idle"]) if data.get("idle") else None,
            monitor=str(data.get("monitor", "auto")),
            notes=list(data.get("notes") or []),
            schema=int(data.get("schema", SCHEMA_VERSION)),
            complete=bool(data.get("complete", True)),
            quality=list(data.get("quality") or []),
            repetitions=int(data.get("repetitions") or 1),
            window_energy_j=_finite_or_none(data.get("window_energy_j")),
            window_duration_s=_finite_or_none(data.get("window_duration_s")),
        )
