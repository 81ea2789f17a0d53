"""The small table printed after a run or a sweep: energy, time, CO2e and letters of what just ran.

The experiment folders that just ran are merged into a temporary folder (the user's results are not touched),
loaded, aggregated over their repeats and rated with the package's settings: the letters are relative to the
dataset's reference model *among what just ran* (the fallback rule when it did not run, and the table says so).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

import pandas as pd

from mlee.units import format_duration, format_energy, format_grams, format_interval


def summary_table(rated: pd.DataFrame) -> str:
    """The terminal table of a rated table (:func:`mlee.rating.rate`): one line per (dataset, task, environment,
    model) with CO2e and the energy net of idle where recorded, then notes on estimated energies and fallback
    references.

    Parameters
    ----------
    rated : DataFrame
        The rated table.

    Returns
    -------
    str
        The table and its notes, lines joined by newlines; ``""`` for an empty table.
    """
    from mlee.rating.stability import letter_text

    if rated.empty:
        return ""
    rows = rated.sort_values(["dataset", "task", "environment", "model"]).to_dict("records")
    carbon = "co2e_g" in rated and rated["co2e_g"].notna().any()
    net = "net_power_draw" in rated and rated["net_power_draw"].notna().any()
    header = ["dataset", "task", "model", "energy [95 %]", "time", *(["CO2e"] if carbon else []),
              *(["net of idle"] if net else []), "letter"]
    lines = []
    for r in rows:
        span = format_interval(r.get("power_draw_low"), r.get("power_draw_high"), "J")
        energy = format_energy(r.get("power_draw")) + (f" [{span}]" if span else "") + (
            " est." if r.get("energy_estimated") else "")
        line = [str(r["dataset"]), str(r["task"]), str(r.get("model_short") or r["model"]), energy,
                format_duration(r.get("time"))]
        if carbon:
            line.append(format_grams(r.get("co2e_g")))
        if net:
            line.append(format_energy(r.get("net_power_draw")))
        line.append(letter_text(r.get("compound_rating"), r.get("compound_stability"), r.get("compound_letter_best"),
                                r.get("compound_letter_worst")))
        lines.append(line)
    widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(header)]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header, *lines]]
    if rated["energy_estimated"].astype(bool).any():
        out.append("est.: estimated energy (no counter could be read): its letters follow running time and CPU use")
    fallback = rated[rated["reference_fallback"].astype(bool)]
    for dataset, model in sorted(set(zip(fallback["dataset"], fallback["reference_model"]))):
        out.append(f"{dataset}: letters relative to {model} (the configured reference did not run here)")
    return "\n".join(out)


def folders_summary(folders: Iterable[str | os.PathLike]) -> str:
    """The summary table of experiment folders (``train_*`` / ``infer_*``) that just ran.

    Parameters
    ----------
    folders : paths of experiment folders
        Folders that do not exist are left out.

    Returns
    -------
    str
        The table (:func:`summary_table`), or a line saying why there is none.
    """
    from mlee.merge.merger import merge_directory
    from mlee.rating import RatingSettings, rate
    from mlee.results import aggregate_runs, load_results

    paths = [Path(f).resolve() for f in folders if f is not None and Path(f).is_dir()]
    if not paths:
        return "Summary: no completed run to show."
    with tempfile.TemporaryDirectory(prefix="mlee-summary-") as tmp:
        source, merged = Path(tmp) / "logs", Path(tmp) / "results"
        source.mkdir()
        for path in paths:
            (source / path.name).symlink_to(path, target_is_directory=True)
        merge_directory(source, merged, progress=False)
        runs = load_results(merged)
        if runs.empty:
            return "Summary: the runs' folders could not be read back (see the merge's messages)."
        rated = rate(aggregate_runs(runs), RatingSettings.default())
    return summary_table(rated)
