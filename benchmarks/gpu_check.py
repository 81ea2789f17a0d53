"""Does the NVIDIA GPU path measure what it says? Run on a machine with an NVIDIA GPU and PyTorch (CUDA build).

Checks, each printed with its figures:

1. NVML: the GPUs this process sees, and whether each has a total-energy counter (Volta and newer).
2. Counter against power: a GPU workload of about ``--seconds`` s (bf16 matrix products) in one
   ``Meter(monitor="nvml")`` window; the window's energy (NVML's energy counter) next to the integral of
   ``nvmlDeviceGetPowerUsage`` sampled every 20 ms by this script on its own thread. Target: within 10 %.
3. Idle: an empty window of 2 s, its mean power (the GPU's idle draw).
4. Short windows: a ~2 ms GPU call through ``Meter.measure_repeated``: how many calls the window needed to
   reach 10 x NVML's 100 ms resolution, and the energy per call.
5. Meter cost with NVML: CPU per empty window (warm loop), outside measurement vs self-reported.
6. End to end: ``evaluate_sklearn.py --backend torch --device cuda`` (digits, MLP and LR, one repeat) with
   ``--monitor auto``, merged; prints each run's GPU energy, its share of the total, and the description.

    python benchmarks/gpu_check.py [--seconds 5] [--workdir /tmp/mlee-gpu-check]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlee.monitoring import Meter  # noqa: E402
from mlee.monitoring.sources.nvml import NvmlSource, integrate_trapezoid  # noqa: E402


def _power_sampler(nvml, handle, stop: threading.Event, out: list[tuple[float, float]]) -> None:
    while not stop.is_set():
        out.append((time.perf_counter(), nvml.nvmlDeviceGetPowerUsage(handle) / 1e3))
        time.sleep(0.02)


def counter_vs_power(seconds: float) -> bool:
    import torch

    source = NvmlSource()
    nvml = source.nvml
    gpu = source.gpus[0]
    print(f"1. NVML {source.library}: GPUs {', '.join(f'{g.index} {g.name} (energy counter: {g.has_energy})' for g in source.gpus)}")
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    per = (time.perf_counter() - t0) / 10
    n = max(1, int(seconds / per))
    meter = Meter(monitor="nvml", sources=[source])
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_power_sampler, args=(nvml, gpu.handle, stop, samples), daemon=True)
    sampler.start()
    time.sleep(0.3)
    with meter.window() as win:
        for _ in range(n):
            a @ b
        torch.cuda.synchronize()
    time.sleep(0.3)
    stop.set()
    sampler.join()
    m = win.measurement
    inside = [(t, p) for t, p in samples if m_start(m) - 0.05 <= t <= m_start(m) + m.duration_s + 0.05]
    integral = integrate_trapezoid(inside)
    ratio = m.energy_j / integral if integral > 0 else float("nan")
    ok = abs(ratio - 1) <= 0.10
    print(f"2. {n} bf16 8192^3 products in {m.duration_s:.2f} s: NVML energy counter {m.energy_j:.1f} J "
          f"({m.mean_power_w:.0f} W mean); power samples integrated {integral:.1f} J ({len(inside)} samples); "
          f"ratio {ratio:.3f} (target within 10 %: {'ok' if ok else 'MISSED'}); {m.description}; "
          f"complete={m.complete} {m.quality}")
    with meter.window() as idle:
        time.sleep(2.0)
    print(f"3. idle 2 s: {idle.measurement.energy_j:.1f} J, {idle.measurement.mean_power_w:.1f} W")
    x = torch.randn(2048, 2048, device="cuda")

    def short() -> None:
        x @ x
        torch.cuda.synchronize()

    short()
    _, per_call = meter.measure_repeated(short)
    print(f"4. short GPU call: {per_call.repetitions} calls filled the window "
          f"({per_call.window_duration_s:.3f} s, {per_call.window_energy_j:.2f} J): {per_call.energy_j * 1e3:.3f} mJ "
          f"and {per_call.duration_s * 1e6:.1f} us per call; complete={per_call.complete}")
    for _ in range(50):
        with meter.window():
            pass
    outside, reported = [], []
    for _ in range(500):
        c0 = time.process_time()
        with meter.window() as w:
            pass
        outside.append(time.process_time() - c0)
        reported.append(w.measurement.meter_cpu_seconds)
    print(f"5. NVML window cost (warm): outside {statistics.median(outside) * 1e6:.1f} us, self-reported "
          f"{statistics.median(reported) * 1e6:.1f} us per window")
    meter.close()
    return ok


def m_start(measurement) -> float:
    """perf_counter time of the window's start (the measurement holds Unix time)."""
    return time.perf_counter() - (time.time() - measurement.start)


def end_to_end(workdir: Path) -> bool:
    logs, results = workdir / "logs", workdir / "results"
    cmd = [sys.executable, str(ROOT / "evaluate_sklearn.py"), "--backend", "torch", "--device", "cuda",
           "--dataset", "digits", "--model", "MLP", "LR", "--repeats", "1", "--output-dir", str(logs),
           "--no-progress"]
    print("6.", " ".join(cmd[1:]))
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    print(f"   exit {done.returncode} in {time.perf_counter() - t0:.1f} s")
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        return False
    merge = subprocess.run([sys.executable, str(ROOT / "merge_results.py"), "--directory", str(logs),
                            "--output-agglog-dir", str(results)], cwd=ROOT, capture_output=True, text=True)
    print(f"   merge exit {merge.returncode}", merge.stderr[-1500:] if merge.returncode else "")
    ok = merge.returncode == 0
    for path in sorted(results.rglob("*.json")):
        data = json.loads(path.read_text())
        for task, block in (("training", data.get("training", {})), ("inference", data.get("validation", {}))):
            energy = (block.get("measurement") or {}).get("sources")
            if not energy:
                continue
            gpu = sum(s["energy_j"] for s in energy if s.get("domain") == "gpu")
            total = sum(s["energy_j"] for s in energy)
            print(f"   {path.name} {data.get('config', {}).get('model')} {task}: GPU {gpu:.2f} J of {total:.2f} J; "
                  f"{block['measurement'].get('description')}")
            ok = ok and gpu > 0
    return ok



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the counter-vs-power workload (s)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mlee-gpu-check"))
    args = parser.parse_args(argv)
    ok = counter_vs_power(args.seconds)
    ok = end_to_end(args.workdir) and ok
    print("all checks ok" if ok else "some checks MISSED or failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
