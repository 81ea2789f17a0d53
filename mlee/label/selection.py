"""Choosing rows of a results table by (parts of) dataset, task, environment and model names.

A choice matches a value when it equals it or one of its other names (dataset display name, model short
name) ignoring case; otherwise when it is contained in exactly one of them ("forest" -> "Random Forest"
fails if "Extra Random Forest" is there too, "extra" does not). A field left out is fine where the other
choices leave only one value. Every failure raises :class:`SelectionError` naming what is available.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from mlee.errors import MleeError

log = logging.getLogger(__name__)

FIELDS: tuple[str, ...] = ("dataset", "task", "environment", "model")
#: Columns whose values also name a row's dataset / model.
ALIASES: dict[str, tuple[str, ...]] = {
    "dataset": ("dataset", "dataset_display"),
    "task": ("task",),
    "environment": ("environment",),
    "model": ("model", "model_short"),
}


class SelectionError(MleeError, ValueError):
    """A choice matched no row, several rows, or was needed and missing; the message lists the options."""


def _names(table: pd.DataFrame, field: str) -> dict[str, set[str]]:
    """Value of ``field`` -> all its names (lower case) in ``table``."""
    names: dict[str, set[str]] = {}
    columns = [c for c in ALIASES[field] if c in table.columns]
    for values in table[columns].astype(str).drop_duplicates().itertuples(index=False):
        names.setdefault(values[0], set()).update(v.lower() for v in values)
    return names


def _available(table: pd.DataFrame, field: str) -> str:
    values = sorted(_names(table, field))
    return ", ".join(repr(v) for v in values) if values else "none"


def match_value(table: pd.DataFrame, field: str, wanted: str) -> str:
    """The one value of ``field`` in ``table`` that ``wanted`` names (see module doc); SelectionError else."""
    if field not in FIELDS:
        raise ValueError(f"unknown field {field!r}; use one of {', '.join(FIELDS)}")
    if field == "environment":  # the one environment lookup of every tool
        from mlee.results.environment import EnvironmentLookupError, resolve_environment

        try:
            return resolve_environment(wanted, table["environment"].astype(str).unique())
        except EnvironmentLookupError as error:
            raise SelectionError(f"{error} (use --list to see every label)") from None
    names = _names(table, field)
    key = str(wanted).strip().lower()
    exact = [value for value, aliases in names.items() if key in aliases]
    if len(exact) == 1:
        return exact[0]
    partial = sorted(value for value, aliases in names.items() if any(key in a for a in aliases))
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise SelectionError(f"unknown {field} {wanted!r}; available: {_available(table, field)} "
                             f"(use --list to see every label)")
    raise SelectionError(f"{field} {wanted!r} is ambiguous: it matches {', '.join(repr(v) for v in partial)}; "
                         f"give more of the name")


def select_rows(table: pd.DataFrame, **choices: str | None) -> pd.DataFrame:
    """Rows of ``table`` matching every given choice (``dataset=``, ``task=``, ``environment=``,
    ``model=``; None means any)."""
    unknown = set(choices) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown selection field(s) {', '.join(sorted(unknown))}; use {', '.join(FIELDS)}")
    if table.empty:
        raise SelectionError("the results table is empty: point --directory at a folder of merged result files "
                             "(e.g. results/ written by merge_results.py)")
    selected = table
    for field in FIELDS:
        wanted = choices.get(field)
        if wanted is None or str(wanted).strip() == "":
            continue
        value = match_value(selected, field, wanted)
        selected = selected[selected[field].astype(str) == value]
    return selected


def select_one(table: pd.DataFrame, **choices: str | None) -> pd.Series:
    """The single row of ``table`` that the choices (plus uniqueness of the fields left out) name."""
    selected = select_rows(table, **choices)
    for field in FIELDS:
        values = selected[field].astype(str).unique()
        if len(values) > 1:
            raise SelectionError(f"several {field}s fit; choose one with --{field}: "
                                 f"{_available(selected, field)}")
    if len(selected) != 1:  # pragma: no cover - only with duplicate rows in the table
        raise SelectionError(f"{len(selected)} rows fit the choice; the results table has duplicates")
    return selected.iloc[0]


def _task_of_file(path: Path) -> str | None:
    name = path.name.lower()
    if name.startswith("infer"):
        return "inference"
    if name.startswith("train"):
        return "training"
    return None


def rows_for_file(table: pd.DataFrame, filename: str | os.PathLike) -> pd.DataFrame:
    """Rows of ``table`` whose ``files`` list holds ``filename`` (a path, or just a file name).

    A merged ``infer_*`` file also carries its training run; where a file belongs to rows of both
    tasks, the task its name starts with (``infer_`` / ``train_``) is taken.
    """
    wanted = Path(filename)
    by_name = wanted.name == str(filename)  # a bare file name: compare names only
    resolved = wanted.resolve() if not by_name else None

    def holds(files: object) -> bool:
        for f in files if isinstance(files, (list, tuple)) else ():
            p = Path(str(f))
            if p.name == wanted.name and (by_name or p.resolve() == resolved):
                return True
        return False

    rows = table[table["files"].map(holds)]
    if rows.empty:
        raise SelectionError(f"no result in the table comes from {str(filename)!r}; give a merged result file "
                             f"(results/<backend>/infer_*.json) of the --directory, or use --list")
    task = _task_of_file(wanted)
    if rows["task"].nunique() > 1 and task in set(rows["task"]):
        rows = rows[rows["task"] == task]
    return rows
