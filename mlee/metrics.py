"""The one table of metric definitions that drives rating, label, explorer and paper alike.

Keys are those of the published ``boundaries.json`` / ``weighting.json`` without their scope prefix:
``"general f1_val"`` is the metric ``f1_val`` with scope ``general``; ``"inference power_draw"`` is
``power_draw`` in the ``inference`` task. The published key ``power_draw`` holds an *energy* in joules
(watt-seconds), not a power: it is shown as energy everywhere.

The ``Robustness`` group and the latency percentiles are measured after the timed inference window
(:mod:`mlee.runs.robustness`, which documents how); results without them (the study's) simply lack
these columns. The published defaults give them weight 0, so they never change a published compound rating.

Each metric says which learning tasks it applies to (``learning_tasks``): the classification quality metrics and
the robustness group are a classifier's; ``r2_val``, ``rmse_val`` and ``mae_val`` a regressor's; resources and
complexity apply to both. A row of one task holds NaN for the other task's metrics, so it is never rated on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TASKS: tuple[str, ...] = ("inference", "training")
LEARNING_TASKS: tuple[str, ...] = ("classification", "regression")
_CLS: tuple[str, ...] = ("classification",)
_REG: tuple[str, ...] = ("regression",)
TASK_DISPLAY: dict[str, str] = {"inference": "Inference", "training": "Training"}
GROUPS: tuple[str, ...] = ("Quality", "Resources", "Complexity", "Robustness")
RATING_LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")
#: severity levels of the noise metrics (``noise_top1_<level>``); their sigmas live in ``data/robustness.json``
NOISE_LEVELS: tuple[str, ...] = ("low", "mid", "high")


@dataclass(frozen=True)
class Metric:
    """One metric.

    Attributes
    ----------
    key: metric key without scope prefix (``f1_val``, ``power_draw``).
    name: display name (``"F1 score"``).
    short: short display name for axes and tiles.
    group: ``Quality``, ``Resources``, ``Complexity`` or ``Robustness``.
    unit: unit of the stored value: ``J``, ``s``, ``B``, ``FLOP``, ``#`` (a count), ``%`` (the value is
        stored as a fraction in [0, 1] and displayed times 100) or ``score`` (a dimensionless number).
    higher_is_better: True for quality metrics; the index is value/reference then, else reference/value.
    per_task: True when the metric is measured per task (energy, time); False for ``general`` metrics.
    description: one sentence on what is measured.
    optional: True for metrics that only newer results hold (robustness, calibration, latency): the loader
        reads them from ``results.robustness``, and displays leave them out for results that have none of them.
    learning_tasks: the learning tasks the metric applies to (``classification``, ``regression``).
    """

    key: str
    name: str
    short: str
    group: str
    unit: str
    higher_is_better: bool
    per_task: bool
    description: str
    optional: bool = False
    learning_tasks: tuple[str, ...] = LEARNING_TASKS

    def scoped_key(self, task: str) -> str:
        """Key as in the published boundaries/weights files, e.g. ``"inference power_draw"``."""
        return f"{task if self.per_task else 'general'} {self.key}"


METRICS: tuple[Metric, ...] = (
    Metric("parameters", "Parameters", "Parameters", "Complexity", "#", False, False,
           "Number of values the fitted model stores."),
    Metric("flops", "FLOPs per sample", "FLOPs", "Complexity", "FLOP", False, False,
           "Floating-point operations to predict one sample (analytic count)."),
    Metric("fsize", "Model file size", "File size", "Complexity", "B", False, False,
           "Size of the pickled fitted model."),
    Metric("top1_val", "Top-1 accuracy", "Top-1 acc.", "Quality", "%", True, False,
           "Share of test samples whose predicted class is right.", learning_tasks=_CLS),
    Metric("top5_val", "Top-5 accuracy", "Top-5 acc.", "Quality", "%", True, False,
           "Share of test samples whose class is among the five most probable.", learning_tasks=_CLS),
    Metric("f1_val", "F1 score", "F1", "Quality", "%", True, False,
           "F1 score on the test split (averaging recorded with the result).", learning_tasks=_CLS),
    Metric("precision_val", "Precision", "Precision", "Quality", "%", True, False,
           "Precision on the test split.", learning_tasks=_CLS),
    Metric("recall_val", "Recall", "Recall", "Quality", "%", True, False,
           "Recall on the test split.", learning_tasks=_CLS),
    Metric("r2_val", "R^2 (coefficient of determination)", "R^2", "Quality", "score", True, False,
           "Share of the target's variance on the test split that the predictions explain (1 is perfect; a "
           "negative R^2, worse than predicting the mean, has no index).", learning_tasks=_REG),
    Metric("rmse_val", "Root mean squared error", "RMSE", "Quality", "score", False, False,
           "Root mean squared error of the predictions on the test split, in the target's unit.",
           learning_tasks=_REG),
    Metric("mae_val", "Mean absolute error", "MAE", "Quality", "score", False, False,
           "Mean absolute error of the predictions on the test split, in the target's unit.", learning_tasks=_REG),
    Metric("power_draw", "Energy", "Energy", "Resources", "J", False, True,
           "Energy drawn during the task (joules = watt-seconds)."),
    Metric("time", "Running time", "Time", "Resources", "s", False, True,
           "Wall-clock duration of the task."),
    Metric("latency_p50", "Latency per sample (median)", "Latency p50", "Resources", "s", False, True,
           "Median over timed test batches of the prediction time per sample (inference only).", True),
    Metric("latency_p99", "Latency per sample (99th pct.)", "Latency p99", "Resources", "s", False, True,
           "99th percentile over timed test batches of the prediction time per sample (inference only).", True),
    *(Metric(f"noise_top1_{level}", f"Top-1 accuracy, {level} noise", f"Acc. {level} noise", "Robustness", "%",
             True, False, f"Accuracy on the test split with Gaussian noise of the '{level}' severity added to the "
                          f"standardised features.", True, _CLS) for level in NOISE_LEVELS),
    *(Metric(f"noise_f1_{level}", f"F1 score, {level} noise", f"F1 {level} noise", "Robustness", "%",
             True, False, f"F1 score on the test split with Gaussian noise of the '{level}' severity added to "
                          f"the standardised features.", True, _CLS) for level in NOISE_LEVELS),
    Metric("noise_drop", "Accuracy drop under noise", "Acc. drop (noise)", "Robustness", "%", False, False,
           "Relative drop of accuracy from the clean test split, averaged over the noise severities.", True, _CLS),
    Metric("ece", "Expected calibration error", "Calibration (ECE)", "Robustness", "%", False, False,
           "Mean gap between confidence and accuracy over equal-width confidence bins (needs probabilities).",
           True, _CLS),
    Metric("brier", "Brier score", "Brier", "Robustness", "score", False, False,
           "Mean squared distance between predicted class probabilities and the true class, 0..2 (needs "
           "probabilities).", True, _CLS),
)

METRICS_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}

#: what a result may record beside its energy (runs with ``--country`` or ``--idle-seconds``): shown as explorer axes
#: and in the export, label and paper tables, never rated (no index, boundaries or weight; the rating engine,
#: boundaries and weights files know only :data:`METRICS`)
UNRATED_METRICS: tuple[Metric, ...] = (
    Metric("co2e_g", "CO2e", "CO2e", "Resources", "g", False, True,
           "Grams CO2e of the energy, at the carbon intensity of the grid the run named with --country.", True),
    Metric("net_power_draw", "Energy net of idle", "Net energy", "Resources", "J", False, True,
           "Energy with the idle baseline measured by --idle-seconds subtracted.", True),
)

#: every metric an axis can show: the rated ones and :data:`UNRATED_METRICS`
AXIS_METRICS_BY_KEY: dict[str, Metric] = {**METRICS_BY_KEY, **{m.key: m for m in UNRATED_METRICS}}


def is_rated(key: str) -> bool:
    """Whether the metric ``key`` (without scope) is rated, i.e. has an index, boundaries and a weight.

    Parameters
    ----------
    key : str
        A key of :data:`AXIS_METRICS_BY_KEY` (``"power_draw"``, ``"co2e_g"``).

    Returns
    -------
    bool
        True for :data:`METRICS`, False for :data:`UNRATED_METRICS` and unknown keys.
    """
    return key in METRICS_BY_KEY


def task_metrics(learning_task: str) -> tuple[Metric, ...]:
    """The metrics that apply to a learning task, in table order.

    Parameters
    ----------
    learning_task : str
        ``"classification"`` or ``"regression"``.

    Returns
    -------
    tuple of Metric
    """
    if learning_task not in LEARNING_TASKS:
        raise ValueError(f"unknown learning task {learning_task!r}; use one of {', '.join(LEARNING_TASKS)}")
    return tuple(m for m in METRICS if learning_task in m.learning_tasks)


def get_metric(key: str) -> Metric:
    """Metric for ``key``, with or without scope prefix (``"general f1_val"`` and ``"f1_val"`` both work)."""
    bare = key.split(" ", 1)[-1]
    try:
        return METRICS_BY_KEY[bare]
    except KeyError:
        known = ", ".join(METRICS_BY_KEY)
        raise KeyError(f"unknown metric {key!r}; known metrics: {known}") from None


def scoped_title(scoped: str) -> str:
    """Display name of a scoped metric key, never the key itself: ``"inference power_draw"`` -> ``"Inference
    energy"``, ``"general top1_val"`` -> ``"Top-1 accuracy"``."""
    scope, _, key = scoped.partition(" ")
    metric = AXIS_METRICS_BY_KEY.get(key) or get_metric(key or scope)
    if metric.per_task and scope in TASK_DISPLAY:
        name = metric.name if metric.name[:2].isupper() else metric.name[0].lower() + metric.name[1:]  # CO2e stays
        return f"{TASK_DISPLAY[scope]} {name}"
    return metric.name


def split_scoped_key(scoped: str) -> tuple[str, str]:
    """Split ``"inference power_draw"`` into (``"inference"``, ``"power_draw"``); validates both parts."""
    scope, _, key = scoped.partition(" ")
    if not key or scope not in ("general", *TASKS):
        raise ValueError(f"metric key {scoped!r} must look like '<general|inference|training> <metric>'")
    get_metric(key)
    return scope, key


def scoped_entries(data: Any, source: str, holds: str) -> Iterator[tuple[str, Any]]:
    """(scoped metric key, value) of a JSON object keyed by scoped metric keys, such as a boundaries or weights
    file; keys starting with ``_`` are comments. ValueError naming ``source`` and the bad key otherwise.
    ``holds`` says what the values are, for the message (e.g. "weights >= 0")."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a JSON object mapping metric keys such as 'inference power_draw' "
                         f"to {holds}, got {type(data).__name__}")
    for key, value in data.items():
        if str(key).startswith("_"):
            continue
        try:
            split_scoped_key(str(key))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{source}: invalid metric key {key!r}: {exc}") from None
        yield str(key), value


def rating_letter(rating: int | float | None) -> str:
    """``0 -> "A"`` ... ``4 -> "E"``; a missing rating gives ``"n.a."``."""
    if rating is None or rating != rating:  # NaN check without numpy
        return "n.a."
    return RATING_LETTERS[int(rating)]


# Colours of ratings A..E (EU energy label palette), shared by label, explorer and paper.
RATING_COLOURS: tuple[str, ...] = ("#009640", "#95C11F", "#FFED00", "#F39200", "#E30613")
