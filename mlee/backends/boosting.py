"""XGBoost and LightGBM as implementations of the catalog's Histogram Gradient Boosting method.

``--backend xgboost`` runs ``xgboost.XGBClassifier`` / ``XGBRegressor`` (histogram tree method), ``--backend
lightgbm`` ``lightgbm.LGBMClassifier`` / ``LGBMRegressor``, in place of scikit-learn's
``HistGradientBoosting{Classifier,Regressor}``; they implement that one method, for both learning tasks. The
libraries are optional (extras ``mlee[xgboost-cpu]`` and ``mlee[lightgbm]``); :func:`require` says which to install.

Hyperparameters are written in scikit-learn's names (the search space and the shipped search of the method):
:func:`translate` maps them to the library's own before the estimator is built:

=====================  ======================  ======================
scikit-learn (HGB)     XGBoost                 LightGBM
=====================  ======================  ======================
``max_iter``           ``n_estimators``        ``n_estimators``
``learning_rate``      ``learning_rate``       ``learning_rate``
``max_leaf_nodes``     ``max_leaves``          ``num_leaves``
``min_samples_leaf``   ``min_child_weight``    ``min_child_samples``
``l2_regularization``  ``reg_lambda``          ``reg_lambda``
``max_depth``          ``max_depth``           ``max_depth`` (-1: none)
=====================  ======================  ======================

XGBoost's ``min_child_weight`` is a hessian sum, not a sample count; for squared error they coincide. Both run
on the CPU with the library's default threads, quietly (``verbosity=0`` / ``verbose=-1``).

Complexity (:mod:`mlee.runs.complexity` asks :func:`n_parameters` and :func:`flops_per_sample`): two values per
tree node as for the other tree methods, and per tree its depth plus one addition; a classifier adds ``3K`` for
its link function (``K`` trees per round: the classes when more than two, else 1).
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any

METHOD = "Histogram Gradient Boosting"

#: backend -> (distribution, extra, classifier, regressor)
LIBRARIES: dict[str, tuple[str, str, str, str]] = {
    "xgboost": ("xgboost-cpu", "xgboost-cpu", "xgboost.XGBClassifier", "xgboost.XGBRegressor"),
    "lightgbm": ("lightgbm", "lightgbm", "lightgbm.LGBMClassifier", "lightgbm.LGBMRegressor"),
}

_NAMES: dict[str, dict[str, str]] = {
    "xgboost": {"max_iter": "n_estimators", "max_leaf_nodes": "max_leaves", "min_samples_leaf": "min_child_weight",
                "l2_regularization": "reg_lambda"},
    "lightgbm": {"max_iter": "n_estimators", "max_leaf_nodes": "num_leaves", "min_samples_leaf": "min_child_samples",
                 "l2_regularization": "reg_lambda"},
}
_QUIET: dict[str, dict[str, Any]] = {"xgboost": {"verbosity": 0, "tree_method": "hist"}, "lightgbm": {"verbose": -1}}
#: parameters the library's estimators take that their ``get_params`` does not list
ACCEPTS: dict[str, tuple[str, ...]] = {"xgboost": (), "lightgbm": ("verbose",)}


def require(backend: str) -> None:
    """Raise :class:`ImportError` naming the extra to install when ``backend``'s library is missing.

    Parameters
    ----------
    backend : str
        ``"xgboost"`` or ``"lightgbm"``.
    """
    distribution, extra, classifier, _ = LIBRARIES[backend]
    module = classifier.split(".")[0]
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"--backend {backend} needs {distribution} ({exc}). Install it with: "
                          f"pip install 'mlee[{extra}]' (or pip install {distribution})") from None


def version(backend: str) -> str:
    """The installed version of ``backend``'s library (``"not installed"`` without it).

    Parameters
    ----------
    backend : str
        ``"xgboost"`` or ``"lightgbm"``.

    Returns
    -------
    str
    """
    distribution, _, classifier, _ = LIBRARIES[backend]
    for name in (distribution, classifier.split(".")[0]):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


def _import(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def estimator_class(backend: str, method: str, task: str = "classification") -> type | None:
    """The library's class of ``method`` for ``task``; None for any other method than :data:`METHOD`.

    Parameters
    ----------
    backend : str
        ``"xgboost"`` or ``"lightgbm"``.
    method : str
        Full method name.
    task : str
        ``"classification"`` or ``"regression"``.

    Returns
    -------
    type or None
    """
    if method != METHOD:
        return None
    require(backend)
    _, _, classifier, regressor = LIBRARIES[backend]
    return _import(regressor if task == "regression" else classifier)


def translate(backend: str, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters in scikit-learn's HGB names -> the library's names (see the module table), plus its quiet and
    CPU settings; names the library shares (``learning_rate``, ``random_state``) pass unchanged.

    Parameters
    ----------
    backend : str
        ``"xgboost"`` or ``"lightgbm"``.
    params : dict
        Settings as :func:`mlee.runs.methods.make_estimator` collected them.

    Returns
    -------
    dict
    """
    names = _NAMES[backend]
    out = dict(_QUIET[backend])
    for key, value in params.items():
        if key == "max_depth" and value is None:
            value = -1 if backend == "lightgbm" else 0
        out[names.get(key, key)] = value
    return out


def _xgb_trees(model: Any) -> list[tuple[int, int]]:
    """(nodes, depth) of every tree of a fitted XGBoost model, read from its text dump."""
    out = []
    for dump in model.get_booster().get_dump():
        lines = [line for line in dump.splitlines() if line.strip()]
        depth = max((len(line) - len(line.lstrip("\t")) for line in lines), default=0)
        out.append((len(lines), depth))
    return out


def _lgbm_trees(model: Any) -> list[tuple[int, int]]:
    """(nodes, depth) of every tree of a fitted LightGBM model, read from ``dump_model()``."""
    def walk(node: dict[str, Any], depth: int) -> tuple[int, int]:
        if "left_child" not in node:
            return 1, depth
        left, right = walk(node["left_child"], depth + 1), walk(node["right_child"], depth + 1)
        return 1 + left[0] + right[0], max(left[1], right[1])

    return [walk(tree["tree_structure"], 0) for tree in model.booster_.dump_model()["tree_info"]]


def tree_shape(model: Any) -> list[tuple[int, int]]:
    """(nodes, depth) of every tree of a fitted XGBoost or LightGBM model.

    Parameters
    ----------
    model : estimator
        A fitted ``XGB*`` or ``LGBM*`` estimator.

    Returns
    -------
    list of (int, int)
    """
    return _xgb_trees(model) if type(model).__module__.startswith("xgboost") else _lgbm_trees(model)


def _per_round(model: Any) -> int:
    classes = getattr(model, "n_classes_", None)
    return int(classes) if classes and classes > 2 else 1


def is_boosting_model(model: Any) -> bool:
    """True for XGBoost's and LightGBM's scikit-learn estimators."""
    module = type(model).__module__
    return module.startswith("xgboost") or module.startswith("lightgbm")


def n_parameters(model: Any) -> int:
    """Two values per tree node (feature and threshold, or a leaf's value and its marker) over all trees.

    Parameters
    ----------
    model : estimator
        A fitted ``XGB*`` or ``LGBM*`` estimator.

    Returns
    -------
    int
    """
    return int(sum(2 * nodes for nodes, _ in tree_shape(model)))


def flops_per_sample(model: Any) -> int:
    """Per tree its depth plus one addition; ``3K`` more for a classifier's link function.

    Parameters
    ----------
    model : estimator
        A fitted ``XGB*`` or ``LGBM*`` estimator.

    Returns
    -------
    int
    """
    trees = sum(depth + 1 for _, depth in tree_shape(model))
    classifier = hasattr(model, "classes_")
    return int(trees + (3 * _per_round(model) if classifier else 0))


def describe(backend: str) -> str:
    """One line on what ``backend`` runs, for ``--help``."""
    _, extra, classifier, regressor = LIBRARIES[backend]
    return f"{classifier}/{regressor.rsplit('.', 1)[1]} for HGB (pip install 'mlee[{extra}]')"


__all__ = ["ACCEPTS", "LIBRARIES", "METHOD", "describe", "estimator_class", "flops_per_sample", "is_boosting_model",
           "n_parameters", "require", "translate", "tree_shape", "version"]
