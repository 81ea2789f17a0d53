"""The data files of a folder the ELEx server was given (``elex.py --data-dir DIR``), offered as datasets of the
"Run experiments" panel with a target column chooser.

The page only ever names a file by a choice value, ``datafile:<file name>``, of a file that is directly in the
folder now (no paths from the page); the server checks and registers the file (:mod:`mlee.runs.data_file`) with
the chosen target when a sweep is launched, so the runs get the key ``file:<stem>@<fp12>`` and any problem of
the file is the launch's error message.
"""

from __future__ import annotations

from pathlib import Path

from mlee.runs.data_file import SUFFIXES

#: choice values of data files start with this
DATA_FILE_CHOICE = "datafile:"
#: at most this many files of a folder are offered
MAX_FILES = 200


def data_files(data_dir: Path | None) -> list[Path]:
    """The ``.csv`` and ``.parquet`` files directly in ``data_dir``, by name (none without a folder).

    Parameters
    ----------
    data_dir : the folder, or None.

    Returns
    -------
    list of Path
    """
    if data_dir is None or not Path(data_dir).is_dir():
        return []
    files = [p for p in Path(data_dir).iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
             and not p.name.startswith(".")]
    return sorted(files, key=lambda p: p.name)[:MAX_FILES]


def data_file_choices(data_dir: Path | None) -> list[tuple[str, str]]:
    """(value, label) of the data files offered.

    Parameters
    ----------
    data_dir : the folder, or None.

    Returns
    -------
    list of (str, str)
    """
    return [(f"{DATA_FILE_CHOICE}{p.name}", f"{p.name} (your file)") for p in data_files(data_dir)]


def chosen_file(data_dir: Path | None, value: str) -> Path | None:
    """The file a choice value names, when it is one of :func:`data_files` now; else None.

    Parameters
    ----------
    data_dir : the folder.
    value : a choice value.

    Returns
    -------
    Path or None
    """
    if not isinstance(value, str) or not value.startswith(DATA_FILE_CHOICE):
        return None
    name = value[len(DATA_FILE_CHOICE):]
    return next((p for p in data_files(data_dir) if p.name == name), None)


def columns(path: Path) -> list[str]:
    """The column names of a data file, read from its header (CSV) or schema (Parquet) only.

    Parameters
    ----------
    path : a ``.csv`` or ``.parquet`` file.

    Returns
    -------
    list of str
        Empty when the file cannot be read (the launch then says why).
    """
    import pandas as pd

    try:
        if path.suffix.lower() == ".csv":
            return [str(c) for c in pd.read_csv(path, nrows=0).columns]
        import pyarrow.parquet as pq

        return [str(n) for n in pq.read_schema(path).names if not str(n).startswith("__index_level_")]
    except Exception:  # noqa: BLE001 - an unreadable file offers no column; registering it names the problem
        return []


def target_options(data_dir: Path | None, chosen: list[str] | None) -> list[str]:
    """The columns the target chooser offers: those of the chosen data files, in the first file's order.

    Parameters
    ----------
    data_dir : the folder.
    chosen : the panel's chosen dataset values.

    Returns
    -------
    list of str
    """
    out: list[str] = []
    for value in chosen or []:
        path = chosen_file(data_dir, value)
        if path is not None:
            out += [c for c in columns(path) if c not in out]
    return out


def register_chosen(data_dir: Path | None, values: list[str], target: str | None,
                    task: str | None = None) -> dict[str, str]:
    """Check and register the chosen data files with ``target`` and ``task``; their dataset keys.

    Parameters
    ----------
    data_dir : the folder.
    values : choice values of data files.
    target : the chosen target column.
    task : ``"classification"`` (also for None) or ``"regression"``.

    Returns
    -------
    dict
        Choice value -> dataset key (``file:<stem>@<fp12>``).

    Raises
    ------
    mlee.elex.run_request.RunRequestError
        No target chosen, another task, a file no longer in the folder, or a file mlee cannot use (the message of
        :class:`~mlee.runs.data_file.DataFileError`).
    """
    from mlee.elex.run_request import RunRequestError
    from mlee.runs.data_file import DataFileError, register_data_file

    if not isinstance(target, str) or not target:
        raise RunRequestError("Choose the target column of your data file(s): the column the models predict.")
    task = task or "classification"
    if task not in ("classification", "regression"):
        raise RunRequestError("Task: pick classification or regression.")
    keys = {}
    for value in values:
        path = chosen_file(data_dir, value)
        if path is None:
            raise RunRequestError(f"{str(value)[len(DATA_FILE_CHOICE):][:80]!r} is no longer in the data folder; "
                                  f"reload the page.")
        try:
            keys[value] = register_data_file(path, target, task).key
        except DataFileError as exc:
            text = str(exc).replace(str(path), path.name)
            raise RunRequestError(text.replace("pass --task regression (task='regression')",
                                               "choose the task regression")) from None
    return keys
