"""Which rows of the rated results the paper shows: environment, dataset order, best model per dataset.

All functions take the DataFrame of :func:`mlee.rating.rate` (Contract 4: one row per dataset, task,
environment and model) and return plain pandas objects; nothing here draws or writes.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mlee.catalog import datasets as catalog_datasets

log = logging.getLogger(__name__)

#: The dataset of the publication's scatter figure and labels, used when it is in the results.
PUBLICATION_DATASET = "credit-g"


def default_environment(runs: pd.DataFrame) -> str:
    """The environment with the most result rows (ties: the alphabetically first).

    ``runs`` is the table of :func:`mlee.results.load_results` (or any table with an ``environment``
    column); raises ``ValueError`` when it is empty.
    """
    if runs.empty or "environment" not in runs:
        raise ValueError("the results table is empty: point --directory at a folder with merged result "
                         "files (results/<backend>/infer_*.json), e.g. the output of merge_results.py")
    counts = runs["environment"].value_counts()
    best = counts.max()
    return sorted(str(env) for env, n in counts.items() if n == best)[0]


def inference_rows(rated: pd.DataFrame, environment: str) -> pd.DataFrame:
    """The inference rows of one environment; ``ValueError`` naming the known environments if none."""
    rows = rated[(rated["task"] == "inference") & (rated["environment"] == environment)]
    if rows.empty:
        known = sorted(set(rated.loc[rated["task"] == "inference", "environment"].astype(str)))
        raise ValueError(f"no inference results for environment {environment!r}; "
                         f"pass --environment with one of: {', '.join(known) or '(none)'}")
    return rows


def _shape_rows(path: str | Path) -> int | None:
    """Training + test rows recorded in one merged inference file (``validation.results.data.shape``)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        shape = data["validation"]["results"]["data"]["shape"]
        return int(shape["train"][0]) + int(shape["test"][0])
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        log.debug("no data shape in %s: %s", path, error)
        return None


def _files(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def dataset_sizes(rows: pd.DataFrame) -> dict[str, int | None]:
    """Dataset -> number of rows (training + test samples) of the inference ``rows``.

    Read from the data shape recorded in the result files named in the ``files`` column (the first file
    of a dataset that has one); falls back to the catalog's ``rows`` fact, then to ``n_test_samples``;
    None when nothing is known.
    """
    sizes: dict[str, int | None] = {}
    catalog = catalog_datasets()
    for dataset, group in rows.groupby("dataset", sort=True):
        size = None
        for files in group.get("files", pd.Series(dtype=object)):
            for path in _files(files):
                size = _shape_rows(path)
                if size is not None:
                    break
            if size is not None:
                break
        if size is None and dataset in catalog:
            size = int(catalog[dataset]["rows"])
        if size is None and "n_test_samples" in group:
            known = group["n_test_samples"].dropna()
            size = int(known.iloc[0]) if len(known) else None
        if size is None:
            log.warning("size of dataset %s is unknown; it is ordered last", dataset)
        sizes[str(dataset)] = size
    return sizes


def datasets_by_size(rows: pd.DataFrame, sizes: dict[str, int | None] | None = None) -> list[str]:
    """Datasets of ``rows`` ordered by size, largest first (ties and unknown sizes: by display name).

    ``sizes``: :func:`dataset_sizes` of ``rows`` if the caller has it already (it reads result files)."""
    sizes = dataset_sizes(rows) if sizes is None else sizes
    display = dict(zip(rows["dataset"], rows["dataset_display"]))
    return sorted(sizes, key=lambda d: (-(sizes[d] if sizes[d] is not None else -1), str(display.get(d, d))))


def best_model(rows: pd.DataFrame) -> pd.Series | None:
    """The best model of one dataset's inference rows.

    Among the models with the best (lowest, 0 = A) compound rating, the one with the highest inference
    energy index (ties: by model name). None when no model of the dataset has a compound rating.
    """
    rated = rows[rows["compound_rating"].notna()]
    if rated.empty:
        return None
    best = rated[rated["compound_rating"] == rated["compound_rating"].min()]
    index = best["power_draw_index"].astype(float)
    key = index.where(index.notna(), -math.inf)
    order = sorted(range(len(best)), key=lambda i: (-key.iloc[i], str(best["model"].iloc[i])))
    return best.iloc[order[0]]


def best_models(rated: pd.DataFrame, environment: str,
                sizes: dict[str, int | None] | None = None) -> pd.DataFrame:
    """One row per dataset (largest dataset first): the best model of each, see :func:`best_model`.

    Adds the column ``dataset_size`` (training + test rows). Datasets without any compound rating are
    left out with a warning. ``sizes``: :func:`dataset_sizes` of the environment's inference rows, if known.
    """
    rows = inference_rows(rated, environment)
    sizes = dataset_sizes(rows) if sizes is None else sizes
    chosen = []
    for dataset in datasets_by_size(rows, sizes):
        row = best_model(rows[rows["dataset"] == dataset])
        if row is None:
            log.warning("dataset %s has no compound rating in %s; left out of the best-model table",
                        dataset, environment)
            continue
        row = row.copy()
        row["dataset_size"] = sizes[dataset]
        chosen.append(row)
    return pd.DataFrame(chosen).reset_index(drop=True)


def default_dataset(rows: pd.DataFrame) -> str:
    """The publication's dataset (credit-g) when present, else the dataset with the most models."""
    present = set(rows["dataset"])
    if PUBLICATION_DATASET in present:
        return PUBLICATION_DATASET
    counts = rows["dataset"].value_counts()
    return sorted(str(d) for d, n in counts.items() if n == counts.max())[0]
