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

    Parameters
    ----------
    summary : ModelSummary
        The model's figures (:func:`mlee.rating.summarise`).
    fmt : str
        ``"pdf"`` or ``"svg"``.
    issue_date : datetime.date, optional
        Printed on the label (default: today); fix it for reproducible files.

    Returns
    -------
    bytes
        The label file's content.

    Examples
    --------
    >>> import datetime
    >>> from mlee import RatingSettings, aggregate_runs, load_results, rate, render_label, summarise
    >>> from mlee.layout import SHIPPED_RESULTS
    >>> settings = RatingSettings.default()
    >>> rated = rate(aggregate_runs(load_results(SHIPPED_RESULTS / "sklearn")), settings)
    >>> row = rated.iloc[0]
    >>> summary = summarise(rated, settings, dataset=row["dataset"], task=row["task"],
    ...                     environment=row["environment"], model=row["model"])
    >>> render_label(summary, "svg", issue_date=datetime.date(2026, 1, 1))[:5]
    b'<?xml'
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

    Parameters
    ----------
    summary : ModelSummary
        The model's figures (:func:`mlee.rating.summarise`).
    path : str or PathLike
        The file to write.
    fmt : str, optional
        ``"pdf"`` or ``"svg"``; default: the suffix of ``path`` (a path without one of those suffixes
        needs ``fmt``).
    issue_date : datetime.date, optional
        Printed on the label (default: today).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from mlee import RatingSettings, aggregate_runs, load_results, rate, summarise, write_label
    >>> from mlee.layout import SHIPPED_RESULTS
    >>> settings = RatingSettings.default()
    >>> rated = rate(aggregate_runs(load_results(SHIPPED_RESULTS / "sklearn")), settings)
    >>> row = rated.iloc[0]
    >>> summary = summarise(rated, settings, dataset=row["dataset"], task=row["task"],
    ...                     environment=row["environment"], model=row["model"])
    >>> path = write_label(summary, Path(tempfile.mkdtemp()) / "label.pdf")
    >>> path.read_bytes()[:5]
    b'%PDF-'
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
