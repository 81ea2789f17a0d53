"""Quality metrics of a fitted model on the test split: a classifier's, or a regressor's (:func:`regression_metrics`).

Accuracy, F1, precision and recall use scikit-learn with ``average`` (``macro`` by default; ``micro`` is what the
published study used) and ``zero_division=0``. Top-5 accuracy needs per-class scores (``predict_proba``, or
``decision_function`` with one column per class) and more than five classes; otherwise it is ``None``
(not applicable).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (accuracy_score, f1_score, mean_absolute_error, mean_squared_error, precision_score,
                             r2_score, recall_score, top_k_accuracy_score)

from mlee.runs.defaults import AVERAGES

TOP_K = 5


def class_scores(model: Any, X: Any) -> tuple[np.ndarray | None, str | None]:
    """Per-class scores ``(n_samples, n_classes)`` and where they came from, or ``(None, None)``."""
    n_classes = len(getattr(model, "classes_", []))
    if hasattr(model, "predict_proba"):
        try:
            return np.asarray(model.predict_proba(X)), "predict_proba"
        except (AttributeError, NotImplementedError):
            pass  # e.g. SGD with hinge loss, SVC without probability=True
    if hasattr(model, "decision_function"):
        scores = np.asarray(model.decision_function(X))
        if scores.ndim == 2 and scores.shape[1] == n_classes:
            return scores, "decision_function"
    return None, None


def quality_metrics(model: Any, X_test: Any, y_test: np.ndarray, y_pred: np.ndarray,
                    average: str = "macro") -> dict[str, Any]:
    """``{"accuracy", "f1", "precision", "recall", "top_5_accuracy"}`` (fractions 0..1, top-5 ``None`` when not
    applicable) plus ``"top_5_scores"``: which method supplied the class scores."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {', '.join(AVERAGES)}, got {average!r}.")
    metrics: dict[str, Any] = {
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "f1": float(f1_score(y_test, y_pred, average=average, zero_division=0)),
        "precision": float(precision_score(y_test, y_pred, average=average, zero_division=0)),
        "recall": float(recall_score(y_test, y_pred, average=average, zero_division=0)),
        "top_5_accuracy": None,
        "top_5_scores": None,
    }
    classes = np.asarray(model.classes_)
    if len(classes) > TOP_K:
        scores, source = class_scores(model, X_test)
        if scores is not None:
            metrics["top_5_accuracy"] = float(top_k_accuracy_score(y_test, scores, k=TOP_K, labels=classes))
            metrics["top_5_scores"] = source
    return metrics


def regression_metrics(y_test: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Quality of a regressor's predictions on the test split.

    Parameters
    ----------
    y_test : array
        The true targets.
    y_pred : array
        The predictions.

    Returns
    -------
    dict
        ``{"r2", "rmse", "mae"}``: the coefficient of determination (1 is perfect, may be negative), the root
        mean squared error and the mean absolute error (both in the target's unit); ``None`` where a value is
        not finite (a model predicting NaN or infinity).
    """
    y_test = np.asarray(y_test, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_test.shape)
    if not np.isfinite(y_pred).all():
        return {"r2": None, "rmse": None, "mae": None}
    return {"r2": float(r2_score(y_test, y_pred)), "rmse": float(np.sqrt(mean_squared_error(y_test, y_pred))),
            "mae": float(mean_absolute_error(y_test, y_pred))}
