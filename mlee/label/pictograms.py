"""Pictograms of the label tiles (energy, time, quality, complexity, robustness) and the mlee mark, as vectors.

Every pictogram is a coloured disc (the colour of its rating) with a glyph in a contrasting colour,
built from as few reportlab shapes as possible (one path per glyph part): the SVG renderer's cost grows
with the number of shapes. Coordinates are points (1/72 inch); ``x, y`` is the lower-left corner of the
square the pictogram fills and ``size`` its side.
"""

from __future__ import annotations

from collections.abc import Callable

from mlee.extras import require

require("label", "reportlab")
from reportlab.graphics.shapes import Circle, Path, Polygon, Rect, Shape
from reportlab.lib import colors

from mlee.metrics import RATING_COLOURS

#: Colour of things without a rating (missing value or missing boundaries).
UNRATED_COLOUR = colors.HexColor("#A8A8A8")
DARK = colors.HexColor("#1A1A1A")
WHITE = colors.white
_KAPPA = 0.5522847498  # Bezier handle length of a quarter circle, relative to the radius


def rating_colour(rating: int | None) -> colors.Color:
    """Fill colour of a rating 0 (A) .. 4 (E); grey for None."""
    if rating is None:
        return UNRATED_COLOUR
    return colors.HexColor(RATING_COLOURS[int(rating)])


def contrast_colour(fill: colors.Color) -> colors.Color:
    """Dark text on light fills (B, C, D), white on dark ones (A, E, grey), by relative luminance."""
    luminance = 0.2126 * fill.red + 0.7152 * fill.green + 0.0722 * fill.blue
    return DARK if luminance > 0.55 else WHITE


def add_circle(path: Path, cx: float, cy: float, r: float) -> Path:
    """Append a closed circle (four Bezier quarters) to ``path`` as a subpath."""
    k = _KAPPA * r
    path.moveTo(cx + r, cy)
    path.curveTo(cx + r, cy + k, cx + k, cy + r, cx, cy + r)
    path.curveTo(cx - k, cy + r, cx - r, cy + k, cx - r, cy)
    path.curveTo(cx - r, cy - k, cx - k, cy - r, cx, cy - r)
    path.curveTo(cx + k, cy - r, cx + r, cy - k, cx + r, cy)
    path.closePath()
    return path


def _stroked(colour: colors.Color, width: float) -> Path:
    return Path(strokeColor=colour, strokeWidth=width, fillColor=None, strokeLineCap=1, strokeLineJoin=1)


def _energy(g: list, x: float, y: float, s: float, ink: colors.Color) -> None:
    # Lightning bolt, in unit coordinates of the square.
    pts = ((0.56, 0.86), (0.32, 0.48), (0.48, 0.48), (0.42, 0.14), (0.68, 0.56), (0.52, 0.56), (0.62, 0.86))
    flat: list[float] = []
    for px, py in pts:
        flat += [x + px * s, y + py * s]
    g.append(Polygon(flat, fillColor=ink, strokeColor=None))


def _time(g: list, x: float, y: float, s: float, ink: colors.Color) -> None:
    cx, cy, r = x + 0.5 * s, y + 0.45 * s, 0.27 * s
    p = _stroked(ink, 0.055 * s)
    add_circle(p, cx, cy, r)
    p.moveTo(cx, cy)  # hands: to twelve and to two o'clock
    p.lineTo(cx, cy + 0.19 * s)
    p.moveTo(cx, cy)
    p.lineTo(cx + 0.13 * s, cy + 0.07 * s)
    p.moveTo(cx + 0.21 * s, cy + 0.23 * s)  # side button
    p.lineTo(cx + 0.25 * s, cy + 0.27 * s)
    g.append(p)
    g.append(Rect(cx - 0.07 * s, cy + r + 0.03 * s, 0.14 * s, 0.07 * s, fillColor=ink, strokeColor=None))


def _quality(g: list, x: float, y: float, s: float, ink: colors.Color) -> None:
    # Target: two rings and a bullseye.
    cx, cy = x + 0.5 * s, y + 0.5 * s
    p = _stroked(ink, 0.05 * s)
    add_circle(p, cx, cy, 0.29 * s)
    add_circle(p, cx, cy, 0.17 * s)
    g.append(p)
    g.append(add_circle(Path(fillColor=ink, strokeColor=None), cx, cy, 0.065 * s))


def _complexity(g: list, x: float, y: float, s: float, ink: colors.Color) -> None:
    # A small network: 3 inputs, 2 hidden units, 1 output, fully connected.
    layers = (((0.24, 0.28), (0.24, 0.5), (0.24, 0.72)), ((0.5, 0.38), (0.5, 0.62)), ((0.76, 0.5),))
    edges = _stroked(ink, 0.03 * s)
    for left, right in zip(layers, layers[1:]):
        for ax, ay in left:
            for bx, by in right:
                edges.moveTo(x + ax * s, y + ay * s)
                edges.lineTo(x + bx * s, y + by * s)
    g.append(edges)
    nodes = Path(fillColor=ink, strokeColor=None)
    for layer in layers:
        for nx, ny in layer:
            add_circle(nodes, x + nx * s, y + ny * s, 0.07 * s)
    g.append(nodes)


def _robustness(g: list, x: float, y: float, s: float, ink: colors.Color) -> None:
    # A shield with a check mark.
    shield = _stroked(ink, 0.05 * s)
    shield.moveTo(x + 0.5 * s, y + 0.8 * s)
    shield.lineTo(x + 0.72 * s, y + 0.72 * s)
    shield.curveTo(x + 0.72 * s, y + 0.45 * s, x + 0.64 * s, y + 0.3 * s, x + 0.5 * s, y + 0.2 * s)
    shield.curveTo(x + 0.36 * s, y + 0.3 * s, x + 0.28 * s, y + 0.45 * s, x + 0.28 * s, y + 0.72 * s)
    shield.closePath()
    shield.moveTo(x + 0.39 * s, y + 0.5 * s)
    shield.lineTo(x + 0.47 * s, y + 0.41 * s)
    shield.lineTo(x + 0.61 * s, y + 0.6 * s)
    g.append(shield)


_GLYPHS: dict[str, Callable[[list, float, float, float, colors.Color], None]] = {
    "energy": _energy, "time": _time, "quality": _quality, "complexity": _complexity, "robustness": _robustness,
}
KINDS: tuple[str, ...] = tuple(_GLYPHS)


def pictogram(kind: str, x: float, y: float, size: float, rating: int | None) -> list[Shape]:
    """Shapes of the pictogram ``kind`` (one of :data:`KINDS`) on a disc coloured by ``rating`` (0..4,
    None: grey). Plain shapes rather than a group: each group is one more node for the renderers."""
    try:
        glyph = _GLYPHS[kind]
    except KeyError:
        raise ValueError(f"unknown pictogram {kind!r}; use one of {', '.join(KINDS)}") from None
    fill = rating_colour(rating)
    g: list[Shape] = []
    g.append(Circle(x + size / 2, y + size / 2, size / 2, fillColor=fill, strokeColor=None))
    glyph(g, x, y, size, contrast_colour(fill))
    return g


def mlee_mark(x: float, y: float, size: float) -> list[Shape]:
    """Shapes of the mlee mark: five rating bars (A..E, growing to the right) on a dark rounded square."""
    g: list[Shape] = []
    g.append(Rect(x, y, size, size, rx=0.18 * size, ry=0.18 * size, fillColor=DARK, strokeColor=None))
    bar_h = 0.11 * size
    gap = 0.045 * size
    top = y + size - 0.17 * size
    for i in range(len(RATING_COLOURS)):
        width = (0.32 + 0.1 * i) * size
        by = top - i * (bar_h + gap) - bar_h
        bx = x + 0.14 * size
        g.append(Polygon([bx, by, bx + width, by, bx + width + bar_h / 2, by + bar_h / 2, bx + width, by + bar_h,
                       bx, by + bar_h], fillColor=rating_colour(i), strokeColor=None))
    return g
