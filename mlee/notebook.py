"""Rate an estimator on ``X, y`` in one call, from a notebook or script: :func:`rate_estimator`.

The estimator and a reference model (default: the catalog's Logistic Regression, the reference of the bundled
datasets) are each trained and evaluated ``repeats`` times on the same seeded, stratified split of ``X, y``,
prepared as every dataset is (:func:`mlee.runs.preparation.prepare`: categoricals one-hot encoded, numbers
imputed and scaled), under the energy meter; the runs are written as experiment folders, merged and rated with
the package's boundaries and weights, every index relative to the reference, so the letters say how the
estimator compares with a plain model on the same data::

    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from mlee.notebook import rate_estimator

    X, y = load_breast_cancer(return_X_y=True)
    result = rate_estimator(HistGradientBoostingClassifier(max_iter=50), X, y, repeats=3)
    print(result)                          # compound letter and per-metric values, intervals, letters
    result.letters["inference"]            # {"power_draw": "B", "accuracy": "A", ...}
    result.label("my_model.pdf")           # the energy label (.pdf or .svg)
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlee.runs.errors import ExperimentError

if TYPE_CHECKING:
    import pandas as pd

    from mlee.rating.summary import ModelSummary

log = logging.getLogger(__name__)

#: the reference model when none is given, per task: the catalog's linear models, the references of the bundled
#: datasets
DEFAULT_REFERENCE = {"classification": "Logistic Regression", "regression": "Ridge Regression"}
DATA_PREFIX = "data:"
TASKS = ("inference", "training")


@dataclass
class RatedEstimator:
    """What :func:`rate_estimator` returns: the estimator's rated results beside its reference.

    Parameters
    ----------
    model : str
        The estimator's method name in the results (its ``name``, else ``module:Class@version``).
    reference : str
        The reference model's method name.
    dataset : str
        The data's key, ``data:<first 12 hex digits of its content fingerprint>``.
    summaries : dict
        ``"inference"`` / ``"training"`` -> :class:`~mlee.rating.summary.ModelSummary` of the estimator.
    table : pandas.DataFrame
        The rated table (:func:`mlee.rating.rate`) of the estimator and the reference.
    folder : Path
        Where the experiment folders (``logs/``) and merged results (``results/``) were written.
    notes : list of str
        What is "n.a." and why (no ``predict_proba``, no size or FLOP formula).
    """

    model: str
    reference: str
    dataset: str
    summaries: dict[str, "ModelSummary"]
    table: "pd.DataFrame"
    folder: Path
    notes: list[str] = field(default_factory=list)

    def _per_metric(self, read: Any) -> dict[str, dict[str, Any]]:
        return {task: {key: read(metric) for key, metric in summary.metrics.items()}
                for task, summary in self.summaries.items()}

    @property
    def values(self) -> dict[str, dict[str, float | None]]:
        """Task -> metric key -> value (mean over the repeats, in the metric's unit, :mod:`mlee.metrics`)."""
        return self._per_metric(lambda m: m.value)

    @property
    def intervals(self) -> dict[str, dict[str, tuple[float | None, float | None]]]:
        """Task -> metric key -> the value's 95 % interval (low, high); from the repeats' spread where there are
        several, else from the measurement's own uncertainty (:mod:`mlee.results.intervals`)."""
        return self._per_metric(lambda m: (m.low, m.high))

    @property
    def letters(self) -> dict[str, dict[str, str | None]]:
        """Task -> metric key -> letter A-E relative to the reference (None: unrated, "n.a.")."""
        from mlee.metrics import RATING_LETTERS

        return self._per_metric(lambda m: None if m.rating is None else RATING_LETTERS[int(m.rating)])

    @property
    def compound(self) -> dict[str, str | None]:
        """Task -> the compound letter A-E (None when no metric could be rated)."""
        from mlee.metrics import RATING_LETTERS

        return {task: None if s.compound_rating is None else RATING_LETTERS[int(s.compound_rating)]
                for task, s in self.summaries.items()}

    def label(self, path: str | Path, task: str = "inference", issue_date: datetime.date | None = None) -> Path:
        """Write the energy label of the estimator's ``task``.

        Parameters
        ----------
        path : a ``.pdf`` or ``.svg`` file name (written atomically).
        task : ``"inference"`` or ``"training"``.
        issue_date : the date printed on the label (default today).

        Returns
        -------
        Path
            The file written.
        """
        from mlee.label import write_label

        if task not in self.summaries:
            raise ValueError(f"task must be one of {', '.join(self.summaries)}, got {task!r}")
        return write_label(self.summaries[task], path, issue_date=issue_date)

    def __str__(self) -> str:
        from mlee.metrics import METRICS
        from mlee.units import format_interval, format_value

        metrics = {m.key: m for m in METRICS}
        lines = [f"{self.model} on {self.dataset}, relative to {self.reference} ({self.folder})"]
        for task, summary in self.summaries.items():
            lines.append(f"{task}: compound {self.compound[task] or 'n.a.'} ({summary.n_runs} run(s))")
            for key, metric in summary.metrics.items():
                if metric.value is None:
                    continue
                unit = metrics[key].unit if key in metrics else ""
                name = metrics[key].name if key in metrics else key
                interval = f" [{format_interval(metric.low, metric.high, unit)}]" if metric.low is not None and \
                    metric.high is not None and metric.low != metric.high else ""
                lines.append(f"  {name}: {format_value(metric.value, unit)}{interval}  "
                             f"{self.letters[task][key] or 'n.a.'}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _data(X: Any, y: Any, display: str | None, task: str) -> Any:
    """``X, y`` as a :class:`~mlee.runs.datasets.Dataset` keyed by its content."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from mlee.runs.data_file import table_fingerprint
    from mlee.runs.datasets import Dataset

    y = np.asarray(y, dtype="float64") if task == "regression" else np.asarray(y)
    if y.ndim != 1 or len(y) != X.shape[0]:
        raise ValueError(f"y must hold one label per row of X: X has {X.shape[0]} rows, y has shape {y.shape}")
    if sp.issparse(X):
        import hashlib

        csr = sp.csr_matrix(X)
        digest = hashlib.sha256()
        for part in (csr.data, csr.indices, csr.indptr, y.astype(str)):
            digest.update(np.ascontiguousarray(part).tobytes())
        fingerprint = digest.hexdigest()
    else:
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        frame = frame.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
        fingerprint = table_fingerprint(frame.assign(**{"\x00target": y}), f"\x00target\x1e{task}")
    key = f"{DATA_PREFIX}{fingerprint[:12]}"
    rows, columns = X.shape
    return Dataset(key, X, y, display or f"your data ({rows} x {columns})", "notebook",
                   {"fingerprint": fingerprint, "rows": int(rows), "columns": int(columns)}, task=task)


def _method(model: Any, name: str | None, notes: list[str]) -> str:
    from mlee.runs.methods import resolve_method_name
    from mlee.runs.user_model import register_instance

    if isinstance(model, str):
        return resolve_method_name(model)
    registered = register_instance(model, name)
    notes += [f"{registered.method}: {note}" for note in registered.notes]
    return registered.method


def rate_estimator(estimator: Any, X: Any, y: Any, *, name: str | None = None, repeats: int = 1,
                   reference: Any = None, test_size: float = 0.25, seed: int = 42, monitor: str = "auto",
                   average: str = "macro", robustness: bool = True, output_dir: str | Path | None = None,
                   dataset_name: str | None = None, settings: Any = None,
                   task: str = "classification") -> RatedEstimator:
    """Measure, rate and label a scikit-learn-compatible classifier (or regressor) on ``X, y`` relative to a
    reference model.

    Parameters
    ----------
    estimator : object
        An estimator with ``fit`` and ``predict`` (a ``Pipeline`` too); each run fits a clone of it.
    X : array-like, DataFrame or sparse matrix
        The features (a DataFrame may hold text or categorical columns: they are one-hot encoded).
    y : array-like
        One class label per row (with ``task="regression"``: one number per row).
    name : str, optional
        The estimator's name in the results and on the label (default ``module:Class@version``).
    repeats : int
        Runs of each model (repeat ``r`` seeds the models with ``seed + r``); with 2 or more the intervals
        are the repeats' spread.
    reference : str or estimator, optional
        The model every index is relative to: a catalog method name or an estimator (default
        ``"Logistic Regression"``; for regression ``"Ridge Regression"``).
    test_size : float
        Fraction of the rows in the test split.
    seed : int
        Seed of the split and of the models.
    monitor : str
        Energy source(s) of the meter (``auto``, ``rapl``, ``nvml``, ``estimate`` ...,
        :class:`~mlee.monitoring.config.MeterConfig`).
    average : str
        Averaging of F1, precision and recall.
    robustness : bool
        Also measure robustness, calibration and latency (after each measured window).
    output_dir : str or Path, optional
        Where the experiment folders and merged results go (default a new temporary folder).
    dataset_name : str, optional
        The data's display name on the label (default ``your data (<rows> x <columns>)``).
    settings : RatingSettings, optional
        Boundaries, weights and mode (default the package's); its reference for this data is set to
        ``reference``.
    task : str
        ``"classification"`` or ``"regression"``.

    Returns
    -------
    RatedEstimator
        Values, intervals, letters and compound letters per task, the label writer and the rated table.

    Raises
    ------
    mlee.runs.user_model.UserModelError
        The estimator lacks what the runner needs (fit, predict, get_params/set_params).
    ExperimentError
        A run failed (the message names it and its ``error.json``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from mlee import rate_estimator
    >>> X, y = load_iris(return_X_y=True)
    >>> result = rate_estimator(GaussianNB(), X, y, monitor="estimate", robustness=False)
    >>> result.compound["inference"] in "ABCDE"
    True
    >>> result.label("gnb_label.svg").name
    'gnb_label.svg'
    """
    from mlee.merge import merge_directory
    from mlee.monitoring import Meter
    from mlee.monitoring.config import MeterConfig
    from mlee.rating import RatingSettings, rate
    from mlee.rating.summarise import summarise
    from mlee.results import aggregate_runs, load_results
    from mlee.runs.hyperparams import find_hyperparameters
    from mlee.runs.preparation import prepare
    from mlee.runs.runner import RunSettings, _Context, run_with_settings

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if task not in DEFAULT_REFERENCE:
        raise ValueError(f"task must be one of {', '.join(DEFAULT_REFERENCE)}, got {task!r}")
    notes: list[str] = []
    method = _method(estimator, name, notes)
    reference_method = _method(DEFAULT_REFERENCE[task] if reference is None else reference, None, notes)
    if reference_method == method:
        raise ValueError(f"the estimator and the reference are the same model ({method}); pass another "
                         f"reference=, e.g. reference='Gaussian Naive Bayes'")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = prepare(_data(X, y, dataset_name, task), seed=seed, test_size=test_size)
    folder = Path(output_dir) if output_dir is not None else Path(tempfile.mkdtemp(prefix="mlee-rate-"))
    logs, results = folder / "logs", folder / "results"
    meter_config = MeterConfig(monitor=monitor)
    run_settings = RunSettings(output_dir=logs, seed=seed, repeats=repeats, hyperparameters="default",
                               test_size=test_size, average=average, robustness=robustness,
                               monitor_options=meter_config.to_dict(),
                               extra_config={"launched_from": "mlee.notebook.rate_estimator"})
    context = _Context()
    with Meter(**meter_config.to_dict()) as meter:  # its sources' threads and handles end with the runs
        for repeat in range(repeats):
            for run_method in (method, reference_method):
                hp = find_hyperparameters(data.dataset, run_method, "default")
                outcome = run_with_settings(data, run_method, run_settings, meter, repeat, hp, context)
                if not outcome.ok:
                    where = outcome.infer_dir or outcome.train_dir
                    raise ExperimentError(f"the run of {run_method} (repeat {repeat}) failed: {outcome.error} "
                                          f"(see {where}/error.json)")
    merge_directory(logs, results, progress=False)
    rating = (settings or RatingSettings.default())
    rating = rating.replace(references={**dict(rating.references), data.dataset: reference_method})
    rated = rate(aggregate_runs(load_results(results)), rating)
    rated = rated[rated["dataset"] == data.dataset]
    mine = rated[rated["model"] == method]
    summaries = {task: summarise(rated, rating, dataset=data.dataset, task=task,
                                 environment=str(mine[mine["task"] == task]["environment"].iloc[0]), model=method)
                 for task in TASKS if (mine["task"] == task).any()}
    return RatedEstimator(method, reference_method, data.dataset, summaries, rated.reset_index(drop=True), folder,
                          notes)


__all__ = ["DEFAULT_REFERENCE", "RatedEstimator", "rate_estimator"]
