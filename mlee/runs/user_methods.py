"""A user's own methods table (``--methods my_methods.json``): adds methods to the catalog, or replaces shipped
ones of the same name, without editing the package's ``mlee/data/methods.json``.

The file has the shipped table's format: full name -> ``{"short": ..., "estimator": "package.module.Class",
"doc_url": ...}`` (``doc_url`` optional; keys starting with ``_`` are comments), and may give an entry
``"params"``: the settings its estimator always gets (the shipped methods' fixed settings do not apply to
these entries). Such a method runs with those settings on every dataset (no hyperparameter search), and its
run's identity names the estimator, ``package.module.Class@<version>`` (:func:`estimator_identity`), so a
replaced method never pools with the shipped one.

The table is kept in the environment variable :data:`mlee.catalog.USER_METHODS_VARIABLE`, which
:func:`mlee.catalog.methods` reads, so worker processes this process starts know the same methods.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from mlee import catalog
from mlee.runs.errors import ExperimentError


class MethodsFileError(ExperimentError, ValueError):
    """A methods file mlee cannot use; the message names the entry and the fix."""


def _entry(path: str, name: str, value: Any) -> dict[str, Any]:
    example = '{"short": "HGB", "estimator": "sklearn.ensemble.HistGradientBoostingClassifier"}'
    if not isinstance(value, dict):
        raise MethodsFileError(f"methods file {path}: entry {name!r} must be an object such as {example}")
    for key in ("short", "estimator"):
        if not isinstance(value.get(key), str) or not value[key].strip():
            raise MethodsFileError(f"methods file {path}: entry {name!r} needs {key!r} (text), e.g. {example}")
    unknown = sorted(set(value) - {"short", "estimator", "doc_url", "params"})
    if unknown:
        raise MethodsFileError(f"methods file {path}: entry {name!r} has unknown key(s) {', '.join(unknown)}; "
                               f"an entry holds short, estimator, doc_url and params")
    if not isinstance(value.get("params", {}), dict):
        raise MethodsFileError(f"methods file {path}: the params of {name!r} must be an object of parameter "
                               f"names and values")
    return dict(value)


def _check_estimator(path: str, name: str, entry: dict[str, Any]) -> None:
    from mlee.runs.user_model import UserModelError, build, check_estimator

    module, _, attribute = entry["estimator"].rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise MethodsFileError(f"methods file {path}: the estimator of {name!r}, {entry['estimator']!r}, does not "
                               f"import ({type(exc).__name__}: {exc}); write package.module.Class of an installed "
                               f"package or of a module on PYTHONPATH") from None
    try:
        check_estimator(build(cls, entry.get("params", {}), f"method {name!r} of {path}"), f"method {name!r}")
    except UserModelError as exc:
        raise MethodsFileError(str(exc)) from None


def load_user_methods(path: str | Path) -> list[str]:
    """Read, check and apply a methods file.

    Parameters
    ----------
    path : the JSON file.

    Returns
    -------
    list of str
        The full names it adds or replaces, in file order.

    Raises
    ------
    MethodsFileError
        A missing or invalid file, an entry without ``short`` or ``estimator``, an estimator that does not
        import or lacks fit/predict; the message names it and the fix.
    """
    path = str(path)
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MethodsFileError(f"methods file {path} cannot be read ({exc.strerror or exc}); check the path") from None
    except ValueError as exc:
        raise MethodsFileError(f"methods file {path} is not valid JSON ({exc})") from None
    if not isinstance(table, dict):
        raise MethodsFileError(f"methods file {path} must hold one JSON object, full name -> entry, like "
                               f"mlee/data/methods.json")
    entries = {str(name): _entry(path, str(name), value) for name, value in table.items()
               if not str(name).startswith("_")}
    if not entries:
        raise MethodsFileError(f"methods file {path} holds no method; add full name -> entry pairs like those of "
                               f"mlee/data/methods.json")
    for name, entry in entries.items():
        _check_estimator(path, name, entry)
    current = json.loads(os.environ.get(catalog.USER_METHODS_VARIABLE) or "{}")
    current.update(entries)
    os.environ[catalog.USER_METHODS_VARIABLE] = json.dumps(current, sort_keys=True)
    return list(entries)


def user_entry(method: str) -> dict[str, Any] | None:
    """The methods-file entry of ``method``; None for a method of the shipped table only.

    Parameters
    ----------
    method : a full method name.

    Returns
    -------
    dict or None
    """
    return catalog.user_methods().get(method)


def estimator_identity(method: str) -> str | None:
    """``package.module.Class@<version>`` of a methods-file method (what its run identity names); None for
    the shipped methods.

    Parameters
    ----------
    method : a full method name.

    Returns
    -------
    str or None
    """
    from mlee.runs.user_model import module_version

    entry = user_entry(method)
    if entry is None:
        return None
    module = entry["estimator"].rpartition(".")[0]
    return f"{entry['estimator']}@{module_version(module)}"


__all__ = ["MethodsFileError", "estimator_identity", "load_user_methods", "user_entry"]
