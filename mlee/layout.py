"""Where results live: what ships with the repository, and what the user's own runs write.

The repository ships data under ``shipped/`` (tracked, never written by the default workflow; an installed
wheel carries the same folder as package data ``mlee/shipped/``, used when no checkout is beside the package):

- ``shipped/results/sklearn/``: merged results of the full bundled sweep,
- ``shipped/paper_results/``: the paper outputs made from them,
- ``shipped/sklearn_hyperparameters/``: the hyperparameter search the evaluation uses by default.

The user's runs write to the folders docs/getting-started.md names, relative to the current folder and ignored by git:
``logs/sklearn/`` (experiment folders), ``results/sklearn/`` (merged), ``sklearn_hyperparameters/``
(searches), ``paper_results/``, ``labels/``. Readers (ELEx, the label CLI, the paper script) show the user's
results when ``results/`` holds any and the shipped ones otherwise, and say which (:func:`default_results`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPOSITORY = PACKAGE.parent
#: the installed copy of ``shipped/`` (package data ``mlee/shipped/`` of the wheel, see setup.py)
INSTALLED_SHIPPED = PACKAGE / "shipped"


def shipped_folder(repository: Path = REPOSITORY, installed: Path = INSTALLED_SHIPPED) -> Path:
    """The folder of the shipped data: the checkout's ``shipped/`` beside the package, else the installed copy.

    Parameters
    ----------
    repository : Path
        The folder holding the ``mlee`` package (a checkout has ``shipped/`` and ``pyproject.toml`` there).
    installed : Path
        The copy a wheel installs as package data (``mlee/shipped/``).

    Returns
    -------
    Path
        ``repository / "shipped"`` when it is a checkout's folder, else ``installed``.
    """
    checkout = repository / "shipped"
    if checkout.is_dir() and (repository / "pyproject.toml").is_file():
        return checkout
    return installed


SHIPPED = shipped_folder()
SHIPPED_RESULTS = SHIPPED / "results"
SHIPPED_PAPER_RESULTS = SHIPPED / "paper_results"
SHIPPED_HYPERPARAMETERS = SHIPPED / "sklearn_hyperparameters"

#: the user's folders (relative to the current folder)
USER_RESULTS = Path("results")
USER_HYPERPARAMETERS = Path("sklearn_hyperparameters")


@dataclass(frozen=True)
class ResultsChoice:
    """A results folder and a sentence saying whose results it holds."""

    directory: Path
    description: str


def _has_results(folder: Path) -> bool:
    """True when ``folder`` holds a (non-hidden) ``*.json`` file anywhere below it; stops at the first."""
    if not folder.is_dir():
        return False
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if any(f.endswith(".json") and not f.startswith(".") for f in files):
            return True
    return False


def default_results() -> ResultsChoice:
    """The results folder shown when none is given: the user's ``results/`` when it holds results, else the
    repository's shipped results."""
    if _has_results(USER_RESULTS):
        return ResultsChoice(USER_RESULTS, f"your results in {USER_RESULTS}/")
    return ResultsChoice(SHIPPED_RESULTS, f"the shipped results in {_shown(SHIPPED_RESULTS)}/ (no results of "
                                          f"yours in {USER_RESULTS}/ yet: merge_results.py writes them there)")


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when below it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
