"""Where a measured program's record goes: one folder per run holding ``measurement.json`` (the same format as an
experiment's, :meth:`~mlee.monitoring.measurement.Measurement.to_dict`) and ``program.json`` (the command, its
exit status, whether it was interrupted, how its process tree was followed).

The folder appears complete or not at all: both files are written into a hidden folder beside it, which is then
renamed.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from pathlib import Path

from mlee.atomic import write_json_atomic
from mlee.measure.program import ProgramRun

#: the user's folder for measured programs (relative to the current folder, ignored by git)
USER_MEASUREMENTS = Path("measurements")


def record_name(run: ProgramRun, when: float | None = None) -> str:
    """``<UTC date-time>_<program name>`` for the run's folder (the name keeps letters, digits, ``-._``)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(run.measurement.start if when is None else when))
    program = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(run.command[0])).strip("._") or "program"
    return f"{stamp}_{program}"


def write_program_record(run: ProgramRun, parent: str | os.PathLike = USER_MEASUREMENTS) -> Path:
    """Write the run's folder under ``parent`` and return it.

    Parameters
    ----------
    run : the measured run.
    parent : the folder that holds one folder per measured run (created when missing).

    Returns
    -------
    Path
        The new folder (``<parent>/<record_name>``, with ``-2``, ``-3``... when that name is taken).
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    name = record_name(run)
    staging = parent / f".{name}.{secrets.token_hex(4)}.tmp"
    staging.mkdir(mode=0o777)
    try:
        write_json_atomic(staging / "measurement.json", run.measurement.to_dict())
        write_json_atomic(staging / "program.json", run.to_dict())
        for attempt in range(1, 1000):
            target = parent / (name if attempt == 1 else f"{name}-{attempt}")
            try:
                os.rename(staging, target)  # fails on an existing non-empty folder: never merges two runs
            except OSError:
                if target.exists():
                    continue
                raise
            return target
        raise FileExistsError(f"no free folder name for {name} under {parent}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
