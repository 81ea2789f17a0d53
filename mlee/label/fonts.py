"""The label's typeface: DejaVu Sans (regular and bold), a freely licensed TrueType font that ships with
matplotlib (a dependency of mlee), so the label looks the same in every viewer.

- PDF: the fonts are registered with reportlab (:func:`register_fonts`) and embedded as subsets.
- SVG: text is drawn as glyph outlines (:func:`glyph`), read from the same font files with fontTools
  (a matplotlib dependency); no viewer font is needed.
Layout widths come from the same font metrics in both (reportlab's ``stringWidth``).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

#: reportlab font names of the label (regular, bold)
FONT, BOLD = "mlee-DejaVuSans", "mlee-DejaVuSans-Bold"
_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_LOCK = threading.Lock()


def font_file(name: str) -> Path:
    """Path of the TrueType file of a label font name (matplotlib's bundled DejaVu)."""
    import importlib.util

    # found, not imported: importing matplotlib (and PIL with it) inside a server's request thread races
    # with other threads that look PIL up half-imported
    spec = importlib.util.find_spec("matplotlib")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else Path()
    path = folder / "mpl-data" / "fonts" / "ttf" / _FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"label font {path} is missing: reinstall matplotlib (it ships the DejaVu fonts)")
    return path


@functools.cache
def register_fonts() -> tuple[str, str]:
    """Register the label fonts with reportlab (once per process); returns (regular, bold) names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _LOCK:
        for name in _FILES:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(font_file(name))))
    return FONT, BOLD


@functools.cache
def _font(name: str):
    from fontTools.ttLib import TTFont as ToolsFont

    with _LOCK:
        font = ToolsFont(str(font_file(name)), lazy=True)
        return font, font.getGlyphSet(), font.getBestCmap(), font["head"].unitsPerEm


def units_per_em(name: str) -> int:
    """Font units per em of a label font (glyph outlines are in these units)."""
    return _font(name)[3]


@functools.lru_cache(maxsize=1024)
def glyph(name: str, char: str) -> tuple[str, str, float]:
    """(glyph name, SVG path data in font units with y up, advance width in font units) of ``char``;
    the font's .notdef glyph for a character it lacks."""
    from fontTools.pens.svgPathPen import SVGPathPen

    font, glyphs, cmap, _ = _font(name)
    with _LOCK:
        glyph_name = cmap.get(ord(char), ".notdef")
        pen = SVGPathPen(glyphs, ntos=lambda v: f"{v:g}")
        glyphs[glyph_name].draw(pen)
        return glyph_name, pen.getCommands(), float(font["hmtx"][glyph_name][0])
