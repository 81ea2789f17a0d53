"""Build the merged records (Contract 3, the published layout) from parsed experiment folders.

Training file: ``directory_name``, ``config``, ``execution_platform``, ``requirements`` (list of lines),
``measurement``, ``monitoring_pyrapl`` / ``monitoring_psutil`` / ``monitoring_pynvml`` (null: kept for the
published layout), ``results``, ``duration`` (seconds), plus the additive ``run_id``.
Inference file: the same header, ``validation`` (``measurement``, ``monitoring_*``, ``results``,
``duration``) and ``training`` (the whole training record, without the values it shares with the inference
record: they are named in its ``same_as_inference`` list, see :mod:`mlee.results.record`).
"""

from __future__ import annotations

import math
from typing import Any

from mlee.merge.folder import ExperimentFolder
from mlee.results.record import compact_training

MONITORING_KEYS = ("monitoring_pyrapl", "monitoring_psutil", "monitoring_pynvml")


def _duration(folder: ExperimentFolder) -> float | None:
    for value in (folder.results.get("duration"), folder.measurement.get("duration_s")):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    start, end = folder.results.get("start"), folder.results.get("end")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)):
        return float(end) - float(start)
    return None


def _header(folder: ExperimentFolder) -> dict[str, Any]:
    return {
        "directory_name": folder.name,
        "config": folder.config,
        "execution_platform": folder.platform,
        "requirements": folder.requirements,
    }


def train_record(folder: ExperimentFolder) -> dict[str, Any]:
    """Merged training record of a ``train_*`` folder."""
    record = _header(folder)
    record["measurement"] = folder.measurement
    record.update({k: None for k in MONITORING_KEYS})
    record["results"] = folder.results
    record["duration"] = _duration(folder)
    record["run_id"] = folder.config.get("run_id")
    return record


def infer_record(folder: ExperimentFolder, training: dict[str, Any]) -> dict[str, Any]:
    """Merged inference record of an ``infer_*`` folder with its merged ``training`` record."""
    record = _header(folder)
    validation: dict[str, Any] = {"measurement": folder.measurement}
    validation.update({k: None for k in MONITORING_KEYS})
    validation["results"] = folder.results
    validation["duration"] = _duration(folder)
    record["validation"] = validation
    record["run_id"] = folder.config.get("run_id")
    record["training"] = compact_training(record, training)
    return record
