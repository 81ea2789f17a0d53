"""Load a folder of merged results into one table: one row per (dataset, task, environment, model, run).

Reads this project's merged files (Contract 3, with ``measurement``) and the study's published files alike.
Every ``*.json`` below the folder is read (:mod:`mlee.results.discovery`: hidden files and folders are
skipped, folder links that loop or lead out of the folder are not followed). Files that are not results, truncated or otherwise unreadable are
skipped with a warning naming the file and the reason; they never stop the load.

Speed: files are read ahead of their parsing (:mod:`mlee.results.read_ahead`), from 4,000 files on by two
processes; a file is parsed once from bytes (``orjson`` when available), only the needed fields are taken (the
training copy inside an inference file is not expanded), the garbage collector is paused while rows are built,
and columns are built as lists that become one DataFrame at the end.
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
from typing import Any, Iterable

import numpy as np
import pandas as pd

from mlee.metrics import METRICS
from mlee.results import jsonio
from mlee.results.bulk import collector_paused
from mlee.results.discovery import result_files
from mlee.results.energy import phase_energy
from mlee.results.provenance import COLUMNS as PROVENANCE_COLUMNS, phase_provenance
from mlee.results.environment import environment_key, hardware_name
from mlee.results.read_ahead import read_ahead, read_file
from mlee.results.record import expand_training, training_config_entry
from mlee.results.validation import REMERGE_HINT, RecordError, check_record, screen_run

log = logging.getLogger(__name__)

#: result key in ``validation.results.metrics`` -> metric key
QUALITY_FIELDS: dict[str, str] = {
    "accuracy": "top1_val",
    "top_5_accuracy": "top5_val",
    "f1": "f1_val",
    "precision": "precision_val",
    "recall": "recall_val",
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


class ResultFileError(ValueError):
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
    provenance: dict[str, Any] = field(default_factory=dict)


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
#: (``config.machine_id``; results written before it existed share "unknown") and the settings of the sweep.
#: Runs that differ in any of them keep apart: their environment names get a suffix naming the difference
#: (only where two such groups would otherwise share one name).
POOL_FIELDS: tuple[tuple[str, Any], ...] = (
    ("machine", lambda c: str(c.get("machine_id") or "unknown")[:8]),
    ("test size", lambda c: c.get("test_size", "n.a.")),
    ("split seed", lambda c: c.get("split_seed", c.get("seed", "n.a."))),
    ("average", lambda c: c.get("average") or "n.a."),
)
_POOL_SEP = "\x1e"  # separates the environment name from the pool fields in the key used while loading


def _name_environments(rows: list[_Row]) -> None:
    """Replace the loading keys (name + pool fields) of ``rows`` by the environment names shown: the plain name
    where one pool has it, else the name with the pool fields that differ (``"EPYC - Scikit-learn 1.9.1
    (machine 3fa2c1d0)"``)."""
    pools: dict[str, set[str]] = {}
    for row in rows:
        pools.setdefault(row.environment.split(_POOL_SEP, 1)[0], set()).add(row.environment)
    names: dict[str, str] = {}
    for name, keys in pools.items():
        if len(keys) == 1:
            names[next(iter(keys))] = name
            continue
        values = {key: key.split(_POOL_SEP)[1:] for key in keys}
        differ = [i for i in range(len(POOL_FIELDS)) if len({v[i] for v in values.values()}) > 1]
        for key, vals in values.items():
            names[key] = f"{name} ({', '.join(f'{POOL_FIELDS[i][0]} {vals[i]}' for i in differ)})"
    for row in rows:
        row.environment = names[row.environment]


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
    return _with_training_values(row, data)


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
    row = _Row(dataset, "inference", env, model, name, run_id, path, dataset_display=_display(data))
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


def load_results(directory: str | os.PathLike, files: Iterable[str | os.PathLike] | None = None) -> pd.DataFrame:
    """One row per (dataset, task, environment, model, run) of every result file below ``directory``.

    Columns: ``dataset``, ``task`` (``"training"`` / ``"inference"``), ``environment`` (the name users know;
    runs of different machines or sweep settings that share it get a suffix naming the difference, see
    :data:`POOL_FIELDS`), ``model``, ``run``
    (directory name of the run), ``run_id``, ``file``; every metric key of :mod:`mlee.metrics` (value in the
    metric's unit, NaN when missing: the robustness group and latencies are absent from results written
    before mlee measured them) and ``<key>_unit``; ``energy_estimated`` (bool: the energy is an
    estimate), ``energy_sources`` (text), ``energy_complete`` (bool: the counters were read cleanly over the
    whole window), ``energy_quality`` (text: why not, empty when clean), ``dataset_display`` (the display name
    the runner recorded, ``""`` when none), ``n_test_samples`` (float, NaN when unknown). Training rows carry
    the quality, robustness and calibration metrics of their inference run (as the study did for quality).
    ``files`` restricts the load to those paths. Problems (bad files, duplicate runs) are logged and listed in
    ``table.attrs["warnings"]``.

    Raises ``FileNotFoundError`` when ``directory`` does not exist.
    """
    root = Path(directory)
    if files is None:
        if not root.is_dir():
            raise FileNotFoundError(f"results folder {str(root)!r} does not exist; pass the folder that "
                                    f"merge_results.py wrote (e.g. results/sklearn) or the published results")
        paths = result_files(root)
    else:
        paths = [os.fspath(p) for p in files]
    warnings: list[str] = []
    train_rows: dict[tuple[str, str], _Row] = {}
    # inference row, its training run's name, and a training row built from the embedded copy (kept small:
    # the parsed embedded dict itself is dropped at once)
    infer_rows: list[tuple[_Row, str | None, _Row | None]] = []
    seen: set[tuple[str, str, str]] = set()
    with collector_paused():
        for row, train_name, embedded, note, error in _read_outcomes(paths):
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
    _name_environments(rows)
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
               dataset_display=infer.dataset_display)
    return _with_training_values(row, training)


def _to_frame(rows: list[_Row]) -> pd.DataFrame:
    columns: dict[str, Any] = {
        "dataset": [r.dataset for r in rows],
        "task": [r.task for r in rows],
        "environment": [r.environment for r in rows],
        "model": [r.model for r in rows],
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
