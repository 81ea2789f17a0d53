"""Random-search spaces and fixed settings of the catalog's methods, per learning task.

A method's regressor (``estimator_regression`` in ``methods.json``) is searched in :data:`REGRESSION_SPACES`
where its parameters differ from the classifier's (split criteria, losses), in the classifier's space otherwise.

Every space is valid in the installed scikit-learn (the tests fit sampled configurations of each). Spaces are
kept modest so that the shipped search (4 bundled datasets x 10 methods) runs in minutes on two cores and the
best configurations stay quick to train: iteration counts and ensemble sizes are capped.

``FIXED`` holds settings that are not searched but always set (e.g. ``max_iter``); they are applied before the
searched values. Distributions are scipy.stats frozen distributions or lists (sampled uniformly).
"""

from __future__ import annotations

from typing import Any

#: Settings applied to every fit of a method (not searched).
FIXED: dict[str, dict[str, Any]] = {
    "k-Nearest Neighbors": {},
    "Support Vector Machine": {"max_iter": 100_000, "cache_size": 500},
    "Random Forest": {},
    "Extra Random Forest": {},
    "AdaBoost": {},
    "Gaussian Naive Bayes": {},
    "Ridge Regression": {},
    "Logistic Regression": {"max_iter": 300},
    "Linear Stochastic Gradient Descent": {"max_iter": 300, "tol": 1e-3},
    "Multilayer Perceptron": {"max_iter": 300},
    "Histogram Gradient Boosting": {},
}


def _regression_spaces() -> dict[str, dict[str, Any]]:
    from scipy.stats import loguniform

    trees = {"n_estimators": [10, 25, 50, 100], "max_depth": [5, 10, 20, None],
             "min_samples_leaf": [1, 2, 5], "max_features": ["sqrt", "log2", 1.0]}
    return {
        "Random Forest": dict(trees),
        "Extra Random Forest": dict(trees),
        "AdaBoost": {"n_estimators": [10, 25, 50, 100], "learning_rate": loguniform(0.05, 2.0),
                     "loss": ["linear", "square", "exponential"]},
        "Support Vector Machine": {"C": loguniform(1e-1, 1e3), "kernel": ["linear", "rbf", "poly"],
                                   "gamma": ["scale", "auto"], "degree": [2, 3], "epsilon": loguniform(1e-2, 1.0)},
        "Linear Stochastic Gradient Descent": {"loss": ["squared_error", "huber", "epsilon_insensitive"],
                                               "alpha": loguniform(1e-6, 1e-2),
                                               "penalty": ["l2", "l1", "elasticnet"]},
    }


def search_space(method: str, task: str = "classification") -> dict[str, Any]:
    """The random-search space of a method, as accepted by ``RandomizedSearchCV``.

    Parameters
    ----------
    method : str
        Full method name.
    task : str
        ``"classification"`` or ``"regression"`` (the space of the method's regressor).

    Returns
    -------
    dict
        Parameter name -> list of values or frozen scipy.stats distribution.
    """
    from scipy.stats import loguniform, randint  # ~1 s to import: not on every command line's start

    if task == "regression" and method in _regression_spaces():
        return _regression_spaces()[method]

    spaces: dict[str, dict[str, Any]] = {
        "k-Nearest Neighbors": {
            "n_neighbors": randint(1, 31),
            "weights": ["uniform", "distance"],
            "p": [1, 2],
        },
        "Support Vector Machine": {
            "C": loguniform(1e-2, 1e2),
            "kernel": ["linear", "rbf", "poly"],
            "gamma": ["scale", "auto"],
            "degree": [2, 3],
        },
        "Random Forest": {
            "n_estimators": [10, 25, 50, 100],
            "max_depth": [5, 10, 20, None],
            "criterion": ["gini", "entropy"],
            "max_features": ["sqrt", "log2"],
        },
        "Extra Random Forest": {
            "n_estimators": [10, 25, 50, 100],
            "max_depth": [5, 10, 20, None],
            "criterion": ["gini", "entropy"],
            "max_features": ["sqrt", "log2"],
        },
        "AdaBoost": {
            "n_estimators": [10, 25, 50, 100],
            "learning_rate": loguniform(0.05, 2.0),
        },
        "Gaussian Naive Bayes": {
            "var_smoothing": loguniform(1e-11, 1e-5),
        },
        "Ridge Regression": {
            "alpha": loguniform(1e-3, 1e2),
            "fit_intercept": [True, False],
        },
        "Logistic Regression": {
            "C": loguniform(1e-2, 1e2),
            "solver": ["lbfgs", "newton-cg", "saga"],
        },
        "Linear Stochastic Gradient Descent": {
            "loss": ["hinge", "log_loss", "modified_huber"],
            "alpha": loguniform(1e-6, 1e-2),
            "penalty": ["l2", "l1", "elasticnet"],
        },
        "Multilayer Perceptron": {
            "hidden_layer_sizes": [(50,), (100,), (100, 50)],
            "alpha": loguniform(1e-5, 1e-2),
            "learning_rate_init": loguniform(1e-4, 1e-2),
            "activation": ["relu", "tanh"],
        },
        "Histogram Gradient Boosting": {
            "learning_rate": loguniform(0.01, 0.3),
            "max_iter": [50, 100, 200],
            "max_leaf_nodes": [15, 31, 63],
            "min_samples_leaf": [10, 20, 40],
            "l2_regularization": loguniform(1e-6, 1.0),
        },
    }
    try:
        return spaces[method]
    except KeyError:
        raise KeyError(f"No search space for method {method!r}; known: {', '.join(spaces)}") from None
