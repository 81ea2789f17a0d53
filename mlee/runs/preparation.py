"""Turn a loaded dataset into a seeded, stratified train/test split of numeric features.

The same ``seed`` and ``test_size`` give the same split in the hyperparameter search and in the evaluation.
Imputation (median for numbers, most frequent for categories), one-hot encoding of categorical columns and
standard scaling are fitted on the training split only and then applied to both splits. Labels are encoded as
integers ``0..n_classes-1``; classes that would end up in one split only are dropped with a warning.

A regression dataset (``Dataset.task == "regression"``) is split at random (seeded, not stratified); its target
stays the float64 numbers it is, rows without a target are dropped, and ``classes`` is empty.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler

from mlee.runs.datasets import Dataset
from mlee.runs.defaults import DEFAULT_TEST_SIZE

log = logging.getLogger(__name__)


@dataclass
class PreparedData:
    """Train/test split ready for a scikit-learn classifier (features numeric, labels ``0..n_classes-1``)."""

    dataset: str
    display: str
    X_train: Any
    X_test: Any
    y_train: np.ndarray
    y_test: np.ndarray
    classes: list[Any]
    seed: int
    test_size: float
    dropped_classes: list[Any] = field(default_factory=list)
    categorical_columns: list[str] = field(default_factory=list)
    n_scaled: int | None = None  # standardised features come first: their number (None: every feature)
    task: str = "classification"
    _fingerprint: str | None = field(default=None, repr=False, compare=False)

    def fingerprint(self) -> str:
        """First 16 hex digits of the SHA-256 over both splits (features and labels), computed once.

        Returns
        -------
        str
        """
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for part in (self.X_train, self.X_test, self.y_train, self.y_test):
                arrays = (part.data, part.indices, part.indptr) if sp.issparse(part) else (np.asarray(part),)
                for array in arrays:
                    array = np.ascontiguousarray(array)
                    digest.update(f"{array.dtype.str}{array.shape}".encode())
                    digest.update(memoryview(array).cast("B"))
            self._fingerprint = digest.hexdigest()[:16]
        return self._fingerprint

    @property
    def n_classes(self) -> int:
        """Number of classes kept."""
        return len(self.classes)

    @property
    def n_features(self) -> int:
        """Number of features after encoding."""
        return int(self.X_train.shape[1])

    def shapes(self) -> dict[str, list[int]]:
        """``{"train": [rows, features], "test": [rows, features]}`` after preparation."""
        return {"train": [int(v) for v in self.X_train.shape], "test": [int(v) for v in self.X_test.shape]}


def _categorical_columns(frame: pd.DataFrame) -> list[str]:
    out = []
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype) \
                or pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out.append(col)
    return out


def _label_str(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _drop_rare_classes(X: Any, y: np.ndarray, dataset: str) -> tuple[Any, np.ndarray, list[Any]]:
    """Drop classes with fewer than two samples (they cannot be in both splits)."""
    values, counts = np.unique(y, return_counts=True)
    rare = values[counts < 2]
    if len(rare) == 0:
        return X, y, []
    keep = ~np.isin(y, rare)
    msg = (f"{dataset}: dropping {len(rare)} class(es) with a single sample (they cannot appear in both the "
           f"training and the test split): {', '.join(map(str, rare[:10]))}{' ...' if len(rare) > 10 else ''}")
    log.warning(msg)
    warnings.warn(msg, stacklevel=3)
    return _take(X, keep), y[keep], [_label_str(v) for v in rare]


def _take(X: Any, mask: np.ndarray) -> Any:
    if isinstance(X, pd.DataFrame):
        return X.loc[mask].reset_index(drop=True)
    return X[mask]


def _build_preprocessor(X_train: Any) -> tuple[Any, list[str]]:
    if sp.issparse(X_train):
        return StandardScaler(with_mean=False), []
    if isinstance(X_train, pd.DataFrame):
        cat = _categorical_columns(X_train)
        num = [c for c in X_train.columns if c not in cat]
        transformers = []
        if num:
            transformers.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num))
        if cat:
            transformers.append(("categorical", make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cat))
        return ColumnTransformer(transformers, sparse_threshold=0.0), [str(c) for c in cat]
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), []


def prepare(dataset: Dataset, seed: int = 42, test_size: float = DEFAULT_TEST_SIZE) -> PreparedData:
    """Split ``dataset`` (seeded, stratified) and fit the preprocessing on the training split only.

    ``test_size`` is the fraction of rows in the test split. Classes with a single sample, and classes that the
    split leaves in one split only, are dropped with a warning (listed in ``dropped_classes``).
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size}.")
    X = dataset.X
    if isinstance(X, pd.DataFrame):
        X = X.reset_index(drop=True)
    elif not sp.issparse(X):
        X = np.asarray(X)
    if dataset.task == "regression":
        return _prepare_regression(dataset, X, seed, test_size)
    y = np.asarray(dataset.y)
    if y.dtype == object:
        missing = pd.isna(y)
        if missing.any():
            log.warning("%s: dropping %d rows without a label", dataset.key, int(missing.sum()))
            X, y = _take(X, ~missing), y[~missing]
    X, y, dropped = _drop_rare_classes(X, y, dataset.key)
    if len(np.unique(y)) < 2:
        raise ValueError(f"Dataset {dataset.key!r} has fewer than two classes with at least two samples; "
                         f"a classifier cannot be trained or evaluated on it.")

    idx = np.arange(len(y))
    idx_train, idx_test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=y)
    idx_train, idx_test = np.sort(idx_train), np.sort(idx_test)
    only_one = sorted(set(np.unique(y[idx_train])) ^ set(np.unique(y[idx_test])), key=str)
    if only_one:
        msg = (f"{dataset.key}: dropping {len(only_one)} class(es) present in one split only: "
               f"{', '.join(map(str, only_one[:10]))}{' ...' if len(only_one) > 10 else ''}")
        log.warning(msg)
        warnings.warn(msg, stacklevel=2)
        idx_train = idx_train[~np.isin(y[idx_train], only_one)]
        idx_test = idx_test[~np.isin(y[idx_test], only_one)]
        dropped += [_label_str(v) for v in only_one]

    X_train, X_test = _rows(X, idx_train), _rows(X, idx_test)
    preprocessor, categorical = _build_preprocessor(X_train)
    X_train = preprocessor.fit_transform(X_train)
    X_test = preprocessor.transform(X_test)
    indices = getattr(preprocessor, "output_indices_", None)  # a ColumnTransformer puts the numbers first
    n_scaled = None if indices is None else (indices["numeric"].stop if "numeric" in indices else 0)
    if not sp.issparse(X_train):
        X_train = np.asarray(X_train, dtype=np.float64)
        X_test = np.asarray(X_test, dtype=np.float64)

    encoder = LabelEncoder().fit(y[idx_train])
    return PreparedData(
        dataset=dataset.key, display=dataset.display, X_train=X_train, X_test=X_test,
        y_train=encoder.transform(y[idx_train]), y_test=encoder.transform(y[idx_test]),
        classes=[_label_str(c) for c in encoder.classes_], seed=seed, test_size=test_size,
        dropped_classes=dropped, categorical_columns=categorical, n_scaled=n_scaled,
    )


def _split_features(X: Any, idx_train: np.ndarray, idx_test: np.ndarray) -> tuple[Any, Any, list[str], int | None]:
    """Training and test features, preprocessed (fitted on the training rows), the categorical columns and the
    number of standardised features (None: all)."""
    X_train, X_test = _rows(X, idx_train), _rows(X, idx_test)
    preprocessor, categorical = _build_preprocessor(X_train)
    X_train = preprocessor.fit_transform(X_train)
    X_test = preprocessor.transform(X_test)
    indices = getattr(preprocessor, "output_indices_", None)
    n_scaled = None if indices is None else (indices["numeric"].stop if "numeric" in indices else 0)
    if not sp.issparse(X_train):
        X_train = np.asarray(X_train, dtype=np.float64)
        X_test = np.asarray(X_test, dtype=np.float64)
    return X_train, X_test, categorical, n_scaled


def _prepare_regression(dataset: Dataset, X: Any, seed: int, test_size: float) -> PreparedData:
    """:func:`prepare` of a regression dataset: a seeded random split, the numeric target as it is."""
    try:
        y = np.asarray(dataset.y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Dataset {dataset.key!r} is a regression dataset but its target is not numeric; "
                         f"convert the target to numbers, or load it as a classification dataset.") from None
    missing = ~np.isfinite(y)
    if missing.any():
        log.warning("%s: dropping %d rows without a finite target", dataset.key, int(missing.sum()))
        X, y = _take(X, ~missing), y[~missing]
    if len(y) < 4 or np.unique(y).size < 2:
        raise ValueError(f"Dataset {dataset.key!r} needs at least 4 rows and two distinct target values for a "
                         f"regression split; it has {len(y)} rows and {np.unique(y).size} distinct values.")
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed)
    idx_train, idx_test = np.sort(idx_train), np.sort(idx_test)
    X_train, X_test, categorical, n_scaled = _split_features(X, idx_train, idx_test)
    return PreparedData(dataset=dataset.key, display=dataset.display, X_train=X_train, X_test=X_test,
                        y_train=y[idx_train], y_test=y[idx_test], classes=[], seed=seed, test_size=test_size,
                        categorical_columns=categorical, n_scaled=n_scaled, task="regression")


def _rows(X: Any, idx: np.ndarray) -> Any:
    if isinstance(X, pd.DataFrame):
        return X.iloc[idx].reset_index(drop=True)
    return X[idx]
