"""Render a label Drawing to PDF or SVG bytes, reproducibly.

PDF: a reportlab canvas with ``invariant=1`` (fixed creation date and document id), so the same drawing
gives byte-identical files. SVG: :mod:`mlee.label.svg` writes the same drawing, text as ``<text>``
elements; it has no timestamps.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mlee.extras import require

require("label", "reportlab")
from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from reportlab.lib.rl_accel import _c_funcs
from reportlab.pdfgen.canvas import Canvas

from mlee.label.fonts import register_fonts
from mlee.label.formats import FORMATS
from mlee.label.svg import drawing_to_svg


#: True when reportlab's C accelerator (the ``rl_accel`` package) is installed: number formatting in
#: the PDF is then done in C (about twice as fast); without it reportlab's Python code runs.
ACCELERATED: bool = "fp_str" in _c_funcs

_RL_CONFIG_LOCK = threading.Lock()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write PDF streams zlib-compressed without the ASCII85 layer (smaller, and the pure-Python ASCII85
    encoder is the slowest step of a PDF without the accelerator). ``rl_config.useA85`` is global, so it
    is set only while our canvas saves, under a lock, and restored afterwards."""
    with _RL_CONFIG_LOCK:
        saved = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = saved


def check_format(fmt: str) -> str:
    """Lower-cased ``fmt`` if it is ``pdf`` or ``svg``; ``ValueError`` naming the choices otherwise."""
    normal = str(fmt).lower().lstrip(".")
    if normal not in FORMATS:
        raise ValueError(f"unknown label format {fmt!r}; use one of {', '.join(FORMATS)}")
    return normal


def drawing_to_pdf(drawing: Drawing, title: str = "", subject: str = "") -> bytes:
    """One-page PDF of ``drawing`` at its own size, with document title and subject; reproducible."""
    buffer = io.BytesIO()
    # the label font as the canvas's initial font too: otherwise an unused, unembedded Helvetica is listed
    canvas = Canvas(buffer, pagesize=(drawing.width, drawing.height), invariant=1, pageCompression=1,
                    initialFontName=register_fonts()[0])
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setAuthor("mlee")
    canvas.setCreator("mlee label generator")
    with _binary_streams():
        renderPDF.draw(drawing, canvas, 0, 0, showBoundary=False)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def render_drawing(drawing: Drawing, fmt: str, title: str = "") -> bytes:
    """``drawing`` as ``fmt`` (``pdf`` or ``svg``) bytes."""
    if check_format(fmt) == "pdf":
        return drawing_to_pdf(drawing, title=title, subject="mlee energy label")
    return drawing_to_svg(drawing, title=title)
