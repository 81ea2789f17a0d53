"""The paper's figures, drawn with matplotlib (Agg, no browser): rating-zone scatter and rating bars.

Figures are built as plain :class:`matplotlib.figure.Figure` objects (no pyplot state) and written as
PDF, optionally PNG, through :func:`save_figure`. PDFs are reproducible (no creation date) and keep
their text as real text (TrueType, ``pdf.fonttype`` 42), so titles and axis labels can be searched and
read back.
"""

from __future__ import annotations

import functools
import io
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from mlee.extras import require

require("paper", "matplotlib")
import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from mlee.atomic import write_bytes_atomic  # noqa: E402
from mlee.metrics import RATING_COLOURS, RATING_LETTERS  # noqa: E402

log = logging.getLogger(__name__)

#: Family name of the compact copy of DejaVu Sans the figures use (see :func:`compact_font_family`).
COMPACT_FAMILY = "mlee Sans"
# Characters of the compact font: printable ASCII, Latin-1, Latin Extended-A, dashes, minus, bullets.
_COMPACT_CHARS = [*range(0x20, 0x7F), *range(0xA0, 0x180), 0x2013, 0x2014, 0x2020, 0x2022, 0x2026, 0x2212]


def compact_font_family() -> list[str]:
    """Font families for the figures: a compact DejaVu Sans subset first, the full DejaVu Sans as fallback.

    Writing a PDF with embedded TrueType fonts subsets the font for every file; subsetting the full
    DejaVu Sans (750 kB) costs ~0.2 s a figure, the compact copy (~30 kB, Latin glyphs) a tenth of that.
    The copy is made once and cached in matplotlib's cache folder; glyphs it lacks come from the full
    font (matplotlib's per-glyph fallback). Without fontTools or a writable cache, the full font is used.
    """
    try:
        from fontTools import subset
        from matplotlib import font_manager

        source = Path(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
        stat = source.stat()
        key = f"{source.name}-{stat.st_size}-{int(stat.st_mtime)}-{len(_COMPACT_CHARS)}-h"
        target = Path(matplotlib.get_cachedir()) / f"mlee-sans-{key}.ttf"
        if not target.is_file():
            options = subset.Options()
            options.layout_features = ["kern"]
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.drop_tables += ["FFTM"]
            font = subset.load_font(str(source), options)
            font.recalcTimestamp = False  # same bytes on every machine: keeps the source's date
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=_COMPACT_CHARS)
            subset_log = logging.getLogger("fontTools.subset")
            level = subset_log.level
            subset_log.setLevel(logging.ERROR)  # it warns about tables it drops
            try:
                subsetter.subset(font)
            finally:
                subset_log.setLevel(level)
            for record in font["name"].names:
                if record.nameID in (1, 4, 16):
                    record.string = COMPACT_FAMILY
                elif record.nameID == 6:
                    record.string = COMPACT_FAMILY.replace(" ", "")
            buffer = io.BytesIO()
            font.save(buffer)
            write_bytes_atomic(target, buffer.getvalue())
        font_manager.fontManager.addfont(str(target))
        return [COMPACT_FAMILY, "DejaVu Sans"]
    except Exception as error:  # any failure only costs speed: fall back to the full font
        log.debug("compact figure font unavailable (%s); using DejaVu Sans", error)
        return ["DejaVu Sans"]


@functools.lru_cache(maxsize=1)
def style() -> dict[str, object]:
    """matplotlib settings of every paper figure (applied per figure through ``rc_context``, never globally).

    TrueType fonts (``pdf.fonttype`` 42) keep the text searchable; default PDF compression.
    """
    return {
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "pdf.compression": matplotlib.rcParamsDefault["pdf.compression"],
        "font.family": compact_font_family(),
        "font.size": 8,
        "svg.hashsalt": "mlee",
    }


#: compound(ratings, weights) -> rating 0..4: the rating engine's compound function, mode bound.
CompoundFunction = Callable[[Sequence[int], Sequence[float]], "int | None"]

#: Axes switch to a log scale when their values span more than this factor.
LOG_SPAN = 100.0


def _styled(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure builder under :func:`style` (text properties are fixed when the artists are made)."""
    @functools.wraps(build)
    def wrapper(*args: object, **kwargs: object) -> Figure:
        with matplotlib.rc_context(style()):
            return build(*args, **kwargs)
    return wrapper


def save_figure(fig: Figure, path: str | Path, png: bool = False, dpi: int = 200) -> list[Path]:
    """Write ``fig`` as PDF to ``path`` (and as PNG beside it when ``png``), atomically; returns the paths."""
    target = Path(path)
    written = []
    with matplotlib.rc_context(style()):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="pdf", metadata={"CreationDate": None}, bbox_inches="tight")
        written.append(write_bytes_atomic(target, buffer.getvalue()))
        if png:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
            written.append(write_bytes_atomic(target.with_suffix(".png"), buffer.getvalue()))
    return written


def _zone_edges(boundaries: Sequence[float], low: float, high: float) -> list[tuple[float, float, int]]:
    """(start, end, rating) of the five rating intervals of descending ``boundaries`` within [low, high].

    Index thresholds are descending: index >= b[0] is A (0), b[1] <= index < b[0] is B (1), ..., below b[3]
    is E (4).
    """
    cuts = [high, *sorted(boundaries, reverse=True), low]
    zones = []
    for rating in range(len(RATING_LETTERS)):
        top, bottom = cuts[rating], cuts[rating + 1]
        zones.append((min(bottom, top), top, rating))
    return zones


def _axis_range(values: Sequence[float], boundaries: Sequence[float]) -> tuple[float, float, bool]:
    """Axis limits covering the data and the boundaries, and whether the axis is logarithmic."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    points = finite + [float(b) for b in boundaries]
    positive = [v for v in points if v > 0]
    use_log = bool(finite) and all(v > 0 for v in finite) and max(positive) / min(positive) > LOG_SPAN
    low, high = min(points), max(points)
    if use_log:
        return low / 1.5, high * 1.5, True
    margin = (high - low) * 0.08 or 0.1
    return low - margin, high + margin, False


def _annotate(ax, x: Sequence[float], y: Sequence[float], names: Sequence[str], size_pt: float = 7.0) -> None:
    """Label the points beside them: right of the point, else left, else moved up or down until the
    label's box (approximated from its length) overlaps no earlier label."""
    points = [(xi, yi, name) for xi, yi, name in zip(x, y, names)
              if xi is not None and yi is not None and math.isfinite(xi) and math.isfinite(yi)]
    to_points = 72.0 / ax.figure.dpi
    boxes: list[tuple[float, float, float, float]] = []
    for xi, yi, _ in points:  # the markers themselves are obstacles too
        px, py = (value * to_points for value in ax.transData.transform((xi, yi)))
        boxes.append((px - 2.5, py - 2.5, px + 2.5, py + 2.5))

    frame = ax.get_window_extent()
    inner = (frame.x0 * to_points, frame.y0 * to_points, frame.x1 * to_points, frame.y1 * to_points)

    def free(box: tuple[float, float, float, float]) -> bool:
        if box[0] < inner[0] or box[2] > inner[2] or box[1] < inner[1] or box[3] > inner[3]:
            return False
        return all(box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1] or box[1] >= b[3] for b in boxes)

    for xi, yi, name in sorted(points, key=lambda p: (-p[1], p[0], p[2])):
        px, py = (value * to_points for value in ax.transData.transform((xi, yi)))
        width, height = 0.62 * size_pt * len(name), size_pt
        candidates = []
        for shift in (0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0):
            dy = shift * height
            candidates += [(4.0, dy, "left"), (-4.0, dy, "right")]
        for dx, dy, align in candidates:
            left = px + dx if align == "left" else px + dx - width
            box = (left, py + dy - height / 2, left + width, py + dy + height / 2)
            if free(box):
                break
        else:  # nowhere free: right of the point
            dx, dy, align = candidates[0]
            box = (px + dx, py - height / 2, px + dx + width, py + height / 2)
        boxes.append(box)
        ax.annotate(name, (xi, yi), xytext=(dx, dy), textcoords="offset points", fontsize=size_pt, zorder=4,
                    ha=align, va="center")


@_styled
def scatter_index_figure(x: Sequence[float], y: Sequence[float], names: Sequence[str],
                         x_boundaries: Sequence[float], y_boundaries: Sequence[float],
                         x_weight: float, y_weight: float, compound: CompoundFunction,
                         title: str, x_label: str, y_label: str) -> Figure:
    """Scatter of two metric indices over the rating zones.

    Each zone (x rating, y rating) is coloured by ``compound([rx, ry], [x_weight, y_weight])``, the rating
    engine's compound rating of the two metrics under the chosen mode; points are labelled by ``names``.
    """
    fig = Figure(figsize=(3.6, 3.2))
    ax = fig.add_subplot()
    x_low, x_high, x_log = _axis_range(x, x_boundaries)
    y_low, y_high, y_log = _axis_range(y, y_boundaries)
    if x_log:
        ax.set_xscale("log")
    if y_log:
        ax.set_yscale("log")
    for x0, x1, rx in _zone_edges(x_boundaries, x_low, x_high):
        for y0, y1, ry in _zone_edges(y_boundaries, y_low, y_high):
            if x1 <= x0 or y1 <= y0:
                continue
            rating = compound([rx, ry], [x_weight, y_weight])
            colour = RATING_COLOURS[int(rating)] if rating is not None else "#FFFFFF"
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=colour, edgecolor="none",
                                   alpha=0.55, zorder=0))
    ax.scatter(x, y, s=14, color="black", zorder=3)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    _annotate(ax, x, y, names)
    ax.set_title(title)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    return fig


@_styled
def rating_distribution_figure(ratings: Sequence[float | None], label: str, y_label: str) -> Figure:
    """Bar chart of how many of ``ratings`` (0..4; None/NaN are not counted) are A, B, C, D and E.

    ``label`` (the dataset or method) is the x-axis label, as in the publication's small multiples.
    """
    counts = [0] * len(RATING_LETTERS)
    for rating in ratings:
        if rating is not None and rating == rating:
            counts[int(rating)] += 1
    fig = Figure(figsize=(2.6, 1.3))
    ax = fig.add_subplot()
    ax.bar(RATING_LETTERS, counts, color=RATING_COLOURS, edgecolor="black", linewidth=0.4)
    ax.set_xlabel(label)
    ax.set_ylabel(y_label)
    ax.set_ylim(0, max(max(counts), 1) * 1.15)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return fig
