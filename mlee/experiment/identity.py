"""The identity of a run: a stable hash of what makes two results comparable.

Two runs with the same identity are repeats of one experiment; only they may be pooled (on one machine) and
``--resume`` counts a finished run as done only for the identity it was asked for. The identity hashes, as
canonical JSON (sorted keys, no spaces), the fields of :func:`identity_fields`:

``dataset`` (key; a synthetic dataset's key names its size, ``synthetic_<rows>x<features>x<classes>``), ``model``
(full method name), ``hyperparameters`` (the resolved estimator parameters, JSON values), ``backend``,
``device``, ``test_size``, ``split_seed``, ``average``, ``robustness`` (measured or not) and ``monitor``
(the meter's configuration).

Not in it: the repeat number and the model seed derived from it (repeats differ only there), the machine,
timestamps, run id, output folder, where the hyperparameters were read from (only their values count), the
command line, and the package versions (they belong to the environment, which is pooled by machine).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

#: version of the identity's field set; part of the hash so that a changed field set never collides
IDENTITY_VERSION = 1


def identity_fields(dataset: str, model: str, hyperparameters: Mapping[str, Any], backend: str, device: str,
                    test_size: float, split_seed: int, average: str, robustness: bool,
                    monitor: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a run's identity hashes (JSON values).

    Parameters
    ----------
    dataset, model : str
        Dataset key and full method name.
    hyperparameters : mapping
        Resolved estimator parameters (JSON values).
    backend, device : str
        Implementation and where it computes.
    test_size : float
        Fraction of rows in the test split.
    split_seed : int
        Seed of the train/test split.
    average : str
        Averaging of F1, precision and recall.
    robustness : bool
        Whether robustness properties are measured after the inference window.
    monitor : mapping
        The meter's configuration (JSON values).

    Returns
    -------
    dict
        The fields, JSON values only.
    """
    return json.loads(json.dumps({
        "version": IDENTITY_VERSION, "dataset": dataset, "model": model, "hyperparameters": dict(hyperparameters), "backend": backend, "device": device,
        "test_size": float(test_size), "split_seed": int(split_seed), "average": average,
        "robustness": bool(robustness), "monitor": dict(monitor)}, default=str))


def run_identity(fields: Mapping[str, Any]) -> str:
    """The identity of :func:`identity_fields`: the first 16 hex digits of the SHA-256 of its canonical JSON.

    Parameters
    ----------
    fields : mapping
        What :func:`identity_fields` returned.

    Returns
    -------
    str
        16 lowercase hex digits.
    """
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
