"""Load a folder of merged results into one table: one row per (dataset, task, environment, model, run).

Reads this project's merged files (Contract 3, with ``measurement``) and the study's published files alike.
Every ``*.json`` below the folder is read (:mod:`mlee.results.discovery`: hidden files and folders are
skipped, folder links that loop or lead out of the folder are not followed). Files that are not results, truncated or otherwise unreadable are
skipped with a warning naming the file and the reason; they never stop the load.

Speed: what a load extracts from each file is kept in the folder's results table (:mod:`mlee.results.table`,
written by ``merge_results.py``, else kept in the user's cache directory), so a later load parses only the files
that changed since; the finished table is kept in the cache too (:mod:`mlee.results.frames`) and used while no
file changed. Files that must be parsed (a folder's first load, changed files) are read ahead of their parsing
(:mod:`mlee.results.read_ahead`), from 4,000 files on by two processes; a file is parsed once from bytes
(``orjson`` when available), only the needed fields are taken (the training copy inside an inference file is not
expanded), the garbage collector is paused while rows are built, and columns are built as lists that become one
DataFrame at the end.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
from dataclasses import dataclass, field
from operator import methodcaller
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from mlee.errors import MleeError
from mlee.metrics import METRICS
from mlee.results import jsonio
from mlee.results.bulk import collector_paused
from mlee.results.discovery import result_files
from mlee.results.energy import phase_energy
from mlee.results.provenance import COLUMNS as PROVENANCE_COLUMNS, phase_provenance
from mlee.results.environment import environment_key, hardware_name
from mlee.results.frames import frame_digest, frame_path, read_frame, write_frame
from mlee.results.pooling import name_rows, run_configuration
from mlee.results.read_ahead import read_ahead, read_file
from mlee.results.record import expand_training, training_config_entry
from mlee.results.table import (TABLE_FILE, ResultsTable, code_fingerprint, identities, outcomes_through_table,
                                settled_identities, table_library)
from mlee.results.validation import REMERGE_HINT, RecordError, check_record, screen_run

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: result key in ``validation.results.metrics`` -> metric key
QUALITY_FIELDS: dict[str, str] = {
    "accuracy": "top1_val",
    "top_5_accuracy": "top5_val",
    "f1": "f1_val",
    "precision": "precision_val",
    "recall": "recall_val",
    "r2": "r2_val",
    "rmse": "rmse_val",
    "mae": "mae_val",
}
#: key in ``results.model`` -> metric key
MODEL_FIELDS: dict[str, str] = {"params": "parameters", "flops": "flops", "fsize": "fsize"}

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
#: metrics read from ``validation.results.robustness.metrics`` (keyed by metric key): the optional ones,
#: absent in results written before mlee measured them (e.g. the study's)
ROBUSTNESS_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS if m.optional)
#: metrics of an inference run that its training run shows too (the study did so for quality)
_SHARED_WITH_TRAINING: tuple[str, ...] = tuple(
    m.key for m in METRICS if not m.per_task and m.key in {*QUALITY_FIELDS.values(), *ROBUSTNESS_KEYS})


class ResultFileError(MleeError, ValueError):
    """A file that is not a readable result; the message names the file and what is wrong."""


@dataclass(slots=True)
class _Row:
    """Fields of one run (one phase of one experiment) before they become a table row."""

    dataset: str
    task: str
    environment: str
    model: str
    run: str
    run_id: str
    file: str
    values: dict[str, float] = field(default_factory=dict)
    energy_estimated: bool = False
    energy_sources: str = "n.a."
    energy_complete: bool = True
    energy_quality: str = ""
    dataset_display: str = ""
    n_test_samples: float = math.nan
    method: str = ""  # the method's name; ``model`` becomes the name shown (with what differs, if anything)
    identity: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    learning_task: str = "classification"


def _num(value: Any) -> float:
    """A finite float or NaN (None, strings, booleans, -1 sentinels of counts are handled by callers)."""
    kind = type(value)
    if kind is float:
        return value if value - value == 0.0 else math.nan  # inf - inf and nan - nan are NaN
    if kind is int:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


def _get(d: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _header(data: dict[str, Any], path: str, env_cache: dict[Any, str]) -> tuple[str, str, str, str, str]:
    """(dataset, model, environment, run directory name, run id) of a result dict; raises ResultFileError."""
    config = data.get("config")
    if not isinstance(config, dict):
        raise ResultFileError(f"{path}: not a result file (no 'config' object); move it out of the results folder")
    dataset, model = config.get("dataset"), config.get("model")
    if not dataset or not model:
        raise ResultFileError(f"{path}: 'config' lacks 'dataset' or 'model'; it is not a complete result file")
    platform = data.get("execution_platform")
    requirements = data.get("requirements")
    gpu = _get(platform, "GPU")
    hw_key = (_get(platform, "Processor"), _get(platform, "Machine"), repr(gpu) if gpu else None)
    hardware = env_cache.get(hw_key)
    if hardware is None:
        hardware = env_cache[hw_key] = hardware_name(platform)
    env = environment_key(platform, config, requirements if isinstance(requirements, list) else None, hardware)
    env = _POOL_SEP.join([env, *(str(read(config)) for _, read in POOL_FIELDS)])
    name = str(data.get("directory_name") or os.path.splitext(os.path.basename(path))[0])
    run_id = str(config.get("run_id") or name)
    return str(dataset), str(model), env, name, run_id


#: What runs must share to be pooled as repeats, beside dataset, task, model and environment name: the machine
#: (``config.machine_id``; results written before it existed share "unknown") and the identity
#: (:mod:`mlee.results.pooling`).
POOL_FIELDS: tuple[tuple[str, Any], ...] = (
    ("machine", lambda c: str(c.get("machine_id") or "unknown")[:8]),
)
_POOL_SEP = "\x1e"  # separates the environment name from the pool fields in the key used while loading


def _with_configuration(row: _Row, config: dict[str, Any]) -> _Row:
    """``row`` with the identity and settings of the run that ``config`` describes."""
    row.method = row.model
    row.identity, row.spec = run_configuration(config)
    row.learning_task = str(config.get("learning_task") or _get(config, "spec", "task") or "classification")
    return row


def _model_values(results: Any) -> dict[str, float]:
    model = _get(results, "model") or {}
    return {key: _num(model.get(src)) if isinstance(model, dict) else math.nan for src, key in MODEL_FIELDS.items()}


def _duration(phase: dict[str, Any]) -> float:
    value = _num(phase.get("duration"))
    if value != value:
        results = phase.get("results") if isinstance(phase.get("results"), dict) else {}
        value = _num(results.get("duration"))
        if value != value:
            value = _num(results.get("end")) - _num(results.get("start"))
    return value if value == value and value >= 0 else math.nan


def _fill_phase(row: _Row, phase: dict[str, Any]) -> None:
    """Set ``row``'s running time and energy (with provenance) from one phase (training or validation)."""
    row.values["time"] = _duration(phase)
    energy = phase_energy(phase)
    row.values["power_draw"] = energy.energy_j
    row.energy_estimated, row.energy_sources = energy.estimated, energy.sources
    row.energy_complete, row.energy_quality = energy.complete, energy.quality
    row.provenance = phase_provenance(phase)


def _with_training_values(row: _Row, training: dict[str, Any]) -> _Row:
    """``row`` with the model values, running time and energy of a training record filled in."""
    row.values = _model_values(training["results"])
    _fill_phase(row, training)
    return row


def _train_row(data: dict[str, Any], path: str, env_cache: dict[Any, str]) -> _Row:
    dataset, model, env, name, run_id = _header(data, path, env_cache)
    if not isinstance(data.get("results"), dict):
        raise ResultFileError(f"{path}: training result without a 'results' object (incomplete merge?)")
    row = _Row(dataset, "training", env, model, name, run_id, path, dataset_display=_display(data))
    return _with_training_values(_with_configuration(row, data["config"]), data)


def _display(data: dict[str, Any]) -> str:
    """The dataset's display name recorded by the runner (e.g. an OpenML dataset's name), ``""`` if none."""
    value = _get(data, "config", "dataset_display")
    return str(value) if value else ""


def _quality(results: dict[str, Any]) -> dict[str, float]:
    metrics = results.get("metrics") if isinstance(results.get("metrics"), dict) else {}
    return {key: _num(metrics.get(src)) for src, key in QUALITY_FIELDS.items()}


def _robustness(results: dict[str, Any]) -> dict[str, float]:
    """Robustness, calibration and latency values of an inference result (NaN where absent or not available)."""
    metrics = _get(results, "robustness", "metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    return {key: _num(metrics.get(key)) for key in ROBUSTNESS_KEYS}


def _n_test(results: dict[str, Any]) -> float:
    shape = _get(results, "data", "shape", "test")
    if isinstance(shape, list) and shape:
        value = _num(shape[0])
        return value if value == value and value >= 0 else math.nan
    return math.nan


def _infer_row(data: dict[str, Any], path: str, env_cache: dict[Any, str]) -> tuple[_Row, str | None]:
    """Inference row and the directory name of its training run (None when unknown)."""
    dataset, model, env, name, run_id = _header(data, path, env_cache)
    validation = data.get("validation")
    if not isinstance(validation, dict) or not isinstance(validation.get("results"), dict):
        raise ResultFileError(f"{path}: inference result without 'validation.results' (incomplete merge?)")
    results = validation["results"]
    row = _with_configuration(_Row(dataset, "inference", env, model, name, run_id, path,
                                   dataset_display=_display(data)), data["config"])
    row.values = _model_values(results)
    training = data.get("training") if isinstance(data.get("training"), dict) else None
    if training is not None and all(v != v for v in row.values.values()):
        row.values = _model_values(training.get("results"))
    row.values.update(_quality(results))
    row.values.update(_robustness(results))
    _fill_phase(row, validation)
    row.n_test_samples = _n_test(results)
    train_name = None
    if training is not None and training.get("directory_name"):
        train_name = str(training["directory_name"])
    else:
        train_name = train_folder_name(data.get("config"))
    return row, train_name


def train_folder_name(config: Any) -> str | None:
    """Folder name of the training run an inference config points to (``train_logdir``), None if none."""
    logdir = config.get("train_logdir") if isinstance(config, dict) else None
    return os.path.basename(str(logdir).rstrip("/\\")) if logdir else None


def _parse(path: str, raw: bytes | OSError) -> dict[str, Any]:
    """The parsed result dict of ``path`` from its bytes (or the error reading them); raises ResultFileError."""
    if isinstance(raw, OSError):
        raise ResultFileError(f"{path}: cannot be read ({raw.strerror or raw}); check its permissions")
    if not raw.strip():
        raise ResultFileError(f"{path}: empty file (an interrupted write?); {REMERGE_HINT}")
    try:
        data = jsonio.loads(raw)
    except (jsonio.JSONDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path}: not valid JSON ({exc}); the file is truncated or corrupt - "
                              f"{REMERGE_HINT}") from None
    if not isinstance(data, dict):
        raise ResultFileError(f"{path}: not a result file (JSON {type(data).__name__}, expected an object)")
    return data


def read_result_file(path: str | os.PathLike) -> dict[str, Any]:
    """One merged result file, parsed, with its embedded training record complete (see
    :func:`mlee.results.record.expand_training`); raises :class:`ResultFileError` naming the problem."""
    path = os.fspath(path)
    return expand_training(_parse(path, read_file(path)))


def load_results(directory: str | os.PathLike, files: Iterable[str | os.PathLike] | None = None,
                 table: bool = True) -> pd.DataFrame:
    """One row per (dataset, task, environment, model, run) of every result file below ``directory``.

    Columns: ``dataset``, ``task`` (``"training"`` / ``"inference"``), ``environment`` (the name users know;
    another machine that shares it gets a suffix, see :mod:`mlee.results.pooling`), ``model`` (the method's
    name; another configuration of it gets a suffix saying what differs), ``method`` (the method's name),
    ``identity`` (the run's configuration, :func:`mlee.results.pooling.run_configuration`), ``run``
    (directory name of the run), ``run_id``, ``file``; every metric key of :mod:`mlee.metrics` (value in the
    metric's unit, NaN when missing: the robustness group and latencies are absent from results written
    before mlee measured them) and ``<key>_unit``; ``energy_estimated`` (bool: the energy is an
    estimate), ``energy_sources`` (text), ``energy_complete`` (bool: the counters were read cleanly over the
    whole window), ``energy_quality`` (text: why not, empty when clean), ``dataset_display`` (the display name
    the runner recorded, ``""`` when none), ``learning_task`` (``"classification"`` or ``"regression"``; a
    regression row has R^2, RMSE and MAE and NaN for the classification metrics, and the other way round),
    ``n_test_samples`` (float, NaN when unknown). Training rows carry
    the quality, robustness and calibration metrics of their inference run (as the study did for quality).
    ``files`` restricts the load to those paths. Problems (bad files, duplicate runs) are logged and listed in
    ``table.attrs["warnings"]``.

    ``table``: read through the folder's results table (:mod:`mlee.results.table`: only files changed since it
    was written are parsed; it is created or updated, in the user's cache directory where the folder has none)
    and keep the finished table in the cache (:mod:`mlee.results.frames`); False reads every file and writes
    nothing. Both give the same table.

    Parameters
    ----------
    directory : str or PathLike
        A folder of merged result files (``merge_results.py``'s output, or the shipped results).
    files : iterable of str or PathLike, optional
        Only these result files.
    table : bool
        Read through (and keep) the folder's results table and the cache.

    Returns
    -------
    DataFrame
        One row per run, the columns above.

    Raises
    ------
    FileNotFoundError
        When ``directory`` does not exist.

    Examples
    --------
    >>> from mlee import load_results
    >>> from mlee.layout import SHIPPED_RESULTS
    >>> runs = load_results(SHIPPED_RESULTS / "sklearn")
    >>> sorted(runs["task"].unique())
    ['inference', 'training']
    >>> {"dataset", "environment", "model", "run", "power_draw"} <= set(runs.columns)
    True
    """
    root = Path(directory)
    if files is None:
        if not root.is_dir():
            raise FileNotFoundError(f"results folder {str(root)!r} does not exist; pass the folder that "
                                    f"merge_results.py wrote (e.g. results/sklearn) or the published results")
        paths = result_files(root)
    else:
        paths = [os.fspath(p) for p in files]
    if not table or not table_library():
        return _build(root, paths, _read_outcomes(paths))
    fingerprint = code_fingerprint()
    states, taken, stable = identities(paths)
    cached_at = frame_path(root, files is not None)
    digest = frame_digest(fingerprint, paths, states)
    cached = read_frame(cached_at, digest)
    if cached is not None:
        for warning in cached.attrs["warnings"]:
            log.warning("%s", warning)
        log.info("loaded %d runs from %d files in %s (the cached table; %d skipped)", len(cached), len(paths),
                 root, len(cached.attrs["warnings"]))
        return cached
    results = ResultsTable(root, _Row, fingerprint).read() if root.is_dir() else None
    if results is None:
        outcomes = _read_outcomes(paths)
    else:
        outcomes = outcomes_through_table(paths, states, taken, _read_outcomes, results, complete=files is None)
        if results.changed:
            results.write()
    frame = _build(root, paths, outcomes)
    if stable:
        write_frame(cached_at, digest, frame)
    return frame


def refresh_table(directory: str | os.PathLike, changed: Iterable[str | os.PathLike] | None = None) -> ResultsTable:
    """Bring the results table of ``directory`` up to date, writing it into the folder. Call it holding the
    folder's merge lock (:func:`mlee.locks.folder_lock`), as ``merge_results.py`` does.

    Parameters
    ----------
    directory
        The results folder.
    changed
        The files written or removed since the table was last brought up to date (a merge knows them): only their
        entries are renewed. None, or a table that is missing, damaged or of other code: every file of the folder
        is checked and only those that changed are parsed. Either way a load checks every entry against its file
        before using it, so a file changed by hand later is never taken from the table.

    Returns
    -------
    ResultsTable
        The table (its ``path`` is ``<directory>/.mlee-table.parquet``).
    """
    results = ResultsTable(directory, _Row, code_fingerprint(), Path(directory) / TABLE_FILE)
    if not table_library():
        return results
    results.read()
    complete = changed is None or results.stored is None
    paths = result_files(directory) if complete else [os.fspath(p) for p in changed]
    states, taken = settled_identities(paths)
    results.update(paths, states, taken, _read_outcomes, complete=complete)
    if results.changed or not results.path.is_file():
        results.write(lock=False)
    return results


def _build(root: Path, paths: list[str], outcomes: list[FileOutcome]) -> pd.DataFrame:
    """The run table of the files' outcomes (in the order of their paths)."""
    warnings: list[str] = []
    train_rows: dict[tuple[str, str], _Row] = {}
    # inference row, its training run's name, and a training row built from the embedded copy (kept small:
    # the parsed embedded dict itself is dropped at once)
    infer_rows: list[tuple[_Row, str | None, _Row | None]] = []
    seen: set[tuple[str, str, str]] = set()
    with collector_paused():
        for row, train_name, embedded, note, error in outcomes:
            if note:
                warnings.append(note)
                log.warning("%s", note)
            if row is not None and error is None:
                key = (row.task, row.environment, row.run)
                if key in seen:
                    error = (f"{row.file}: run {row.run} ({row.task}, {row.environment.split(_POOL_SEP)[0]}) was "
                             f"loaded already from another file; the duplicate is ignored")
                seen.add(key)
            if error is not None:
                warnings.append(error)
                log.warning("skipped %s", error)
            elif row.task == "inference":
                infer_rows.append((row, train_name, embedded))
            else:
                train_rows[(row.environment, row.run)] = row
        table = _table(warnings, train_rows, infer_rows)
    log.info("loaded %d runs from %d files in %s (%d skipped)", len(table), len(paths), root, len(warnings))
    return table


#: What reading one file gives: its row (None when unusable), the directory name of its training run (inference
#: files), the training row from the copy inside an inference file, a warning about that copy, and the reason the
#: file is skipped (None when it is not).
FileOutcome = tuple[_Row | None, str | None, _Row | None, str | None, str | None]
#: from this many files on, a second process reads the second half (where :func:`_can_fork`): the files are parsed
#: by Python code, one CPU per process
PARALLEL_MIN_FILES = 4000


def _read_outcomes(paths: list[str]) -> list[FileOutcome]:
    """Read and parse ``paths`` into one :data:`FileOutcome` each, in order (two processes for many files)."""
    if len(paths) < PARALLEL_MIN_FILES or not _can_fork():
        return _read_files(paths)
    context = multiprocessing.get_context("fork")
    half = len(paths) // 2
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_files_into, args=(sender, paths[half:]), daemon=True)
    child.start()
    sender.close()
    first = _read_files(paths[:half])
    try:
        second = receiver.recv()
    except (EOFError, OSError):  # the child died (out of memory, killed): read its half here
        log.warning("the second reading process ended without a result; reading its files here")
        second = _read_files(paths[half:])
    finally:
        receiver.close()
        child.join()
    return first + second


def _can_fork() -> bool:
    """True where a second reading process helps and forking is safe: 2+ CPUs, no other thread in this process
    (a fork copies locks other threads may hold), not a daemonic process (those may not start children, e.g. a
    worker of a process pool), and the platform can fork."""
    return ((os.cpu_count() or 1) > 1 and threading.active_count() == 1
            and not multiprocessing.current_process().daemon
            and "fork" in multiprocessing.get_all_start_methods())


def _read_files_into(connection: Any, paths: list[str]) -> None:
    """In the second process: send the outcomes of ``paths`` to the first."""
    try:
        connection.send(_read_files(paths))
    finally:
        connection.close()


def _read_files(paths: list[str]) -> list[FileOutcome]:
    """Read, parse and extract ``paths`` in this process, in order."""
    env_cache: dict[Any, str] = {}
    out: list[FileOutcome] = []
    for path, raw in read_ahead(paths):
        note = None
        try:
            data = _parse(path, raw)
            check_record(data, path)
            if "validation" in data:
                row, train_name = _infer_row(data, path, env_cache)
                embedded = None
                if isinstance(data.get("training"), dict) and train_name is not None:
                    try:
                        embedded = _embedded_train_row(data, row, train_name)
                    except ResultFileError as exc:
                        note = f"{path}: embedded training result unusable ({exc})"
            elif "results" in data and "config" in data:
                row, train_name, embedded = _train_row(data, path, env_cache), None, None
            else:
                raise ResultFileError(f"{path}: not a result file (neither 'validation' nor 'results'); "
                                      f"move it out of the results folder")
            screened = [screen_run(r, path) for r in (row, embedded) if r is not None]
            note = "; ".join(n for n in (note, *screened) if n) or None
            out.append((row, train_name, embedded, note, None))
        except (ResultFileError, RecordError) as exc:
            out.append((None, None, None, note, str(exc)))
    return out


def _table(warnings: list[str], train_rows: dict[tuple[str, str], _Row],
           infer_rows: list[tuple[_Row, str | None, _Row | None]]) -> pd.DataFrame:
    """The run table of the loaded rows (training rows completed from their inference runs)."""
    # training rows get the quality of their inference run; runs known only from an inference file's
    # embedded training copy become rows of their own
    for irow, train_name, embedded in infer_rows:
        if train_name is None:
            continue
        trow = train_rows.get((irow.environment, train_name))
        if trow is None and embedded is not None:
            trow = train_rows[(irow.environment, train_name)] = embedded
        if trow is not None and all(trow.values.get(k, math.nan) != trow.values.get(k, math.nan)
                                    for k in _SHARED_WITH_TRAINING):
            for key in _SHARED_WITH_TRAINING:
                trow.values[key] = irow.values[key]
            trow.n_test_samples = irow.n_test_samples
    rows: list[_Row] = list(train_rows.values())
    rows.extend(r for r, _, _ in infer_rows)
    name_rows(rows, _POOL_SEP)
    table = _to_frame(rows)
    table.attrs["warnings"] = warnings
    return table


def _embedded_train_row(data: dict[str, Any], infer: _Row, train_name: str) -> _Row:
    """Training row from the training record embedded in the inference file ``data`` (same dataset, model,
    machine)."""
    training = data["training"]
    if not isinstance(training.get("results"), dict):
        raise ResultFileError("no 'results' object")
    row = _Row(infer.dataset, "training", infer.environment, infer.model, train_name,
               str(training_config_entry(data, "run_id") or train_name), infer.file,
               dataset_display=infer.dataset_display, method=infer.method, identity=infer.identity, spec=infer.spec,
               learning_task=infer.learning_task)
    return _with_training_values(row, training)


def _to_frame(rows: list[_Row]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {
        "dataset": [r.dataset for r in rows],
        "task": [r.task for r in rows],
        "environment": [r.environment for r in rows],
        "model": [r.model for r in rows],
        "method": [r.method for r in rows],
        "identity": [r.identity for r in rows],
        "run": [r.run for r in rows],
        "run_id": [r.run_id for r in rows],
        "file": [r.file for r in rows],
    }
    values = [r.values for r in rows]
    for key in METRIC_KEYS:
        columns[key] = np.fromiter(map(methodcaller("get", key, math.nan), values), dtype="float64", count=len(rows))
    columns["energy_estimated"] = pd.array([r.energy_estimated for r in rows], dtype=bool).to_numpy()
    columns["energy_sources"] = [r.energy_sources for r in rows]
    columns["energy_complete"] = pd.array([r.energy_complete for r in rows], dtype=bool).to_numpy()
    columns["energy_quality"] = [r.energy_quality for r in rows]
    columns["dataset_display"] = [r.dataset_display for r in rows]
    columns["learning_task"] = [r.learning_task for r in rows]
    columns["n_test_samples"] = pd.array([r.n_test_samples for r in rows], dtype="float64").to_numpy()
    for column in PROVENANCE_COLUMNS:
        columns[column] = [r.provenance.get(column, math.nan) for r in rows]
    table = pd.DataFrame(columns)
    for metric in METRICS:
        table[f"{metric.key}_unit"] = metric.unit
    if not table.empty:
        table = table.sort_values(["dataset", "task", "environment", "model", "run"], kind="stable",
                                  ignore_index=True)
    return table
