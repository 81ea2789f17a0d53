"""The estimate charges static power for the CPUs the process may run on (affinity, cgroup quota), not for every
CPU of the host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlee.monitoring.cpu_info import cgroup_cpu_quota, usable_cpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs two CPUs to pin to one")
def test_a_process_pinned_to_one_cpu_is_charged_for_one() -> None:
    code = ("import json, os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
            "from mlee.monitoring import Meter\n"
            "with Meter(monitor='estimate') as meter, meter.window() as win: pass\n"
            "print(json.dumps(win.measurement.sources[0].parameters))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    params = json.loads(done.stdout.strip().splitlines()[-1])
    assert params["vcpus"] == 1 and params["vcpus_limit"] == "affinity"  # the old estimate: every host CPU
    assert params["host_logical_cpus"] == os.cpu_count()


def _cgroup(tmp_path: Path, lines: str, files: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    membership = tmp_path / "self-cgroup"
    membership.write_text(lines)
    return root, membership


def test_a_cgroup_v2_quota_limits_the_cpus(tmp_path: Path) -> None:
    # a 2-CPU job on a big host: the slice allows 4 CPUs, the job's own cgroup 2
    root, membership = _cgroup(tmp_path, "0::/slurm/job_7\n", {"cpu.max": "max 100000\n",
                                                              "slurm/cpu.max": "400000 100000\n",
                                                              "slurm/job_7/cpu.max": "200000 100000\n"})
    assert cgroup_cpu_quota(root, membership) == (2.0, "cgroup cpu.max")
    usable = usable_cpus(root, membership)
    assert usable.count == min(2.0, len(os.sched_getaffinity(0))) and usable.count <= 2.0


def test_a_cgroup_v1_quota_and_fractions(tmp_path: Path) -> None:
    root, membership = _cgroup(tmp_path, "4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n",
                               {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n",
                                "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n"})
    assert cgroup_cpu_quota(root, membership) == (0.5, "cgroup cfs quota")
    assert usable_cpus(root, membership).count == 0.5


def test_no_quota_leaves_the_affinity(tmp_path: Path) -> None:
    root, membership = _cgroup(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"})
    assert cgroup_cpu_quota(root, membership) is None
    assert usable_cpus(root, membership).count == len(os.sched_getaffinity(0))
    assert usable_cpus(root, tmp_path / "missing").limit == "affinity"


def test_the_estimate_charges_the_quota(tmp_path: Path) -> None:
    from mlee.monitoring import ProcessStats, WindowContext
    from mlee.monitoring.sources.estimate import EstimateSource

    source = EstimateSource(cpu_name="AMD EPYC 7B13", sockets=1, memory_gb=8.0, vcpus=0.5)
    ctx = WindowContext(0.0, 10.0, 10.0, ProcessStats(cpu_seconds=10.0, peak_rss_bytes=0, cpu_utilisation=1.0))
    cpu, _ = source.energy(None, None, ctx)
    assert cpu.energy_j == pytest.approx(0.5 * 0.456 * 10 + 5.0 * (1.957 - 0.456))  # busy capped at 0.5 x 10 s
