"""The optional parts of mlee and the pip extra that installs each (``pip install 'mlee[label]'``).

The core (``pip install mlee``) measures, runs the study, merges, loads and rates. Each integration is an
extra: :data:`EXTRAS` maps an extra's name to the import names it provides and what it is for, and
:func:`require` turns a missing import into a :class:`MissingExtra` that names the extra to install.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from mlee.errors import MleeError


@dataclass(frozen=True)
class Extra:
    """One optional part: the import names it provides and what it is for."""

    modules: tuple[str, ...]
    purpose: str


#: extra name -> what it provides (pyproject.toml's [project.optional-dependencies] installs them)
EXTRAS: dict[str, Extra] = {
    "label": Extra(("reportlab", "fontTools", "matplotlib"), "energy labels (mlee-label, render_label)"),
    "paper": Extra(("matplotlib", "reportlab", "fontTools"), "the publication's tables and figures (mlee-paper)"),
    "elex": Extra(("dash", "plotly", "flask", "gunicorn"), "the ELEx explorer (mlee-elex)"),
    "codecarbon": Extra(("codecarbon",), "--monitor codecarbon and the carbon figure of --country"),
    "nvml": Extra(("pynvml",), "NVIDIA GPU energy (--monitor nvml)"),
    "pyrapl": Extra(("pyRAPL",), "--monitor pyrapl"),
    "cluster": Extra(("dask", "distributed", "dask_jobqueue"), "Dask sweeps (--cluster, --scheduler-file)"),
    "sklearnex": Extra(("sklearnex",), "--backend sklearnex (scikit-learn-intelex)"),
    "torch": Extra(("torch",), "--backend torch (PyTorch; pick the CPU or CUDA build first)"),
    "xgboost-cpu": Extra(("xgboost",), "--backend xgboost (XGBoost as the HGB method)"),
    "lightgbm": Extra(("lightgbm",), "--backend lightgbm (LightGBM as the HGB method)"),
}


class MissingExtra(MleeError, ImportError):
    """An optional part of mlee is used but its packages are not installed; the message names the extra."""

    def __init__(self, extra: str, module: str, reason: str = "") -> None:
        self.extra, self.module = extra, module
        purpose = EXTRAS[extra].purpose if extra in EXTRAS else extra
        detail = f" ({reason})" if reason else ""
        super().__init__(f"{purpose} needs {module}, which is not installed{detail}. Install it with: "
                         f"pip install 'mlee[{extra}]'", name=module)

    def __reduce__(self) -> tuple:
        return (type(self), (self.extra, self.module))


def install_hint(extra: str) -> str:
    """The command that installs ``extra``.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS`.

    Returns
    -------
    str
        ``pip install 'mlee[<extra>]'``.
    """
    return f"pip install 'mlee[{extra}]'"


def require(extra: str, module: str) -> ModuleType:
    """Import ``module`` of the optional part ``extra``, or raise :class:`MissingExtra` naming the extra.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS` (``"label"``, ``"elex"``, ...).
    module : str
        The import name (``"reportlab"``, ``"dash"``, ...).

    Returns
    -------
    ModuleType
        The imported module.

    Raises
    ------
    MissingExtra
        ``module`` cannot be imported; the message says ``pip install 'mlee[<extra>]'``.

    Examples
    --------
    >>> from mlee.extras import require
    >>> require("label", "reportlab").__name__
    'reportlab'
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; the extras are: {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(extra, module, str(exc)) from None
