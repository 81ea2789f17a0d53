"""Reference models: dataset key -> the model whose values every index of that dataset is relative to.

File format: ``{"<dataset>": "<model name>"}``; keys starting with ``_`` (e.g. ``"_reasons"``) are ignored.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    import pandas as pd

from mlee.atomic import write_json_atomic
from mlee.catalog import find_key, method_short
from mlee.results import jsonio

References = dict[str, str]


def validate_references(data: Any, source: str = "references") -> References:
    """Checked copy of a references mapping; ValueError naming the entry and the fix when invalid."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a JSON object mapping dataset keys to model names, "
                         f"got {type(data).__name__}")
    out: References = {}
    for key, value in data.items():
        if str(key).startswith("_"):
            continue
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{source}: reference of dataset {key!r} must be a model name such as "
                             f"'Random Forest', got {value!r}")
        out[str(key)] = value
    return out


def load_references(path: str | os.PathLike) -> References:
    """Read a references file; ValueError with the problem and the fix when invalid."""
    return validate_references(jsonio.load_file(path, "references file"), f"references file {str(path)!r}")


def save_references(references: Mapping[str, str], path: str | os.PathLike) -> None:
    """Write references (atomically)."""
    write_json_atomic(path, validate_references(references), indent=4)


def resolve_references(pairs: Iterable[tuple[str, str]], table: pd.DataFrame) -> References:
    """Reference choices ``(dataset, model)`` resolved against the results they will rate.

    A dataset is named by its key or display name, a model by its full or short name (any case, spaces,
    ``_`` and ``-`` ignored: the lookup of ``--model``); the model must have results on that dataset.

    Parameters
    ----------
    pairs : (dataset, model) pairs as given (``--reference DATASET=MODEL``).
    table : the loaded (or aggregated) results table: ``dataset``, ``model`` and, where present,
        ``dataset_display`` and ``model_short``.

    Returns
    -------
    dict
        Dataset key -> full model name.

    Raises
    ------
    ValueError
        Naming the unknown dataset or model and listing the valid ones.
    """
    out: References = {}
    datasets = {str(d): {"display": str(v)} for d, v in zip(table["dataset"], table.get("dataset_display",
                                                                                      table["dataset"]))}
    for dataset, model in pairs:
        key = find_key(dataset, datasets, "display")
        if key is None:
            valid = ", ".join(f"{k} ({v['display']})" if v["display"] != k else k for k, v in sorted(datasets.items()))
            raise ValueError(f"--reference {dataset}={model}: no results of a dataset {dataset!r}; datasets with "
                             f"results: {valid}")
        rows = table[table["dataset"] == key]
        shorts = rows["model_short"] if "model_short" in rows else rows["model"].map(method_short)
        models = {str(m): {"short": str(s)} for m, s in zip(rows["model"], shorts)}
        full = find_key(model, models, "short")
        if full is None:
            valid = ", ".join(f"{m} ({v['short']})" for m, v in sorted(models.items()))
            raise ValueError(f"--reference {dataset}={model}: {key} has no results of a model {model!r}; its models "
                             f"(full or short name, any case): {valid}")
        out[key] = full
    return out
