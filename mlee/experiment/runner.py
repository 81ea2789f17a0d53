"""Run (dataset, method) experiments and write one training and one inference folder per run (Contract 2).

Per run: a ``train_<ts>`` folder (fit measured in a :class:`~mlee.monitoring.Meter` window) and an ``infer_<ts>``
folder (``predict`` on the test split measured the same way), each with ``config.json``, ``requirements.txt``,
``execution_platform.json``, ``logfile.txt``, ``results.json`` (or ``error.json``) and ``measurement.json``.
Folders are written under a temporary name and renamed when complete. All timestamps are ``time.time()``.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlee.atomic import write_json_atomic, write_text_atomic
from mlee.experiment.complexity import jsonable_params, measure_flops, model_info
from mlee.experiment.datasets import SyntheticSpec
from mlee.experiment.errors import is_no_space
from mlee.experiment.folders import RunFolder, reserve_folder, run_log
from mlee.experiment.hyperparams import DEFAULT_CONFIG, Hyperparameters, find_hyperparameters
from mlee.experiment.interrupts import InterruptGuard, interrupt_guard
from mlee.experiment.methods import get_backend, make_estimator
from mlee.experiment.platform_info import execution_platform, machine_id, requirements_text
from mlee.experiment.defaults import DEFAULT_TEST_SIZE
from mlee.experiment.preparation import PreparedData
from mlee.experiment.quality import quality_metrics
from mlee.experiment.robustness import robustness_properties
from mlee.experiment.spec import RunSpec
from mlee.monitoring.config import MeterConfig

log = logging.getLogger(__name__)


@dataclass
class RunSettings:
    """What every run of a sweep shares. ``hyperparameters``: search folder, root, ``"default"`` or ``None``
    (newest shipped result per pair). ``monitor_options``: the meter's settings
    (:meth:`~mlee.monitoring.config.MeterConfig.from_dict` takes them); ``extra_config`` is copied into
    ``config.json``."""

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
                 run_id: str, folder: RunFolder, display: str | None = None,
                 fingerprint: str | None = None) -> dict[str, Any]:
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
        spec = run_spec(settings, dataset, method, hp, fingerprint)
        config.update(spec=spec.to_dict(), identity=spec.identity, meter=spec.meter.to_dict())
    return _jsonable_config(config)


def run_spec(settings: RunSettings, dataset: str, method: str, hp: Hyperparameters,
             fingerprint: str | None = None) -> RunSpec:
    """The :class:`~mlee.experiment.spec.RunSpec` of a run of ``method`` on ``dataset`` with ``settings``.

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

    Returns
    -------
    RunSpec
    """
    return RunSpec(dataset, method, jsonable_params(hp.params), get_backend(settings.backend).name,
                   settings.device, settings.test_size, settings.seed, settings.average,
                   MeterConfig.from_dict(settings.monitor_options), settings.robustness,
                   dataset_fingerprint=fingerprint, hyperparameters_source=hp.source)


def _write_common(folder: RunFolder, config: dict[str, Any], platform: dict[str, Any], requirements: str) -> None:
    write_json_atomic(folder.path / "config.json", config)
    write_text_atomic(folder.path / "requirements.txt", requirements)
    write_json_atomic(folder.path / "execution_platform.json", platform)


def _write_error(folder: RunFolder, exc: BaseException) -> str:
    message = f"{type(exc).__name__}: {exc}"
    log.error("run failed: %s", message)
    write_json_atomic(folder.path / "error.json", {
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


def run_experiment(data: PreparedData, method: str, settings: RunSettings, meter: Any, repeat: int = 0,
                   hp: Hyperparameters | None = None, context: _Context | None = None) -> RunOutcome:
    """Train ``method`` on ``data`` and evaluate it; writes the train and infer folders under
    ``settings.output_dir``. Errors are written to the folder's ``error.json`` and returned, never raised.
    Ctrl-C raises :class:`~mlee.experiment.interrupts.RunInterrupted` (a ``KeyboardInterrupt``) even when the
    estimator swallowed it, and leaves the run's folders under their hidden ``.tmp-`` names."""
    with interrupt_guard() as guard:
        return _run_experiment(data, method, settings, meter, repeat, hp, context or _Context(), guard)


def _run_experiment(data: PreparedData, method: str, settings: RunSettings, meter: Any, repeat: int,
                    hp: Hyperparameters | None, context: _Context, guard: InterruptGuard) -> RunOutcome:
    outcome = RunOutcome(data.dataset, method, repeat)
    run_id = uuid.uuid4().hex
    if hp is None:
        hp = find_hyperparameters(data.dataset, method, settings.hyperparameters)

    backend = get_backend(settings.backend)
    train = reserve_folder(settings.output_dir, "train")
    model = None
    with run_log(train.path / "logfile.txt"):
        log.info("training %s on %s (repeat %d, run %s)", method, data.dataset, repeat, run_id)
        train_config = _base_config(settings, data.dataset, method, hp, repeat, run_id, train, data.display,
                                    data.fingerprint())
        _write_common(train, train_config, context.platform, context.requirements)
        try:
            model = make_estimator(method, hp.params, seed=settings.seed + repeat, backend=settings.backend,
                                   device=settings.device)
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
            write_json_atomic(train.path / "measurement.json", measurement)
            write_json_atomic(train.path / "results.json", {
                "start": start, "end": end, "duration": end - start, "history": _history(model),
                "model": train_info, **_provenance(calls),
            })
            log.info("training took %.3f s", end - start)
        except Exception as exc:  # noqa: BLE001 - one failing run must not stop the sweep
            if is_no_space(exc):
                raise  # not the run's failure: every later run would fail alike (the sweep stops)
            outcome.error = f"training: {_write_error(train, exc)}"
            model = None
    guard.check()  # never give an interrupted run its final name
    if model is None:
        outcome.train_dir = train.finish()  # a failed run, visible as failed (error.json)
        return outcome

    infer = reserve_folder(settings.output_dir, "infer")
    with run_log(infer.path / "logfile.txt"):
        log.info("inference of %s on %s (repeat %d, run %s)", method, data.dataset, repeat, run_id)
        infer_config = _base_config(settings, data.dataset, method, hp, repeat, run_id, infer, data.display,
                                    data.fingerprint())
        infer_config["train_logdir"] = str(Path(settings.output_dir) / train.name)
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
            metrics = quality_metrics(model, data.X_test, data.y_test, y_pred, settings.average)
            top5_source = metrics.pop("top_5_scores")
            info = dict(train_info,
                        flops_measured=measure_flops(lambda: model.predict(data.X_test), data.X_test.shape[0]))
            results = {
                "metrics": metrics, "average": settings.average, "top_5_scores": top5_source,
                "start": start, "end": end, "duration": per_call.duration_s, "repetitions": per_call.repetitions,
                "model": info, **_provenance(calls),
                "data": {"shape": data.shapes(), "classes": data.n_classes,
                         "dropped_classes": [str(c) for c in data.dropped_classes]},
            }
            if settings.robustness:  # after the measured window: its energy and time stay those of predict
                results["robustness"] = robustness_properties(model, data.X_test, data.y_test, metrics["accuracy"],
                                                              settings.seed, settings.average, data.n_scaled)
            write_json_atomic(infer.path / "measurement.json", measurement)
            write_json_atomic(infer.path / "results.json", results)
            log.info("inference took %.3f s per call (%d calls measured), accuracy %.4f", per_call.duration_s,
                     per_call.repetitions, metrics["accuracy"])
        except Exception as exc:  # noqa: BLE001
            if is_no_space(exc):
                raise
            outcome.error = f"inference: {_write_error(infer, exc)}"
            _write_error(train, exc)  # the training half alone is no result: the run failed as a whole
    guard.check()
    # the run becomes visible as one unit: inference first (unusable without its training folder), then
    # training; until both are renamed, neither merge nor --resume takes the run for complete
    outcome.infer_dir = infer.finish()
    outcome.train_dir = train.finish()
    return outcome


def _failed_train_folder(settings: RunSettings, dataset: str, method: str, repeat: int, exc: BaseException,
                         context: _Context) -> RunOutcome:
    """A train folder with ``error.json`` for a run that could not start (e.g. its dataset did not load)."""
    folder = reserve_folder(settings.output_dir, "train")
    with run_log(folder.path / "logfile.txt"):
        config = _base_config(settings, dataset, method, None, repeat, uuid.uuid4().hex, folder)
        _write_common(folder, config, context.platform, context.requirements)
        message = _write_error(folder, exc)
    return RunOutcome(dataset, method, repeat, folder.finish(), None, message)
