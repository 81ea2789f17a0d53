"""The paper's LaTeX tables: best model per dataset (``table_best_models.tex``) and metric weights
(``table_weights.tex``).

Both are tabular snippets to ``\\input`` into a document that loads ``xcolor``, ``booktabs`` and
``multirow``; each starts with the ``\\definecolor`` lines of the rating colours RA..RE. Numbers have one
precision per column (:func:`table_number`): shares and indices two decimals, energies and times 4 significant
digits (trailing zeros kept), counts whole below 1000, else 4 significant digits with an SI prefix (``2.602 M``). Energies and times
carry their 95 % interval, borderline letters a ``?`` (both explained under the table); booktabs rules only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

import math

from mlee.metrics import GROUPS, METRICS, rating_letter, scoped_title
from mlee.rating.stability import BORDERLINE, is_borderline
from mlee.units import MISSING, format_grams, format_number, is_missing

from mlee.results.energy import comparability_note, incomplete_note

from .latex import BORDERLINE_MARKER, ESTIMATE_MARKER, INCOMPLETE_MARKER, colorbox, colour_definitions, escape_latex

#: Significant digits of every number in the tables.
DIGITS = 4


@dataclass(frozen=True)
class TableColumn:
    """One metric column pair (value, index) of the best-model table.

    key: metric key (a column of the rated table); title: column header; unit: header unit;
    scale: factor from the stored unit to the shown unit (J -> Ws: 1, fraction -> %: 100, s -> ms: 1000).
    """

    key: str
    title: str
    unit: str
    scale: float


BEST_MODEL_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("power_draw", "Inference energy", "J", 1.0),
    TableColumn("f1_val", "F1 score", "%", 100.0),
    TableColumn("time", "Inference running time", "ms", 1000.0),
    TableColumn("parameters", "Parameters", "#", 1.0),
)


#: what a result may record beside its energy (runs with ``--country``, ``--idle-seconds``): (column, header, unit)
#: of a table column shown where some row of the table recorded it; CO2e with its own prefix (``553 ng``)
RECORDED_COLUMNS: tuple[tuple[str, str, str], ...] = (("co2e_g", "CO2e", "g"), ("net_power_draw", "Net energy", "J"))

#: the quality column of a regression row (in place of the F1 score)
REGRESSION_QUALITY = TableColumn("r2_val", "R^2", "score", 1.0)


def _is_regression(row: pd.Series) -> bool:
    return str(row.get("learning_task", "classification")) == "regression"


def row_columns(row: pd.Series) -> tuple[TableColumn, ...]:
    """The metric columns of one best-model row: :data:`BEST_MODEL_COLUMNS`, R^2 in place of the F1 score for
    a regression row.

    Parameters
    ----------
    row : Series
        A rated row (``learning_task`` says its task; classification when absent).

    Returns
    -------
    tuple of TableColumn
    """
    if not _is_regression(row):
        return BEST_MODEL_COLUMNS
    return tuple(REGRESSION_QUALITY if c.key == "f1_val" else c for c in BEST_MODEL_COLUMNS)


def _header_columns(rows: pd.DataFrame) -> tuple[TableColumn, ...]:
    """The columns' headers: the F1 score's, R^2's where every row is a regressor's, both where rows mix."""
    tasks = set(rows["learning_task"].astype(str)) if "learning_task" in rows else {"classification"}
    if "regression" not in tasks:
        return BEST_MODEL_COLUMNS
    if tasks == {"regression"}:
        return tuple(REGRESSION_QUALITY if c.key == "f1_val" else c for c in BEST_MODEL_COLUMNS)
    both = TableColumn("f1_val", "F1 score / R^2", "% / score", 100.0)
    return tuple(both if c.key == "f1_val" else c for c in BEST_MODEL_COLUMNS)


_PREFIXES = ((1e9, " G"), (1e6, " M"), (1e3, " k"), (1.0, ""))


def significant(value: float, digits: int = DIGITS) -> str:
    """``value`` with ``digits`` significant digits, trailing zeros kept, no exponent (``84.00``, ``0.01230``)."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - int(math.floor(math.log10(abs(value)))), 0)
    text = f"{value:.{decimals}f}"
    if len(text.replace("-", "").replace(".", "").lstrip("0")) > digits:  # rounding carried into a new digit
        text = f"{value:.{max(decimals - 1, 0)}f}"
    return text


def table_number(value: object, unit: str, scale: float = 1.0) -> str:
    """A table cell's number in its column's precision (see the module doc); ``n.a.`` when missing.

    Parameters
    ----------
    value : float
        In the metric's stored unit.
    unit : str
        The column's unit: ``%`` and ``index`` two decimals, ``#`` with an SI prefix, else significant digits.
    scale : float
        Factor from the stored to the shown unit.
    """
    if is_missing(value):
        return MISSING
    number = float(value) * scale  # type: ignore[arg-type]
    if unit in ("%", "index"):
        return f"{number:.2f}"
    if unit == "score":  # R^2: three decimals (0.485), like the shares' resolution of 0.01 %
        return f"{number:.3f}"
    if unit == "#":
        factor, prefix = next((f, p) for f, p in _PREFIXES if abs(number) >= f or f == 1.0)
        return significant(number / factor) + prefix if factor > 1 else f"{number:.0f}"
    return significant(number)


def interval_text(row: pd.Series, key: str, unit: str, scale: float = 1.0) -> str:
    """``" {\\scriptsize [5.901, 28.56]}"``: the 95 % interval of ``key`` in ``row``, ``""`` without one."""
    low, high = row.get(f"{key}_low"), row.get(f"{key}_high")
    if is_missing(low) or is_missing(high) or low == high:
        return ""
    return rf" {{\scriptsize [{table_number(low, unit, scale)}, {table_number(high, unit, scale)}]}}"


def letter_cell(rating: object, text: str, stability: object) -> str:
    """A coloured rating box of ``text``, with :data:`BORDERLINE_MARKER` when the letter is borderline."""
    mark = BORDERLINE_MARKER if is_borderline(None if is_missing(stability) else float(stability)) else ""
    return colorbox(rating, text + mark)


def recorded_columns(rows: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The :data:`RECORDED_COLUMNS` that some of ``rows`` recorded.

    Parameters
    ----------
    rows : DataFrame
        The rows of one table.

    Returns
    -------
    list of (column, header, unit)
        In :data:`RECORDED_COLUMNS` order.
    """
    return [column for column in RECORDED_COLUMNS if has_recorded(rows, column[0])]


def recorded_cell(row: Mapping[str, object], key: str, unit: str) -> str:
    """The cell of a recorded value: grams CO2e with their prefix, joules in the table's precision, ``n.a.``
    where the row did not record it."""
    value = row.get(key)
    return format_grams(value) if unit == "g" else table_number(value, unit)  # type: ignore[arg-type]


def best_model_cells(row: pd.Series, recorded: list[tuple[str, str, str]] | None = None) -> list[str]:
    """The LaTeX cells of one best-model row: dataset, compound box + method, then value/index pairs, then the
    ``recorded`` columns (:func:`recorded_columns` of the table; by default those this row recorded)."""
    compound = row.get("compound_rating")
    cells = [escape_latex(row["dataset_display"]),
             f"{letter_cell(compound, rating_letter(compound), row.get('compound_stability'))} "
             f"{escape_latex(row['model_short'])}"]
    for column in row_columns(row):
        value = table_number(row.get(column.key), column.unit, column.scale)
        if column.key == "power_draw":
            value += energy_marks(row)
        if column.key in ("power_draw", "time"):
            value += interval_text(row, column.key, column.unit, column.scale)
        cells.append(value)
        cells.append(letter_cell(row.get(f"{column.key}_rating"), table_number(row.get(f"{column.key}_index"), "index"),
                                 row.get(f"{column.key}_stability")))
    for key, _, unit in recorded_columns(row.to_frame().T) if recorded is None else recorded:
        cells.append(recorded_cell(row, key, unit))
    return cells


def has_recorded(rows: pd.DataFrame, column: str) -> bool:
    """True when some of ``rows`` recorded ``column`` (CO2e with ``--country``, net energy with ``--idle-seconds``)."""
    return column in rows and pd.to_numeric(rows[column], errors="coerce").notna().any()


def uncertainty_footnotes(rows: pd.DataFrame, n_cols: int) -> list[str]:
    """Footnote lines on the intervals, borderline letters and CO2e of a table."""
    lines = [r"In brackets: 95 \% interval (spread of the repeats and the error of the energy source)."]
    stabilities = [rows[c] for c in rows.columns if c.endswith("_stability")]
    if any((pd.to_numeric(s, errors="coerce") < BORDERLINE).any() for s in stabilities):
        lines.append(rf"{BORDERLINE_MARKER} borderline letter: less than {BORDERLINE:.0%} likely to be the letter "
                     r"shown, given the intervals of the value and of the reference.".replace("%", r"\%"))
    return [_footnote(line, n_cols) for line in lines]


def _footnote(text: str, n_cols: int) -> str:
    return rf"    \multicolumn{{{n_cols}}}{{p{{0.95\linewidth}}}}{{\footnotesize {text}}} \\"


def energy_marks(row: pd.Series) -> str:
    """Footnote marks of a row's energy: :data:`ESTIMATE_MARKER` (estimated), :data:`INCOMPLETE_MARKER`
    (counters not read cleanly, or 0 J read: not measurable)."""
    marks = ""
    if bool(row.get("energy_estimated", False)) and not is_missing(row.get("power_draw")):
        marks += ESTIMATE_MARKER
    if not bool(row.get("energy_complete", True)):
        marks += INCOMPLETE_MARKER
    return marks


def energy_footnotes(rows: pd.DataFrame, n_cols: int) -> list[str]:
    """The table's footnote lines explaining its energy marks (estimated, incomplete, not comparable)."""
    lines = []
    estimated = rows.get("energy_estimated", pd.Series(False, index=rows.index)).astype(bool)
    complete = rows.get("energy_complete", pd.Series(True, index=rows.index)).astype(bool)
    if estimated.any():
        sources = "; ".join(sorted(set(rows.loc[estimated, "energy_sources"].astype(str))))
        lines.append(rf"{ESTIMATE_MARKER} estimated energy, not measured ({escape_latex(sources)}).")
    note = comparability_note(estimated.tolist())
    if note:
        lines.append(escape_latex(note))
    if (~complete).any():
        reasons = "; ".join(sorted(set(str(q) for q in rows.loc[~complete, "energy_quality"] if q)))
        text = incomplete_note(int((~complete).sum())) + (f" {reasons}" if reasons else "")
        lines.append(f"{INCOMPLETE_MARKER} {escape_latex(text)}")
    return [_footnote(line, n_cols) for line in lines]


def _header_comment(lines: list[str], context: Mapping[str, str]) -> None:
    for key, value in context.items():
        lines.append(f"% {key}: {value}")


def best_models_tex(best: pd.DataFrame, context: Mapping[str, str] | None = None) -> str:
    """LaTeX of the best-model table from :func:`mlee.paper.selection.best_models` rows (in their order).

    ``context`` (e.g. environment, rating mode, fingerprint) is written as comment lines at the top.
    Estimated energies carry :data:`ESTIMATE_MARKER`, energies not read cleanly :data:`INCOMPLETE_MARKER`; footnote
    lines under the table explain them and say when estimated and measured energies are not comparable.
    """
    recorded = recorded_columns(best)
    n_cols = 2 + 2 * len(BEST_MODEL_COLUMNS) + len(recorded)
    lines = ["% Best model per dataset (largest dataset first), written by create_paper_results.py (mlee).",
             "% Needs \\usepackage{xcolor,booktabs,multirow}."]
    _header_comment(lines, context or {})
    lines.append(colour_definitions())
    spec = "ll" + "rc" * len(BEST_MODEL_COLUMNS) + "r" * len(recorded)
    lines.append(rf"\begin{{tabular}}{{{spec}}}")
    lines.append(r"    \toprule")
    headers = _header_columns(best)
    titles = [rf"\multicolumn{{2}}{{c}}{{{escape_latex(c.title)}}}" for c in headers]
    rules = " ".join(rf"\cmidrule(lr){{{3 + 2 * i}-{4 + 2 * i}}}" for i in range(len(BEST_MODEL_COLUMNS)))
    lines.append(r"    \multirow{2}{*}{Dataset} & \multirow{2}{*}{Method} & " + " & ".join(titles)
                 + "".join(f" & {escape_latex(title)}" for _, title, _ in recorded) + rf" \\ {rules}")
    units = [(f"[{escape_latex(c.unit)}] & Index" if c.unit != "score" else "& Index") for c in headers]
    units += ["" if unit == "g" else f"[{unit}]" for _, _, unit in recorded]
    lines.append("    & & " + " & ".join(units) + r" \\")
    lines.append(r"    \midrule")
    for _, row in best.iterrows():
        lines.append("    " + " & ".join(best_model_cells(row, recorded)) + r" \\")
    lines.append(r"    \bottomrule")
    lines += energy_footnotes(best, n_cols)
    lines += uncertainty_footnotes(best, n_cols)
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"


def metric_title(scoped_key: str) -> str:
    """Display name of a scoped metric key: ``"inference power_draw"`` -> ``"Inference energy"``."""
    return scoped_title(scoped_key)


def inference_weights(weights: Mapping[str, float],
                      learning_task: str = "classification") -> dict[str, list[tuple[str, float]]]:
    """Group -> [(scoped key, weight)] of the inference metrics (general + inference) with weight > 0 that
    apply to ``learning_task`` (``classification`` or ``regression``).

    Groups in alphabetical order (Complexity, Quality, Resources, Robustness); metrics in the order of :data:`mlee.metrics.METRICS`.
    """
    grouped: dict[str, list[tuple[str, float]]] = {}
    for group in sorted(GROUPS):
        entries = []
        for metric in METRICS:
            if metric.group != group or learning_task not in metric.learning_tasks:
                continue
            scoped = metric.scoped_key("inference")
            weight = float(weights.get(scoped, 0.0) or 0.0)
            if weight > 0:
                entries.append((scoped, weight))
        if entries:
            grouped[group] = entries
    return grouped


def weights_tex(weights: Mapping[str, float], context: Mapping[str, str] | None = None,
                learning_task: str = "classification") -> str:
    """LaTeX table of the inference metric weights (> 0) of ``learning_task``'s metrics, grouped by Complexity,
    Quality, Resources, Robustness."""
    what = "" if learning_task == "classification" else f", {learning_task}"
    lines = [f"% Metric weights of the compound rating (inference{what}), written by create_paper_results.py (mlee).",
             "% Needs \\usepackage{booktabs,multirow}."]
    _header_comment(lines, context or {})
    lines += [r"\begin{tabular}{llc}", r"    \toprule", r"    Group & Metric & Weight \\"]
    for group, entries in inference_weights(weights, learning_task).items():
        lines.append(r"    \midrule")
        for i, (scoped, weight) in enumerate(entries):
            first = rf"\multirow{{{len(entries)}}}{{*}}{{{escape_latex(group)}}}" if i == 0 else ""
            lines.append(f"    {first} & {escape_latex(metric_title(scoped))} & {format_number(weight, DIGITS)} \\\\")
    lines += [r"    \bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
