"""Reference models: dataset key -> the model whose values every index of that dataset is relative to.

File format: ``{"<dataset>": "<model name>"}``; keys starting with ``_`` (e.g. ``"_reasons"``) are ignored.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from mlee.atomic import write_json_atomic
from mlee.results import jsonio

References = dict[str, str]


def validate_references(data: Any, source: str = "references") -> References:
    """Checked copy of a references mapping; ValueError naming the entry and the fix when invalid."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a JSON object mapping dataset keys to model names, "
                         f"got {type(data).__name__}")
    out: References = {}
    for key, value in data.items():
        if str(key).startswith("_"):
            continue
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{source}: reference of dataset {key!r} must be a model name such as "
                             f"'Random Forest', got {value!r}")
        out[str(key)] = value
    return out


def load_references(path: str | os.PathLike) -> References:
    """Read a references file; ValueError with the problem and the fix when invalid."""
    return validate_references(jsonio.load_file(path, "references file"), f"references file {str(path)!r}")


def save_references(references: Mapping[str, str], path: str | os.PathLike) -> None:
    """Write references (atomically)."""
    write_json_atomic(path, validate_references(references), indent=4)
