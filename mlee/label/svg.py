"""A lean SVG writer for the label Drawing (the same Drawing the PDF is rendered from).

reportlab's ``renderSVG`` builds a DOM per shape and took 12-20 ms per label here (target: 15 ms); it also
names fonts "Helvetica-Bold" (a family browsers do not know, so they fall back to a serif font) and flips
the y axis by the height truncated to whole points. The label uses six plain shape types, which this
module writes straight to SVG 1.1 text in a few ms.

Text in the label's own fonts (:mod:`mlee.label.fonts`) is drawn as glyph outlines: each glyph once in
``<defs>``, each string a ``<g aria-label="...">`` of ``<use>`` references placed with the font's advance
widths (the widths the layout was measured with), so it renders the same in every viewer and the text
stays readable to assistive tools and searches. Other fonts are written as ``<text>`` with real
``text-anchor``, ``font-weight``, a sans-serif fallback list and ``textLength``. A drawing with any
other shape is handed to ``renderSVG`` unchanged.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from mlee.extras import require

require("label", "reportlab")
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, Path, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlee.label import fonts

_SANS = "Helvetica, Arial, 'Liberation Sans', 'Nimbus Sans', sans-serif"
_FONTS = {"Helvetica": ("normal", "normal"), "Helvetica-Bold": ("bold", "normal"),
          "Helvetica-Oblique": ("normal", "italic"), "Helvetica-BoldOblique": ("bold", "italic")}
_CAPS = ("butt", "round", "square")
_JOINS = ("miter", "round", "bevel")
_ANCHORS = {"start": "start", "middle": "middle", "end": "end"}
_SUPPORTED = (Rect, Circle, Polygon, Path, Line, String)


def _n(value: float) -> str:
    """A coordinate with two decimals at most (1/100 pt), without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _colour(colour: colors.Color | None) -> str:
    if colour is None:
        return "none"
    return "#%02x%02x%02x" % (round(colour.red * 255), round(colour.green * 255), round(colour.blue * 255))


def _paint(shape) -> str:
    """fill / stroke attributes of a shape."""
    parts = [f'fill="{_colour(getattr(shape, "fillColor", None))}"']
    stroke = getattr(shape, "strokeColor", None)
    width = getattr(shape, "strokeWidth", 1) or 0
    if stroke is not None and width > 0:
        parts.append(f'stroke="{_colour(stroke)}" stroke-width="{_n(width)}"')
        cap = getattr(shape, "strokeLineCap", 0) or 0
        join = getattr(shape, "strokeLineJoin", 0) or 0
        if cap:
            parts.append(f'stroke-linecap="{_CAPS[cap]}"')
        if join:
            parts.append(f'stroke-linejoin="{_JOINS[join]}"')
        dash = getattr(shape, "strokeDashArray", None)
        if dash:
            parts.append(f'stroke-dasharray="{" ".join(_n(d) for d in dash)}"')
    return " ".join(parts)


def _path_data(path: Path, height: float) -> str:
    points, out, i = path.points, [], 0
    for op in path.operators:
        if op == 3:
            out.append("Z")
            continue
        count = 6 if op == 2 else 2
        coords = points[i:i + count]
        i += count
        xy = " ".join(f"{_n(coords[k])} {_n(height - coords[k + 1])}" for k in range(0, count, 2))
        out.append(("M", "L", "C")[op] + xy)
    return "".join(out)


class _Glyphs:
    """The glyph outlines one SVG document uses, each defined once (ids in order of first use)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str] = {}
        self.defs: list[str] = []

    def use(self, font: str, glyph_name: str, path: str) -> str:
        key = (font, glyph_name)
        if key not in self.ids:
            self.ids[key] = f"g{len(self.ids)}"
            self.defs.append(f'<path id="{self.ids[key]}" d="{path}"/>')
        return self.ids[key]


def _outlined(shape: String, height: float, glyphs: _Glyphs) -> str:
    """A string in a label font as glyph outlines: one group scaled from font units, y up."""
    units = fonts.units_per_em(shape.fontName)
    scale = shape.fontSize / units
    x = shape.x - {"start": 0.0, "middle": 0.5, "end": 1.0}.get(shape.textAnchor, 0.0) * stringWidth(
        shape.text, shape.fontName, shape.fontSize)
    uses, advance = [], 0.0
    for char in shape.text:
        glyph_name, path, width = fonts.glyph(shape.fontName, char)
        if path:
            uses.append(f'<use xlink:href="#{glyphs.use(shape.fontName, glyph_name, path)}" x="{advance:g}"/>')
        advance += width
    label = escape(shape.text, {'"': "&quot;"})
    return (f'<g aria-label="{label}" fill="{_colour(shape.fillColor)}" transform="translate({_n(x)} '
            f'{_n(height - shape.y)}) scale({scale:.6g} {-scale:.6g})">{"".join(uses)}</g>')


def _element(shape, height: float, glyphs: _Glyphs) -> str:
    if isinstance(shape, String) and shape.fontName in (fonts.FONT, fonts.BOLD):
        return _outlined(shape, height, glyphs)
    if isinstance(shape, String):
        weight, style = _FONTS.get(shape.fontName, ("normal", "normal"))
        extra = (' font-weight="bold"' if weight == "bold" else "") + (' font-style="italic"' if style == "italic" else "")
        anchor = _ANCHORS.get(shape.textAnchor, "start")
        anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
        # The layout is measured in Helvetica; textLength keeps each text that wide in any fallback font.
        length = stringWidth(shape.text, shape.fontName, shape.fontSize)
        return (f'<text x="{_n(shape.x)}" y="{_n(height - shape.y)}" font-size="{_n(shape.fontSize)}"{extra}'
                f'{anchor_attr} textLength="{_n(length)}" lengthAdjust="spacingAndGlyphs" '
                f'fill="{_colour(shape.fillColor)}">{escape(shape.text)}</text>')
    if isinstance(shape, Rect):
        rounded = ""
        if shape.rx or shape.ry:
            rounded = f' rx="{_n(shape.rx or shape.ry)}" ry="{_n(shape.ry or shape.rx)}"'
        return (f'<rect x="{_n(shape.x)}" y="{_n(height - shape.y - shape.height)}" width="{_n(shape.width)}" '
                f'height="{_n(shape.height)}"{rounded} {_paint(shape)}/>')
    if isinstance(shape, Circle):
        return f'<circle cx="{_n(shape.cx)}" cy="{_n(height - shape.cy)}" r="{_n(shape.r)}" {_paint(shape)}/>'
    if isinstance(shape, Polygon):
        pts = shape.points
        coords = " ".join(f"{_n(pts[k])},{_n(height - pts[k + 1])}" for k in range(0, len(pts), 2))
        return f'<polygon points="{coords}" {_paint(shape)}/>'
    if isinstance(shape, Path):
        return f'<path d="{_path_data(shape, height)}" {_paint(shape)}/>'
    if isinstance(shape, Line):
        return (f'<line x1="{_n(shape.x1)}" y1="{_n(height - shape.y1)}" x2="{_n(shape.x2)}" '
                f'y2="{_n(height - shape.y2)}" {_paint(shape)}/>')
    raise TypeError(f"no SVG writer for {type(shape).__name__}")


def drawing_to_svg(drawing: Drawing, title: str = "") -> bytes:
    """SVG 1.1 document (UTF-8 bytes) of a flat ``drawing``: user units are points, the size is in mm.

    Falls back to reportlab's ``renderSVG`` for drawings with groups or other shape types.
    """
    width, height = float(drawing.width), float(drawing.height)
    if not all(type(shape) in _SUPPORTED for shape in drawing.contents):
        text = renderSVG.drawToString(drawing, showBoundary=False)
        return text.encode("utf-8") if isinstance(text, str) else text
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'width="{width / 72 * 25.4:.2f}mm" height="{height / 72 * 25.4:.2f}mm" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="{escape(_SANS, {chr(34): "&quot;"})}">',
    ]
    if title:
        lines.append(f"<title>{escape(title)}</title>")
    glyphs = _Glyphs()
    body = [_element(shape, height, glyphs) for shape in drawing.contents]
    if glyphs.defs:
        lines.append("<defs><!-- DejaVu Sans glyphs (DejaVu fonts license) -->" + "".join(glyphs.defs) + "</defs>")
    lines.extend(body)
    lines.append("</svg>")
    return ("\n".join(lines) + "\n").encode("utf-8")
