"""Display names and facts of datasets and methods, read from the JSON tables in ``mlee/data``.

Every stage that shows a dataset or method name asks here; unknown names fall back to themselves so
that results of a dataset or method mlee does not know still load and display.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=None)
def package_table(name: str) -> dict[str, Any]:
    """A JSON table of ``mlee/data`` (read once), without its ``_``-prefixed comment keys."""
    text = resources.files("mlee.data").joinpath(name).read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def datasets() -> dict[str, dict[str, Any]]:
    """Dataset key -> entry (``display``, ``source``, ``rows``, ``features``, ``classes``)."""
    return package_table("datasets.json")


#: the learning tasks mlee rates; a dataset's ``task`` in ``datasets.json`` is one of them
LEARNING_TASKS: tuple[str, ...] = ("classification", "regression")
_SYNTHETIC_REGRESSION = re.compile(r"^synthetic_regression(_\d+x\d+)?$")


def dataset_task(key: str) -> str:
    """The learning task of a dataset key.

    Parameters
    ----------
    key : str
        A dataset key of the table, ``synthetic_regression[_<rows>x<features>]`` or any other key.

    Returns
    -------
    str
        ``"regression"`` for the table's regression datasets and the synthetic regression data, else
        ``"classification"`` (also for keys the table does not know).
    """
    if _SYNTHETIC_REGRESSION.match(key):
        return "regression"
    return str(datasets().get(key, {}).get("task", "classification"))


#: environment variable holding a user's methods table (``--methods``, :mod:`mlee.runs.user_methods`) as JSON
USER_METHODS_VARIABLE = "MLEE_USER_METHODS"


@lru_cache(maxsize=8)
def _parsed(text: str) -> dict[str, Any]:
    return json.loads(text) if text else {}


def user_methods() -> dict[str, dict[str, Any]]:
    """The user's methods table of this process (:data:`USER_METHODS_VARIABLE`); empty without one."""
    return _parsed(os.environ.get(USER_METHODS_VARIABLE, ""))


@lru_cache(maxsize=8)
def _overlaid(text: str) -> dict[str, Any]:
    return {**package_table("methods.json"), **_parsed(text)}


def methods() -> dict[str, dict[str, Any]]:
    """Method full name -> entry (``short``, ``estimator``, ``estimator_regression`` where the method has a
    regressor, ``doc_url``): the package's table, with a user's methods table (``--methods``) added over it."""
    text = os.environ.get(USER_METHODS_VARIABLE, "")
    return _overlaid(text) if text else package_table("methods.json")


def dataset_display(key: str) -> str:
    """Display name of a dataset (``"credit-g"`` -> ``"German Credit"``); unknown keys are returned as is."""
    return datasets().get(key, {}).get("display", key)


def method_short(name: str) -> str:
    """Short name of a method (``"Random Forest"`` -> ``"RF"``); a user's estimator (``module:Name@version``)
    gives ``Name``; other unknown names give their initials."""
    entry = methods().get(name)
    if entry:
        return entry["short"]
    if ":" in name:  # a user's estimator, module:Name@version: its class or factory name
        return name.partition("@")[0].rpartition(":")[2].rpartition(".")[2] or name
    return "".join(word[0] for word in name.split() if word[:1].isalpha()).upper() or name


def model_display(model: str, short: str) -> str:
    """A model's name with its short name, the configuration's suffix said once.

    Parameters
    ----------
    model : str
        The row's model name, a configuration's suffix included (``"Random Forest (hyperparameters default)"``).
    short : str
        Its short name, carrying the same suffix (``"RF (hyperparameters default)"``).

    Returns
    -------
    str
        ``"Random Forest (RF)"``, ``"Random Forest (RF, hyperparameters default)"``; the model name alone where
        the short name adds nothing.
    """
    if short in ("", model):
        return model
    for at in (i for i in range(len(model)) if model.startswith(" (", i)):
        suffix = model[at:]
        if model.endswith(")") and short.endswith(suffix) and len(short) > len(suffix):
            base, plain = model[:at], short[:-len(suffix)]
            return f"{base} ({suffix[2:-1]})" if plain == base else f"{base} ({plain}, {suffix[2:-1]})"
    return f"{model} ({short})"


def method_doc_url(name: str) -> str:
    """Documentation page of a method; the scikit-learn user guide for unknown methods."""
    return methods().get(name, {}).get("doc_url", "https://scikit-learn.org/stable/supervised_learning.html")


def _loose(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


def find_key(name: str, table: dict[str, dict[str, Any]], alias: str) -> str | None:
    """The key of ``table`` that ``name`` denotes, ignoring case, spaces, ``_`` and ``-``: the key itself or
    the entry's ``alias`` field (``"display"`` for datasets, ``"short"`` for methods); None if none matches."""
    if name in table:
        return name
    wanted = _loose(name)
    for key, entry in table.items():
        if wanted in (_loose(key), _loose(str(entry.get(alias, "")))):
            return key
    return None

