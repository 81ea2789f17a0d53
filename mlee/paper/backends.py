"""The method x backend table of the paper (``table_backends.tex`` and ``table_backends.csv``).

The same method in several implementations (scikit-learn, scikit-learn-intelex, PyTorch) on the same hardware:
one row per (method, backend) on one dataset, with training energy and time, inference energy and time,
accuracy and the inference compound rating. Backends are the environments that share the chosen environment's
hardware (the part before ``" - "`` of ``"<hardware> - <backend> <version>"``).

Each backend's letters are relative to that backend's own reference model (rating compares methods within an
environment), so the table says so under it: across rows, compare the values, not the letters. Estimated energies
carry a dagger, a backend that handed the method to stock scikit-learn (``backend_provenance.status``
``fallback``) a section mark, borderline letters a ``?``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mlee.metrics import rating_letter

from .latex import ESTIMATE_MARKER, FALLBACK_MARKER, colour_definitions, escape_latex
from .tables import (_footnote, energy_footnotes, interval_text, letter_cell, recorded_cell, recorded_columns,
                     table_number, uncertainty_footnotes)

#: (column of the comparison frame, header, unit) in table order; energies in J, times in s.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("train_energy", "Training energy", "J"),
    ("train_time", "Training time", "s"),
    ("infer_energy", "Inference energy", "J"),
    ("infer_time", "Inference time", "s"),
    ("accuracy", "Accuracy", "%"),
)


def hardware_of(environment: str) -> str:
    """Hardware part of an environment key (``"EPYC - PyTorch 2.13.0"`` -> ``"EPYC"``)."""
    return environment.rpartition(" - ")[0] or environment


def backend_comparison(rated: pd.DataFrame, environment: str, dataset: str) -> pd.DataFrame:
    """One row per (method, backend) of ``dataset`` over the environments on ``environment``'s hardware.

    Columns: ``model``, ``model_short``, ``backend`` (software part of the environment), ``environment``, then
    :data:`COLUMNS` and ``rating`` (inference compound rating, 0 = A), ``energy_estimated``. Methods in table
    order of the first backend seen, backends in order of the environment names.
    """
    hardware = hardware_of(environment)
    rows = rated[(rated["dataset"] == dataset) & (rated["environment"].map(hardware_of) == hardware)]
    infer = rows[rows["task"] == "inference"].set_index(["environment", "model"])
    train = rows[rows["task"] == "training"].set_index(["environment", "model"])
    out = pd.DataFrame({
        "model": infer.index.get_level_values("model"),
        "model_short": infer["model_short"].to_numpy(),
        "environment": infer.index.get_level_values("environment"),
        "infer_energy": infer["power_draw"].to_numpy(),
        "infer_time": infer["time"].to_numpy(),
        "accuracy": infer["top1_val"].to_numpy() * 100.0,
        "rating": infer["compound_rating"].to_numpy(),
        "energy_estimated": infer["energy_estimated"].to_numpy(),
        **{f"{name}_{bound}": infer[f"{key}_{bound}"].to_numpy() if f"{key}_{bound}" in infer else float("nan")
           for name, key in (("infer_energy", "power_draw"), ("infer_time", "time")) for bound in ("low", "high")},
        "compound_stability": _get(infer, "compound_stability", float("nan")),
        "reference_model": _get(infer, "reference_model", ""),
        "backend_status": _get(infer, "backend_status", ""),
        "co2e_g": _get(infer, "co2e_g", float("nan")),
        "net_power_draw": _get(infer, "net_power_draw", float("nan")),
        "energy_sources": _get(infer, "energy_sources", ""),
        "energy_complete": _get(infer, "energy_complete", True),
        "energy_quality": _get(infer, "energy_quality", ""),
    })
    out["backend"] = [env.rpartition(" - ")[2] for env in out["environment"]]
    trained = train.reindex(list(zip(out["environment"], out["model"])))
    out["train_energy"] = trained["power_draw"].to_numpy()
    out["train_time"] = trained["time"].to_numpy()
    out = out.sort_values(["model", "environment"], kind="stable").reset_index(drop=True)
    return out[["model", "model_short", "backend", "environment", *[c for c, _, _ in COLUMNS], "rating",
                "energy_estimated", "compound_stability", "reference_model", "backend_status", "co2e_g",
                "net_power_draw", "infer_energy_low", "infer_energy_high", "infer_time_low", "infer_time_high", "energy_sources",
                "energy_complete", "energy_quality"]]


def _get(frame: pd.DataFrame, column: str, default: object) -> object:
    return frame[column].to_numpy() if column in frame else default


def backends_tex(table: pd.DataFrame, context: Mapping[str, str] | None = None) -> str:
    """LaTeX tabular of :func:`backend_comparison` rows (``\\usepackage{xcolor,booktabs}``)."""
    recorded = recorded_columns(table)
    n_cols = 3 + len(COLUMNS) + len(recorded)
    lines = ["% The same method in several implementations (method x backend), written by create_paper_results.py "
             "(mlee).", "% Needs \\usepackage{xcolor,booktabs}."]
    lines += [f"% {key}: {value}" for key, value in (context or {}).items()]
    lines.append(colour_definitions())
    lines.append(r"\begin{tabular}{ll" + "r" * (len(COLUMNS) + len(recorded)) + "c}")
    lines.append(r"    \toprule")
    headers = [f"{escape_latex(title)} [{escape_latex(unit)}]" for _, title, unit in COLUMNS]
    headers += [f"Inference {title[0].lower() + title[1:] if title[1:2].islower() else title}"
                + ("" if unit == "g" else f" [{unit}]") for _, title, unit in recorded]
    lines.append("    Method & Backend & " + " & ".join(headers) + r" & Rating \\")
    lines.append(r"    \midrule")
    for row in table.to_dict("records"):
        fallback = "fallback" in str(row.get("backend_status") or "")
        cells = [escape_latex(row["model_short"]), escape_latex(row["backend"]) + (FALLBACK_MARKER if fallback else "")]
        for key, _, unit in COLUMNS:
            cell = table_number(row[key], unit)
            if key.endswith("energy") and row.get("energy_estimated"):
                cell += ESTIMATE_MARKER
            if key.startswith("infer"):
                cell += interval_text(pd.Series(row), key, unit)
            cells.append(cell)
        cells += [recorded_cell(row, key, unit) for key, _, unit in recorded]
        cells.append(letter_cell(row["rating"], rating_letter(row["rating"]), row.get("compound_stability")))
        lines.append("    " + " & ".join(cells) + r" \\")
    lines.append(r"    \bottomrule")
    notes = [f"Letters are relative to each backend's own reference model "
             f"({escape_latex(', '.join(sorted(set(str(r) for r in table['reference_model'] if r))) or 'n.a.')} "
             f"measured on that backend): compare letters within a backend and values across backends."]
    if table["backend_status"].astype(str).str.contains("fallback").any():
        notes.append(f"{FALLBACK_MARKER} the backend handed this method to stock scikit-learn "
                     f"(it ran scikit-learn's implementation, not its own).")
    lines += [_footnote(note, n_cols) for note in notes]
    infer = table.rename(columns={"infer_energy": "power_draw"})
    lines += energy_footnotes(infer, n_cols)
    lines += uncertainty_footnotes(table, n_cols)
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"
