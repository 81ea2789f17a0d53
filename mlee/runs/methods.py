"""The catalog's methods (the study's ten classifiers and gradient boosting, with their regressors): name resolution,
backends and estimator construction.

Names come from ``mlee/data/methods.json`` (full name -> short name, scikit-learn estimator). Full names, short
names (``RF``), case-insensitive spellings and underscores for spaces (``random_forest``) are accepted.

A *backend* is an implementation of the same methods, registered as a :class:`Backend` in :data:`BACKENDS`:

- ``sklearn``: scikit-learn's estimators (``methods.json``).
- ``sklearnex``: scikit-learn-intelex's oneDAL classes for kNN, SVM, RF, XRF and LR, scikit-learn's for the rest;
  which calls ran accelerated is recorded per run (:mod:`mlee.backends.sklearnex`).
- ``torch``: PyTorch models of the Multilayer Perceptron and Logistic Regression behind the scikit-learn
  interface (:mod:`mlee.backends.torch_models`), on ``--device cpu`` or ``cuda``.
- ``xgboost`` / ``lightgbm``: XGBoost's and LightGBM's gradient boosting as the Histogram Gradient Boosting
  method, for both learning tasks (:mod:`mlee.backends.boosting`; extras ``xgboost-cpu`` and ``lightgbm``).

The backend name and version are recorded in every run's ``config.json`` and are part of the result's
environment (``"<hardware> - <backend> <version>"``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable

from mlee import catalog
from mlee.runs.errors import UnknownNameError
from mlee.runs.search_spaces import FIXED, search_space


def method_names() -> list[str]:
    """Full names of the study's methods, in table order."""
    return list(catalog.methods())


def resolve_method_name(name: str) -> str:
    """Full method name for a full, short or case-insensitive name; :class:`UnknownNameError` otherwise. A user
    estimator's name (``module:Name[@version]``, :mod:`mlee.runs.user_model`) is returned as it is."""
    from mlee.runs.user_model import is_user_method

    if is_user_method(name):
        return name
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


def _no_trace(method: str) -> AbstractContextManager[Any]:
    return nullcontext()


def _check_nothing(device: str) -> None:
    if device != "cpu":
        raise ValueError(f"--device {device}: only --backend torch runs on a chosen device; the other backends "
                         f"run on the CPU (leave --device out)")


@dataclass(frozen=True)
class Backend:
    """An implementation of the methods.

    ``estimator_class(method)`` gives the class, ``version()`` the implementation's version, ``methods`` the full
    names it implements (``None``: all). ``trace(method)`` is a context manager around a fit or predict that
    yields an object with ``record() -> dict`` (what ran; ``None`` yielded where the backend records nothing).
    ``check(device)``, called once before a sweep, raises :class:`ImportError` (package missing) or
    :class:`ValueError` (device unusable) with the fix, and may warm the implementation up so that one-time costs
    are not measured in the first run. ``uses_device``: estimators take a ``device`` parameter. ``display``: the
    name results show (in the environment, ``"<hardware> - <display> <version>"``); ``distribution``: the package
    whose ``name==version`` line in a run's ``requirements`` gives the version of results that lack
    ``backend_version``; ``aliases``: other keys results may record for it.
    """

    name: str
    estimator_class: Callable[[str], type]
    version: Callable[[], str]
    description: str = ""
    methods: tuple[str, ...] | None = None
    trace: Callable[[str], AbstractContextManager[Any]] = _no_trace
    check: Callable[[str], None] = _check_nothing
    uses_device: bool = False
    display: str = ""
    distribution: str = ""
    aliases: tuple[str, ...] = ()
    regressor_class: Callable[[str], type | None] | None = None
    translate: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    accepts: tuple[str, ...] = ()

    def supports(self, method: str, task: str = "classification") -> bool:
        """Whether this backend implements ``method`` (full name) for ``task`` (``classification`` or
        ``regression``: the backend has a ``regressor_class`` that gives one for the method)."""
        if task == "regression":
            return self.regressor_class is not None and self.regressor_class(method) is not None
        return self.methods is None or method in self.methods


def _sklearn_class(method: str) -> type:
    return _import(catalog.methods()[method]["estimator"])


def _sklearn_regressor_class(method: str) -> type | None:
    path = catalog.methods().get(method, {}).get("estimator_regression")
    return _import(path) if path else None


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def _sklearnex_class(method: str) -> type:
    from mlee.backends import sklearnex as sklearnex_backend

    path = sklearnex_backend.ACCELERATED.get(method)
    return _import(path) if path else _sklearn_class(method)


def _sklearnex_trace(method: str) -> AbstractContextManager[Any]:
    from mlee.backends import sklearnex as sklearnex_backend

    return sklearnex_backend.trace(method in sklearnex_backend.ACCELERATED)


def _sklearnex_check(device: str) -> None:
    from mlee.backends import sklearnex as sklearnex_backend

    _check_nothing(device)
    sklearnex_backend.require()


def _sklearnex_version() -> str:
    from mlee.backends import sklearnex as sklearnex_backend

    return sklearnex_backend.version()


TORCH_CLASSES = {
    "Multilayer Perceptron": "mlee.backends.torch_models.TorchMLPClassifier",
    "Logistic Regression": "mlee.backends.torch_models.TorchLogisticRegression",
}


def _torch_class(method: str) -> type:
    return _import(TORCH_CLASSES[method])


def _torch_check(device: str) -> None:
    try:
        importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(f"--backend torch needs PyTorch ({exc}). Install the CPU build with: pip install "
                          f"torch --index-url https://download.pytorch.org/whl/cpu, then pip install "
                          f"'mlee[torch]' (see docs/how-to/backends.md)") from None
    from mlee.backends.torch_models import torch_device, warm_up

    torch_device(device)
    warm_up(device)


def _boosting_backend(name: str, display: str) -> Backend:
    from mlee.backends import boosting

    def check(device: str) -> None:
        _check_nothing(device)
        boosting.require(name)

    distribution = boosting.LIBRARIES[name][0]
    return Backend(name, lambda m: boosting.estimator_class(name, m), lambda: boosting.version(name),
                   boosting.describe(name), methods=(boosting.METHOD,), check=check, display=display,
                   distribution=distribution, regressor_class=lambda m: boosting.estimator_class(name, m, "regression"),
                   translate=lambda params: boosting.translate(name, params), accepts=boosting.ACCEPTS[name])


BACKENDS: dict[str, Backend] = {
    "sklearn": Backend("sklearn", _sklearn_class, _sklearn_version, "scikit-learn estimators",
                       display="Scikit-learn", distribution="scikit-learn", aliases=("scikit-learn",),
                       regressor_class=_sklearn_regressor_class),
    "sklearnex": Backend("sklearnex", _sklearnex_class, _sklearnex_version,
                         "scikit-learn-intelex (oneDAL) for kNN, SVM, RF, XRF, LR; scikit-learn for the rest",
                         trace=_sklearnex_trace, check=_sklearnex_check, display="scikit-learn-intelex",
                         distribution="scikit-learn-intelex", regressor_class=_sklearn_regressor_class),
    "torch": Backend("torch", _torch_class, lambda: importlib.metadata.version("torch"),
                     "PyTorch models of MLP and LR", methods=tuple(TORCH_CLASSES), check=_torch_check,
                     uses_device=True, display="PyTorch", distribution="torch"),
    "xgboost": _boosting_backend("xgboost", "XGBoost"),
    "lightgbm": _boosting_backend("lightgbm", "LightGBM"),
}


def get_backend(name: str) -> Backend:
    """The registered backend ``name``; :class:`UnknownNameError` listing the valid ones otherwise."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnknownNameError(f"Unknown backend {name!r}. Valid backends: {', '.join(BACKENDS)}.") from None


def fixed_params(method: str) -> dict[str, Any]:
    """Settings always applied to ``method`` (not searched), e.g. ``max_iter``; a user's methods-file entry
    (:mod:`mlee.runs.user_methods`) has its own ``params``."""
    own = catalog.user_methods().get(method)
    if own is not None:
        return dict(own.get("params", {}))
    return dict(FIXED.get(method, {}))


def normalise_params(params: dict[str, Any]) -> dict[str, Any]:
    """Undo what a JSON round-trip does to parameters (e.g. MLP ``hidden_layer_sizes`` list -> tuple)."""
    out = dict(params)
    if "hidden_layer_sizes" in out and isinstance(out["hidden_layer_sizes"], list):
        out["hidden_layer_sizes"] = tuple(int(v) for v in out["hidden_layer_sizes"])
    return out


def backend_methods(backend: str, task: str = "classification") -> list[str]:
    """Full names of the methods ``backend`` implements for ``task``, in table order."""
    impl = get_backend(backend)
    return [m for m in method_names() if impl.supports(m, task)]


def make_estimator(method: str, params: dict[str, Any] | None = None, seed: int | None = None,
                   backend: str = "sklearn", device: str = "cpu", task: str = "classification") -> Any:
    """An unfitted estimator of ``method`` with the fixed settings, then ``params``, and ``random_state=seed``
    where the estimator has one; ``device`` for backends that run on a chosen device (torch); ``task``
    ``"regression"`` gives the method's regressor (``estimator_regression`` of ``methods.json``). A registered
    user estimator (:mod:`mlee.runs.user_model`) is built from its own parameters."""
    from mlee.runs.user_model import is_user_method, make_user_estimator

    if is_user_method(method):
        return make_user_estimator(method, seed)
    method = resolve_method_name(method)
    impl = get_backend(backend)
    if not impl.supports(method, task):
        if task == "regression":
            raise UnknownNameError(f"{method} has no regressor in backend {backend!r}; the methods for regression "
                                   f"datasets are {', '.join(backend_methods(backend, task)) or 'none'}.")
        raise UnknownNameError(f"Backend {backend!r} has no {method}; it implements "
                               f"{', '.join(backend_methods(backend))}. Use --backend sklearn for the others.")
    cls = impl.regressor_class(method) if task == "regression" else impl.estimator_class(method)
    estimator = cls()
    settings = fixed_params(method)
    settings.update(normalise_params(params or {}))
    if seed is not None and "random_state" in estimator.get_params():
        settings["random_state"] = seed
    if impl.uses_device:
        settings["device"] = device
    elif device != "cpu":
        _check_nothing(device)
    if impl.translate is not None:
        settings = impl.translate(settings)
    unknown = sorted(set(settings) - set(estimator.get_params()) - set(impl.accepts))
    if unknown:
        raise ValueError(f"{method}: {cls.__module__}.{cls.__name__} (backend {backend}) has no parameter(s) "
                         f"{', '.join(unknown)}; the hyperparameter file was written for another version or "
                         f"backend. Rerun evaluate_hyperparams.py, or pass --hyperparameters default.")
    return estimator.set_params(**settings)


def method_search_space(method: str, task: str = "classification") -> dict[str, Any]:
    """Random-search space of a method (accepts any spelling of the name) for ``task``."""
    return search_space(resolve_method_name(method), task)
