"""A user's own data file (CSV or Parquet) as a :class:`~mlee.runs.datasets.Dataset`, checked before any
run starts and fingerprinted by its content.

The fingerprint is a SHA-256 of the parsed table, not of the file's bytes: the same data saved as CSV and as
Parquet (or re-saved with another line ending, column quoting or compression) has the same fingerprint; a
changed value, a renamed or reordered column or another target gives another. Numbers (and booleans) enter as
float64, everything else as text, missing values as one marker.

Preparation is then the same as for a catalog dataset (:func:`mlee.runs.preparation.prepare`): text and
boolean columns are one-hot encoded, numbers imputed and scaled, fitted on the training split. What that cannot
encode is refused here, with the column and the fix: nested values (lists, dicts), dates and times, and text
columns with so many distinct values that they are free text or identifiers.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from mlee.runs.datasets import FILE_PREFIX, Dataset
from mlee.runs.errors import ExperimentError

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".parquet")
#: environment variable holding the registered data files (key -> path, target, task) as JSON, so that worker
#: processes started by this one (an embedded Dask cluster) load the same files
REGISTRY_VARIABLE = "MLEE_DATA_FILES"
#: a classification target of numbers with more distinct values than this many, and than
#: :data:`REGRESSION_SHARE` of its rows, is a quantity to predict (regression), not classes
REGRESSION_VALUES = 50
REGRESSION_SHARE = 0.1
#: a text column with more distinct values than this many, and than :data:`FREE_TEXT_SHARE` of its rows, is free
#: text or an identifier (one-hot encoding it would make a feature per row)
FREE_TEXT_VALUES = 50
FREE_TEXT_SHARE = 0.5
_MISSING = "\x00missing"


class DataFileError(ExperimentError, ValueError):
    """A data file mlee cannot use as it is; the message names the problem and the fix."""


def read_table(path: str | Path) -> "pd.DataFrame":
    """Read a ``.csv`` or ``.parquet`` file into a DataFrame, refusing what is missing, unreadable or empty.

    Parameters
    ----------
    path : the file.

    Returns
    -------
    pandas.DataFrame
        The table as pandas parses it (CSV: types inferred; Parquet: its stored types).

    Raises
    ------
    DataFileError
        A missing file, another suffix, a file that does not parse, or one without rows or columns.
    """
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise DataFileError(f"data file {path}: mlee reads {' and '.join(SUFFIXES)} files; save the table as CSV "
                            f"(with a header row) or Parquet")
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist; check the path (relative paths start in "
                            f"{Path.cwd()})")
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
        else:
            frame = pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataFileError(f"data file {path} is empty; it needs a header row and one row per sample") from None
    except ImportError as exc:
        raise DataFileError(f"reading {path} needs pyarrow ({exc}); pip install pyarrow, or save it as CSV") from None
    except (ValueError, OSError) as exc:  # pandas' ParserError is a ValueError; pyarrow's ArrowInvalid too
        raise DataFileError(f"data file {path} could not be read as {path.suffix.lower()[1:].upper()}: {exc}; "
                            f"check that it is a well-formed file of that format") from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataFileError(f"data file {path} holds {frame.shape[0]} rows and {frame.shape[1]} columns; it needs "
                            f"a header row, a target column, at least one feature column and rows of samples")
    return frame


def table_fingerprint(frame: "pd.DataFrame", target: str) -> str:
    """SHA-256 (hex) of the table's content and of which column is the target (see the module docstring).

    Parameters
    ----------
    frame : the table, target column included.
    target : the name of the target column.

    Returns
    -------
    str
        64 hex digits.
    """
    import numpy as np
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(f"target={target}\x1e{len(frame)}\x1e".encode())
    for name in frame.columns:
        column = frame[name]
        digest.update(f"\x1d{name}\x1f".encode())
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            values = column.astype("float64").to_numpy(copy=True)
            values[np.isnan(values)] = np.nan  # one NaN bit pattern
            digest.update(b"n" + values.tobytes())
        else:
            texts = [_MISSING if _is_missing(v) else str(v) for v in column.tolist()]
            digest.update(b"t" + "\x1f".join(texts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _refuse_unencodable(frame: "pd.DataFrame", path: Path) -> None:
    """Raise :class:`DataFileError` for the first feature column preparation cannot encode."""
    import pandas as pd

    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype) or pd.api.types.is_timedelta64_dtype(column.dtype):
            raise DataFileError(f"data file {path}: column {name!r} holds dates or times, which mlee cannot encode; "
                                f"convert it to numbers (for example days since a date) or drop it")
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            continue
        present = column.dropna()
        nested = next((v for v in present.tolist() if not isinstance(v, (str, bool, int, float))), None)
        if nested is not None:
            raise DataFileError(f"data file {path}: column {name!r} holds {type(nested).__name__} values such as "
                                f"{str(nested)[:40]!r}, which mlee cannot encode; flatten it into columns of "
                                f"numbers or text, or drop it")
        distinct = present.astype(str).nunique()
        if distinct > FREE_TEXT_VALUES and distinct > FREE_TEXT_SHARE * len(frame):
            raise DataFileError(f"data file {path}: column {name!r} holds {distinct} distinct texts in {len(frame)} "
                                f"rows (free text or an identifier); one-hot encoding would make {distinct} "
                                f"features: drop it, or encode it as numbers yourself")


def _target_problem(values: "pd.Series", task: str) -> str | None:
    import pandas as pd

    present = values.dropna()
    if present.empty:
        return "holds no values"
    if task == "regression" and not pd.api.types.is_numeric_dtype(present.dtype):
        return "holds text, and a regression target must be numbers"
    distinct = present.unique()
    if len(distinct) < 2:
        value = distinct[0].item() if hasattr(distinct[0], "item") else distinct[0]
        return f"holds the single value {value!r} in every row, and a model needs two values at least"
    if task == "classification" and pd.api.types.is_numeric_dtype(present.dtype) \
            and not pd.api.types.is_bool_dtype(present.dtype):
        fractional = pd.api.types.is_float_dtype(present.dtype) and bool((present % 1 != 0).any())
        if fractional or (len(distinct) > REGRESSION_VALUES and len(distinct) > REGRESSION_SHARE * len(present)):
            return (f"holds {len(distinct)} distinct numbers{' with fractions' if fractional else ''}: a quantity "
                    f"to predict (regression), not classes; pass --task regression (task='regression'), or bin "
                    f"it into classes")
    return None


def _columns_text(columns: Iterable[object]) -> str:
    names = [str(c) for c in columns]
    return ", ".join(names[:20]) + (f" ... ({len(names)} columns)" if len(names) > 20 else "")


def load_data_file(path: str | Path, target: str, task: str = "classification") -> Dataset:
    """Load a user's data file as a dataset: the ``target`` column is what the model predicts, every other
    column is a feature.

    Parameters
    ----------
    path : a ``.csv`` (header row, comma-separated) or ``.parquet`` file.
    target : the name of the column to predict.
    task : ``"classification"`` (any values, at least two classes) or ``"regression"`` (numbers).

    Returns
    -------
    Dataset
        ``key`` ``file:<file stem>``, ``source`` ``"file"``, and in ``details`` the resolved ``path``, the
        ``format``, the ``target``, the content ``fingerprint`` (:func:`table_fingerprint`) and the table's
        ``rows`` and ``columns``.

    Raises
    ------
    DataFileError
        A file that cannot be read or is empty, a missing or unusable target, no feature column, or a feature
        column preparation cannot encode; the message names the column and the fix.
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    path = Path(path)
    frame = read_table(path)
    if target not in frame.columns:
        raise DataFileError(f"data file {path} has no column {target!r}; its columns are "
                            f"{_columns_text(frame.columns)}: pass the target's name as it is in the header")
    problem = _target_problem(frame[target], task)
    if problem:
        raise DataFileError(f"data file {path}: the target column {target!r} {problem}; pick another target "
                            f"column or fix the file")
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise DataFileError(f"data file {path} has no feature column besides the target {target!r}; add the "
                            f"columns the model should learn from")
    _refuse_unencodable(features, path)
    fingerprint = table_fingerprint(frame, target)
    details = {"path": str(path.resolve()), "format": path.suffix.lower()[1:], "target": target,
               "fingerprint": fingerprint, "rows": int(frame.shape[0]), "columns": int(features.shape[1])}
    y = frame[target].to_numpy(dtype="float64") if task == "regression" else frame[target].to_numpy()
    return Dataset(key=f"{FILE_PREFIX}{path.stem}", X=features, y=y, display=path.name, source="file",
                   details=details, task=task)


def data_file_key(dataset: Dataset) -> str:
    """The dataset key of a loaded data file: ``file:<file stem>@<first 12 hex digits of its fingerprint>``.

    Parameters
    ----------
    dataset : what :func:`load_data_file` returned.

    Returns
    -------
    str
    """
    return f"{FILE_PREFIX}{Path(dataset.details['path']).stem}@{dataset.details['fingerprint'][:12]}"


def _registry() -> dict[str, dict[str, str]]:
    try:
        value = json.loads(os.environ.get(REGISTRY_VARIABLE) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def register_data_file(path: str | Path, target: str, task: str = "classification") -> Dataset:
    """Check a data file and make it a dataset that runs name by key (:func:`mlee.runs.datasets.load_dataset`
    loads it again, in this process and in the worker processes it starts).

    Parameters
    ----------
    path : a ``.csv`` or ``.parquet`` file.
    target : the name of the column to predict.
    task : ``"classification"`` or ``"regression"``.

    Returns
    -------
    Dataset
        As :func:`load_data_file` gives it, with the key ``file:<stem>@<fp12>`` (:func:`data_file_key`).

    Raises
    ------
    DataFileError
        What :func:`load_data_file` raises, naming the problem and the fix.
    """
    dataset = load_data_file(path, target, task)
    dataset.key = data_file_key(dataset)
    registry = _registry()
    registry[dataset.key] = {"path": dataset.details["path"], "target": target, "task": task}
    os.environ[REGISTRY_VARIABLE] = json.dumps(registry, sort_keys=True)
    dataset.details["task"] = task
    return dataset


def registered_task(key: str) -> str | None:
    """The task a registered data file was registered for; None for another key.

    Parameters
    ----------
    key : a dataset key.

    Returns
    -------
    str or None
    """
    entry = _registry().get(key)
    return entry["task"] if entry else None


def load_registered(key: str) -> Dataset:
    """Load the data file registered as ``key`` (:func:`register_data_file`), checking that it still holds the
    data the key names.

    Parameters
    ----------
    key : ``file:<stem>@<fp12>``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataFileError
        An unregistered key, or a file whose content changed since it was registered.
    """
    entry = _registry().get(key)
    if entry is None:
        raise DataFileError(f"dataset {key!r} names a data file this process was not given; pass the file itself "
                            f"(--dataset path/to/{key[len(FILE_PREFIX):].partition('@')[0]}.csv --target COLUMN)")
    dataset = load_data_file(entry["path"], entry["target"], entry["task"])
    if data_file_key(dataset) != key:
        raise DataFileError(f"data file {entry['path']} changed since it was given as {key!r} (its content is now "
                            f"{data_file_key(dataset)!r}); start the sweep again to run the new content")
    dataset.key = key
    dataset.details["task"] = entry["task"]
    return dataset
