"""Experiment folders that appear complete or not at all.

A run folder is created as ``<output_dir>/.tmp-<kind>_<YYYY_MM_DD_HH_MM_SS>[_<n>]`` and renamed to
``<kind>_<...>`` when every file in it is written. Names are unique even when several runs (or processes) start
in the same second: the temporary folder is created exclusively and a name whose final folder exists is skipped.
A crash or Ctrl-C leaves at most a hidden ``.tmp-`` folder that readers ignore. While a folder is being
written it holds ``.mlee-writer.json`` (host, process id and start time of the writing process), removed just
before the rename: a ``.tmp-`` folder whose writer no longer runs is *abandoned* (:func:`is_abandoned`) and
``merge_results.py --clean`` removes it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Iterator

import psutil


log = logging.getLogger(__name__)

TMP_PREFIX = ".tmp-"
#: where ``--resume`` moves run folders that are broken or half a run (hidden: no reader takes them)
BROKEN_DIR = ".broken"
WRITER_FILE = ".mlee-writer.json"
#: a ``.tmp-`` folder without a writer file (written before it existed) counts as abandoned after this, s
UNOWNED_GRACE_S = 60.0
TIMESTAMP_FORMAT = "%Y_%m_%d_%H_%M_%S"


def timestamp_text(unix_seconds: float) -> str:
    """Local time ``YYYY_MM_DD_HH_MM_SS`` of a Unix timestamp (the folder-name format of the study)."""
    return time.strftime(TIMESTAMP_FORMAT, time.localtime(unix_seconds))


class RunFolder:
    """A reserved run folder: write into :attr:`tmp_path`, then :meth:`finish` renames it to :attr:`final_path`."""

    def __init__(self, output_dir: Path, name: str, timestamp: str, created: float) -> None:
        self.output_dir = output_dir
        self.name = name
        self.timestamp = timestamp
        self.created = created
        self.tmp_path = output_dir / f"{TMP_PREFIX}{name}"
        self.final_path = output_dir / name
        self.finished = False

    @property
    def path(self) -> Path:
        """Where files go now: the temporary folder until :meth:`finish`, the final one after."""
        return self.final_path if self.finished else self.tmp_path

    def finish(self) -> Path:
        """Rename the temporary folder to its final name (atomic on one file system) and return the final path."""
        (self.tmp_path / WRITER_FILE).unlink(missing_ok=True)
        os.rename(self.tmp_path, self.final_path)
        self.finished = True
        return self.final_path


def reserve_folder(output_dir: str | os.PathLike, kind: str, now: float | None = None,
                   stamp: str | None = None) -> RunFolder:
    """Create a unique temporary run folder ``.tmp-<kind>_<timestamp>[_<n>]`` under ``output_dir``.

    ``now`` is the Unix time used for the name (default ``time.time()``); ``stamp`` gives the name's timestamp
    text instead (a folder made elsewhere keeps the name it was given there, up to the ``_<n>`` suffix).
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    created = time.time() if now is None else now
    stamp = stamp or timestamp_text(created)
    base = f"{kind}_{stamp}"
    for n in range(100_000):
        name = base if n == 0 else f"{base}_{n}"
        if (out / name).exists():
            continue
        try:
            (out / f"{TMP_PREFIX}{name}").mkdir()
        except FileExistsError:
            continue
        if (out / name).exists():  # another process finished this name between our checks
            (out / f"{TMP_PREFIX}{name}").rmdir()
            continue
        _write_writer(out / f"{TMP_PREFIX}{name}")
        return RunFolder(out, name, stamp, created)
    raise RuntimeError(f"Could not find a free folder name for {base} in {out}.")


def _process_start(pid: int) -> float | None:
    """Start time (Unix s) of process ``pid``, None when no such process runs."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def _write_writer(folder: Path) -> None:
    """Record who writes ``folder`` (this process), so that others can tell when it was abandoned."""
    pid = os.getpid()
    (folder / WRITER_FILE).write_text(json.dumps({"host": socket.gethostname(), "pid": pid,
                                                  "started": _process_start(pid)}), encoding="utf-8")


def is_abandoned(folder: str | os.PathLike, now: float | None = None) -> bool:
    """True when the ``.tmp-`` run folder ``folder`` will never be finished: the process that wrote it (on this
    host) no longer runs, or it has no writer record and is older than :data:`UNOWNED_GRACE_S`. Folders being
    written by a live process, or by another host, are not abandoned."""
    path = Path(folder)
    try:
        writer = json.loads((path / WRITER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        try:
            age = (time.time() if now is None else now) - path.stat().st_mtime
        except OSError:
            return False
        return age > UNOWNED_GRACE_S
    if not isinstance(writer, dict) or writer.get("host") != socket.gethostname():
        return False
    try:
        started = _process_start(int(writer.get("pid")))
    except (TypeError, ValueError):
        return True
    recorded = writer.get("started")
    return started is None or (isinstance(recorded, (int, float)) and abs(started - recorded) > 1.0)


@contextlib.contextmanager
def captured_log(level: int = logging.INFO) -> Iterator[io.StringIO]:
    """Collect the log records (and Python warnings) emitted while the block runs; yields the text buffer
    (a run's ``logfile.txt``)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    root.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield buffer
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(old_level)


@dataclass(frozen=True)
class CompleteRun:
    """A run whose two folders are complete: (dataset, method, repeat), its identity (None for runs recorded
    before runs had one) and the two folders."""

    dataset: str
    method: str
    repeat: int
    identity: str | None
    train: Path
    infer: Path


def find_complete_runs(output_dir: str | os.PathLike, set_aside: bool = False) -> list[CompleteRun]:
    """The runs in ``output_dir`` that finished without error: an ``infer_*`` folder and the training folder it
    names (``train_logdir``), every file of both parsing and matching the format
    (:func:`mlee.runs.run_folder.read_folder`), both with the same ``run_id``
    (:func:`~mlee.runs.run_folder.halves_match`). Hidden folders are ignored.

    Parameters
    ----------
    output_dir : path
        A folder of run folders.
    set_aside : bool
        Move every visible run folder that is neither part of a complete run nor a failed run (``error.json``)
        (truncated or missing files, half a run) into ``<output_dir>/.broken/``, logging each.

    Returns
    -------
    list of CompleteRun
        In the order of the inference folders' names.
    """
    # the folder reader brings the results package (pandas): not for a command that only parses its flags
    from mlee.runs.run_folder import FolderError, folder_kind, halves_match, read_folder

    out = Path(output_dir)
    if not out.is_dir():
        return []
    folders = {p.name: p for p in out.iterdir() if p.is_dir() and folder_kind(p.name)}
    runs: list[CompleteRun] = []
    used: set[str] = set()
    for name in sorted(n for n in folders if n.startswith("infer_")):
        try:
            infer = read_folder(folders[name])
            train_name = str(infer.train_name)
            train = read_folder(folders[train_name]) if train_name in folders else None
        except FolderError:
            continue
        if train is None or not halves_match(train, infer):
            continue
        config = infer.config
        runs.append(CompleteRun(str(config["dataset"]), str(config["model"]), int(config.get("repeat", 0)),
                                config.get("identity"), train.path, infer.path))
        used.update((name, train_name))
    if set_aside:
        for name, path in folders.items():
            if name not in used and not (path / "error.json").is_file():
                _set_aside(out, path)
    return runs


def _set_aside(output_dir: Path, path: Path) -> None:
    """Move ``path`` into ``<output_dir>/.broken/`` (a ``_<n>`` suffix where the name is taken there)."""
    target_dir = output_dir / BROKEN_DIR
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    n = 0
    while target.exists():
        n += 1
        target = target_dir / f"{path.name}_{n}"
    path.rename(target)
    log.warning("%s is broken or half a run; moved to %s (it will be run again)", path, target)


def complete_runs(output_dir: str | os.PathLike, set_aside: bool = False) -> dict[Any, set[str | None]]:
    """:func:`find_complete_runs` as ``RunKey(dataset, method, repeat)`` -> the identities it was run with.

    Parameters
    ----------
    output_dir : path
        A folder of run folders.
    set_aside : bool
        See :func:`find_complete_runs`.

    Returns
    -------
    dict
    """
    from mlee.runs.spec import RunKey

    done: dict[Any, set[str | None]] = {}
    for run in find_complete_runs(output_dir, set_aside):
        done.setdefault(RunKey(run.dataset, run.method, run.repeat), set()).add(run.identity)
    return done
