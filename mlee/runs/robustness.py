"""Robustness, calibration and latency of a fitted classifier on the test split, measured after the timed window.

Nothing here runs inside a :class:`~mlee.monitoring.Meter` window: the energy and time of an inference run stay
those of one plain ``predict`` on the test split. The settings come from ``mlee/data/robustness.json``.

Robustness to input corruption
    For each severity level (``low``, ``mid``, ``high``; standard deviation ``sigma`` in units of the
    standardised features, by default 0.1, 0.3 and 1.0) Gaussian noise ``N(0, sigma^2)`` is added to every
    standardised feature of the test split and the model predicts the noisy copy: accuracy and F1 (the run's
    averaging) under noise. One-hot columns of categorical features are left as they are; in a sparse
    matrix only the stored entries are perturbed (adding dense noise to a bag of words would make it dense).
    The noise depends on the split seed and the level only, so every method and repeat of a dataset sees
    the same noisy copies. ``noise_drop`` is the relative drop of accuracy, averaged over the levels:
    ``max(0, mean((clean - noisy) / clean))`` (0 when noise helps on average, so that the ratio-based index
    stays defined; missing when the clean accuracy is 0).

Calibration (only for models with ``predict_proba``; others get ``None`` and the reason, never a number)
    ``ece``: top-label expected calibration error with ``M`` equal-width bins (``M = 15``): a sample with
    confidence ``c = max_k p_k`` falls in bin ``b = ceil(c * M) - 1`` (bins ``(b/M, (b+1)/M]``, ``c = 0`` in
    the first); ``ECE = sum_b |sum_{i in b} (correct_i - c_i)| / n`` where ``correct_i`` says whether the most
    probable class is the true one. ``brier``: ``mean_i sum_k (p_ik - [y_i = k])^2``, the multi-class Brier
    score in [0, 2] (for two classes twice the common binary form ``mean (p_1 - y)^2``).

Latency
    The test split is cut into batches of ``latency_batch_size`` rows (one batch when it is smaller); at most ``latency_max_batches`` of
    them, spread evenly, are predicted one at a time and timed (``time.perf_counter``). Each batch gives a
    per-sample latency (batch time / rows); ``latency_p50`` and ``latency_p99`` are the 50th and 99th
    percentiles (linear interpolation) over the batches, in seconds per sample.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import f1_score

from mlee.catalog import package_table
from mlee.metrics import NOISE_LEVELS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RobustnessConfig:
    """What the robustness measurement does (see the module docstring); defaults from ``robustness.json``.

    noise_sigma: level name -> noise standard deviation (standardised feature units), one per NOISE_LEVELS.
    calibration_bins: number of equal-width confidence bins of the ECE.
    latency_batch_size: rows per timed batch; latency_max_batches: most batches timed (0: no latency).
    """

    noise_sigma: Mapping[str, float]
    calibration_bins: int
    latency_batch_size: int
    latency_max_batches: int

    def __post_init__(self) -> None:
        sigma = dict(self.noise_sigma)
        if sorted(sigma) != sorted(NOISE_LEVELS) or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0
                for v in sigma.values()):
            raise ValueError(f"noise_sigma must give a positive number for each level {', '.join(NOISE_LEVELS)}; "
                             f"got {sigma!r}")
        for name in ("calibration_bins", "latency_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        value = self.latency_max_batches
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"latency_max_batches must be a whole number >= 0 (0: no latency), got {value!r}")

    @classmethod
    def default(cls) -> "RobustnessConfig":
        """The package settings of ``mlee/data/robustness.json``."""
        table = package_table("robustness.json")
        return cls(noise_sigma=dict(table["noise_sigma"]), calibration_bins=table["calibration_bins"],
                   latency_batch_size=table["latency_batch_size"],
                   latency_max_batches=table["latency_max_batches"])


def _one_hot(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Rows of ``y`` as one-hot vectors over ``classes``; ValueError when a label is not among them."""
    positions = np.searchsorted(classes, y)
    positions = np.clip(positions, 0, len(classes) - 1)
    if not np.array_equal(classes[positions], y):
        raise ValueError("test labels outside the model's classes")
    out = np.zeros((len(y), len(classes)))
    out[np.arange(len(y)), positions] = 1.0
    return out


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, classes: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE (fraction 0..1) of class probabilities ``proba`` (n_samples x n_classes, columns in the
    order of the sorted ``classes``) for true labels ``y``, with ``bins`` equal-width bins (module docstring)."""
    p = np.asarray(proba, dtype="float64")
    confidence = p.max(axis=1)
    correct = (np.asarray(classes)[p.argmax(axis=1)] == np.asarray(y)).astype("float64")
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    gap = np.bincount(which, weights=correct - confidence, minlength=bins)
    return float(np.abs(gap).sum() / len(p))


def brier_score(proba: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    """Multi-class Brier score ``mean_i sum_k (p_ik - [y_i = k])^2`` (0 best, 2 worst)."""
    p = np.asarray(proba, dtype="float64")
    return float(((p - _one_hot(np.asarray(y), np.asarray(classes))) ** 2).sum(axis=1).mean())


def noisy_copy(X: Any, sigma: float, rng: np.random.Generator, n_scaled: int | None = None) -> Any:
    """``X`` plus Gaussian noise of standard deviation ``sigma``: on the first ``n_scaled`` columns of a dense
    array (all when None), on the stored entries of a sparse matrix. ``X`` itself is left unchanged."""
    if sp.issparse(X):
        noisy = X.astype("float64", copy=True)
        noisy.data += sigma * rng.standard_normal(noisy.data.shape[0])
        return noisy
    noisy = np.array(X, dtype="float64", copy=True)
    columns = noisy.shape[1] if n_scaled is None else n_scaled
    noisy[:, :columns] += sigma * rng.standard_normal((noisy.shape[0], columns))
    return noisy


def noise_robustness(model: Any, X: Any, y: np.ndarray, clean_accuracy: float, config: RobustnessConfig,
                     seed: int, average: str, n_scaled: int | None = None) -> dict[str, Any]:
    """Accuracy and F1 under noise per level and the mean relative accuracy drop (module docstring).

    Returns metric key -> value: ``noise_top1_<level>``, ``noise_f1_<level>`` (fractions), ``noise_drop``
    (fraction >= 0, None when ``clean_accuracy`` is 0).
    """
    out: dict[str, Any] = {}
    drops = []
    for number, level in enumerate(NOISE_LEVELS):
        rng = np.random.default_rng([seed, number])
        predicted = model.predict(noisy_copy(X, float(config.noise_sigma[level]), rng, n_scaled))
        accuracy = float(np.mean(predicted == y))
        out[f"noise_top1_{level}"] = accuracy
        out[f"noise_f1_{level}"] = float(f1_score(y, predicted, average=average, zero_division=0))
        drops.append((clean_accuracy - accuracy) / clean_accuracy if clean_accuracy > 0 else math.nan)
    drop = float(np.mean(drops))
    out["noise_drop"] = max(drop, 0.0) if math.isfinite(drop) else None
    return out


def probabilities(model: Any, X: Any) -> tuple[np.ndarray | None, str | None]:
    """(``predict_proba`` of ``X``, None) or (None, why there are no class probabilities)."""
    if not hasattr(model, "predict_proba"):
        return None, f"{type(model).__name__} gives no class probabilities (no predict_proba)"
    try:
        proba = np.asarray(model.predict_proba(X), dtype="float64")
    except (AttributeError, NotImplementedError) as exc:  # SVC without probability=True, SGD with hinge loss
        return None, f"{type(model).__name__} gives no class probabilities here ({exc})"
    if proba.ndim != 2 or not np.isfinite(proba).all():
        return None, f"{type(model).__name__}.predict_proba gave no finite (samples x classes) probabilities"
    return proba, None


def calibration(model: Any, X: Any, y: np.ndarray, bins: int) -> tuple[dict[str, float | None], str | None]:
    """``({"ece": ..., "brier": ...}, None)``, or both None and the reason when the model has no probabilities."""
    proba, reason = probabilities(model, X)
    if proba is not None:
        classes = np.asarray(model.classes_)
        try:
            return {"ece": expected_calibration_error(proba, y, classes, bins),
                    "brier": brier_score(proba, y, classes)}, None
        except ValueError as exc:
            reason = str(exc)
    return {"ece": None, "brier": None}, reason


def batch_latencies(model: Any, X: Any, batch_size: int, max_batches: int) -> np.ndarray:
    """Seconds per sample of up to ``max_batches`` batches of ``batch_size`` rows, spread evenly over ``X``."""
    n = X.shape[0]
    size = min(batch_size, n)
    n_batches = n // size
    chosen = np.unique(np.linspace(0, n_batches - 1, min(n_batches, max_batches)).round().astype(np.int64))
    seconds = []
    for start in (chosen * size).tolist():
        batch = X[start:start + size]
        begin = time.perf_counter()
        model.predict(batch)
        seconds.append((time.perf_counter() - begin) / size)
    return np.asarray(seconds)


#: why a regressor has no noise robustness and calibration values
REGRESSION_NOT_AVAILABLE = ("a regressor: accuracy and F1 under noise and calibration are measures of a "
                            "classifier's classes and probabilities")


def regression_robustness(model: Any, X: Any, config: RobustnessConfig | None = None) -> dict[str, Any]:
    """The ``robustness`` block of a regressor's inference ``results.json``: the latencies, and "n.a." with
    the reason for the classification-only metrics.

    Parameters
    ----------
    model : estimator
        The fitted regressor.
    X : array or sparse matrix
        The test split's features.
    config : RobustnessConfig, optional
        Latency batch settings (default: ``robustness.json``).

    Returns
    -------
    dict
        ``metrics`` (every optional metric key; None but the latencies), ``not_available`` (metric key ->
        reason), ``latency``, ``start``, ``duration``.
    """
    from mlee.metrics import METRICS

    config = config or RobustnessConfig.default()
    begin = time.perf_counter()
    skipped = [m.key for m in METRICS if m.group == "Robustness"]
    block: dict[str, Any] = {"start": time.time(), "metrics": {k: None for k in skipped},
                             "not_available": {k: REGRESSION_NOT_AVAILABLE for k in skipped},
                             "latency": {"batch_size": config.latency_batch_size, "batches": 0}}
    block["metrics"]["latency_p50"] = block["metrics"]["latency_p99"] = None
    try:
        if config.latency_max_batches:
            seconds = batch_latencies(model, X, config.latency_batch_size, config.latency_max_batches)
            p50, p99 = (float(v) for v in np.percentile(seconds, [50, 99]))
            block["metrics"].update(latency_p50=p50, latency_p99=p99)
            block["latency"]["batches"] = int(len(seconds))
    except Exception as exc:  # noqa: BLE001 - the inference result must be written anyway
        log.warning("latency not measured: %s: %s", type(exc).__name__, exc)
        block["error"] = f"{type(exc).__name__}: {exc}"
    block["duration"] = time.perf_counter() - begin
    return block


def robustness_properties(model: Any, X: Any, y: np.ndarray, clean_accuracy: float, seed: int,
                          average: str = "macro", n_scaled: int | None = None,
                          config: RobustnessConfig | None = None) -> dict[str, Any]:
    """Everything this module measures, as the ``robustness`` block of an inference ``results.json``.

    ``metrics``: metric key -> value (None where not available); ``noise``, ``calibration`` and ``latency``:
    how they were measured; ``start``: when it began (``time.time()``); ``duration``: seconds this took. A failure is logged and recorded as ``error``
    (the inference result itself is never lost).
    """
    config = config or RobustnessConfig.default()
    begin = time.perf_counter()
    block: dict[str, Any] = {
        "start": time.time(),
        "noise": {"sigma": dict(config.noise_sigma), "seed": seed,
                  "features": "stored entries (sparse)" if sp.issparse(X) else
                  f"{X.shape[1] if n_scaled is None else n_scaled} standardised of {X.shape[1]}"},
        "calibration": {"bins": config.calibration_bins, "binning": "equal-width, top-label confidence",
                        "source": None, "not_available": None},
        "latency": {"batch_size": config.latency_batch_size, "batches": 0},
    }
    try:
        metrics = noise_robustness(model, X, y, clean_accuracy, config, seed, average, n_scaled)
        calibrated, reason = calibration(model, X, y, config.calibration_bins)
        metrics.update(calibrated)
        block["calibration"].update(source=None if reason else "predict_proba", not_available=reason)
        metrics["latency_p50"] = metrics["latency_p99"] = None
        if config.latency_max_batches:
            seconds = batch_latencies(model, X, config.latency_batch_size, config.latency_max_batches)
            metrics["latency_p50"], metrics["latency_p99"] = (float(v) for v in np.percentile(seconds, [50, 99]))
            block["latency"]["batches"] = int(len(seconds))
        block["metrics"] = metrics
    except Exception as exc:  # noqa: BLE001 - the inference result must be written anyway
        log.warning("robustness properties not measured: %s: %s", type(exc).__name__, exc)
        block["error"] = f"{type(exc).__name__}: {exc}"
    block["duration"] = time.perf_counter() - begin
    return block
