"""Run (dataset, method) experiments and write one training and one inference folder per run (Contract 2).

Per run: a ``train_<ts>`` folder (fit measured in a :class:`~mlee.monitoring.Meter` window) and an ``infer_<ts>``
folder (``predict`` on the test split measured the same way), each with ``config.json``, ``requirements.txt``,
``execution_platform.json``, ``logfile.txt``, ``results.json`` (or ``error.json``) and ``measurement.json``.
:func:`measure_run` measures a run into a :class:`~mlee.runs.folder_transfer.RunRecord` (the folders' files
as data, written nowhere); :func:`write_record` writes it as one unit (``FORMATS.md``); :func:`run_experiment`
does both. All timestamps are ``time.time()``.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlee import catalog
from mlee.runs.complexity import jsonable_params, measure_flops, model_info
from mlee.runs.datasets import SyntheticSpec
from mlee.runs.errors import disk_full, is_no_space
from mlee.runs.folder_transfer import FolderContents, RunRecord, write_run_folders
from mlee.runs.folders import captured_log, timestamp_text
from mlee.runs.hyperparams import DEFAULT_CONFIG, Hyperparameters, find_hyperparameters
from mlee.runs.interrupts import InterruptGuard, interrupt_guard
from mlee.runs.methods import get_backend, make_estimator
from mlee.runs.platform_info import execution_platform, machine_id, requirements_text
from mlee.runs.defaults import DEFAULT_TEST_SIZE
from mlee.runs.preparation import PreparedData
from mlee.runs.quality import quality_metrics, regression_metrics
from mlee.runs.robustness import regression_robustness, robustness_properties
from mlee.runs.spec import RunSpec
from mlee.runs.user_methods import estimator_identity
from mlee.monitoring.config import MeterConfig

log = logging.getLogger(__name__)


@dataclass
class RunSettings:
    """What every run of a sweep shares.

    Parameters
    ----------
    output_dir : Path
        Folder the run folders (``train_<ts>``, ``infer_<ts>``) are written to.
    seed : int
        Seed of the train/test split and of the models.
    repeats : int
        Runs per (dataset, method).
    data_home : str or None
        scikit-learn data cache for downloaded datasets (None: scikit-learn's).
    backend, device : str
        Implementation (``sklearn``, ``sklearnex``, ``torch``) and device (``cpu``, ``cuda``, ...).
    average : str
        Averaging of the multi-class quality metrics (``macro``, ``micro``, ``weighted``).
    hyperparameters : str or None
        Search folder, root of several, ``"default"`` (estimator defaults) or None (per pair the newest
        search: the user's, else the shipped one).
    test_size : float
        Fraction of rows in the test split.
    synthetic : SyntheticSpec or None
        Size of the ``synthetic`` dataset.
    download : bool
        Allow downloading datasets that are not bundled or cached.
    monitor_options : dict
        The meter's settings (:meth:`~mlee.monitoring.config.MeterConfig.from_dict` takes them).
    extra_config : dict
        Copied into each run's ``config.json``.
    robustness : bool
        Measure robustness, calibration and latency after the inference window.

    Examples
    --------
    >>> from pathlib import Path
    >>> from mlee import RunSettings
    >>> settings = RunSettings(output_dir=Path("logs/sklearn"), repeats=3, hyperparameters="default")
    >>> settings.repeats, settings.backend
    (3, 'sklearn')
    """

    output_dir: Path = Path("logs/sklearn")
    seed: int = 42
    repeats: int = 1
    data_home: str | None = None
    backend: str = "sklearn"
    device: str = "cpu"
    average: str = "macro"
    hyperparameters: str | None = None
    test_size: float = DEFAULT_TEST_SIZE
    synthetic: SyntheticSpec | None = None
    download: bool = True
    monitor_options: dict[str, Any] = field(default_factory=dict)
    extra_config: dict[str, Any] = field(default_factory=dict)
    robustness: bool = True  # measure robustness, calibration and latency after the inference window


@dataclass
class RunOutcome:
    """Result of one (dataset, method, repeat): the folders written and the error, if any."""

    dataset: str
    method: str
    repeat: int
    train_dir: Path | None = None
    infer_dir: Path | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when both phases finished without error."""
        return self.error is None


def _jsonable_config(config: dict[str, Any]) -> dict[str, Any]:
    return jsonable_params({k: str(v) if isinstance(v, Path) else v for k, v in config.items()})


def _base_config(settings: RunSettings, dataset: str, method: str, hp: Hyperparameters | None, repeat: int,
                 run_id: str, folder: _Half, display: str | None = None,
                 fingerprint: str | None = None, task: str = "classification") -> dict[str, Any]:
    backend = get_backend(settings.backend)
    hp_folder = DEFAULT_CONFIG if hp is not None and hp.source == DEFAULT_CONFIG else (
        str(Path(hp.source).parent) if hp is not None else settings.hyperparameters)
    config: dict[str, Any] = dict(settings.extra_config)
    meter = MeterConfig.from_dict(settings.monitor_options)
    # the meter's settings under their command-line names too, as config.json always had them
    config.update(monitor=meter.monitor, cpu_tdp=meter.cpu_tdp_w, idle_seconds=meter.idle_seconds,
                  country=meter.country, pue=meter.pue)
    config.update({
        "dataset": dataset,
        "dataset_display": display or dataset,
        "model": method,
        "hyperparameters": hp_folder,
        "hyperparameters_file": hp.source if hp is not None else None,
        "output_dir": str(settings.output_dir),
        "seed": settings.seed,
        "split_seed": settings.seed,
        "model_seed": settings.seed + repeat,
        "test_size": settings.test_size,
        "backend": backend.name,
        "backend_version": backend.version(),
        "device": settings.device,
        "machine_id": machine_id(),
        "timestamp": folder.timestamp,
        "run_id": run_id,
        "repeat": repeat,
        "repeats": settings.repeats,
        "average": settings.average,
        "data_home": settings.data_home,
    })
    if hp is not None:
        spec = run_spec(settings, dataset, method, hp, fingerprint, task)
        config.update(spec=spec.to_dict(), identity=spec.identity, meter=spec.meter.to_dict())
    config["learning_task"] = task
    return _jsonable_config(config)


def run_spec(settings: RunSettings, dataset: str, method: str, hp: Hyperparameters,
             fingerprint: str | None = None, task: str | None = None) -> RunSpec:
    """The :class:`~mlee.runs.spec.RunSpec` of a run of ``method`` on ``dataset`` with ``settings``.

    Parameters
    ----------
    settings : RunSettings
        The sweep's settings.
    dataset, method : str
        Dataset key and full method name.
    hp : Hyperparameters
        The resolved hyperparameters.
    fingerprint : str or None
        The prepared data's fingerprint (:meth:`PreparedData.fingerprint`), None when not loaded.
    task : str or None
        The learning task (``classification`` or ``regression``), part of the identity; None: the dataset
        key's (:func:`mlee.catalog.dataset_task`).

    Returns
    -------
    RunSpec
    """
    return RunSpec(dataset, method, jsonable_params(hp.params), get_backend(settings.backend).name,
                   settings.device, settings.test_size, settings.seed, settings.average,
                   MeterConfig.from_dict(settings.monitor_options), settings.robustness,
                   task=task or catalog.dataset_task(dataset), estimator=estimator_identity(method),
                   dataset_fingerprint=fingerprint, hyperparameters_source=hp.source)


class _Half:
    """One folder of a run (``train`` or ``infer``), built in memory: file name -> bytes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.timestamp = timestamp_text(time.time())
        self.files: dict[str, bytes] = {}

    def json(self, name: str, value: Any) -> None:
        """Add ``name`` holding ``value`` as JSON (as :func:`mlee.atomic.write_json_atomic` writes it)."""
        self.files[name] = (json.dumps(value, indent=2, allow_nan=False) + "\n").encode("utf-8")

    def contents(self) -> FolderContents:
        return FolderContents(self.kind, self.timestamp, dict(self.files))


def _write_common(half: _Half, config: dict[str, Any], platform: dict[str, Any], requirements: str) -> None:
    half.json("config.json", config)
    half.files["requirements.txt"] = requirements.encode("utf-8")
    half.json("execution_platform.json", platform)


def _write_error(half: _Half, exc: BaseException) -> str:
    message = f"{type(exc).__name__}: {exc}"
    log.error("run failed: %s", message)
    half.json("error.json", {
        "error": message,
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    })
    return message


def _history(model: Any) -> dict[str, Any]:
    history: dict[str, Any] = {}
    if hasattr(model, "loss_curve_"):
        history["loss"] = [float(v) for v in model.loss_curve_]
    scores = getattr(model, "validation_scores_", None)
    if scores:
        history["validation_score"] = [float(v) for v in scores]
    n_iter = getattr(model, "n_iter_", None)
    if n_iter is not None:
        history["n_iter"] = jsonable_params({"n": n_iter})["n"]
    return history


def _provenance(calls: Any) -> dict[str, Any]:
    """``{"backend_provenance": ...}`` from a backend trace (what ran accelerated), or nothing."""
    record = calls.record() if calls is not None else None
    if record is not None:
        log.info("backend provenance: %s", record)
    return {"backend_provenance": record} if record is not None else {}


class _Context:
    """Platform description and package list, read once per sweep."""

    def __init__(self) -> None:
        self.platform = execution_platform()
        self.requirements = requirements_text()


@dataclass
class RunInputs:
    """The run-time resources of one run, what its :class:`~mlee.runs.spec.RunSpec` does not fix.

    ``data``: the prepared dataset of the spec's dataset; ``meter``: measures the two windows; ``output_dir``:
    where the run's folders go; ``repeat`` (model seed ``spec.split_seed + repeat``) of ``repeats``;
    ``extra_config`` and ``data_home`` are recorded in ``config.json``; ``context``: platform description and
    package list, read once per process (read for this run when None).
    """

    data: PreparedData
    meter: Any
    output_dir: Path = Path("logs/sklearn")
    repeat: int = 0
    repeats: int = 1
    extra_config: dict[str, Any] = field(default_factory=dict)
    data_home: str | None = None
    context: _Context | None = None


def spec_settings(spec: RunSpec, inputs: RunInputs) -> tuple[RunSettings, Hyperparameters]:
    """The settings and hyperparameters that run ``spec`` with ``inputs`` (what :func:`run_spec` reads back).

    Parameters
    ----------
    spec : RunSpec
        The run's identity.
    inputs : RunInputs
        Its run-time resources.

    Returns
    -------
    (RunSettings, Hyperparameters)

    Raises
    ------
    ValueError
        When ``inputs.data`` is not the spec's dataset (another key, or another fingerprint than the spec names).
    """
    data = inputs.data
    if data.dataset != spec.dataset:
        raise ValueError(f"the run's spec names dataset {spec.dataset!r} but the prepared data is "
                         f"{data.dataset!r}; prepare {spec.dataset!r} for this run")
    if spec.dataset_fingerprint is not None and spec.dataset_fingerprint != data.fingerprint():
        raise ValueError(f"the prepared data of {spec.dataset!r} is not the data the spec was made for "
                         f"(fingerprint {data.fingerprint()} instead of {spec.dataset_fingerprint}); prepare it "
                         f"with the spec's test size and split seed, or make the spec from this data")
    settings = RunSettings(output_dir=Path(inputs.output_dir), seed=spec.split_seed, repeats=inputs.repeats,
                           data_home=inputs.data_home, backend=spec.backend, device=spec.device,
                           average=spec.average, test_size=spec.test_size, monitor_options=spec.meter.to_dict(),
                           extra_config=dict(inputs.extra_config), robustness=spec.robustness)
    hp = Hyperparameters(dict(spec.hyperparameters), spec.hyperparameters_source or DEFAULT_CONFIG)
    return settings, hp


def run_experiment(spec: RunSpec, inputs: RunInputs) -> RunOutcome:
    """Measure the run ``spec`` describes and write its folders under ``inputs.output_dir``.

    Parameters
    ----------
    spec : RunSpec
        What is run (the identity recorded in ``config.json`` is ``spec.identity``).
    inputs : RunInputs
        The prepared data, the meter, where to write and which repeat.

    Returns
    -------
    RunOutcome
        The folders written and the run's error: errors are written to the folder's ``error.json`` and
        returned, never raised. Ctrl-C raises :class:`~mlee.runs.interrupts.RunInterrupted` (a
        ``KeyboardInterrupt``) and writes nothing.
    """
    settings, hp = spec_settings(spec, inputs)
    return run_with_settings(inputs.data, spec.method, settings, inputs.meter, inputs.repeat, hp, inputs.context)


def run_with_settings(data: PreparedData, method: str, settings: RunSettings, meter: Any, repeat: int = 0,
                      hp: Hyperparameters | None = None, context: _Context | None = None) -> RunOutcome:
    """:func:`run_experiment` from a sweep's settings (hyperparameters looked up when ``hp`` is None): measure
    (:func:`measure_run`) and write (:func:`write_record`)."""
    return write_record(settings, measure_run(data, method, settings, meter, repeat, hp, context))


def measure_run(data: PreparedData, method: str, settings: RunSettings, meter: Any, repeat: int = 0,
                hp: Hyperparameters | None = None, context: _Context | None = None) -> RunRecord:
    """Train ``method`` on ``data`` and evaluate it, each half in a window of ``meter``; writes nothing.

    Parameters
    ----------
    data : PreparedData
        The prepared dataset.
    method : str
        Full method name.
    settings : RunSettings
        The sweep's settings.
    meter : Meter
        Measures the two windows.
    repeat : int
        The repeat (its model seed is ``settings.seed + repeat``).
    hp : Hyperparameters, optional
        The resolved hyperparameters (default: looked up for ``settings.hyperparameters``).
    context : optional
        Platform description and package list, read once per process.

    Returns
    -------
    RunRecord
        The run's two folders as data (only the training folder, with ``error.json``, when training failed), its
        identity and error. Ctrl-C raises :class:`~mlee.runs.interrupts.RunInterrupted` even when the
        estimator swallowed it.
    """
    with interrupt_guard() as guard:
        return _measure_run(data, method, settings, meter, repeat, hp, context or _Context(), guard)


def write_record(settings: RunSettings, record: RunRecord) -> RunOutcome:
    """Write ``record``'s folders under ``settings.output_dir`` as one unit (:func:`write_run_folders`).

    Parameters
    ----------
    settings : RunSettings
        Where to write (``output_dir``, also recorded in each ``config.json``).
    record : RunRecord
        A measured run.

    Returns
    -------
    RunOutcome
        The folders written and the run's error.

    Raises
    ------
    mlee.runs.errors.DiskFullError
        When a write is refused for lack of space (nothing of the run is left visible).
    """
    try:
        paths = write_run_folders(Path(settings.output_dir), record.folders, str(settings.output_dir))
    except OSError as exc:
        if is_no_space(exc):
            raise disk_full(f"{record.dataset} / {record.method} (repeat {record.repeat})", settings.output_dir,
                            exc) from exc
        raise
    dirs = {contents.kind: path for contents, path in zip(record.folders, paths)}
    return RunOutcome(record.dataset, record.method, record.repeat, dirs.get("train"), dirs.get("infer"),
                      record.error)


def _measure_run(data: PreparedData, method: str, settings: RunSettings, meter: Any, repeat: int,
                 hp: Hyperparameters | None, context: _Context, guard: InterruptGuard) -> RunRecord:
    run_id = uuid.uuid4().hex
    if hp is None:
        hp = find_hyperparameters(data.dataset, method, settings.hyperparameters)
    record = RunRecord(data.dataset, method, repeat, run_id)

    backend = get_backend(settings.backend)
    train = _Half("train")
    model = None
    with captured_log() as train_log:
        log.info("training %s on %s (repeat %d, run %s)", method, data.dataset, repeat, run_id)
        train_config = _base_config(settings, data.dataset, method, hp, repeat, run_id, train, data.display,
                                    data.fingerprint(), data.task)
        record.identity = train_config.get("identity")
        _write_common(train, train_config, context.platform, context.requirements)
        try:
            model = make_estimator(method, hp.params, seed=settings.seed + repeat, backend=settings.backend,
                                   device=settings.device, task=data.task)
            log.info("hyperparameters from %s: %s", hp.source, hp.params)
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                with backend.trace(method) as calls, meter.window() as window:
                    start = time.time()
                    model.fit(data.X_train, data.y_train)
                    end = time.time()
            guard.check()  # the estimator may have swallowed Ctrl-C and returned a half-trained model
            measurement = window.measurement.to_dict()
            train_info = model_info(model)  # predicting changes none of it: the inference phase reuses it
            train.json("measurement.json", measurement)
            train.json("results.json", {
                "start": start, "end": end, "duration": end - start, "history": _history(model),
                "model": train_info, **_provenance(calls),
            })
            log.info("training took %.3f s", end - start)
        except Exception as exc:  # noqa: BLE001 - one failing run must not stop the sweep
            record.error = f"training: {_write_error(train, exc)}"
            model = None
    train.files["logfile.txt"] = train_log.getvalue().encode("utf-8")
    guard.check()
    if model is None:
        record.folders = [train.contents()]  # a failed run, visible as failed (error.json)
        return record

    infer = _Half("infer")
    with captured_log() as infer_log:
        log.info("inference of %s on %s (repeat %d, run %s)", method, data.dataset, repeat, run_id)
        infer_config = _base_config(settings, data.dataset, method, hp, repeat, run_id, infer, data.display,
                                    data.fingerprint(), data.task)
        infer_config["train_logdir"] = None  # the training folder's final name, set where it is written
        _write_common(infer, infer_config, context.platform, context.requirements)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                start = time.time()
                # a prediction shorter than the counters' resolution is repeated until the window is long enough;
                # the measurement (and "duration") is then per call, with the repetition count
                with backend.trace(method) as calls:
                    y_pred, per_call = meter.measure_repeated(lambda: model.predict(data.X_test))
                end = time.time()
            guard.check()
            measurement = per_call.to_dict()
            regression = data.task == "regression"
            if regression:
                metrics = regression_metrics(data.y_test, y_pred)
                top5_source = None
            else:
                metrics = quality_metrics(model, data.X_test, data.y_test, y_pred, settings.average)
                top5_source = metrics.pop("top_5_scores")
            info = dict(train_info,
                        flops_measured=measure_flops(lambda: model.predict(data.X_test), data.X_test.shape[0]))
            results = {
                "metrics": metrics, "average": settings.average, "top_5_scores": top5_source,
                "start": start, "end": end, "duration": per_call.duration_s, "repetitions": per_call.repetitions,
                "model": info, **_provenance(calls), "learning_task": data.task,
                "data": {"shape": data.shapes(), "classes": data.n_classes,
                         "dropped_classes": [str(c) for c in data.dropped_classes]},
            }
            if settings.robustness and regression:
                results["robustness"] = regression_robustness(model, data.X_test)
            elif settings.robustness:  # after the measured window: its energy and time stay those of predict
                results["robustness"] = robustness_properties(model, data.X_test, data.y_test, metrics["accuracy"],
                                                              settings.seed, settings.average, data.n_scaled)
            infer.json("measurement.json", measurement)
            infer.json("results.json", results)
            quality = ("R^2", metrics["r2"]) if regression else ("accuracy", metrics["accuracy"])
            log.info("inference took %.3f s per call (%d calls measured), %s %s", per_call.duration_s,
                     per_call.repetitions, *quality)
        except Exception as exc:  # noqa: BLE001
            record.error = f"inference: {_write_error(infer, exc)}"
            _write_error(train, exc)  # the training half alone is no result: the run failed as a whole
    infer.files["logfile.txt"] = infer_log.getvalue().encode("utf-8")
    guard.check()
    record.folders = [train.contents(), infer.contents()]
    return record


def failed_record(settings: RunSettings, dataset: str, method: str, repeat: int, exc: BaseException,
                  context: _Context) -> RunRecord:
    """The record of a run that could not start (e.g. its dataset did not load): a training folder with
    ``error.json``.

    Parameters
    ----------
    settings : RunSettings
        The sweep's settings.
    dataset, method : str
        The run's dataset key and full method name.
    repeat : int
        The run's repeat.
    exc : BaseException
        Why it could not start.
    context : optional
        Platform description and package list.

    Returns
    -------
    RunRecord
    """
    half = _Half("train")
    run_id = uuid.uuid4().hex
    with captured_log() as text:
        config = _base_config(settings, dataset, method, None, repeat, run_id, half)
        _write_common(half, config, context.platform, context.requirements)
        message = _write_error(half, exc)
    half.files["logfile.txt"] = text.getvalue().encode("utf-8")
    return RunRecord(dataset, method, repeat, run_id, None, message, [half.contents()])


def _failed_train_folder(settings: RunSettings, dataset: str, method: str, repeat: int, exc: BaseException,
                         context: _Context) -> RunOutcome:
    """A train folder with ``error.json`` for a run that could not start (e.g. its dataset did not load)."""
    return write_record(settings, failed_record(settings, dataset, method, repeat, exc, context))
