"""NVIDIA GPU energy through NVML (``nvidia-ml-py``, imported as ``pynvml`` only when this source is used).

* GPUs with a total-energy counter (Volta and newer): ``nvmlDeviceGetTotalEnergyConsumption`` (millijoules
  since the driver loaded) is read at window start and end; method ``nvml-energy``.
* Older GPUs: ``nvmlDeviceGetPowerUsage`` (milliwatts) is sampled at window start, every
  ``power_interval_s`` (default 0.1 s, NVML's own update rate) by a background thread, and at window end, and
  integrated with the trapezoidal rule; method ``nvml-power``.

Only GPUs visible to this process are measured: ``CUDA_VISIBLE_DEVICES`` (indices or ``GPU-<uuid>``
prefixes, cut at the first invalid entry like CUDA does; empty means none). NVML numbers GPUs in PCI bus order;
set ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` so that CUDA's indices mean the same GPUs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from mlee.monitoring.measurement import SourceEnergy
from mlee.monitoring.sources.base import EnergySource, SourceUnavailable, WindowContext

log = logging.getLogger(__name__)

POWER_INTERVAL_S = 0.1
#: Why the real NVML could not start in this process (tried once; None before that or when it started).
_NO_DRIVER: SourceUnavailable | None = None
#: NVML return codes of a GPU that no longer answers (NVML_ERROR_GPU_IS_LOST, NVML_ERROR_RESET_REQUIRED).
GPU_GONE = (15, 16)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def visible_indices(env: str | None, uuids: list[str]) -> list[int]:
    """NVML indices named by a ``CUDA_VISIBLE_DEVICES`` value (None: all ``len(uuids)`` GPUs)."""
    if env is None:
        return list(range(len(uuids)))
    out: list[int] = []
    for item in (x.strip() for x in env.split(",")):
        if not item:
            break
        if item.lstrip("-").isdigit():
            idx = int(item)
            if idx < 0 or idx >= len(uuids):
                break
            out.append(idx)
        elif item.upper().startswith(("GPU-", "MIG-")):
            if item.upper().startswith("MIG-"):
                log.warning("CUDA_VISIBLE_DEVICES names a MIG instance (%s); NVML energy is per physical GPU and "
                            "is not split between MIG instances: skipped", item)
                continue
            matches = [i for i, u in enumerate(uuids) if u.upper().startswith(item.upper())]
            if len(matches) != 1:
                break
            out.append(matches[0])
        else:
            break
    return list(dict.fromkeys(out))


def index_order_note(env: str | None, count: int, order: str | None) -> str:
    """A note when CUDA and NVML may mean different GPUs by the same index: several GPUs, GPUs chosen by index in
    ``CUDA_VISIBLE_DEVICES``, and ``CUDA_DEVICE_ORDER`` not ``PCI_BUS_ID`` (CUDA numbers fastest first, NVML in
    PCI bus order). ``""`` when the numbering cannot differ."""
    if env is None or count < 2 or (order or "").strip().upper() == "PCI_BUS_ID":
        return ""
    if not any(item.strip().lstrip("-").isdigit() for item in env.split(",")):
        return ""
    return (f"CUDA_VISIBLE_DEVICES={env!r} selects GPUs by index while CUDA_DEVICE_ORDER is "
            f"{order or 'unset'}: CUDA numbers GPUs fastest first, NVML (what is measured here) in PCI bus order, "
            f"so the GPUs measured may not be the ones the workload ran on; set CUDA_DEVICE_ORDER=PCI_BUS_ID or "
            f"select GPUs by UUID (GPU-...)")


@dataclass
class _Gpu:
    index: int
    handle: Any
    name: str
    uuid: str
    has_energy: bool


@dataclass
class _PowerTrace:
    """Power samples (perf_counter seconds, watts) of every power-mode GPU in one window, and the reads that
    failed (GPU index -> count, and the last error)."""

    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    failed: dict[int, int] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


def integrate_trapezoid(samples: list[tuple[float, float]]) -> float:
    """Energy (J) of (time s, power W) samples by the trapezoidal rule."""
    return float(sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in zip(samples, samples[1:])))


class NvmlSource(EnergySource):
    """Energy of the visible NVIDIA GPUs.

    Parameters
    ----------
    nvml : module-like object with the ``pynvml`` API (tests pass a fake); default imports ``pynvml``.
    power_interval_s : sampling interval for GPUs without an energy counter (s).
    """

    name = "nvml"
    covers = "gpu"
    estimated = False
    resolution_s = 0.1  # NVML's energy counter and power reading update about every 100 ms

    def __init__(self, nvml: Any = None, power_interval_s: float = POWER_INTERVAL_S) -> None:
        global _NO_DRIVER
        real = nvml is None
        if real and _NO_DRIVER is not None:  # tried once in this process: no driver appears while it runs
            raise SourceUnavailable(_NO_DRIVER.source, _NO_DRIVER.reason, _NO_DRIVER.fix)
        if nvml is None:
            try:
                import pynvml as nvml  # nvidia-ml-py
            except ImportError as exc:
                _NO_DRIVER = SourceUnavailable("nvml", f"nvidia-ml-py is not installed ({exc}).",
                                               "pip install 'mlee[nvml]'")
                raise SourceUnavailable(_NO_DRIVER.source, _NO_DRIVER.reason, _NO_DRIVER.fix) from None
        self.nvml = nvml
        self.notes: list[str] = []
        self.power_interval_s = float(power_interval_s)
        try:
            nvml.nvmlInit()
        except Exception as exc:
            unavailable = SourceUnavailable(
                "nvml", f"NVML cannot start ({type(exc).__name__}: {exc}): no NVIDIA GPU or driver on this "
                "machine.", "install the NVIDIA driver, or in a container run with --gpus all (NVIDIA Container "
                "Toolkit)")
            if real:
                _NO_DRIVER = unavailable
            raise unavailable from None
        try:
            self.library = f"nvidia-ml-py (driver {_text(nvml.nvmlSystemGetDriverVersion())})"
        except Exception:
            self.library = "nvidia-ml-py"
        try:
            count = int(nvml.nvmlDeviceGetCount())
        except self._read_error as exc:
            self.close()
            raise SourceUnavailable("nvml", f"NVML cannot count the GPUs ({type(exc).__name__}: {exc}).") from None
        handles: list[Any] = []
        uuids: list[str] = []
        lost: dict[int, str] = {}  # GPUs that do not answer (fallen off the bus): named in every window
        for i in range(count):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
                uuid = _text(nvml.nvmlDeviceGetUUID(handle))
            except self._read_error as exc:
                handle, uuid, lost[i] = None, f"GPU-unknown-{i}", f"{type(exc).__name__}: {exc}"
            handles.append(handle)
            uuids.append(uuid)
        env = os.environ.get("CUDA_VISIBLE_DEVICES")
        indices = visible_indices(env, uuids)
        self.gpus: list[_Gpu] = []
        self.lost: dict[int, str] = {}
        for i in indices:
            if i in lost:
                self.lost[i] = lost[i]
                continue
            try:
                name = _text(nvml.nvmlDeviceGetName(handles[i]))
                has_energy = self._has_energy_counter(i, handles[i])
            except self._read_error as exc:
                self.lost[i] = f"{type(exc).__name__}: {exc}"
                continue
            self.gpus.append(_Gpu(i, handles[i], name, uuids[i], has_energy))
        for i, why in self.lost.items():
            log.warning("GPU %d does not answer NVML (%s): its energy is not counted; the other GPUs and the CPU "
                        "are measured", i, why)
        if not self.gpus and not self.lost:
            self.close()
            why = (f"CUDA_VISIBLE_DEVICES={env!r} hides every GPU" if env is not None
                   else "NVML reports no GPU")
            raise SourceUnavailable("nvml", why + ".")
        note = index_order_note(env, count, os.environ.get("CUDA_DEVICE_ORDER"))
        if note:
            self.notes.append(note)
        self._bg_cpu = 0.0
        self._unreadable: set[int] = set()  # GPUs whose last counter read failed (logged once per outage)
        log.info("NVML GPUs: %s", ", ".join(f"{g.index} {g.name}" for g in self.gpus))

    def _has_energy_counter(self, index: int, handle: Any) -> bool:
        """Whether the GPU has a total-energy counter (Volta and newer). Raises the library's error when the GPU
        does not answer at all (lost, needs a reset)."""
        try:
            self.nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            return True
        except self._read_error as exc:
            if getattr(exc, "value", None) in GPU_GONE:
                raise
            log.info("GPU %d has no energy counter (%s): integrating power samples", index, exc)
            return False

    def _power_w(self, gpu: _Gpu) -> float:
        return float(self.nvml.nvmlDeviceGetPowerUsage(gpu.handle)) / 1e3

    @property
    def _read_error(self) -> type[BaseException]:
        """The library's error class (``pynvml.NVMLError``): a read that raises it is recorded, not raised."""
        return getattr(self.nvml, "NVMLError", Exception)

    def _sample(self, trace: _PowerTrace) -> None:
        now = time.perf_counter()
        for g in self.gpus:
            if not g.has_energy:
                try:
                    trace.samples.setdefault(g.index, []).append((now, self._power_w(g)))
                except self._read_error as exc:  # a GPU that stopped answering: the gap is flagged, not fatal
                    trace.failed[g.index] = trace.failed.get(g.index, 0) + 1
                    trace.errors[g.index] = f"{type(exc).__name__}: {exc}"

    def _read_counters(self) -> tuple[dict[int, int | None], dict[int, str]]:
        """Each energy-counter GPU's total energy (mJ; None where the read failed) and the failures' errors."""
        values: dict[int, int | None] = {}
        errors: dict[int, str] = {}
        for g in self.gpus:
            if g.has_energy:
                try:
                    values[g.index] = int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(g.handle))
                except self._read_error as exc:
                    values[g.index] = None
                    errors[g.index] = f"{type(exc).__name__}: {exc}"
                    if g.index not in self._unreadable:  # once per outage, not once per window
                        self._unreadable.add(g.index)
                        log.warning("GPU %d: NVML energy counter unreadable (%s); its energy is not counted in "
                                    "windows that need this read, which are marked incomplete", g.index,
                                    errors[g.index])
                else:
                    if g.index in self._unreadable:
                        self._unreadable.discard(g.index)
                        log.warning("GPU %d: NVML energy counter readable again", g.index)
        return values, errors

    def _sampler(self, trace: _PowerTrace) -> None:
        t0 = time.thread_time()
        while not trace.stop.wait(self.power_interval_s):
            self._sample(trace)
        self._bg_cpu += time.thread_time() - t0

    def begin(self) -> Any:
        energy, errors = self._read_counters()
        trace = None
        if any(not g.has_energy for g in self.gpus):
            trace = _PowerTrace()
            self._sample(trace)
            trace.thread = threading.Thread(target=self._sampler, args=(trace,), name="mlee-nvml-power",
                                            daemon=True)
            trace.thread.start()
        return energy, trace, errors

    def stop(self, state: Any) -> Any:
        trace = state[1]
        energy, errors = self._read_counters()
        if trace is not None:
            trace.stop.set()
            trace.thread.join()
            self._sample(trace)
        return energy, errors

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        start, trace, start_errors = begin_state
        end, end_errors = end_state
        out = []
        for g in self.gpus:
            device = f"GPU {g.index} ({g.name}, {g.uuid})"
            if g.has_energy:
                mj0, mj1 = start[g.index], end[g.index]
                problems = [f"{device}: NVML energy counter unreadable at window {edge} ({errors[g.index]}): this "
                            f"GPU's energy in the window is not counted (0 J)"
                            for edge, errors in (("start", start_errors), ("end", end_errors)) if g.index in errors]
                if not problems and mj1 < mj0:
                    problems.append(f"{device}: NVML energy counter went back from {mj0} to {mj1} mJ (a driver "
                                    f"reload or GPU reset restarts it): this GPU's energy in the window is not "
                                    f"counted (0 J)")
                    log.warning("%s", problems[-1])
                out.append(SourceEnergy(
                    name="nvml", method="nvml-energy", device=device, domain="gpu",
                    energy_j=(mj1 - mj0) / 1e3 if not problems else 0.0, estimated=False, library=self.library,
                    parameters={"index": g.index, "uuid": g.uuid, "total_energy_mj_start": mj0,
                                "total_energy_mj_end": mj1}, complete=not problems, problems=problems))
            else:
                samples = trace.samples.get(g.index, []) if trace is not None else []
                failed = trace.failed.get(g.index, 0) if trace is not None else 0
                problems = [f"{device}: {failed} of {failed + len(samples)} NVML power reads failed (last: "
                            f"{trace.errors[g.index]}): energy integrated over the {len(samples)} readable samples "
                            f"only"] if failed else []
                out.append(SourceEnergy(
                    name="nvml", method="nvml-power", device=device, domain="gpu",
                    energy_j=integrate_trapezoid(samples), estimated=False, library=self.library,
                    parameters={"index": g.index, "uuid": g.uuid, "integration": "trapezoid",
                                "power_interval_s": self.power_interval_s, "n_samples": len(samples),
                                "failed_reads": failed,
                                "mean_power_w": (sum(p for _, p in samples) / len(samples)) if samples else None},
                    complete=not problems, problems=problems))
        for index, why in self.lost.items():
            out.append(SourceEnergy(
                name="nvml", method="nvml-lost", device=f"GPU {index} (not answering)", domain="gpu", energy_j=0.0,
                estimated=False, library=self.library, parameters={"index": index, "error": why}, complete=False,
                problems=[f"GPU {index}: lost when the meter opened ({why}): its energy is not counted (0 J); the "
                          f"other GPUs and the CPU are measured"]))
        return out

    def background_cpu_seconds(self) -> float:
        return self._bg_cpu

    def close(self) -> None:
        nvml, self.nvml = getattr(self, "nvml", None), None
        if nvml is not None:
            try:
                nvml.nvmlShutdown()
            except Exception:
                pass
