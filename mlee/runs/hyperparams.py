"""Hyperparameter search (random search with stratified k-fold CV) and its result files.

A search writes ``<root>/hyperparameters_<YYYY_MM_DD_HH_MM_SS>/`` with one file per (dataset, method),
``hyperparameters__<dataset>__<Method_Name>.json``, holding scikit-learn's ``cv_results_`` as JSON (arrays as
lists, masked entries as ``null``), plus ``search_config.json`` (arguments, versions, split). The folder is
written under a temporary name and renamed when the search ends, like the experiment folders.

The evaluation picks the configuration with ``rank_test_score == 1`` (the first one on ties).
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from mlee import catalog
from mlee.atomic import write_json_atomic
from mlee.runs.errors import HyperparametersNotFoundError
from mlee.runs.methods import (file_safe_method, fixed_params, make_estimator, method_search_space,
                                     normalise_params, resolve_method_name)

if TYPE_CHECKING:  # numpy and scikit-learn load when a search runs, not with every command line's start
    from mlee.runs.preparation import PreparedData

log = logging.getLogger(__name__)

FOLDER_PREFIX = "hyperparameters_"
#: ``--hyperparameters default``: no search result, the estimator defaults plus the fixed settings.
DEFAULT_CONFIG = "default"
#: where a user estimator's hyperparameters come from: the parameters it was given (--param, --params)
USER_PARAMETERS = "given"


def file_safe_dataset(dataset: str) -> str:
    """``dataset`` as a file-name part valid on every system: ``:`` (``openml:3``, invalid on Windows) and ``%``
    percent-encoded, so the name reads back with :func:`urllib.parse.unquote`."""
    return dataset.replace("%", "%25").replace(":", "%3A")


def hyperparameter_filename(dataset: str, method: str) -> str:
    """``hyperparameters__<dataset>__<Method_Name>.json`` (dataset made file-safe by :func:`file_safe_dataset`)."""
    return f"hyperparameters__{file_safe_dataset(dataset)}__{file_safe_method(method)}.json"


def _filenames(dataset: str, method: str) -> list[str]:
    """The file name of a pair, then the name earlier versions wrote (with a raw ``:``), when different."""
    names = [hyperparameter_filename(dataset, method)]
    old = f"hyperparameters__{dataset}__{file_safe_method(method)}.json"
    return names + ([old] if old != names[0] else [])


def search_roots() -> list[Path]:
    """Where searches are looked up by default: the user's ``./sklearn_hyperparameters`` (what
    ``evaluate_hyperparams.py`` writes) and the repository's ``shipped/sklearn_hyperparameters``."""
    from mlee.layout import SHIPPED_HYPERPARAMETERS, USER_HYPERPARAMETERS

    return [Path.cwd() / USER_HYPERPARAMETERS, SHIPPED_HYPERPARAMETERS]


def search_folders(root: str | Path | None = None) -> list[Path]:
    """Completed search folders (``hyperparameters_*``) under ``root`` (default: every :func:`search_roots`
    folder), newest first."""
    bases = [Path(root)] if root is not None else search_roots()
    found = [p for base in bases if base.is_dir() for p in base.iterdir()
             if p.is_dir() and p.name.startswith(FOLDER_PREFIX)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def _folders_of(base: Path) -> list[Path]:
    """``base`` itself when it holds result files, else its ``hyperparameters_*`` subfolders (newest first)."""
    if any(base.glob("hyperparameters__*.json")):
        return [base]
    return search_folders(base) or [base]


def _to_json(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ma.MaskedArray):
        return [None if m else _to_json(v) for v, m in zip(value.data, np.ma.getmaskarray(value))]
    if isinstance(value, np.ndarray):
        return [_to_json(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return repr(value)


def cv_results_to_json(cv_results: dict[str, Any]) -> dict[str, Any]:
    """``cv_results_`` as a JSON-able dict (arrays -> lists, masked -> null, NaN -> null)."""
    return {key: _to_json(value) for key, value in cv_results.items()}


def run_search(data: PreparedData, method: str, n_iter: int = 15, folds: int = 3, n_jobs: int = 1,
               seed: int = 42) -> dict[str, Any]:
    """Random search of ``method`` on the training split of ``data``; returns ``cv_results_`` as JSON.

    Scoring is accuracy with stratified folds, for a regression dataset R^2 with plain folds; folds are seeded;
    configurations that fail to fit raise (the spaces only hold valid combinations).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, RandomizedSearchCV, StratifiedKFold

    task = getattr(data, "task", "classification")
    regression = task == "regression"
    splitter = KFold if regression else StratifiedKFold
    search = RandomizedSearchCV(
        make_estimator(method, seed=seed, task=task), method_search_space(method, task), n_iter=n_iter,
        scoring="r2" if regression else "accuracy",
        cv=splitter(n_splits=folds, shuffle=True, random_state=seed), n_jobs=n_jobs,
        random_state=seed, error_score="raise", refit=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(data.X_train, data.y_train)
    return cv_results_to_json(search.cv_results_)


def best_index(cv_results: dict[str, Any]) -> int:
    """Row of the best-ranked configuration (``rank_test_score == 1``, first on ties)."""
    try:
        ranks, _ = cv_results["rank_test_score"], cv_results["params"]
    except KeyError as exc:
        raise ValueError(f"Not a cv_results_ file: key {exc} is missing.") from None
    return min(range(len(ranks)), key=lambda i: (ranks[i] if ranks[i] is not None else float("inf"), i))


def best_params(cv_results: dict[str, Any]) -> dict[str, Any]:
    """Parameters of the best-ranked configuration (``rank_test_score == 1``, first on ties)."""
    return dict(cv_results["params"][best_index(cv_results)])


@dataclass
class Hyperparameters:
    """The configuration chosen for a run and where it came from."""

    params: dict[str, Any]
    source: str  # file path, or "default"
    cv_score: float | None = None


def find_hyperparameters(dataset: str, method: str, folder: str | Path | None = None) -> Hyperparameters:
    """Best configuration of ``method`` on ``dataset``.

    ``folder`` is a search folder (``hyperparameters_<ts>``), a root holding such folders, or ``"default"``
    (estimator defaults plus fixed settings). ``None`` searches the default root's folders newest first and uses
    the first that has a file for the pair. Raises :class:`HyperparametersNotFoundError` saying how to create it.
    A user estimator (:mod:`mlee.runs.user_model`) has the parameters it was given, on every dataset.
    """
    from mlee.runs.user_model import is_user_method, user_params

    if is_user_method(method):
        return Hyperparameters(user_params(method), USER_PARAMETERS, None)
    method = resolve_method_name(method)
    if method in catalog.user_methods():  # a user's methods file: its own settings on every dataset
        return Hyperparameters(fixed_params(method), USER_PARAMETERS, None)
    if folder is not None and str(folder) == DEFAULT_CONFIG:
        return Hyperparameters(fixed_params(method), DEFAULT_CONFIG, None)
    name = hyperparameter_filename(dataset, method)
    if folder is None:
        candidates = search_folders()
        where = f"any search folder under {' or '.join(str(r) for r in search_roots())}"
    else:
        base = Path(folder)
        if not base.is_dir():
            raise HyperparametersNotFoundError(
                f"Hyperparameter folder {base} does not exist. Pass --hyperparameters with a folder written by "
                f"evaluate_hyperparams.py (e.g. sklearn_hyperparameters/hyperparameters_<timestamp>), or "
                f"--hyperparameters default for the estimator defaults.")
        candidates = _folders_of(base)
        where = str(base)
    for path in (candidate / n for candidate in candidates for n in _filenames(dataset, method)):
        if path.is_file():
            try:
                cv_results = json.loads(path.read_text(encoding="utf-8"))
                best = best_index(cv_results)
                params = dict(cv_results["params"][best])
            except (OSError, ValueError) as exc:
                raise HyperparametersNotFoundError(
                    f"Hyperparameter file {path} is not a readable cv_results_ JSON ({exc}). Delete it and "
                    f"rerun evaluate_hyperparams.py --dataset {dataset} --model \"{method}\".") from exc
            scores = cv_results.get("mean_test_score") or []
            score = scores[best] if best < len(scores) else None
            return Hyperparameters(normalise_params(params), str(path), score)
    raise HyperparametersNotFoundError(
        f"No hyperparameter file {name} in {where}. Create it with: python evaluate_hyperparams.py "
        f"--dataset {dataset} --model \"{method}\" (or pass --hyperparameters default for the estimator defaults).")


def available_pairs(folder: str | Path | None = None) -> list[tuple[str, str]]:
    """(dataset, method file name part) pairs that have a hyperparameter file, over the given or default folders."""
    if folder is not None and str(folder) == DEFAULT_CONFIG:
        return []
    folders = _folders_of(Path(folder)) if folder is not None else search_folders()
    pairs: set[tuple[str, str]] = set()
    for f in folders:
        if not f.is_dir():
            continue
        for path in f.glob("hyperparameters__*__*.json"):
            _, dataset, method = path.stem.split("__", 2)
            pairs.add((unquote(dataset), method.replace("_", " ")))
    return sorted(pairs)


def write_search_result(folder: Path, dataset: str, method: str, cv_results: dict[str, Any]) -> Path:
    """Write one ``hyperparameters__<dataset>__<Method_Name>.json`` atomically into ``folder``."""
    return write_json_atomic(folder / hyperparameter_filename(dataset, method), cv_results)
