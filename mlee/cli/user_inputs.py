"""``evaluate_sklearn.py``'s flags for a user's own data and estimators: ``--dataset FILE --target COLUMN``,
``--task``, ``--model package.module:Name`` with ``--param`` / ``--params``, and ``--methods FILE``.

:func:`apply_user_inputs` checks and registers them before anything runs (:mod:`mlee.runs.data_file`,
:mod:`mlee.runs.user_model`, :mod:`mlee.runs.user_methods`) and rewrites ``--dataset`` and ``--model`` to the
keys and method names the sweep runs; every problem raises an :class:`~mlee.runs.errors.ExperimentError` naming
it and the fix (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mlee.runs.errors import ExperimentError

TASKS = ("classification", "regression")
DATA_SUFFIXES = (".csv", ".parquet")


def add_user_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of this module to ``parser``.

    Parameters
    ----------
    parser : the parser of ``evaluate_sklearn.py``.
    """
    group = parser.add_argument_group("your own data and estimators")
    group.add_argument("--target", default=None, metavar="COLUMN",
                       help="the column to predict of every --dataset that is a .csv or .parquet file (needed "
                            "with one)")
    group.add_argument("--task", default="classification", choices=TASKS,
                       help="what a data file's target is (default classification; regression for a quantity)")
    group.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="a parameter of every --model package.module:Name estimator, VALUE as JSON (10, "
                            "0.5, true, \"text\", [1, 2]) or else as text; repeatable; step__name reaches into a "
                            "Pipeline's step")
    group.add_argument("--params", default=None, metavar="FILE.json",
                       help="a JSON object of parameters of the --model package.module:Name estimators (--param "
                            "wins for a name in both)")
    group.add_argument("--methods", default=None, metavar="FILE.json",
                       help="your own methods table, the format of mlee/data/methods.json (full name -> short, "
                            "estimator, doc_url): adds methods or replaces the shipped ones of the same name")


def parse_param(text: str) -> tuple[str, Any]:
    """``name=value`` as (name, JSON value; the text itself where it is not JSON).

    Parameters
    ----------
    text : one ``--param``.

    Returns
    -------
    (str, object)

    Raises
    ------
    ExperimentError
        No ``=`` or no name.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ExperimentError(f"--param {text!r}: write NAME=VALUE, e.g. --param n_estimators=50 or "
                              f"--param 'hidden_layer_sizes=[64, 32]'")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return name.strip(), parsed


def read_params_file(path: str) -> dict[str, Any]:
    """The parameters of a ``--params`` file.

    Parameters
    ----------
    path : a JSON file holding one object.

    Returns
    -------
    dict

    Raises
    ------
    ExperimentError
        A missing or unreadable file, or JSON that is not an object.
    """
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExperimentError(f"--params {path}: cannot be read ({exc.strerror or exc}); check the path") from None
    except ValueError as exc:
        raise ExperimentError(f"--params {path} is not valid JSON ({exc}); write one object such as "
                              f'{{"n_estimators": 50}}') from None
    if not isinstance(value, dict):
        raise ExperimentError(f"--params {path} holds a {type(value).__name__}; write one JSON object of "
                              f'parameter names and values such as {{"n_estimators": 50}}')
    return value


def own_method(name: str) -> bool:
    """Whether ``name`` is a user's method (``--model package.module:Name`` or from ``--methods``), which runs
    with its own parameters on every dataset rather than with a hyperparameter search's.

    Parameters
    ----------
    name : a method name.

    Returns
    -------
    bool
    """
    from mlee import catalog
    from mlee.runs.user_model import is_user_method

    return is_user_method(name) or name in catalog.user_methods()


def _is_data_file(name: str) -> bool:
    return Path(name).suffix.lower() in DATA_SUFFIXES


def apply_user_inputs(args: argparse.Namespace) -> list[str]:
    """Check and register the user's data files, estimators and methods table; rewrite ``args.dataset`` and
    ``args.model`` to what the sweep runs.

    Parameters
    ----------
    args : the parsed flags of ``evaluate_sklearn.py``.

    Returns
    -------
    list of str
        Notes for the user: what a run will mark "n.a." and why, which hyperparameters file datasets use.

    Raises
    ------
    ExperimentError
        Naming the problem and the fix (exit 2).
    """
    from mlee.runs.user_model import is_user_method

    notes: list[str] = []
    if args.methods:
        from mlee.runs.user_methods import load_user_methods

        added = load_user_methods(args.methods)
        notes.append(f"methods from {args.methods}: {', '.join(added)}")
    files = [name for name in args.dataset if _is_data_file(name)]
    if files:
        if not args.target:
            raise ExperimentError(f"--dataset {files[0]} is a data file: name the column to predict with --target "
                                  f"COLUMN")
        from mlee.runs.data_file import register_data_file

        keys = {name: register_data_file(name, args.target, args.task).key for name in files}
        args.dataset = [keys.get(name, name) for name in args.dataset]
        if args.hyperparameters is None:
            args.hyperparameters = "default"
            notes.append("data files have no hyperparameter search: the catalog methods run with their defaults "
                         "(--hyperparameters default)")
    elif args.target:
        raise ExperimentError("--target names the column of a data file: pass the file with --dataset "
                              "path/to/data.csv (or .parquet)")
    elif args.task != "classification":
        raise ExperimentError(f"--task {args.task} is the task of a data file: pass the file with --dataset "
                              f"path/to/data.csv --target COLUMN")
    params: dict[str, Any] = read_params_file(args.params) if args.params else {}
    params.update(parse_param(text) for text in args.param)
    user = [name for name in args.model if is_user_method(name)]
    if (args.param or args.params) and not user:
        raise ExperimentError("--param and --params set the parameters of a --model package.module:Name "
                              "estimator; the catalog methods take theirs from --hyperparameters")
    if user:
        if args.backend != "sklearn":
            raise ExperimentError(f"--backend {args.backend}: a --model package.module:Name estimator runs as it is; "
                                  f"leave --backend out")
        from mlee.runs.user_model import register_user_model

        methods = {}
        for name in user:
            model = register_user_model(name, params)
            methods[name] = model.method
            notes += [f"{model.method}: {note}" for note in model.notes]
        args.model = [methods.get(name, name) for name in args.model]
    return notes


def user_inputs_config() -> dict[str, Any]:
    """The ``extra_config`` entry that carries the registered user inputs to the processes running the sweep
    (:mod:`mlee.runs.user_registry`); empty when there are none.

    Returns
    -------
    dict
    """
    from mlee.runs.user_registry import CONFIG_KEY, snapshot

    values = snapshot()
    return {CONFIG_KEY: values} if values else {}


def print_notes(notes: list[str]) -> None:
    """Print ``notes`` to stderr, one ``note:`` line each.

    Parameters
    ----------
    notes : what :func:`apply_user_inputs` returned.
    """
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
