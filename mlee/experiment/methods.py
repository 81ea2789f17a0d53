"""The study's ten classifiers: name resolution, backends and estimator construction.

Names come from ``mlee/data/methods.json`` (full name -> short name, scikit-learn estimator). Full names, short
names (``RF``), case-insensitive spellings and underscores for spaces (``random_forest``) are accepted.

A *backend* is an implementation of the same methods. Only ``sklearn`` exists today; another backend (e.g.
scikit-learn-intelex) is added by registering a :class:`Backend` in :data:`BACKENDS` that maps method names to
estimator classes. The backend name and version are recorded in every run's ``config.json``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from mlee import catalog
from mlee.experiment.errors import UnknownNameError
from mlee.experiment.search_spaces import FIXED, search_space


def method_names() -> list[str]:
    """Full names of the study's methods, in table order."""
    return list(catalog.methods())


def resolve_method_name(name: str) -> str:
    """Full method name for a full, short or case-insensitive name; :class:`UnknownNameError` otherwise."""
    table = catalog.methods()
    full = catalog.find_key(name, table, "short")
    if full is not None:
        return full
    valid = ", ".join(f"{full} ({entry['short']})" for full, entry in table.items())
    raise UnknownNameError(f"Unknown method {name!r}. Valid names (full or short, any case): {valid}.")


def file_safe_method(name: str) -> str:
    """Method name as used in file names: spaces -> underscores (``Random_Forest``)."""
    return name.replace(" ", "_")


def _import(path: str) -> type:
    module, _, cls = path.rpartition(".")
    return getattr(importlib.import_module(module), cls)


@dataclass(frozen=True)
class Backend:
    """An implementation of the methods: how to get an estimator class and the implementation's version."""

    name: str
    estimator_class: Callable[[str], type]
    version: Callable[[], str]
    description: str = ""


def _sklearn_class(method: str) -> type:
    return _import(catalog.methods()[method]["estimator"])


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


BACKENDS: dict[str, Backend] = {
    "sklearn": Backend("sklearn", _sklearn_class, _sklearn_version, "scikit-learn estimators"),
}


def get_backend(name: str) -> Backend:
    """The registered backend ``name``; :class:`UnknownNameError` listing the valid ones otherwise."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnknownNameError(f"Unknown backend {name!r}. Valid backends: {', '.join(BACKENDS)}.") from None


def fixed_params(method: str) -> dict[str, Any]:
    """Settings always applied to ``method`` (not searched), e.g. ``max_iter``."""
    return dict(FIXED.get(method, {}))


def normalise_params(params: dict[str, Any]) -> dict[str, Any]:
    """Undo what a JSON round-trip does to parameters (e.g. MLP ``hidden_layer_sizes`` list -> tuple)."""
    out = dict(params)
    if "hidden_layer_sizes" in out and isinstance(out["hidden_layer_sizes"], list):
        out["hidden_layer_sizes"] = tuple(int(v) for v in out["hidden_layer_sizes"])
    return out


def make_estimator(method: str, params: dict[str, Any] | None = None, seed: int | None = None,
                   backend: str = "sklearn") -> Any:
    """An unfitted estimator of ``method`` with the fixed settings, then ``params``, and ``random_state=seed``
    where the estimator has one."""
    method = resolve_method_name(method)
    cls = get_backend(backend).estimator_class(method)
    estimator = cls()
    settings = fixed_params(method)
    settings.update(normalise_params(params or {}))
    if seed is not None and "random_state" in estimator.get_params():
        settings["random_state"] = seed
    unknown = sorted(set(settings) - set(estimator.get_params()))
    if unknown:
        raise ValueError(f"{method}: {cls.__name__} has no parameter(s) {', '.join(unknown)}; the hyperparameter "
                         f"file was written for another version. Rerun evaluate_hyperparams.py.")
    return estimator.set_params(**settings)


def method_search_space(method: str) -> dict[str, Any]:
    """Random-search space of a method (accepts any spelling of the name)."""
    return search_space(resolve_method_name(method))
