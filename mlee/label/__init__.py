"""Energy labels: one vector drawing of a rated model, rendered to PDF or SVG.

Public API (used by the label CLI, ELEx and the paper)::

    from mlee.label import render_label, write_label
    pdf: bytes = render_label(summary, fmt="pdf", issue_date=datetime.date(2026, 11, 28))
    path = write_label(summary, "labels/rf.svg")          # format from the suffix, atomic write

The same summary and issue date always give byte-identical output.
"""

from __future__ import annotations

import datetime
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlee.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from mlee.rating.summary import ModelSummary

__all__ = ["FORMATS", "HEIGHT", "WIDTH", "label_content", "label_drawing", "render_label", "write_label"]

log = logging.getLogger(__name__)

#: names of the drawing modules, imported when first used (reportlab, and pandas through the rating, take time
#: a command that only parses its flags does not need)
_WHERE = {"label_content": "mlee.label.content", "HEIGHT": "mlee.label.drawing", "WIDTH": "mlee.label.drawing",
          "label_drawing": "mlee.label.drawing", "FORMATS": "mlee.label.formats"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mlee.label' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def render_label(summary: ModelSummary, fmt: str = "pdf", issue_date: datetime.date | None = None) -> bytes:
    """The energy label of ``summary`` as ``fmt`` (``"pdf"`` or ``"svg"``) bytes, A6 portrait.

    ``issue_date`` is printed on the label (default: today); fix it for reproducible files.
    """
    from mlee.label.content import label_content
    from mlee.label.drawing import content_drawing
    from mlee.label.render import check_format, render_drawing
    from mlee.rating.summary import ModelSummary

    fmt = check_format(fmt)
    if not isinstance(summary, ModelSummary):
        raise TypeError(f"render_label needs a mlee.rating.summary.ModelSummary, got {type(summary).__name__}; "
                        f"build one with mlee.rating.summarise(...)")
    content = label_content(summary, issue_date or datetime.date.today())
    return render_drawing(content_drawing(content), fmt, title=content.title)


def write_label(summary: ModelSummary, path: str | os.PathLike, fmt: str | None = None,
                issue_date: datetime.date | None = None) -> Path:
    """Write the label of ``summary`` to ``path`` atomically and return the path.

    ``fmt`` defaults to the suffix of ``path`` (``.pdf`` / ``.svg``); a path without one of those
    suffixes needs ``fmt``.
    """
    from mlee.label.render import check_format

    target = Path(path)
    if fmt is None:
        if target.suffix.lower() not in (".pdf", ".svg"):
            raise ValueError(f"cannot tell the label format from {str(target)!r}: end the file name with "
                             f".pdf or .svg, or pass fmt='pdf' / fmt='svg'")
        fmt = target.suffix
    data = render_label(summary, check_format(fmt), issue_date)
    write_bytes_atomic(target, data)
    log.info("wrote %s (%d bytes)", target, len(data))
    return target
