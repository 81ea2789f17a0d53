"""Random-search spaces and fixed settings of the study's ten classifiers.

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
}


def search_space(method: str) -> dict[str, Any]:
    """The random-search space of a method (full name), as accepted by ``RandomizedSearchCV``."""
    from scipy.stats import loguniform, randint  # ~1 s to import: not on every command line's start

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
    }
    try:
        return spaces[method]
    except KeyError:
        raise KeyError(f"No search space for method {method!r}; known: {', '.join(spaces)}") from None
