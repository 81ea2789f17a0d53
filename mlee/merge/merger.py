"""Merge experiment folders into one compact JSON per experiment (``merge_results.py``).

- Incremental: a state file (``<output>/.mlee-merge-state.json``) records a signature (names, sizes and
  modification times of the folder's files; for inference also its training folder's) per merged folder.
  Unchanged folders whose merged file exists are skipped.
- Safe: a folder that is incomplete, failed (``error.json``), corrupt or still being written (hidden
  ``.tmp-`` name) is reported by name with the reason and skipped; its earlier merged file, if any, is kept
  untouched. Every file is written atomically (temporary file + rename), the state file last.
- ``clean``: ignore the state and merge every folder again; merged files (and archives) that an earlier
  merge of the same source folder wrote for folders that no longer exist are removed. Files of folders that
  fail now are kept, and so is everything merged from another source folder or not attributable to one (an
  entry of the state file without ``source``, or a file the state file does not list).
  Abandoned run folders (hidden ``.tmp-`` folders whose writing process is gone, e.g. after Ctrl-C) are
  removed too; without ``clean`` they are only reported.
- One merge at a time per output folder (a lock file, ``.mlee-merge.lock``): holding it, a merge removes the
  hidden temporary files (``.<name>.*.tmp``) that a killed merge left in its output folders.
- The results table (``<output>/.mlee-table.parquet``, :mod:`mlee.results.table`) is brought up to date with
  every merged file of the output folder at the end of the merge, still holding the lock: only new and changed
  files are parsed. What loads read; an interrupted merge leaves the earlier table, which loads then see to be
  stale for the files that changed.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import tarfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mlee.atomic import AtomicBatch, write_bytes_atomic
from mlee.runs.folders import TMP_PREFIX, is_abandoned
from mlee.locks import folder_lock
from mlee.merge.folder import ExperimentFolder, FolderError, folder_kind, read_folder, scan_folder
from mlee.merge.records import infer_record, train_record
from mlee.results import jsonio
from mlee.results.loader import refresh_table

log = logging.getLogger(__name__)

STATE_FILE = ".mlee-merge-state.json"
#: hidden temporary files of atomic writes (``.<target name>.<random>.tmp``, see mlee.atomic)
_ATOMIC_TMP = re.compile(r"^\..+\.tmp$")
STATE_VERSION = 1
ARCHIVE_THREADS = 4  # concurrent .tar.gz archives (gzip releases the GIL); JSON is written inline, faster on 2 cores


@dataclass
class MergeReport:
    """What a merge did. ``failed`` holds (folder name, reason) pairs."""

    merged: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    removed_temporary: list[str] = field(default_factory=list)
    #: folders whose merged file or archive could not be written (full disk, permissions)
    unwritten: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: counts of merged, unchanged, failed, in-progress and abandoned folders, removed files."""
        text = (f"{len(self.merged)} merged, {len(self.unchanged)} unchanged, {len(self.failed)} skipped with "
                f"errors, {len(self.in_progress)} still being written, {len(self.archived)} archived, "
                f"{len(self.removed)} stale files removed")
        if self.abandoned:
            text += f", {len(self.abandoned)} abandoned run folder(s)"
        if self.removed_temporary:
            text += f", {len(self.removed_temporary)} leftover temporary file(s) of killed merges removed"
        return text


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = jsonio.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("merge state %s unreadable (%s); every folder is merged again", path, exc)
        return {}
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return {}
    folders = state.get("folders")
    return folders if isinstance(folders, dict) else {}


def _archive_bytes(folder: Path) -> bytes:
    """``.tar.gz`` of a whole experiment folder (members under ``<folder name>/``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return buffer.getvalue()


def scan_folders(directory: Path) -> tuple[list[Path], list[Path], list[str]]:
    """(train folders, infer folders, names of hidden ``.tmp-`` run folders) directly under ``directory``."""
    trains, infers, hidden = [], [], []
    with os.scandir(directory) as it:
        for entry in it:
            if not entry.is_dir():
                continue
            if entry.name.startswith("."):
                if entry.name.startswith(TMP_PREFIX) and folder_kind(entry.name[len(TMP_PREFIX):]):
                    hidden.append(entry.name)
                continue
            kind = folder_kind(entry.name)
            if kind == "train":
                trains.append(Path(entry.path))
            elif kind == "infer":
                infers.append(Path(entry.path))
    return sorted(trains), sorted(infers), sorted(hidden)


def merge_directory(directory: str | os.PathLike = "logs/sklearn",
                    output_agglog_dir: str | os.PathLike = "results/sklearn",
                    output_log_dir: str | os.PathLike | None = None, clean: bool = False,
                    progress: bool | None = None) -> MergeReport:
    """Merge every experiment folder in ``directory`` into ``output_agglog_dir`` (see the module docstring).

    Parameters
    ----------
    directory : str or PathLike
        The experiment folders (``evaluate_sklearn.py``'s ``--output-dir``).
    output_agglog_dir : str or PathLike
        Where the merged result files (one JSON per run) and the results table are written.
    output_log_dir : str or PathLike, optional
        Also write ``<name>.tar.gz`` of each merged folder there.
    clean : bool
        Ignore the saved merge state and merge every folder again (see the module docstring).
    progress : bool or None
        Show a progress bar (None: only on a terminal).

    Returns
    -------
    MergeReport
        What was merged, unchanged, failed, still being written, archived and removed.

    Raises
    ------
    FileNotFoundError
        When ``directory`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from mlee import Meter, RunSettings, merge_directory, run_sweep
    >>> work = Path(tempfile.mkdtemp())
    >>> settings = RunSettings(output_dir=work / "logs", hyperparameters="default", robustness=False)
    >>> _ = run_sweep([("iris", "k-Nearest Neighbors")], settings, Meter("estimate"), progress=False)
    >>> report = merge_directory(work / "logs", work / "results", progress=False)
    >>> len(report.merged), len(report.failed)
    (2, 0)
    """
    source = Path(directory)
    if not source.is_dir():
        raise FileNotFoundError(f"experiment folder {str(source)!r} does not exist; pass --directory with the "
                                f"output folder of evaluate_sklearn.py (default logs/sklearn)")
    out = Path(output_agglog_dir)
    out.mkdir(parents=True, exist_ok=True)
    archive_dir = Path(output_log_dir) if output_log_dir else None
    if archive_dir is not None:
        archive_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(out), folder_lock(archive_dir):
        return _merge(source, out, archive_dir, clean, progress)


def _remove_leftover_temporaries(folders: list[Path | None], report: MergeReport) -> None:
    """Remove the hidden temporary files of atomic writes in ``folders`` (called holding their merge locks,
    so no live merge owns them: they were left by a merge that was killed)."""
    for folder in folders:
        if folder is None:
            continue
        with os.scandir(folder) as it:
            for entry in it:
                if _ATOMIC_TMP.match(entry.name) and entry.is_file(follow_symlinks=False):
                    Path(entry.path).unlink(missing_ok=True)
                    report.removed_temporary.append(entry.path)


def _merge(source: Path, out: Path, archive_dir: Path | None, clean: bool, progress: bool | None) -> MergeReport:
    """The merge itself, holding the output folders' locks (see :func:`merge_directory`)."""
    state_path = out / STATE_FILE
    old_state = _load_state(state_path)
    state: dict[str, Any] = {} if clean else dict(old_state)
    report = MergeReport()
    _remove_leftover_temporaries([out, archive_dir], report)
    trains, infers, hidden = scan_folders(source)
    for name in hidden:
        (report.abandoned if is_abandoned(source / name) else report.in_progress).append(name)
    if clean:
        for name in report.abandoned:
            shutil.rmtree(source / name, ignore_errors=True)
            report.removed.append(str(source / name))
    source_key = str(source.resolve())
    scans: dict[str, tuple[str, frozenset[str]]] = {}
    train_cache: dict[str, dict[str, Any] | None] = {}

    def scan(path: Path) -> tuple[str, frozenset[str]]:
        if path.name not in scans:
            scans[path.name] = scan_folder(path)
        return scans[path.name]

    def signature(path: Path) -> str:
        return scan(path)[0]

    def up_to_date(name: str, sig: str) -> bool:
        entry = old_state.get(name)
        if clean or not isinstance(entry, dict) or entry.get("signature") != sig or entry.get("source") != source_key:
            return False
        if not (out / f"{name}.json").is_file():
            return False
        return archive_dir is None or (archive_dir / f"{name}.tar.gz").is_file()

    pending: list[tuple[str, dict[str, Any], Future | None]] = []
    batch = AtomicBatch()  # merged files and archives land together, after one flush to disk

    def write_archive(folder: ExperimentFolder) -> None:
        batch.write(archive_dir / f"{folder.name}.tar.gz", _archive_bytes(folder.path))

    def write(folder: ExperimentFolder, record: dict[str, Any], sig: str, extra: dict[str, Any] | None = None) -> None:
        """Write the merged file now and its archive in a worker thread; both are renamed at the commit."""
        entry = {"signature": sig, "source": source_key, "output": f"{folder.name}.json", **(extra or {})}
        try:
            batch.write(out / f"{folder.name}.json", jsonio.dumps(record, indent=False))
        except OSError as exc:
            fail(folder.name, write_error(folder.name, exc))
            report.unwritten.append(folder.name)
            return
        job = None
        if archive_dir is not None:
            entry["archive"] = str((archive_dir / f"{folder.name}.tar.gz").resolve())
            job = pool.submit(write_archive, folder)
        pending.append((folder.name, entry, job))

    def write_error(name: str, error: BaseException) -> str:
        return (f"{name}: could not write its merged file ({error}); check free space and permissions of the "
                f"output folders and run the merge again")

    def fail(name: str, reason: str) -> None:
        report.failed.append((name, reason))
        log.warning("skipped %s", reason)

    def training_record(name: str) -> dict[str, Any] | None:
        if name not in train_cache:
            path = source / name
            try:
                train_cache[name] = train_record(read_folder(path, scan(path)[1])) if path.is_dir() else None
            except FolderError:
                train_cache[name] = None
        return train_cache[name]

    def read_train(path: Path) -> tuple[Path, str, ExperimentFolder | FolderError | None]:
        """(path, signature, folder or its error; None when up to date)."""
        sig, files = scan(path)
        if up_to_date(path.name, sig):
            return path, sig, None
        try:
            return path, sig, read_folder(path, files)
        except FolderError as exc:
            return path, sig, exc

    def read_infer(path: Path) -> tuple[Path, ExperimentFolder | FolderError | None]:
        """(path, folder or its error; None when it and its training folder are unchanged)."""
        previous = old_state.get(path.name)
        known_train = previous.get("train") if isinstance(previous, dict) else None
        sig, files = scan(path)
        if known_train and (source / str(known_train)).is_dir():
            if up_to_date(path.name, f"{sig}+{signature(source / str(known_train))}"):
                return path, None
        try:
            return path, read_folder(path, files)
        except FolderError as exc:
            return path, exc

    bar = tqdm(total=len(trains) + len(infers), desc="merging", unit="folder",
               disable=(None if progress is None else not progress))
    pool = ThreadPoolExecutor(max_workers=ARCHIVE_THREADS)
    try:
        for path, sig, folder in map(read_train, trains):
            bar.update()
            if folder is None:
                report.unchanged.append(path.name)
                continue
            if isinstance(folder, FolderError):
                train_cache[path.name] = None
                fail(path.name, str(folder))
                continue
            record = train_record(folder)
            train_cache[path.name] = record
            write(folder, record, sig)
        for path, folder in map(read_infer, infers):
            bar.update()
            if folder is None:
                report.unchanged.append(path.name)
                continue
            if isinstance(folder, FolderError):
                fail(path.name, str(folder))
                continue
            train_name = str(folder.train_name)
            train_path = source / train_name
            if not train_path.is_dir():
                fail(path.name, f"{path.name}: its training folder {train_name} is not in {source}; merge "
                                f"both folders from the same --directory")
                continue
            sig = f"{signature(path)}+{signature(train_path)}"
            training = training_record(train_name)
            if training is None:
                fail(path.name, f"{path.name}: its training folder {train_name} could not be merged (see its "
                                f"message); the inference run is skipped too")
                continue
            write(folder, infer_record(folder, training), sig, {"train": train_name})
    finally:
        bar.close()
        pool.shutdown(wait=True)
        for name, entry, job in pending:
            error = job.exception() if job is not None else None
            if error is not None:
                fail(name, write_error(name, error))
                report.unwritten.append(name)
                continue
            state[name] = entry
            report.merged.append(name)
            if archive_dir is not None:
                report.archived.append(name)
        batch.commit()
        if clean:
            _remove_stale(old_state, state, out, archive_dir, source, source_key, report)
        write_bytes_atomic(state_path, jsonio.dumps({"version": STATE_VERSION, "folders": state}))
    refresh_table(out, [out / f"{name}.json" for name in report.merged]
                  + [path for path in report.removed if path.endswith(".json")])
    log.info("merge of %s: %s", source, report.summary())
    return report


def _remove_stale(old_state: dict[str, Any], state: dict[str, Any], out: Path, archive_dir: Path | None,
                  source: Path, source_key: str, report: MergeReport) -> None:
    """With ``clean``: drop outputs of earlier merges of ``source`` whose folder no longer exists; keep failing
    ones, and keep (in the state too) every entry merged from another folder or lacking its source folder."""
    unattributed = []
    for name, entry in old_state.items():
        if name in state:
            continue
        origin = entry.get("source") if isinstance(entry, dict) else None
        if origin != source_key:
            state[name] = entry  # merged from another folder (or by a merge that did not record it): not ours
            if origin is None:
                unattributed.append(name)
            continue
        if (source / name).is_dir():
            state[name] = entry  # the folder still exists but failed now: keep its earlier merged file
            continue
        for path in (out / f"{name}.json",
                     Path(entry["archive"]) if entry.get("archive") else None):
            if path is not None and path.is_file():
                path.unlink()
                report.removed.append(str(path))
    if unattributed:
        log.warning("kept %d merged file(s) whose source folder the merge state does not record (e.g. %s): "
                    "--clean removes only what it can attribute to %s", len(unattributed), unattributed[0], source)
