"""The paper's LaTeX tables: best model per dataset (``table_best_models.tex``) and metric weights
(``table_weights.tex``).

Both are tabular snippets to ``\\input`` into a document that loads ``xcolor``, ``booktabs`` and
``multirow``; each starts with the ``\\definecolor`` lines of the rating colours RA..RE. Numbers are
printed with 4 significant digits by :func:`mlee.units.format_number`, the formatter every stage shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from mlee.metrics import GROUPS, METRICS, METRICS_BY_KEY, rating_letter
from mlee.units import MISSING, format_number, is_missing

from mlee.results.energy import comparability_note, incomplete_note

from .latex import ESTIMATE_MARKER, INCOMPLETE_MARKER, colorbox, colour_definitions, escape_latex

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
    TableColumn("power_draw", "Inference energy", "Ws", 1.0),
    TableColumn("f1_val", "F1 score", "%", 100.0),
    TableColumn("time", "Inference running time", "ms", 1000.0),
    TableColumn("parameters", "Parameters", "#", 1.0),
)


def _number(value: object, scale: float = 1.0) -> str:
    return MISSING if is_missing(value) else format_number(float(value) * scale, DIGITS)  # type: ignore[arg-type]


def best_model_cells(row: pd.Series) -> list[str]:
    """The LaTeX cells of one best-model row: dataset, compound box + method, then value/index pairs."""
    compound = row.get("compound_rating")
    cells = [escape_latex(row["dataset_display"]),
             f"{colorbox(compound, rating_letter(compound))} {escape_latex(row['model_short'])}"]
    for column in BEST_MODEL_COLUMNS:
        value = _number(row.get(column.key), column.scale)
        if column.key == "power_draw":
            value += energy_marks(row)
        cells.append(value)
        cells.append(colorbox(row.get(f"{column.key}_rating"), _number(row.get(f"{column.key}_index"))))
    return cells


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
    return [rf"    \multicolumn{{{n_cols}}}{{p{{0.95\linewidth}}}}{{\footnotesize {line}}} \\" for line in lines]


def _header_comment(lines: list[str], context: Mapping[str, str]) -> None:
    for key, value in context.items():
        lines.append(f"% {key}: {value}")


def best_models_tex(best: pd.DataFrame, context: Mapping[str, str] | None = None) -> str:
    """LaTeX of the best-model table from :func:`mlee.paper.selection.best_models` rows (in their order).

    ``context`` (e.g. environment, rating mode, fingerprint) is written as comment lines at the top.
    Estimated energies carry :data:`ESTIMATE_MARKER`, energies not read cleanly :data:`INCOMPLETE_MARKER`; footnote
    lines under the table explain them and say when estimated and measured energies are not comparable.
    """
    n_cols = 2 + 2 * len(BEST_MODEL_COLUMNS)
    lines = ["% Best model per dataset (largest dataset first), written by create_paper_results.py (mlee).",
             "% Needs \\usepackage{xcolor,booktabs,multirow}."]
    _header_comment(lines, context or {})
    lines.append(colour_definitions())
    spec = "l|l|" + "|".join("cc" for _ in BEST_MODEL_COLUMNS)
    lines.append(rf"\begin{{tabular}}{{{spec}}}")
    lines.append(r"    \toprule")
    titles = [rf"\multicolumn{{2}}{{c{'|' if i < len(BEST_MODEL_COLUMNS) - 1 else ''}}}{{{escape_latex(c.title)}}}"
              for i, c in enumerate(BEST_MODEL_COLUMNS)]
    lines.append(r"    \multirow{2}{*}{Dataset} & \multirow{2}{*}{Method} & " + " & ".join(titles)
                 + rf" \\ \cline{{3-{n_cols}}}")
    units = [f"[{escape_latex(c.unit)}] & Index" for c in BEST_MODEL_COLUMNS]
    lines.append("    & & " + " & ".join(units) + r" \\")
    lines.append(r"    \midrule")
    for _, row in best.iterrows():
        lines.append("    " + " & ".join(best_model_cells(row)) + r" \\")
    lines.append(r"    \bottomrule")
    lines += energy_footnotes(best, n_cols)
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"


def metric_title(scoped_key: str) -> str:
    """Display name of a scoped metric key: ``"inference power_draw"`` -> ``"Inference energy"``."""
    scope, _, key = scoped_key.partition(" ")
    metric = METRICS_BY_KEY[key]
    if metric.per_task:
        return f"{scope.capitalize()} {metric.name[0].lower()}{metric.name[1:]}"
    return metric.name


def inference_weights(weights: Mapping[str, float]) -> dict[str, list[tuple[str, float]]]:
    """Group -> [(scoped key, weight)] of the inference metrics (general + inference) with weight > 0.

    Groups in alphabetical order (Complexity, Quality, Resources, Robustness); metrics in the order of :data:`mlee.metrics.METRICS`.
    """
    grouped: dict[str, list[tuple[str, float]]] = {}
    for group in sorted(GROUPS):
        entries = []
        for metric in METRICS:
            if metric.group != group:
                continue
            scoped = metric.scoped_key("inference")
            weight = float(weights.get(scoped, 0.0) or 0.0)
            if weight > 0:
                entries.append((scoped, weight))
        if entries:
            grouped[group] = entries
    return grouped


def weights_tex(weights: Mapping[str, float], context: Mapping[str, str] | None = None) -> str:
    """LaTeX table of the inference metric weights (> 0), grouped by Complexity, Quality, Resources, Robustness."""
    lines = ["% Metric weights of the compound rating (inference), written by create_paper_results.py (mlee).",
             "% Needs \\usepackage{booktabs,multirow}."]
    _header_comment(lines, context or {})
    lines += [r"\begin{tabular}{l|l|c}", r"    \toprule", r"    Group & Metric & Weight \\"]
    for group, entries in inference_weights(weights).items():
        lines.append(r"    \midrule")
        for i, (scoped, weight) in enumerate(entries):
            first = rf"\multirow{{{len(entries)}}}{{*}}{{{escape_latex(group)}}}" if i == 0 else ""
            lines.append(f"    {first} & {escape_latex(metric_title(scoped))} & {format_number(weight, DIGITS)} \\\\")
    lines += [r"    \bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
