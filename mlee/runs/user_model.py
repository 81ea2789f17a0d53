"""A user's own estimator as a method of a run: ``package.module:Name`` with its parameters, checked up front.

``Name`` is a class or a factory (any callable) returning an unfitted scikit-learn-compatible estimator, a
``Pipeline`` included. Parameters are passed to it when its signature takes them (a class's ``__init__``, a
factory's keywords), otherwise set with ``set_params`` on what it returned (``step__param`` names reach into a
pipeline's steps).

The method name of a user estimator is ``package.module:Name@<version>``: the version of the distribution that
installs ``package`` (``importlib.metadata``), else the module's ``__version__``, else ``src-`` and the first
10 hex digits of the SHA-256 of the module's source file, so that an edited module is another method. The name
and the parameters are part of the run's identity (the parameters as its hyperparameters).

What the runner needs is checked before any run starts (:func:`check_estimator`): ``fit``, ``predict`` and
``get_params``/``set_params`` (a missing one raises :class:`UserModelError`, a clear exit 2 on the command line);
what is missing but optional is noted, with its reason: ``predict_proba`` (calibration and top-5 accuracy are
"n.a."), and the analytic size and FLOP counters of :mod:`mlee.runs.complexity` (parameters and FLOPs "n.a.").

Registered estimators (:func:`register_user_model`) are kept in this process and in the environment variable
:data:`REGISTRY_VARIABLE`, so worker processes this process starts build the same estimator.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from mlee.runs.errors import ExperimentError

#: environment variable holding the registered estimators (method name -> import path, parameters) as JSON
REGISTRY_VARIABLE = "MLEE_USER_MODELS"
_PATH = re.compile(r"^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)$")
#: estimators given as objects (the notebook API): method name -> estimator; this process only
_INSTANCES: dict[str, Any] = {}


class UserModelError(ExperimentError, ValueError):
    """A user's estimator the runner cannot use; the message names what is missing and the fix."""


@dataclass(frozen=True)
class UserModel:
    """A checked user estimator.

    Parameters
    ----------
    path : str
        ``package.module:Name`` (for an estimator object: its class's ``module:QualName``).
    version : str
        See the module docstring.
    params : mapping
        The parameters given (JSON values).
    notes : tuple of str
        What the runner cannot read from it and why (optional capabilities).
    name : str or None
        A name of the user's choosing (estimator objects only), instead of ``path@version``.
    """

    path: str
    version: str
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    name: str | None = None

    @property
    def method(self) -> str:
        """The method name: ``name``, else ``path@version``."""
        return self.name or f"{self.path}@{self.version}"


def is_user_method(name: str) -> bool:
    """Whether ``name`` is a user estimator's method name or import path (``module:Name[@version]``).

    Parameters
    ----------
    name : a method name.

    Returns
    -------
    bool
    """
    return name in _INSTANCES or bool(_PATH.match(str(name).partition("@")[0]))


def _import_target(path: str) -> Callable[..., Any]:
    match = _PATH.match(path)
    if not match:
        raise UserModelError(f"--model {path!r}: a user estimator is named package.module:Name (a class or a "
                             f"factory function in an importable module), e.g. mypackage.models:MyClassifier")
    module_name, attribute = match.groups()
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserModelError(f"--model {path}: module {module_name!r} does not import ({exc}); install its package "
                             f"or add its folder to PYTHONPATH") from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = sorted(n for n in dir(module) if not n.startswith("_"))[:30]
            raise UserModelError(f"--model {path}: module {module_name} has no {attribute!r}; it defines "
                                 f"{', '.join(names) or 'nothing public'}")
        target = getattr(target, part)
    if not callable(target):
        raise UserModelError(f"--model {path}: {attribute} is a {type(target).__name__}, not a class or factory "
                             f"returning an estimator")
    return target


def module_version(module_name: str) -> str:
    """The version of the code in ``module_name`` (see the module docstring).

    Parameters
    ----------
    module_name : an importable module.

    Returns
    -------
    str
    """
    top = module_name.partition(".")[0]
    for distribution in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    module = importlib.import_module(module_name)
    version = getattr(module, "__version__", None) or getattr(importlib.import_module(top), "__version__", None)
    if isinstance(version, str) and version:
        return version
    source = getattr(module, "__file__", None)
    if source and Path(source).is_file():
        return "src-" + hashlib.sha256(Path(source).read_bytes()).hexdigest()[:10]
    return "unversioned"


def public_module(cls: type) -> str:
    """The shortest module path that exports ``cls`` under its name (``sklearn.ensemble`` rather than
    ``sklearn.ensemble._forest``), else the module that defines it.

    Parameters
    ----------
    cls : a class.

    Returns
    -------
    str
    """
    parts = cls.__module__.split(".")
    for end in range(1, len(parts)):
        if parts[end - 1].startswith("_"):
            break
        try:
            module = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        if getattr(module, cls.__qualname__, None) is cls:
            return module.__name__
    return cls.__module__


def _accepts(target: Callable[..., Any], names: set[str]) -> bool:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return True
    return names <= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def build(target: Callable[..., Any], params: Mapping[str, Any], where: str) -> Any:
    """Call ``target`` for an unfitted estimator with ``params`` (see the module docstring).

    Parameters
    ----------
    target : a class or factory.
    params : the parameters.
    where : how the estimator was named, for messages.

    Returns
    -------
    object
        The estimator.

    Raises
    ------
    UserModelError
        The call fails or an unknown parameter is given.
    """
    params = dict(params)
    direct = bool(params) and not inspect.isclass(target) and _accepts(target, set(params))
    try:
        estimator = target(**params) if direct else target()
    except Exception as exc:  # noqa: BLE001 - the user's code: any failure is reported, with its type
        raise UserModelError(f"{where}: calling it failed ({type(exc).__name__}: {exc}); it must build an "
                             f"unfitted estimator{' from no arguments' if not direct else ''}") from None
    if params and not direct:
        valid = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise UserModelError(f"{where}: no parameter(s) {', '.join(unknown)}; it takes "
                                 f"{', '.join(sorted(valid)[:40]) or 'none'} (--param name=value)")
        try:
            estimator.set_params(**params)
        except Exception as exc:  # noqa: BLE001
            raise UserModelError(f"{where}: set_params({', '.join(params)}) failed ({type(exc).__name__}: "
                                 f"{exc}); check the parameters' values") from None
    return estimator


def check_estimator(estimator: Any, where: str) -> tuple[str, ...]:
    """Check what the runner needs from an unfitted estimator.

    Parameters
    ----------
    estimator : the estimator.
    where : how it was named, for messages.

    Returns
    -------
    tuple of str
        What the run will mark "n.a." and why (no ``predict_proba``; no size or FLOP formula).

    Raises
    ------
    UserModelError
        ``fit``, ``predict``, ``get_params`` or ``set_params`` is missing.
    """
    from mlee.runs.complexity import counters_reason

    missing = [name for name in ("fit", "predict", "get_params", "set_params")
               if not callable(getattr(estimator, name, None))]
    if missing:
        kind = type(estimator).__name__
        raise UserModelError(f"{where} gives a {kind} without {', '.join(missing)}; the runner needs fit(X, y), "
                             f"predict(X) and get_params()/set_params() (derive it from sklearn.base.BaseEstimator "
                             f"and a mixin such as ClassifierMixin, or wrap it in a class that has them)")
    notes = []
    if not callable(getattr(estimator, "predict_proba", None)):
        notes.append(f"{type(estimator).__name__} has no predict_proba: calibration (ECE, Brier) and top-5 "
                     f"accuracy are n.a.")
    reason = counters_reason(estimator)
    if reason:
        notes.append(reason)
    return tuple(notes)


def _registry() -> dict[str, dict[str, Any]]:
    try:
        value = json.loads(os.environ.get(REGISTRY_VARIABLE) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def register_user_model(path: str, params: Mapping[str, Any] | None = None) -> UserModel:
    """Import, build and check ``package.module:Name`` with ``params``; register it for runs by its method name.

    Parameters
    ----------
    path : ``package.module:Name``.
    params : its parameters (JSON values).

    Returns
    -------
    UserModel

    Raises
    ------
    UserModelError
        Naming what is missing or wrong and the fix.
    """
    from mlee.runs.identity import canonical

    path = path.partition("@")[0]
    params = canonical(dict(params or {}))
    target = _import_target(path)
    estimator = build(target, params, f"--model {path}")
    notes = check_estimator(estimator, f"--model {path}")
    model = UserModel(path, module_version(path.partition(":")[0]), params, notes)
    registry = _registry()
    registry[model.method] = {"path": path, "params": params}
    os.environ[REGISTRY_VARIABLE] = json.dumps(registry, sort_keys=True)
    return model


def register_instance(estimator: Any, name: str | None = None) -> UserModel:
    """Register an estimator object (unfitted or not: each run fits a clone) as a method of this process.

    Parameters
    ----------
    estimator : a scikit-learn-compatible estimator.
    name : the method's name (default ``module:Class@version`` of its class, and a hash of its parameters when
        they differ from the class's defaults).

    Returns
    -------
    UserModel
        ``params``: the estimator's own parameters (``get_params(deep=False)``, as JSON values).

    Raises
    ------
    UserModelError
        What the runner needs is missing.
    """
    from mlee.runs.complexity import jsonable_params

    cls = type(estimator)
    notes = check_estimator(estimator, f"estimator {cls.__name__}")
    params = jsonable_params(estimator.get_params(deep=False))
    path = f"{public_module(cls)}:{cls.__qualname__}"
    model = UserModel(path, module_version(cls.__module__), params, notes, name)
    _INSTANCES[model.method] = estimator
    return model


def registered(method: str) -> bool:
    """Whether ``method`` is a registered user estimator (by import path or as an object).

    Parameters
    ----------
    method : a method name.

    Returns
    -------
    bool
    """
    return method in _INSTANCES or method in _registry()


def user_params(method: str) -> dict[str, Any]:
    """The parameters a registered user estimator was given.

    Parameters
    ----------
    method : its method name.

    Returns
    -------
    dict

    Raises
    ------
    UserModelError
        ``method`` was not registered in this process (or the one that started it).
    """
    if method in _INSTANCES:
        from mlee.runs.complexity import jsonable_params

        return jsonable_params(_INSTANCES[method].get_params(deep=False))
    entry = _registry().get(method)
    if entry is None:
        raise UserModelError(f"method {method!r} names a user estimator this process was not given; pass it "
                             f"with --model {method.partition('@')[0]}")
    return dict(entry["params"])


def make_user_estimator(method: str, seed: int | None = None) -> Any:
    """A fresh unfitted estimator of a registered user method, ``random_state=seed`` where it has one.

    Parameters
    ----------
    method : its method name.
    seed : the model seed.

    Returns
    -------
    object

    Raises
    ------
    UserModelError
        ``method`` was not registered in this process (or the one that started it).
    """
    if method in _INSTANCES:
        from sklearn.base import clone

        estimator = clone(_INSTANCES[method])
    else:
        entry = _registry().get(method)
        if entry is None:
            raise UserModelError(f"method {method!r} names a user estimator this process was not given; pass it "
                                 f"with --model {method.partition('@')[0]}")
        estimator = build(_import_target(entry["path"]), entry["params"], f"--model {entry['path']}")
    if seed is not None and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


__all__ = ["REGISTRY_VARIABLE", "UserModel", "UserModelError", "build", "check_estimator", "is_user_method",
           "make_user_estimator", "module_version", "register_instance", "register_user_model", "registered",
           "user_params"]
