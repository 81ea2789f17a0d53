"""Load benchmark datasets by name: bundled, scikit-learn fetchers, OpenML, synthetic.

Names
-----
- The keys of ``mlee/data/datasets.json`` (``iris``, ``digits``, ``credit-g``, ``mnist_784`` ...); display names
  and case-insensitive spellings are accepted too. The table's ``source`` says how a dataset is loaded:
  ``bundled`` (ships with scikit-learn, always offline), ``sklearn-fetcher`` (``fetch_*`` of scikit-learn,
  needs a download or a filled ``data_home``) or ``openml`` (``fetch_openml`` by name, version 1).
- ``openml:<name>`` (active version), ``openml:<name>@<version>`` or ``openml:<data_id>``: any other OpenML dataset.
- ``synthetic`` (size from :class:`SyntheticSpec`) or ``synthetic_<rows>x<features>x<classes>``: a seeded
  :func:`sklearn.datasets.make_classification` dataset for scaling benchmarks.
- ``synthetic_regression`` (rows and features from :class:`SyntheticSpec`) or
  ``synthetic_regression_<rows>x<features>``: a seeded :func:`sklearn.datasets.make_regression` dataset.

A dataset's learning task (``task`` in the table: ``classification`` or ``regression``) travels with it
(:attr:`Dataset.task`): preparation, the runner and the rating read it from there.

Nothing here downloads unless the dataset is missing from the cache; a dataset that is missing and cannot be
downloaded raises :class:`DatasetUnavailableError` saying how to fix it.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlee import catalog
from mlee.runs.errors import DatasetUnavailableError, UnknownNameError

if TYPE_CHECKING:  # numpy and pandas load with the data, not with every command line's start
    import numpy as np

log = logging.getLogger(__name__)

SYNTHETIC_PATTERN = re.compile(r"^synthetic_(\d+)x(\d+)x(\d+)$")
SYNTHETIC_REGRESSION = "synthetic_regression"
SYNTHETIC_REGRESSION_PATTERN = re.compile(r"^synthetic_regression_(\d+)x(\d+)$")
OPENML_PREFIX = "openml:"
FILE_PREFIX = "file:"
#: OpenML datasets of the study are pinned to version 1 (the version the study used).
STUDY_OPENML_VERSION = 1


@dataclass(frozen=True)
class SyntheticSpec:
    """Size of the synthetic ``make_classification`` dataset: rows, features (before encoding), classes."""

    samples: int = 1000
    features: int = 20
    classes: int = 2

    @property
    def key(self) -> str:
        """Dataset key that encodes the size, e.g. ``synthetic_1000x20x2``."""
        return f"synthetic_{self.samples}x{self.features}x{self.classes}"

    @property
    def regression_key(self) -> str:
        """Dataset key of the synthetic regression data of this size, e.g. ``synthetic_regression_1000x20``."""
        return f"{SYNTHETIC_REGRESSION}_{self.samples}x{self.features}"


@dataclass
class Dataset:
    """A loaded dataset before preparation.

    ``X`` is a DataFrame (columns may be categorical), a 2-D array or a SciPy sparse matrix; ``y`` holds the
    class labels (any hashable type) or, for ``task == "regression"``, the numeric target.
    """

    key: str
    X: Any
    y: np.ndarray
    display: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)
    task: str = "classification"

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, features) before preparation."""
        return tuple(int(v) for v in self.X.shape)  # type: ignore[return-value]


def known_datasets() -> list[str]:
    """Keys of the dataset table, in table order."""
    return list(catalog.datasets())


def bundled_datasets(task: str | None = "classification") -> list[str]:
    """Keys of the datasets that ship with scikit-learn (always available offline).

    Parameters
    ----------
    task : str or None
        Only those of this learning task (``"classification"``, the default, or ``"regression"``); None: all.

    Returns
    -------
    list of str
        Keys in table order.
    """
    return [k for k, v in catalog.datasets().items() if v.get("source") == "bundled"
            and (task is None or v.get("task", "classification") == task)]


def resolve_dataset_name(name: str) -> str:
    """Canonical dataset key for a user-given name.

    Accepts table keys, display names, case-insensitive spellings and ``-``/``_`` variants, plus ``openml:...``,
    ``synthetic`` and ``synthetic_<rows>x<features>x<classes>``. Raises :class:`UnknownNameError` listing the valid
    names otherwise.
    """
    text = name.strip()
    if text.startswith(FILE_PREFIX):  # a registered data file (mlee.runs.data_file)
        return text
    if text.lower().startswith(OPENML_PREFIX):
        rest = text[len(OPENML_PREFIX):].strip()
        if not rest:
            raise UnknownNameError("Dataset 'openml:' names no dataset. Write openml:<name> or openml:<data_id>.")
        return OPENML_PREFIX + rest
    if text.lower() in ("synthetic", SYNTHETIC_REGRESSION) or SYNTHETIC_PATTERN.match(text.lower()) \
            or SYNTHETIC_REGRESSION_PATTERN.match(text.lower()):
        return text.lower()
    table = catalog.datasets()
    key = catalog.find_key(text, table, "display")
    if key is not None:
        return key
    raise UnknownNameError(
        f"Unknown dataset {name!r}. Valid names: {', '.join(table)}. For any other OpenML dataset write "
        f"openml:<name> (e.g. openml:kc1); for generated data write synthetic or synthetic_<rows>x<features>x<classes> (classification), "
        f"synthetic_regression or synthetic_regression_<rows>x<features> (regression)."
    )


def _bundled(key: str) -> tuple[Any, np.ndarray, dict[str, Any]]:
    import numpy as np
    from sklearn import datasets as skd

    loader = {
        "iris": skd.load_iris,
        "wine": skd.load_wine,
        "breast_cancer": skd.load_breast_cancer,
        "digits": skd.load_digits,
        "diabetes": skd.load_diabetes,
    }[key]
    bunch = loader()
    return bunch.data, np.asarray(bunch.target), {"loader": f"sklearn.datasets.{loader.__name__}"}


def _fetcher(key: str, data_home: str | None, download: bool) -> tuple[Any, np.ndarray, dict[str, Any]]:
    import numpy as np
    from sklearn import datasets as skd

    kwargs = {"data_home": data_home, "download_if_missing": download}
    if key == "olivetti_faces":
        bunch = skd.fetch_olivetti_faces(**kwargs)
        return bunch.data, np.asarray(bunch.target), {"loader": "fetch_olivetti_faces"}
    if key == "lfw_people":
        bunch = skd.fetch_lfw_people(**kwargs)
        return bunch.data, np.asarray(bunch.target), {"loader": "fetch_lfw_people"}
    if key == "lfw_pairs":
        # Both official subsets joined; mlee makes its own seeded, stratified split like for every dataset.
        parts = [skd.fetch_lfw_pairs(subset=s, **kwargs) for s in ("train", "test")]
        X = np.vstack([p.data for p in parts])
        y = np.concatenate([np.asarray(p.target) for p in parts])
        return X, y, {"loader": "fetch_lfw_pairs", "subsets": ["train", "test"]}
    if key == "20newsgroups_vectorized":
        bunch = skd.fetch_20newsgroups_vectorized(subset="all", **kwargs)
        return bunch.data, np.asarray(bunch.target), {"loader": "fetch_20newsgroups_vectorized", "subset": "all"}
    if key == "covtype":
        bunch = skd.fetch_covtype(**kwargs)
        return bunch.data, np.asarray(bunch.target), {"loader": "fetch_covtype"}
    if key == "california_housing":
        bunch = skd.fetch_california_housing(**kwargs)
        return bunch.data, np.asarray(bunch.target, dtype=np.float64), {"loader": "fetch_california_housing"}
    raise UnknownNameError(f"Dataset {key!r} is marked 'sklearn-fetcher' in datasets.json but mlee has no loader for it.")


def _openml(name: str | None, data_id: int | None, version: int | str, data_home: str | None,
            n_retries: int, delay: float) -> tuple[Any, np.ndarray, dict[str, Any]]:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import fetch_openml

    kwargs: dict[str, Any] = dict(data_home=data_home, parser="liac-arff", as_frame="auto",
                                  n_retries=max(1, n_retries), delay=max(0.01, delay))
    if data_id is not None:
        bunch = fetch_openml(data_id=data_id, **kwargs)
    else:
        bunch = fetch_openml(name=name, version=version, **kwargs)
    details: dict[str, Any] = {"loader": "fetch_openml", "parser": "liac-arff"}
    info = getattr(bunch, "details", None) or {}
    for key in ("id", "name", "version"):
        if key in info:
            details[f"openml_{key}"] = info[key]
    y = bunch.target
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"OpenML dataset {name or data_id} has {y.shape[1]} target columns; mlee needs exactly one.")
        y = y.iloc[:, 0]
    return bunch.data, np.asarray(y), details


def _synthetic(spec: SyntheticSpec, seed: int) -> tuple[Any, np.ndarray, dict[str, Any]]:
    from sklearn.datasets import make_classification

    if spec.samples < 2 * spec.classes or spec.classes < 2:
        raise ValueError(f"Synthetic dataset needs at least 2 classes and 2 rows per class; got {spec.samples} rows "
                         f"and {spec.classes} classes. Raise --synthetic-samples or lower --synthetic-classes.")
    informative = max(2, math.ceil(math.log2(spec.classes)) + 1)
    if spec.features < informative:
        raise ValueError(f"Synthetic dataset with {spec.classes} classes needs at least {informative} features; "
                         f"got {spec.features}. Raise --synthetic-features.")
    redundant = min(2, spec.features - informative)
    X, y = make_classification(n_samples=spec.samples, n_features=spec.features, n_informative=informative,
                               n_redundant=redundant, n_classes=spec.classes, random_state=seed)
    return X, y, {"loader": "make_classification", "n_informative": informative, "n_redundant": redundant,
                  "random_state": seed}


def _synthetic_regression(spec: SyntheticSpec, seed: int) -> tuple[Any, np.ndarray, dict[str, Any]]:
    from sklearn.datasets import make_regression

    if spec.samples < 10 or spec.features < 1:
        raise ValueError(f"Synthetic regression data needs at least 10 rows and 1 feature; got {spec.samples} rows "
                         f"and {spec.features} features. Raise --synthetic-samples or --synthetic-features.")
    informative = max(1, spec.features // 2)
    X, y = make_regression(n_samples=spec.samples, n_features=spec.features, n_informative=informative,
                           noise=10.0, random_state=seed)
    return X, y, {"loader": "make_regression", "n_informative": informative, "noise": 10.0, "random_state": seed}


def _unavailable(key: str, data_home: str | None, exc: BaseException, where: str,
                 reason: str = "the download failed") -> DatasetUnavailableError:
    home = data_home or "scikit-learn's default data home (~/scikit_learn_data)"
    return DatasetUnavailableError(
        f"Dataset {key!r} needs a download from {where}: it is not in the cache at {home} and {reason} "
        f"({type(exc).__name__}: {exc}). Connect to the network once to fill the cache, or pass "
        f"--data-home pointing to a folder that holds a filled scikit-learn data cache. The bundled datasets "
        f"({', '.join(bundled_datasets())}) always work offline."
    )


def load_dataset(name: str, data_home: str | Path | None = None, seed: int = 42,
                 synthetic: SyntheticSpec | None = None, download: bool = True, openml_retries: int = 1,
                 openml_delay: float = 0.5) -> Dataset:
    """Load a dataset by name (see the module docstring for the names).

    ``data_home`` is scikit-learn's data cache folder (``None``: its default). ``seed`` only affects synthetic
    data. With ``download=False`` nothing is downloaded: scikit-learn fetchers get ``download_if_missing=False``
    and OpenML datasets must already be in the cache. Raises :class:`UnknownNameError` for unknown names and :class:`DatasetUnavailableError` when a dataset
    is not cached and cannot be downloaded.
    """
    key = resolve_dataset_name(name)
    if key.startswith(FILE_PREFIX):
        from mlee.runs.data_file import load_registered

        return load_registered(key)
    home = str(data_home) if data_home is not None else None
    sized = SYNTHETIC_PATTERN.match(key)
    if key == "synthetic" or sized:
        if sized:
            synthetic = SyntheticSpec(int(sized.group(1)), int(sized.group(2)), int(sized.group(3)))
        spec = synthetic or SyntheticSpec()
        X, y, details = _synthetic(spec, seed)
        return Dataset(spec.key, X, y, f"Synthetic {spec.samples}x{spec.features}x{spec.classes}", "synthetic", details)
    sized = SYNTHETIC_REGRESSION_PATTERN.match(key)
    if key == SYNTHETIC_REGRESSION or sized:
        spec = synthetic or SyntheticSpec()
        if sized:
            spec = SyntheticSpec(int(sized.group(1)), int(sized.group(2)), spec.classes)
        X, y, details = _synthetic_regression(spec, seed)
        return Dataset(spec.regression_key, X, y, f"Synthetic regression {spec.samples}x{spec.features}",
                       "synthetic", details, task="regression")

    if key.startswith(OPENML_PREFIX):
        ref = key[len(OPENML_PREFIX):]
        data_id = int(ref) if ref.isdigit() else None
        oname, _, version_text = ref.partition("@")
        version: int | str = int(version_text) if version_text.isdigit() else (version_text or "active")
        try:
            if not download:
                _require_openml_cache(oname, data_id, version, home)
            X, y, details = _openml(None if data_id else oname, data_id, version, home,
                                    openml_retries, openml_delay)
        except DatasetUnavailableError:
            raise
        except OSError as exc:
            raise _unavailable(key, home, exc, "openml.org") from exc
        except ValueError as exc:
            raise UnknownNameError(f"OpenML could not provide dataset {ref!r}: {exc} Check the name on "
                                   f"https://www.openml.org/search?type=data") from exc
        name = details.get("openml_name")
        display = f"{name} (OpenML {details.get('openml_id', ref)})" if name else catalog.dataset_display(key)
        return Dataset(key, X, y, display, "openml", details)

    entry = catalog.datasets()[key]
    source = entry.get("source")
    if source == "bundled":
        X, y, details = _bundled(key)
    elif source == "sklearn-fetcher":
        try:
            X, y, details = _fetcher(key, home, download)
        except OSError as exc:
            raise _unavailable(key, home, exc, "its scikit-learn fetcher", reason="the download failed" if download
                               else "downloads are switched off (--no-download)") from exc
    elif source == "openml":
        try:
            if not download:
                _require_openml_cache(key, None, STUDY_OPENML_VERSION, home)
            X, y, details = _openml(key, None, STUDY_OPENML_VERSION, home, openml_retries, openml_delay)
        except DatasetUnavailableError:
            raise
        except OSError as exc:
            raise _unavailable(key, home, exc, "openml.org") from exc
    else:
        raise UnknownNameError(f"datasets.json gives dataset {key!r} the unknown source {source!r}; "
                               f"use bundled, sklearn-fetcher or openml.")
    return Dataset(key, X, y, entry.get("display", key), str(source), details, task=catalog.dataset_task(key))


def data_home_path(data_home: str | Path | None) -> Path:
    """scikit-learn's data folder as ``sklearn.datasets.get_data_home`` resolves it (``data_home``, else
    ``$SCIKIT_LEARN_DATA``, else ``~/scikit_learn_data``), without importing scikit-learn (ELEx's start asks
    which datasets are cached) and without creating the folder."""
    if data_home is None:
        data_home = os.environ.get("SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data"))
    return Path(os.path.expanduser(str(data_home)))


def openml_cache_root(data_home: str | Path | None) -> Path:
    """Folder where scikit-learn caches OpenML responses: ``<data_home>/openml/openml.org``."""
    return data_home_path(data_home) / "openml" / "openml.org"


def _require_openml_cache(name: str | None, data_id: int | None, version: int | str, data_home: str | None) -> None:
    """Raise :class:`DatasetUnavailableError` unless the first OpenML response for the dataset is cached."""
    root = openml_cache_root(data_home)
    if data_id is not None:
        rel = f"api/v1/json/data/{data_id}"
    elif version == "active":
        rel = f"api/v1/json/data/list/data_name/{name}/limit/2/status/active/"
    else:
        rel = f"api/v1/json/data/list/data_name/{name}/limit/2/data_version/{version}"
    path = root / (rel + ".gz")
    if not path.is_file():
        raise _unavailable(f"{name or data_id}", data_home, FileNotFoundError(f"{path} does not exist"),
                           "openml.org", reason="downloads are switched off (--no-download)")


#: files (relative to scikit-learn's data folder) whose presence means a fetcher dataset loads offline
_FETCHER_CACHE = {
    "olivetti_faces": ("olivetti_py3.pkz",),
    "lfw_people": ("lfw_home/lfw_funneled",),
    "lfw_pairs": ("lfw_home/lfw_funneled", "lfw_home/pairsDevTrain.txt", "lfw_home/pairsDevTest.txt"),
    "20newsgroups_vectorized": ("20news-bydate_py3.pkz",),
    "covtype": ("covertype/samples_py3", "covertype/targets_py3"),
    "california_housing": ("cal_housing_py3.pkz",),
}


def dataset_cached(key: str, data_home: str | Path | None = None) -> bool:
    """True when dataset ``key`` of the table loads without a download: bundled, or its files are in the cache
    ``data_home`` (scikit-learn's data folder; None for its default)."""
    entry = catalog.datasets().get(key, {})
    source = entry.get("source")
    home = str(data_home) if data_home is not None else None
    if source == "bundled":
        return True
    if source == "openml":
        try:
            _require_openml_cache(key, None, STUDY_OPENML_VERSION, home)
        except DatasetUnavailableError:
            return False
        return True
    files = _FETCHER_CACHE.get(key)
    root = data_home_path(home)
    return bool(files) and all((root / name).exists() for name in files)
