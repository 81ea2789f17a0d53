"""The energy label as one reportlab ``Drawing`` (A6 portrait), built in code from a ModelSummary.

Top to bottom: header (mlee mark, QR code to the method's documentation), model name, task and dataset,
the A-E scale with the compound rating marked beside its arrow, the environment, four metric tiles
(energy, running time, quality, complexity; each pictogram coloured by its own rating; a fifth, robustness,
for results that have robustness values), the energy sources (measured or estimated), the rating mode with
the fingerprint of boundaries and weights, and the issue date. The compound letter, the four headline values and their letters are the largest marks (an
EU label's hierarchy, readable at A6 and on a phone). Text is DejaVu Sans (:mod:`mlee.label.fonts`),
embedded in the PDF and outlined in the SVG; nothing is a bitmap.
"""

from __future__ import annotations

import datetime
import re

from mlee.extras import require

require("label", "reportlab")
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, Shape, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlee.catalog import model_display
from mlee.label.content import NO_BREAK, LabelContent, Tile, label_content
from mlee.label.fonts import register_fonts
from mlee.label.pictograms import DARK, contrast_colour, mlee_mark, pictogram, rating_colour
from mlee.label.qr import qr_code
from mlee.metrics import RATING_LETTERS
from mlee.rating.summary import ModelSummary

#: A6 portrait, in points.
WIDTH, HEIGHT = 105 * mm, 148 * mm
MARGIN = 14.0
FONT, BOLD = register_fonts()  # DejaVu Sans, embedded in the PDF, outlined in the SVG
HEADER_RULE = HEIGHT - 52  # the rule under the header
TILE_HEIGHT = 76.0  # of one metric tile when four share the space
FOOTER_TOP = 52.0  # the tiles end above this: energy sources, rating line, fingerprint, issue date
GREY = colors.HexColor("#5A5A5A")
LIGHT = colors.HexColor("#F4F4F4")
RULE = colors.HexColor("#B4B4B4")


class _Shapes:
    """The flat list of shapes of a label (flat: every group would be one more node to render)."""

    def __init__(self) -> None:
        self.shapes: list[Shape] = []

    def add(self, shape: Shape) -> None:
        self.shapes.append(shape)

    def add_all(self, shapes: list[Shape]) -> None:
        self.shapes.extend(shapes)


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width`` points (a single over-long word
    stays on its own line). A no-break space (U+00A0, as between a number and its unit) never breaks; it is
    drawn as a space.

    Parameters
    ----------
    text : str
        The text; spaces, tabs and newlines break, no-break spaces do not.
    font, size : str, float
        The font and its size in points.
    width : float
        The widest a line may be, in points.

    Returns
    -------
    list of str
        The lines (at least one).
    """
    lines: list[str] = []
    current = ""
    for word in (w.replace(NO_BREAK, " ") for w in re.split(r"[ \t\n]+", text.strip(" \t\n")) if w):
        trial = f"{current} {word}" if current else word
        if current and stringWidth(trial, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current or not lines:
        lines.append(current)
    return lines


def fit_size(text: str, font: str, size: float, width: float, minimum: float) -> float:
    """The largest font size <= ``size`` (not below ``minimum``) at which ``text`` fits ``width``."""
    needed = stringWidth(text, font, size)
    if needed <= width:
        return size
    return max(minimum, size * width / needed)


def _string(x: float, y: float, text: str, font: str = FONT, size: float = 8.0,
            colour: colors.Color = DARK, anchor: str = "start") -> String:
    # Baselines on half points: reportlab's SVG writer places text with a whole-point transform of 2*y.
    return String(x, round(y * 2) / 2, text, fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor)


def _block(g: _Shapes, x: float, y: float, text: str, font: str, size: float, width: float,
           max_lines: int, minimum: float, colour: colors.Color = DARK, leading: float = 1.2) -> float:
    """Draw ``text`` at baseline ``y`` wrapped into at most ``max_lines`` lines of ``width`` points,
    shrinking the font (not below ``minimum``) until it fits; returns the baseline of the last line."""
    while True:
        lines = wrap_text(text, font, size, width)
        widest = max(stringWidth(line, font, size) for line in lines)
        if (len(lines) <= max_lines and widest <= width) or size <= minimum:
            break
        size = max(minimum, size - 0.5)
    for i, line in enumerate(lines):
        line_size = fit_size(line, font, size, width, 0.5 * minimum)
        g.add(_string(x, y - i * size * leading, line, font, line_size, colour))
    return y - (len(lines) - 1) * size * leading


def _chip(g: _Shapes, x: float, y: float, rating: int | None, size: float = 9.0) -> None:
    """A rounded square with the rating letter; lower-left corner at (x, y)."""
    fill = rating_colour(rating)
    g.add(Rect(x, y, size, size, rx=0.17 * size, ry=0.17 * size, fillColor=fill, strokeColor=None))
    letter = RATING_LETTERS[rating] if rating is not None else "-"
    g.add(_string(x + size / 2, y + 0.23 * size, letter, BOLD, 0.72 * size, contrast_colour(fill), "middle"))


def _header(g: _Shapes, content: LabelContent) -> None:
    top = HEIGHT - 9
    mark = 32.0
    g.add_all(mlee_mark(MARGIN, top - 2 - mark, mark))
    g.add(_string(MARGIN + mark + 7, top - 20, "mlee", BOLD, 19))
    g.add(_string(MARGIN + mark + 7, top - 29.5, "Energy label for machine learning", FONT, 6.5, GREY))
    g.add(_string(MARGIN + mark + 7, top - 37, "QR: documentation of the method", FONT, 5, GREY))
    qr_size = 44.0
    g.add_all(qr_code(content.doc_url, WIDTH - MARGIN + 4 - qr_size, top - qr_size, qr_size))
    g.add(Line(MARGIN, HEADER_RULE, WIDTH - MARGIN, HEADER_RULE, strokeColor=RULE, strokeWidth=0.6))


def _title(g: _Shapes, content: LabelContent) -> None:
    width = WIDTH - 2 * MARGIN
    name = model_display(content.model, content.model_short)
    g.add(_string(MARGIN, HEADER_RULE - 17, name, BOLD, fit_size(name, BOLD, 15, width, 6)))
    sub = f"{content.task} on {content.dataset}"
    g.add(_string(MARGIN, HEADER_RULE - 29, sub, FONT, fit_size(sub, FONT, 9.5, width, 5)))


def _scale(g: _Shapes, content: LabelContent) -> float:
    """The A-E arrows and the compound marker (the label's largest mark); returns the y below the scale."""
    top = HEADER_RULE - 36
    bar_h, gap = 16.0, 2.5
    for i, letter in enumerate(RATING_LETTERS):
        y = top - i * (bar_h + gap) - bar_h
        width = 62 + 19 * i
        fill = rating_colour(i)
        g.add(Polygon([MARGIN, y, MARGIN + width, y, MARGIN + width + bar_h / 2, y + bar_h / 2,
                       MARGIN + width, y + bar_h, MARGIN, y + bar_h], fillColor=fill, strokeColor=None))
        g.add(_string(MARGIN + 5, y + 3.2, letter, BOLD, 13, contrast_colour(fill)))
    bottom = top - 5 * (bar_h + gap) + gap
    marker_w, marker_h, tip = 74.0, 38.0, 15.0
    right = WIDTH - MARGIN
    caption_x = right - marker_w - 5
    rating = content.compound_rating
    if rating is None:
        cy = top - 2 * (bar_h + gap) - bar_h / 2
        g.add(Rect(right - marker_w, cy - marker_h / 2, marker_w, marker_h, fillColor=None,
                   strokeColor=GREY, strokeWidth=0.8, strokeDashArray=[2, 2]))
        g.add(_string(right - marker_w / 2 + 2, cy - 5, "n.a.", BOLD, 14, GREY, "middle"))
        g.add(_string(caption_x, cy + 1.5, "Not rated:", FONT, 6.5, GREY, "end"))
        g.add(_string(caption_x, cy - 6, "no rated metric", FONT, 6.5, GREY, "end"))
        return bottom
    cy = min(top - rating * (bar_h + gap) - bar_h / 2, top - marker_h / 2)
    cy = max(cy, bottom + marker_h / 2)
    left = right - marker_w
    g.add(Polygon([left, cy, left + tip, cy + marker_h / 2, right, cy + marker_h / 2, right, cy - marker_h / 2,
                   left + tip, cy - marker_h / 2], fillColor=DARK, strokeColor=None))
    g.add(_string(left + tip + (marker_w - tip) / 2, cy - 10.5, content.compound_letter, BOLD, 30,
                  colors.white, "middle"))
    lift = 4.0 if content.compound_sureness else 0.0
    g.add(_string(caption_x, cy + 1.5 + lift, "Compound", FONT, 6.5, GREY, "end"))
    g.add(_string(caption_x, cy - 6 + lift, "rating", FONT, 6.5, GREY, "end"))
    if content.compound_sureness:
        g.add(_string(caption_x, cy - 14 + lift, content.compound_sureness, BOLD, 7, DARK, "end"))
    return bottom


def _environment(g: _Shapes, content: LabelContent, top: float) -> float:
    g.add(_string(MARGIN, top - 8, "ENVIRONMENT", BOLD, 5.5, GREY))
    last = _block(g, MARGIN, top - 16.5, content.environment, FONT, 8, WIDTH - 2 * MARGIN, 2, 5.5)
    return last - 6


def _tile(g: _Shapes, tile: Tile, x: float, top: float, width: float, height: float) -> None:
    """One metric tile: pictogram and title, the headline value large with its letter, then the other
    lines small. Sizes shrink with ``height`` when more tiles share the space."""
    k = min(1.0, height / TILE_HEIGHT)
    g.add(Rect(x, top - height, width, height, rx=4, ry=4, fillColor=LIGHT, strokeColor=RULE, strokeWidth=0.5))
    icon = 20.0 * k
    g.add_all(pictogram(tile.kind, x + 5, top - 4 - icon, icon, tile.rating))
    title_x = x + 5 + icon + 5
    g.add(_string(title_x, top - 4 - icon / 2 - 3, tile.title, BOLD,
                  fit_size(tile.title, BOLD, 9, x + width - 5 - title_x, 5)))
    if not tile.lines:
        return
    head, rest = tile.lines[0], tile.lines[1:]
    big = 17.0 * k
    g.add(_string(x + 6, top - 4 - icon - 9 * k, head.caption, FONT, fit_size(head.caption, FONT, 6.5, width - 12, 4.5),
                  GREY))
    baseline = top - 4 - icon - 9 * k - big - 1
    value_right = x + width - 6 - (big + 4 if head.rated else 0)
    g.add(_string(x + 6, baseline, head.value, BOLD, fit_size(head.value, BOLD, big, value_right - x - 6, 7)))
    if head.rated:
        _chip(g, x + width - 6 - big, baseline - 0.18 * big, head.rating, big)
    chip = 9.0
    for i, line in enumerate(rest):
        y = baseline - (15 + i * 12) * k
        g.add(_string(x + 6, y, line.caption, FONT, 6.5, GREY))
        caption_w = stringWidth(line.caption, FONT, 6.5)
        right = x + width - 6 - (chip + 3 if line.rated else 0)
        g.add(_string(right, y, line.value, BOLD, fit_size(line.value, BOLD, 9, right - (x + 6 + caption_w + 4), 5),
                      DARK, "end"))
        if line.rated:
            _chip(g, x + width - 6 - chip, y - 1.8, line.rating, chip)


def _tiles(g: _Shapes, content: LabelContent, top: float) -> float:
    """The metric tiles, two per row in the order of ``content.tiles``; rows share the space above the
    footer (a fifth tile makes a third, lower row)."""
    gap = 6.0
    width = (WIDTH - 2 * MARGIN - gap) / 2
    rows = max(1, -(-len(content.tiles) // 2))
    height = min(TILE_HEIGHT, (top - FOOTER_TOP - gap * (rows - 1)) / rows)
    for i, tile in enumerate(content.tiles):
        row, col = divmod(i, 2)
        _tile(g, tile, MARGIN + col * (width + gap), top - row * (height + gap), width, height)
    return top - rows * height - (rows - 1) * gap


def _footer(g: _Shapes, content: LabelContent, top: float) -> None:
    width = WIDTH - 2 * MARGIN
    _block(g, MARGIN, top - 9, content.energy_sources, FONT, 6.5, width, 2, 5)
    g.add(Line(MARGIN, 30, WIDTH - MARGIN, 30, strokeColor=RULE, strokeWidth=0.6))
    g.add(_string(MARGIN, 21.5, content.rating_line, FONT, fit_size(content.rating_line, FONT, 6.5, width, 4), GREY))
    issue_w = stringWidth(content.issue_line, BOLD, 6.5)
    g.add(_string(MARGIN, 13, content.fingerprint_line, FONT,
                  fit_size(content.fingerprint_line, FONT, 6.5, width - issue_w - 8, 4), GREY))
    g.add(_string(WIDTH - MARGIN, 13, content.issue_line, BOLD, 6.5, DARK, "end"))


def label_drawing(summary: ModelSummary, issue_date: datetime.date | None = None) -> Drawing:
    """The energy label of ``summary`` as a reportlab Drawing of A6 size (points); ``issue_date``
    defaults to today."""
    return content_drawing(label_content(summary, issue_date or datetime.date.today()))


def content_drawing(content: LabelContent) -> Drawing:
    """The label drawing of already laid-out ``content`` (A6, points)."""
    g = _Shapes()
    g.add(Rect(4, 4, WIDTH - 8, HEIGHT - 8, rx=6, ry=6, fillColor=colors.white, strokeColor=DARK, strokeWidth=0.8))
    _header(g, content)
    _title(g, content)
    below_scale = _scale(g, content)
    below_env = _environment(g, content, below_scale - 4)
    below_tiles = _tiles(g, content, below_env)
    _footer(g, content, below_tiles)
    drawing = Drawing(WIDTH, HEIGHT, initialFontName=FONT)  # no default Helvetica in the PDF's font list
    drawing.contents = g.shapes
    return drawing
