"""The rated summary of one model on one (dataset, task, environment): what labels, ELEx and paper show.

This is the hand-off record between the rating engine and its consumers (label, explorer, paper). It is
plain data and round-trips through JSON (``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class MetricSummary:
    """One metric of one model.

    value: mean over runs, in the metric's unit (``mlee.metrics``); None when missing.
    std: standard deviation over runs (None for a single run or when missing).
    index: value relative to the reference model (higher is better); None when missing.
    rating: 0 (A) .. 4 (E); None when unrated (missing value or missing boundaries).
    weight: weight of the metric in the compound rating (0: not part of it).
    estimated: True when the value is an estimate, not a measurement (energy without counters).
    complete: False when the value's counters were not read cleanly over the whole window (energy).
    low, high: the value's 95 % interval (metric unit; :mod:`mlee.results.intervals`); None when missing.
    stability: probability that the rating is the letter shown (:mod:`mlee.rating.stability`); None when unrated.
    letter_best, letter_worst: the range of ratings it could be (0..4); None when unrated.
    """

    key: str
    value: float | None
    index: float | None = None
    rating: int | None = None
    weight: float = 0.0
    std: float | None = None
    estimated: bool = False
    complete: bool = True
    low: float | None = None
    high: float | None = None
    stability: float | None = None
    letter_best: int | None = None
    letter_worst: int | None = None


@dataclass(slots=True)
class ModelSummary:
    """A rated model on one dataset, task and environment.

    model: full method name (``"Random Forest"``); model_short: ``"RF"``.
    dataset: dataset key; dataset_display: display name (``"German Credit"``).
    task: ``"inference"`` or ``"training"``.
    environment: ``"<hardware> - <backend> <version>"``.
    compound_rating: 0 (A) .. 4 (E), None when no metric could be rated.
    compound_stability: probability that the compound rating is the letter shown; None when unknown.
    compound_letter_best, compound_letter_worst: the range of compound ratings it could be (0..4).
    co2e_g: grams CO2e of the energy (runs with ``--country``), None when not recorded.
    net_energy_j: energy with the idle baseline subtracted (runs with ``--idle-seconds``), None when not recorded.
    carbon_country: the grid (alpha-3 code) of ``co2e_g``.
    backend_status: whether an accelerated backend ran the method: ``accelerated``, ``fallback`` (it handed
        the work to stock scikit-learn), ``stock`` (it has no implementation of it), ``""`` when not recorded.
    reference_fallback: True when the reference is not the configured one (none configured, or no results).
    learning_task: ``"classification"`` or ``"regression"`` (its quality metrics are R^2, RMSE and MAE).
    rating_mode: the compound mode used (``"optimistic median"`` ...).
    fingerprint: short hash of the boundaries and weights used.
    reference_model: the model the indices are relative to.
    energy_sources: human description, e.g. ``"CPU package + DRAM (RAPL)"`` or ``"CPU + memory (estimated)"``.
    energy_estimated: True when the energy is an estimate.
    energy_complete: False when some run's energy counters were not read cleanly (or read 0 J: not measurable).
    energy_quality: the reasons (text), empty when complete.
    n_test_samples: number of test samples (for per-sample inference energy); None if unknown.
    n_runs: number of repeated runs aggregated.
    doc_url: documentation of the method (for the QR code and links).
    metrics: metric key (without scope) -> MetricSummary.
    """

    model: str
    model_short: str
    dataset: str
    dataset_display: str
    task: str
    environment: str
    compound_rating: int | None
    rating_mode: str
    fingerprint: str
    reference_model: str | None = None
    energy_sources: str = "n.a."
    energy_estimated: bool = False
    energy_complete: bool = True
    energy_quality: str = ""
    n_test_samples: int | None = None
    n_runs: int = 1
    doc_url: str = ""
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    compound_stability: float | None = None
    compound_letter_best: int | None = None
    compound_letter_worst: int | None = None
    co2e_g: float | None = None
    net_energy_j: float | None = None
    carbon_country: str = ""
    backend_status: str = ""
    reference_fallback: bool = False
    learning_task: str = "classification"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSummary":
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["metrics"] = {k: MetricSummary(**v) for k, v in data.get("metrics", {}).items()}
        return cls(**data)
