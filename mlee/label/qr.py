"""A QR code as one vector path, encoded with reportlab's own QR encoder (``reportlab.graphics.barcode``).

reportlab's ``QrCodeWidget`` draws one rectangle per run of dark modules (about 450 shapes for a
documentation URL), which makes rendering slow (~50 ms for the SVG alone). Here the same module
matrix becomes a single stroked path of straight segments one module wide (butt caps, so every segment
covers exactly its modules): horizontal runs of two or more modules, plus vertical runs for the
modules left alone in their row. That is about 300 segments of two points each, and the segments of a
URL are cached because the labels of one method share their URL.

Error correction level L: a label is printed or shown clean, and the lower level gives the same URL
fewer, larger modules, which scan better at the label's 18 mm.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from mlee.extras import require

require("label", "reportlab")
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Path, Rect, Shape
from reportlab.lib import colors

#: A segment in module cells: (first row, first column, last row, last column), inclusive; either the
#: rows or the columns are equal.
Segment = tuple[int, int, int, int]


@lru_cache(maxsize=256)
def qr_modules(value: str, level: str = "L") -> tuple[tuple[bool, ...], ...]:
    """The module matrix of the QR code of ``value`` (True: dark), error correction ``level`` L/M/Q/H."""
    qr = QrCodeWidget(value, barLevel=level).qr
    qr.make()
    return tuple(tuple(bool(m) for m in row) for row in qr.modules)


def _runs(row: tuple[bool, ...]) -> list[tuple[int, int]]:
    """(first column, length) of each dark run of ``row``."""
    out = []
    col = 0
    for dark, group in itertools.groupby(row):
        length = len(list(group))
        if dark:
            out.append((col, length))
        col += length
    return out


@lru_cache(maxsize=256)
def qr_segments(value: str, level: str = "L") -> tuple[int, tuple[Segment, ...]]:
    """(modules per side, segments covering exactly the dark modules) of the QR code of ``value``.

    Horizontal runs of two or more modules are kept; each module that is alone in its row is covered by
    the vertical run of dark modules it starts (segments may overlap; they never cover a light module).
    """
    modules = qr_modules(value, level)
    count = len(modules)
    segments: list[Segment] = []
    single: set[tuple[int, int]] = set()
    for r, row in enumerate(modules):
        for col, length in _runs(row):
            if length >= 2:
                segments.append((r, col, r, col + length - 1))
            else:
                single.add((r, col))
    for c in range(count):
        r = 0
        while r < count:
            if (r, c) in single:
                end = r
                while end + 1 < count and modules[end + 1][c]:
                    end += 1
                segments.append((r, c, end, c))
                r = end + 1
            else:
                r += 1
    return count, tuple(segments)


@lru_cache(maxsize=256)
def _qr_path_data(value: str, x: float, y: float, size: float, border: int) -> tuple[tuple[float, ...],
                                                                                      tuple[int, ...], float]:
    """Points, operator codes and stroke width of the QR path (cached per URL and placement)."""
    count, segments = qr_segments(value)
    module = size / (count + 2 * border)
    left = x + border * module
    top = y + size - border * module
    path = Path()
    for r0, c0, r1, c1 in segments:
        if r0 == r1:  # horizontal: through the middle of the row, from the left to the right edge
            yc = top - (r0 + 0.5) * module
            path.moveTo(left + c0 * module, yc)
            path.lineTo(left + (c1 + 1) * module, yc)
        else:  # vertical: through the middle of the column, from the top to the bottom edge
            xc = left + (c0 + 0.5) * module
            path.moveTo(xc, top - r0 * module)
            path.lineTo(xc, top - (r1 + 1) * module)
    return tuple(path.points), tuple(path.operators), module


def qr_code(value: str, x: float, y: float, size: float, border: int = 2,
            colour: colors.Color = colors.black) -> list[Shape]:
    """Shapes of a QR code of ``value`` filling the square at (x, y) of side ``size`` points (including a
    white quiet zone of ``border`` modules): a white square and one stroked path."""
    if not value:
        raise ValueError("a QR code needs a non-empty value (the documentation URL of the method)")
    points, operators, module = _qr_path_data(value, float(x), float(y), float(size), int(border))
    path = Path(fillColor=None, strokeColor=colour, strokeWidth=module, strokeLineCap=0)
    # Assigned past reportlab's attribute validation, which would check ~1200 numbers one by one on every
    # label; they come from the cached path above, built with Path's own methods.
    path.__dict__.update(points=list(points), operators=list(operators))
    return [Rect(x, y, size, size, fillColor=colors.white, strokeColor=None), path]
