"""``mlee measure -- COMMAND``: any program measured with its whole process tree, its record written whole, its
exit status kept, Ctrl-C stopping the tree and marking the measurement partial; and the ``measured`` decorator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlee.measure import measured, run_program
from mlee.measure.record import write_program_record
from mlee.monitoring.measurement import Measurement
from mlee.monitoring.meter import Meter

ROOT = Path(__file__).resolve().parents[1]

#: burn CPU seconds (process time, so the figure does not depend on how busy the machine is)
BURN = "import time\ndef burn(s):\n    t = time.process_time()\n    while time.process_time() - t < s: pass\n"


def measure(tmp_path: Path, script: str, burn: bool = False) -> subprocess.CompletedProcess:
    code = (BURN if burn else "") + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-m", "mlee", "measure", "--monitor", "estimate", "--output",
                           str(tmp_path / "m"), "--", sys.executable, "-c", code],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def only_record(tmp_path: Path) -> tuple[Measurement, dict]:
    folders = [p for p in (tmp_path / "m").iterdir()]
    assert len(folders) == 1 and not folders[0].name.startswith("."), folders
    measurement = Measurement.from_dict(json.loads((folders[0] / "measurement.json").read_text()))
    return measurement, json.loads((folders[0] / "program.json").read_text())


def test_the_cpu_of_forked_and_orphaned_descendants_is_counted(tmp_path):
    # the child forks a grandchild and exits at once: the grandchild, orphaned, burns 0.6 s after its parent
    # ended; the command itself burns 0.3 s
    script = """
    import os
    if os.fork() == 0:
        if os.fork() == 0:
            burn(0.6)
        os._exit(0)
    os.wait()
    burn(0.3)
    """
    done = measure(tmp_path, script, burn=True)
    assert done.returncode == 0, done.stderr
    measurement, program = only_record(tmp_path)
    assert measurement.process.cpu_seconds >= 0.85, measurement.process
    assert measurement.complete and measurement.energy_j > 0 and measurement.estimated
    assert program["command"][0] == sys.executable and program["returncode"] == 0
    assert program["processes"] >= 2 and not program["interrupted"]
    assert "exit status   0" in done.stderr and "estimated" in done.stderr


def test_the_program_exit_status_is_kept_and_its_output_passes_through(tmp_path):
    done = measure(tmp_path, "print('hello from the program'); raise SystemExit(3)")
    assert done.returncode == 3
    assert done.stdout == "hello from the program\n"
    _, program = only_record(tmp_path)
    assert program["returncode"] == 3


def test_peak_memory_is_the_largest_process_of_the_tree(tmp_path):
    done = measure(tmp_path, "block = bytearray(300_000_000); block[::4096] = b'x' * len(block[::4096])")
    assert done.returncode == 0, done.stderr
    measurement, _ = only_record(tmp_path)
    assert measurement.process.peak_rss_bytes >= 300_000_000
    assert measurement.process.peak_rss_scope == "largest process of the tree"


def test_ctrl_c_stops_the_whole_tree_and_marks_the_measurement_partial(tmp_path):
    pids = tmp_path / "pids"
    # a grandchild in a session of its own (a daemon): the signal to the command's group does not reach it
    script = f"""
    import os, time
    if os.fork() == 0:
        os.setsid()
        open({str(pids)!r} + '.tmp', 'w').write(str(os.getpid()))
        os.rename({str(pids)!r} + '.tmp', {str(pids)!r})
        time.sleep(120)
        os._exit(0)
    time.sleep(120)
    """
    proc = subprocess.Popen([sys.executable, "-m", "mlee", "measure", "--monitor", "estimate", "--output",
                             str(tmp_path / "m"), "--", sys.executable, "-c", textwrap.dedent(script)],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not pids.exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the program did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    daemon = int(pids.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(daemon, 0)
    measurement, program = only_record(tmp_path)
    assert program["interrupted"] and not measurement.complete
    assert any("interrupted" in reason for reason in measurement.quality)
    assert "interrupted" in stderr and "clean         no" in stderr


def test_a_program_that_cannot_start_exits_127_and_writes_nothing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mlee", "measure", "--monitor", "estimate", "--output",
                           str(tmp_path / "m"), "--", "no-such-program-here"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 127
    assert "cannot start 'no-such-program-here'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "m").exists() or not list((tmp_path / "m").iterdir())


def test_no_command_and_unknown_subcommands_are_refused_with_the_usage():
    no_command = subprocess.run([sys.executable, "-m", "mlee", "measure", "--"], cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
    assert no_command.returncode == 2 and "give the program to measure" in no_command.stderr
    unknown = subprocess.run([sys.executable, "-m", "mlee", "mesure"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert unknown.returncode == 2 and "unknown command 'mesure'" in unknown.stderr and "measure" in unknown.stderr


def test_records_of_runs_started_in_the_same_second_never_share_a_folder(tmp_path):
    meter = Meter(monitor="estimate")
    run = run_program([sys.executable, "-c", "pass"], meter)
    first, second = write_program_record(run, tmp_path), write_program_record(run, tmp_path)
    assert first != second and second.name == first.name + "-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])  # no staging left
    assert {p.name for p in second.iterdir()} == {"measurement.json", "program.json"}
    assert oct((second / "program.json").stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_decorator_measures_every_call_and_keeps_the_exception():
    seen: list[Measurement] = []

    @measured(meter=Meter(monitor="estimate"), record=seen.append)
    def work(seconds: float) -> str:
        exec(BURN + "burn(seconds)", {"seconds": seconds})
        if seconds > 0.1:
            raise RuntimeError("too long")
        return "done"

    assert work(0.05) == "done"
    assert work.last_measurement.process.cpu_seconds >= 0.05
    with pytest.raises(RuntimeError, match="too long"):
        work(0.15)
    assert len(seen) == 2 and seen[1] is work.last_measurement
    assert seen[1].process.cpu_seconds >= 0.15
