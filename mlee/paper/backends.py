"""The method x backend table of the paper (``table_backends.tex`` and ``table_backends.csv``).

The same method in several implementations (scikit-learn, scikit-learn-intelex, PyTorch) on the same hardware:
one row per (method, backend) on one dataset, with training energy and time, inference energy and time,
accuracy and the inference compound rating. Backends are the environments that share the chosen environment's
hardware (the part before ``" - "`` of ``"<hardware> - <backend> <version>"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mlee.metrics import rating_letter
from mlee.units import MISSING, format_number, is_missing

from .latex import colorbox, colour_definitions, escape_latex
from .tables import DIGITS

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
    })
    out["backend"] = [env.rpartition(" - ")[2] for env in out["environment"]]
    trained = train.reindex(list(zip(out["environment"], out["model"])))
    out["train_energy"] = trained["power_draw"].to_numpy()
    out["train_time"] = trained["time"].to_numpy()
    out = out.sort_values(["model", "environment"], kind="stable").reset_index(drop=True)
    return out[["model", "model_short", "backend", "environment", *[c for c, _, _ in COLUMNS], "rating",
                "energy_estimated"]]


def backends_tex(table: pd.DataFrame, context: Mapping[str, str] | None = None) -> str:
    """LaTeX tabular of :func:`backend_comparison` rows (``\\usepackage{xcolor,booktabs}``)."""
    lines = ["% The same method in several implementations (method x backend), written by create_paper_results.py "
             "(mlee).", "% Needs \\usepackage{xcolor,booktabs}."]
    lines += [f"% {key}: {value}" for key, value in (context or {}).items()]
    lines.append(colour_definitions())
    lines.append(r"\begin{tabular}{ll" + "r" * len(COLUMNS) + "c}")
    lines.append(r"    \toprule")
    headers = [f"{escape_latex(title)} [{escape_latex(unit)}]" for _, title, unit in COLUMNS]
    lines.append("    Method & Backend & " + " & ".join(headers) + r" & Rating \\")
    lines.append(r"    \midrule")
    for _, row in table.iterrows():
        cells = [escape_latex(row["model_short"]), escape_latex(row["backend"])]
        cells += [MISSING if is_missing(row[key]) else format_number(float(row[key]), DIGITS)
                  for key, _, _ in COLUMNS]
        cells.append(colorbox(row["rating"], rating_letter(row["rating"])))
        lines.append("    " + " & ".join(cells) + r" \\")
    lines.append(r"    \bottomrule")
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"
