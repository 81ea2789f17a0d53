"""What one run is: a frozen, typed :class:`RunSpec` and its identity.

Two runs with the same identity are repeats of one experiment: only they are pooled (on one machine), and
``--resume`` counts a finished run as done only for the identity it is asked for. The identity hashes
(:func:`mlee.runs.identity.run_identity`) the fields of :meth:`RunSpec.identity_fields`: ``dataset``
(key; a synthetic dataset's key names its size), ``task``, ``model`` (full method name), ``hyperparameters``
(the resolved estimator parameters), ``backend``, ``device``, ``test_size``, ``split_seed``, ``average``,
``robustness`` and ``meter`` (:class:`~mlee.monitoring.config.MeterConfig`).

Recorded but not hashed: the dataset's content fingerprint (``--resume`` plans a sweep without loading its
data; a changed dataset under the same key shows in the record) and where the hyperparameters were read from
(only their values count). Not in the spec at all: the repeat number and the model seed derived from it, the
machine, timestamps, run id and output folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from mlee.runs.identity import IDENTITY_VERSION, canonical, run_identity
from mlee.monitoring.config import MeterConfig

#: the default learning task; the task is part of the identity so that runs of other tasks never pool with it
CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class RunSpec:
    """One run's specification (everything but the repeat number).

    Parameters
    ----------
    dataset : str
        Dataset key (``iris``, ``openml:3``, ``synthetic_<rows>x<features>x<classes>``).
    method : str
        Full method name (``Random Forest``).
    hyperparameters : mapping
        Resolved estimator parameters (JSON values).
    backend, device : str
        Implementation (registry key, :mod:`mlee.runs.methods`) and where it computes.
    test_size : float
        Fraction of rows in the test split.
    split_seed : int
        Seed of the train/test split (a repeat's model seed is ``split_seed + repeat``).
    average : str
        Averaging of F1, precision and recall.
    meter : MeterConfig
        The meter's configuration.
    robustness : bool
        Whether robustness properties are measured after the inference window.
    task : str
        ``classification`` or ``regression``.
    estimator : str or None
        For a method of a user's methods file (:mod:`mlee.runs.user_methods`), its estimator
        ``package.module.Class@<version>``; hashed only when set, so shipped methods keep their identities.
    dataset_fingerprint : str or None
        SHA-256 prefix of the prepared data (recorded, not hashed into the identity).
    hyperparameters_source : str or None
        The file (or ``default``) the hyperparameters came from (recorded, not hashed).
    """

    dataset: str
    method: str
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    backend: str = "sklearn"
    device: str = "cpu"
    test_size: float = 0.25
    split_seed: int = 42
    average: str = "macro"
    meter: MeterConfig = field(default_factory=MeterConfig)
    robustness: bool = True
    task: str = CLASSIFICATION
    estimator: str | None = None
    dataset_fingerprint: str | None = field(default=None, compare=False)
    hyperparameters_source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "hyperparameters", canonical(dict(self.hyperparameters)))
        set_(self, "test_size", float(self.test_size))
        set_(self, "split_seed", int(self.split_seed))
        set_(self, "robustness", bool(self.robustness))
        if not isinstance(self.meter, MeterConfig):
            set_(self, "meter", MeterConfig.from_dict(self.meter))

    def __hash__(self) -> int:
        return hash(self.identity)

    def identity_fields(self) -> dict[str, Any]:
        """The fields the identity hashes (JSON values).

        Returns
        -------
        dict
            ``version``, ``dataset``, ``task``, ``model``, ``hyperparameters``, ``backend``, ``device``,
            ``test_size``, ``split_seed``, ``average``, ``robustness``, ``meter``, and ``estimator`` where set.
        """
        fields = {"version": IDENTITY_VERSION, "dataset": self.dataset, "task": self.task, "model": self.method,
                  "hyperparameters": dict(self.hyperparameters), "backend": self.backend, "device": self.device,
                  "test_size": self.test_size, "split_seed": self.split_seed, "average": self.average,
                  "robustness": self.robustness, "meter": self.meter.to_dict()}
        if self.estimator is not None:
            fields["estimator"] = self.estimator
        return fields

    @property
    def identity(self) -> str:
        """16 hex digits: the hash of :meth:`identity_fields`."""
        return run_identity(self.identity_fields())

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON values (the ``spec`` entry of ``config.json``): the identity fields plus
        ``dataset_fingerprint`` and ``hyperparameters_source``.

        Returns
        -------
        dict
        """
        return {**self.identity_fields(), "dataset_fingerprint": self.dataset_fingerprint,
                "hyperparameters_source": self.hyperparameters_source}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "RunSpec":
        """The spec of :meth:`to_dict`'s form.

        Parameters
        ----------
        values : mapping
            A ``spec`` entry of ``config.json``.

        Returns
        -------
        RunSpec
        """
        return cls(dataset=values["dataset"], method=values["model"],
                   hyperparameters=values.get("hyperparameters") or {}, backend=values.get("backend", "sklearn"),
                   device=values.get("device", "cpu"), test_size=values["test_size"],
                   split_seed=values["split_seed"], average=values["average"],
                   meter=MeterConfig.from_dict(values.get("meter")), robustness=values.get("robustness", True),
                   task=values.get("task", CLASSIFICATION), estimator=values.get("estimator"),
                   dataset_fingerprint=values.get("dataset_fingerprint"),
                   hyperparameters_source=values.get("hyperparameters_source"))


@dataclass(frozen=True, order=True)
class RunKey:
    """One experiment of a sweep: dataset key, method full name, repeat index (0-based)."""

    dataset: str
    method: str
    repeat: int

    def __str__(self) -> str:
        return f"{self.dataset} / {self.method} (repeat {self.repeat})"


__all__ = ["CLASSIFICATION", "REGRESSION", "RunKey", "RunSpec"]
