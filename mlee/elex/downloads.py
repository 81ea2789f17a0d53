"""Files ELEx offers for download: (file name, bytes) pairs, built from plain data.

- the energy label of the selected model as PDF or SVG (:func:`label_file`),
- its summary (:func:`summary_json`) and its full logs, i.e. every merged result file of its runs
  (:func:`logs_json`),
- the session's current boundaries and weights in the published file format (:func:`settings_json`).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any


def slug(*parts: str) -> str:
    """A safe file-name stem from parts: ``("credit-g", "inference", "RF")`` -> ``"credit-g_inference_RF"``."""
    text = "_".join(str(p) for p in parts if p)
    text = re.sub(r"\((R|TM)\)", "", text)
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-_.")
    return re.sub(r"-{2,}", "-", text)[:120] or "mlee"


def _stem(summary: Any) -> str:
    return slug(summary.dataset, summary.task, summary.model_short, summary.environment)


def label_file(summary: Any, fmt: str = "pdf") -> tuple[str, bytes]:
    """The energy label of ``summary`` as a ``pdf`` or ``svg`` file."""
    from mlee.label import render_label

    return f"label_{_stem(summary)}.{fmt}", render_label(summary, fmt=fmt)


def summary_json(summary: Any) -> tuple[str, bytes]:
    """The ModelSummary as JSON (``ModelSummary.to_dict``)."""
    return f"summary_{_stem(summary)}.json", _dump(summary.to_dict())


def logs_json(summary: Any, logs: list[dict[str, Any]], served: str | Path = "") -> tuple[str, bytes]:
    """All merged result files of the model's runs as one JSON list of {file, content}; ``file`` is named
    relative to the ``served`` results folder (the server's own paths stay on the server)."""
    entries = [{**entry, "file": _relative(entry["file"], served)} for entry in logs]
    return f"logs_{_stem(summary)}.json", _dump(entries)


def _relative(name: str, served: str | Path) -> str:
    path, root = Path(name), Path(served)
    try:
        return (Path(root.name) / path.relative_to(root)).as_posix() if served else path.name
    except ValueError:
        return path.name


def settings_json(kind: str, store: dict[str, Any]) -> tuple[str, bytes]:
    """The session's ``boundaries`` or ``weights`` in the published format (scoped key -> value)."""
    if kind not in ("boundaries", "weights"):
        raise ValueError(f"unknown settings file {kind!r}; use boundaries or weights")
    name = "weighting.json" if kind == "weights" else "boundaries.json"
    return name, _dump(dict(store.get(kind) or {}))


def _dump(data: Any) -> bytes:
    """Strict JSON (NaN and infinities become null), indented like the published files."""
    return (json.dumps(_clean(data), indent=4, allow_nan=False, default=_default) + "\n").encode("utf-8")


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _clean(value.item())
    return value


def _default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
