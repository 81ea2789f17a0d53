"""Model complexity of fitted classifiers and regressors: stored parameters, analytic FLOPs per prediction, model
size.

A regressor counts as its classifier with one output (``C = 1`` in the formulas' per-class terms): kNN stores
the targets instead of the labels, SVR one dual coefficient per support vector and one intercept, a forest
averages one value per tree, AdaBoost's weighted median of the trees' predictions counts 2 per estimator.

Parameter count = number of values the fitted model stores to predict (``d`` features, ``C`` classes):

=========================  ======================================================================
kNN                        training data plus labels: ``n_fit * d + n_fit``
SVM (SVC)                  support vectors (``n_SV * d``, non-zeros if sparse) + dual coefficients
                           (``(C-1) * n_SV``) + intercepts (``C(C-1)/2``)
RF, XRF                    two per tree node (feature index and threshold), summed over trees
AdaBoost                   two per node of every tree + one weight per estimator
GNB                        class priors + per-class means and variances: ``C + 2*C*d``
RR, LR, SGD                ``coef_`` + ``intercept_`` (``k*d + k``; ``k = 1`` for two classes, else ``C``)
MLP                        all weights and biases: ``sum(n_in*n_out + n_out)`` over layers
HGB                        two per node of every tree (``K`` trees per iteration, ``K = C`` for more
                           than two classes, else 1) + ``K`` baseline values
=========================  ======================================================================

FLOPs = floating-point operations to predict one sample (a multiply-add counts as 2, a comparison as 1):

=========================  ======================================================================
kNN                        distance to every stored sample, 3 per feature (difference, square or
                           absolute value, sum): ``3 * d * n_fit``; plus ``k`` divisions with
                           ``weights="distance"``
SVM                        kernel per support vector (linear ``2d``; rbf ``3d + 2``; poly ``2d + 2 +
                           degree``; sigmoid ``2d + 3``) + ``2 * (C-1) * n_SV + C(C-1)/2`` for the
                           one-vs-one decision values
RF, XRF                    one comparison per level of each tree (``sum of depths``) + ``C`` additions
                           per tree to average the class probabilities + ``C`` divisions
AdaBoost                   per tree its depth + ``2C`` for the weighted vote; ``C`` for the normalisation
GNB                        per class ``7d + 4`` (log-variance term ``3d + 1``, squared distance over
                           variance ``4d + 1``, prior and scaling ``2``): ``C * (7d + 4)``
RR, LR, SGD                ``2 * d * k`` (one multiply-add per weight; the bias add is the last add)
MLP                        ``sum(2 * n_in * n_out + n_out)`` over layers (one per activation)
HGB                        per tree its depth + 1 (adding the leaf value) + ``3K`` for the link function
                           of a classifier (softmax / sigmoid)
=========================  ======================================================================

XGBoost's and LightGBM's models (``--backend xgboost`` / ``lightgbm``) are counted from their tree dumps as HGB
(:mod:`mlee.backends.boosting`). Models that count themselves (the PyTorch backend's ``n_parameters()`` and ``flops_per_sample()``, read from the
``nn.Module``) are asked; the counts above then hold for the same architecture. scikit-learn-intelex's classes
carry scikit-learn's names and fitted attributes, so the table applies to them.

Model file size = ``len(pickle.dumps(model))`` in bytes. Measured FLOPs come from PAPI's ``PAPI_FP_OPS`` (via
``pypapi``) where it is installed and the counters are usable; otherwise they are ``None``.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from mlee.backends.boosting import is_boosting_model

log = logging.getLogger(__name__)


def _tree_nodes(tree_estimator: Any) -> int:
    return int(tree_estimator.tree_.node_count)


def _tree_depth(tree_estimator: Any) -> int:
    return int(tree_estimator.tree_.max_depth)


def _n_classes(model: Any) -> int:
    return int(len(model.classes_))


def _linear_rows(model: Any) -> tuple[int, int]:
    coef = np.atleast_2d(model.coef_)
    return coef.shape[0], coef.shape[1]


#: the linear models: one coefficient row per class (or output) and an intercept
_LINEAR = ("RidgeClassifier", "LogisticRegression", "SGDClassifier", "Ridge", "SGDRegressor", "LinearRegression")


def _hgb_trees(model: Any) -> list[Any]:
    return [tree for iteration in model._predictors for tree in iteration]


def _hgb_depth(tree: Any) -> int:
    return int(tree.nodes["depth"].max()) if len(tree.nodes) else 0


def count_parameters(model: Any) -> int:
    """Number of values a fitted classifier or regressor stores to predict (see the module table)."""
    if hasattr(model, "n_parameters"):
        return int(model.n_parameters())
    if is_boosting_model(model):
        from mlee.backends import boosting

        return boosting.n_parameters(model)
    name = type(model).__name__
    if name in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
        return int(sum(2 * len(t.nodes) for t in _hgb_trees(model)) + np.size(model._baseline_prediction))
    if name in ("KNeighborsClassifier", "KNeighborsRegressor"):
        n, d = model._fit_X.shape
        return int(n * d + (np.size(model._y) if name == "KNeighborsRegressor" else n))
    if name in ("SVC", "SVR"):
        sv = model.support_vectors_
        stored = sv.nnz if sp.issparse(sv) else sv.size
        return int(stored + model.dual_coef_.size + model.intercept_.size)
    if name in ("RandomForestClassifier", "ExtraTreesClassifier", "RandomForestRegressor", "ExtraTreesRegressor"):
        return int(sum(2 * _tree_nodes(t) for t in model.estimators_))
    if name in ("AdaBoostClassifier", "AdaBoostRegressor"):
        return int(sum(2 * _tree_nodes(t) for t in model.estimators_) + len(model.estimators_))
    if name == "GaussianNB":
        return int(model.class_prior_.size + model.theta_.size + model.var_.size)
    if name in _LINEAR:
        return int(np.size(model.coef_) + np.size(model.intercept_))
    if name in ("MLPClassifier", "MLPRegressor"):
        return int(sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_))
    raise TypeError(f"No parameter count for {name}; add it to mlee/runs/complexity.py.")


def _svc_kernel_flops(model: Any, d: int) -> int:
    kernel = model.kernel
    if kernel == "linear":
        return 2 * d
    if kernel == "rbf":
        return 3 * d + 2
    if kernel == "poly":
        return 2 * d + 2 + int(model.degree)
    if kernel == "sigmoid":
        return 2 * d + 3
    raise TypeError(f"No FLOP formula for SVC kernel {kernel!r}.")


def count_flops(model: Any) -> int:
    """Analytic floating-point operations to predict one sample with a fitted classifier or regressor (see the
    module table)."""
    if hasattr(model, "flops_per_sample"):
        return int(model.flops_per_sample())
    if is_boosting_model(model):
        from mlee.backends import boosting

        return boosting.flops_per_sample(model)
    name = type(model).__name__
    if name in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
        link = 3 * len(model._predictors[0]) if name.endswith("Classifier") and model._predictors else 0
        return int(sum(_hgb_depth(t) + 1 for t in _hgb_trees(model)) + link)
    if name == "KNeighborsRegressor":
        n, d = model._fit_X.shape
        extra = model.n_neighbors if model.weights == "distance" else 0
        return int(3 * d * n + extra + model.n_neighbors)
    if name == "SVR":
        n_sv, d = model.support_vectors_.shape
        return int(n_sv * _svc_kernel_flops(model, d) + 2 * n_sv)
    if name in ("RandomForestRegressor", "ExtraTreesRegressor"):
        return int(sum(_tree_depth(t) for t in model.estimators_) + len(model.estimators_) + 1)
    if name == "AdaBoostRegressor":
        return int(sum(_tree_depth(t) + 2 for t in model.estimators_))
    if name == "KNeighborsClassifier":
        n, d = model._fit_X.shape
        extra = model.n_neighbors if model.weights == "distance" else 0
        return int(3 * d * n + extra)
    if name == "SVC":
        n_sv, d = model.support_vectors_.shape
        c = _n_classes(model)
        return int(n_sv * _svc_kernel_flops(model, d) + 2 * (c - 1) * n_sv + c * (c - 1) // 2)
    if name in ("RandomForestClassifier", "ExtraTreesClassifier"):
        c = _n_classes(model)
        return int(sum(_tree_depth(t) for t in model.estimators_) + c * len(model.estimators_) + c)
    if name == "AdaBoostClassifier":
        c = _n_classes(model)
        return int(sum(_tree_depth(t) + 2 * c for t in model.estimators_) + c)
    if name == "GaussianNB":
        c, d = model.theta_.shape
        return int(c * (7 * d + 4))
    if name in _LINEAR:
        k, d = _linear_rows(model)
        return int(2 * d * k)
    if name in ("MLPClassifier", "MLPRegressor"):
        return int(sum(2 * w.shape[0] * w.shape[1] + w.shape[1] for w in model.coefs_))
    raise TypeError(f"No FLOP formula for {name}; add it to mlee/runs/complexity.py.")


def model_size_bytes(model: Any) -> int:
    """Size of the pickled fitted model in bytes (``len(pickle.dumps(model))``)."""
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def measure_flops(predict: Callable[[], Any], n_samples: int, papi: Any = None) -> float | None:
    """FLOPs per sample measured with PAPI's ``PAPI_FP_OPS`` around ``predict()``; ``None`` where PAPI is missing
    or unusable (never raises for that reason).

    ``papi`` is the ``pypapi`` module (imported when ``None``); it must offer ``papi_high`` and ``events``.
    """
    if papi is None:
        try:
            import pypapi as papi  # type: ignore[import-not-found,no-redef]
        except Exception:  # noqa: BLE001 - missing or broken install: no measurement
            log.debug("pypapi is not installed: no measured FLOPs")
            return None
    try:
        high, events = papi.papi_high, papi.events
        high.start_counters([events.PAPI_FP_OPS])
    except Exception as exc:  # noqa: BLE001 - counters unavailable (VM, permissions, no PAPI_FP_OPS)
        log.info("PAPI is installed but its FP counter is unusable (%s): no measured FLOPs", exc)
        return None
    try:
        predict()
    finally:
        try:
            counts = high.stop_counters()
        except Exception as exc:  # noqa: BLE001
            log.info("PAPI stop_counters failed (%s): no measured FLOPs", exc)
            counts = None
    if not counts or n_samples <= 0:
        return None
    return float(counts[0]) / n_samples


#: the estimators the analytic counters have a formula for (others may define n_parameters/flops_per_sample)
COUNTED = frozenset({"KNeighborsClassifier", "SVC", "RandomForestClassifier", "ExtraTreesClassifier",
                     "AdaBoostClassifier", "GaussianNB", "RidgeClassifier", "LogisticRegression", "SGDClassifier",
                     "MLPClassifier", "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
                     "KNeighborsRegressor", "SVR", "RandomForestRegressor", "ExtraTreesRegressor",
                     "AdaBoostRegressor", "Ridge", "SGDRegressor", "LinearRegression", "MLPRegressor"})


def _counted_step(model: Any) -> Any:
    """What the analytic counters read: a pipeline's final step, else the model."""
    steps = getattr(model, "steps", None)
    return steps[-1][1] if isinstance(steps, list) and steps and hasattr(model, "named_steps") else model


def counters_reason(model: Any) -> str | None:
    """Why the parameter count and analytic FLOPs of ``model`` cannot be read (None when they can).

    Parameters
    ----------
    model : an estimator (fitted or not).

    Returns
    -------
    str or None
    """
    step = _counted_step(model)
    name = type(step).__name__
    counts_itself = hasattr(step, "n_parameters") and hasattr(step, "flops_per_sample")
    if name in COUNTED or is_boosting_model(step) or counts_itself:
        return None
    return (f"{name} has no parameter or FLOP formula in mlee.runs.complexity (and no n_parameters() / "
            f"flops_per_sample() methods): parameters and FLOPs are n.a.; the pickled size is measured")


def model_info(model: Any) -> dict[str, Any]:
    """The ``model`` block of a results file: hyperparameters, parameter count, analytic FLOPs, pickled size.

    Parameters
    ----------
    model : a fitted estimator (of a pipeline the final step is counted).

    Returns
    -------
    dict
        ``hyperparams``, ``params``, ``fsize``, ``flops``, ``flops_measured``; ``params`` and ``flops`` are None
        with ``counters_not_available`` giving the reason where no formula reads the model.
    """
    step = _counted_step(model)
    reason = counters_reason(model)
    try:
        params, flops = (None, None) if reason else (count_parameters(step), count_flops(step))
    except TypeError as exc:
        params, flops, reason = None, None, str(exc)
    info: dict[str, Any] = {"hyperparams": jsonable_params(model.get_params(deep=False)), "params": params,
                            "fsize": model_size_bytes(model), "flops": flops, "flops_measured": None}
    if reason:
        info["counters_not_available"] = reason
    elif step is not model:
        info["counted"] = f"final step {type(step).__name__} (the steps before it are not counted)"
    return info


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Estimator parameters as JSON values (numbers and strings as is, tuples as lists, objects as ``repr``)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        out[key] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)
