"""Metric weights of the compound rating: scoped metric key -> weight >= 0 (0 leaves the metric out).

File format (the published ``weighting.json``): ``{"<scope> <metric>": weight}``. Keys starting with ``_``
are ignored. A metric missing from the mapping has weight 0.

Presets (:data:`WEIGHT_PRESETS`), files of ``mlee/data``: ``published`` (the default: the study's weights, the
robustness metrics at 0) and ``trust`` (the study's weights plus a robustness group of equal total weight; its
``_doc`` says which metric gets what).
"""

from __future__ import annotations

import math
import numbers as _numbers
import os
from typing import Any, Mapping


from mlee.atomic import write_json_atomic
from mlee.catalog import package_table
from mlee.metrics import scoped_entries
from mlee.results import jsonio

Weights = dict[str, float]

#: preset name -> file in ``mlee/data``
WEIGHT_PRESETS: dict[str, str] = {"published": "weighting.json", "trust": "weighting_trust.json"}


def validate_weights(data: Any, source: str = "weights") -> Weights:
    """Checked copy of a weights mapping; ValueError naming the key and the fix when invalid."""
    out: Weights = {}
    for key, value in scoped_entries(data, source, "weights >= 0"):
        if isinstance(value, bool) or not isinstance(value, _numbers.Real):
            raise ValueError(f"{source}: weight of {key!r} must be a number >= 0, got {value!r}")
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"{source}: weight of {key!r} must be a finite number >= 0 (0 leaves the metric "
                             f"out of the compound rating), got {value!r}")
        out[key] = value if isinstance(value, int) else number
    return out


def load_weights(path: str | os.PathLike) -> Weights:
    """Read a weights file (published format); ValueError with the problem and the fix when invalid."""
    return validate_weights(jsonio.load_file(path, "weights file"), f"weights file {str(path)!r}")


def save_weights(weights: Mapping[str, float], path: str | os.PathLike) -> None:
    """Write weights in the published format (atomically)."""
    write_json_atomic(path, validate_weights(weights), indent=4)


def preset_weights(name: str) -> Weights:
    """The weights of a preset (:data:`WEIGHT_PRESETS`); ValueError naming the presets for an unknown name."""
    if name not in WEIGHT_PRESETS:
        raise ValueError(f"unknown weights preset {name!r}; use one of: {', '.join(WEIGHT_PRESETS)} "
                         f"(or the path of a weights JSON file)")
    return validate_weights(package_table(WEIGHT_PRESETS[name]), f"weights preset {name!r}")
