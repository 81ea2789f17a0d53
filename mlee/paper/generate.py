"""Generate every paper output from a results folder: tables, scatter, labels, rating distributions.

Outputs (in the publication's file names) written to the output folder:

- ``table_best_models.tex``: best model per dataset (largest dataset first), see
  :func:`mlee.paper.selection.best_models` and :func:`mlee.paper.tables.best_models_tex`.
- ``table_weights.tex``: inference metric weights > 0 grouped by Complexity, Quality, Resources, Robustness.
- ``scatter index.pdf``: inference energy index vs F1 index of the chosen dataset over the rating zones.
- ``label <Method>.pdf``: the energy label of every method on the chosen dataset (label API).
- ``distrib NN.pdf``: compound-rating distribution (count of A..E over the methods) of one dataset;
  NN is the dataset's 0-based position in the size order of the best-model table (``00`` = largest),
  as in the publication's file names.
- ``model distrib <Method>.pdf``: compound-rating distribution of one method across the datasets, named by
  the method (a number would mean different methods in runs of different methods).
- ``table_backends.tex`` / ``table_backends.csv``: where the chosen environment's hardware has results of
  several backends (e.g. scikit-learn and scikit-learn-intelex), method x backend on the chosen dataset:
  training and inference energy and time, accuracy, rating (:mod:`mlee.paper.backends`).
- ``contents.json``: what each file shows (dataset or method of every NN), environment, rating mode,
  fingerprint of the boundaries and weights, and the date printed on the labels.

With ``png=True`` every PDF figure also gets a PNG beside it.
"""

from __future__ import annotations

import datetime
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mlee.atomic import write_json_atomic, write_text_atomic
from mlee.catalog import methods as catalog_methods
from mlee.results.environment import resolve_environment

from .backends import backend_comparison, backends_tex
from .selection import best_models, dataset_sizes, datasets_by_size, default_dataset, default_environment, \
    inference_rows
from .tables import best_models_tex, weights_tex

log = logging.getLogger(__name__)

X_KEY, Y_KEY = "inference power_draw", "general f1_val"
#: the scatter's quality axis for a regression dataset
REGRESSION_Y_KEY = "general r2_val"


@dataclass
class PaperOptions:
    """What to generate.

    directory: results folder (merged results, ``results/<backend>/*.json`` or the published layout).
    output: folder the outputs are written to (created).
    environment: environment to show; None = the one with the most results.
    dataset: dataset of the scatter figure and labels; None = credit-g if present, else the one with the
        most models.
    rating_mode: compound rating mode (one of ``mlee.rating.RATING_MODES``); None = the package default.
    boundaries / weights: JSON files replacing the default boundaries / weights (None = defaults); weights may
        also name a preset (``published``, ``trust``).
    png: also write a PNG of every figure.
    issue_date: date printed on the labels (None = today); fix it for byte-identical labels.
    references: (dataset, model) pairs overriding the package's reference models (``--reference``).
    """

    directory: Path
    output: Path
    environment: str | None = None
    dataset: str | None = None
    rating_mode: str | None = None
    boundaries: Path | None = None
    weights: Path | str | None = None
    png: bool = False
    issue_date: datetime.date | None = None
    references: list[tuple[str, str]] | None = None


@dataclass
class PaperResult:
    """What :func:`generate` did: the chosen environment, dataset and mode, and the files written."""

    environment: str
    dataset: str
    rating_mode: str
    fingerprint: str
    files: list[Path] = field(default_factory=list)


def _safe_name(name: str) -> str:
    """A method name usable in a file name (path separators and control characters replaced)."""
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", name).strip() or "model"


def method_order(models: list[str]) -> list[str]:
    """Methods in the catalog's order, unknown ones after them alphabetically."""
    known = list(catalog_methods())
    present = set(models)
    return [m for m in known if m in present] + sorted(present - set(known))


def _compound_function(settings: Any):
    """compound(ratings, weights) of the rating engine with the chosen mode bound."""
    from mlee.rating import compound_rating

    def compound(ratings, weights):
        return compound_rating(list(ratings), list(weights), settings.mode)

    return compound


def _finite(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def generate(options: PaperOptions) -> PaperResult:
    """Write all paper outputs for ``options``; returns the chosen settings and the written files.

    Raises ``ValueError`` (with the fix in the message) for an empty results folder, an unknown
    environment, dataset or rating mode.
    """
    from mlee.label import write_label
    from mlee.rating import rate, summaries
    from mlee.cli.rating_options import settings_from_options
    from mlee.rating.references import resolve_references
    from mlee.results import aggregate_runs, load_results

    from . import figures

    directory = Path(options.directory)
    if not directory.is_dir():
        raise ValueError(f"results folder {directory} does not exist; pass --directory with a folder of "
                         "merged results (e.g. results/ written by merge_results.py)")
    settings = settings_from_options(options.rating_mode, options.boundaries, options.weights, options.references)
    missing = [key for key in (X_KEY, Y_KEY) if key not in settings.boundaries]
    if missing:
        raise ValueError(f"the boundaries lack {' and '.join(repr(k) for k in missing)}, which the index scatter "
                         f"figure draws; add four descending thresholds for them to {options.boundaries} (the "
                         f"defaults are in mlee/data/boundaries.json)")
    runs = load_results(directory)
    if options.environment:
        environment = resolve_environment(options.environment, runs["environment"].unique())
    else:
        environment = default_environment(runs)
    table = aggregate_runs(runs)
    if options.references:
        settings = settings.replace(references={**settings.references,
                                                **resolve_references(options.references, table)})
    rated = rate(table, settings)
    rows = inference_rows(rated, environment)
    dataset = options.dataset or default_dataset(rows)
    if dataset not in set(rows["dataset"]):
        raise ValueError(f"dataset {dataset!r} has no inference results in {environment!r}; pass --dataset "
                         f"with one of: {', '.join(sorted(set(rows['dataset'])))}")
    fingerprint = settings.fingerprint()
    context = {"environment": environment, "rating mode": settings.mode, "fingerprint": fingerprint}
    out = Path(options.output)
    out.mkdir(parents=True, exist_ok=True)
    result = PaperResult(environment, dataset, settings.mode, fingerprint)
    issued = options.issue_date or datetime.date.today()
    contents: dict[str, Any] = {"environment": environment, "rating_mode": settings.mode,
                                "fingerprint": fingerprint, "scatter_dataset": dataset,
                                "issue_date": issued.isoformat(), "files": {}}

    def note(paths: list[Path], what: str) -> None:
        result.files.extend(paths)
        for path in paths:
            contents["files"][path.name] = what

    steps = tqdm(total=6, desc="paper results", unit="step", disable=None)

    sizes = dataset_sizes(rows)  # reads a result file per dataset: once for the table and the distributions
    best = best_models(rated, environment, sizes)
    note([write_text_atomic(out / "table_best_models.tex", best_models_tex(best, context))],
         "best model per dataset (largest dataset first)")
    note([write_text_atomic(out / "table_weights.tex", weights_tex(settings.weights, context))],
         "inference metric weights > 0 by group")
    if "learning_task" in rows and (rows["learning_task"] == "regression").any():
        note([write_text_atomic(out / "table_weights_regression.tex",
                                weights_tex(settings.weights, context, "regression"))],
             "inference metric weights > 0 by group, regression")
    steps.update()

    comparison = backend_comparison(rated, environment, dataset)
    if comparison["environment"].nunique() > 1:
        note([write_text_atomic(out / "table_backends.tex", backends_tex(comparison, context)),
              write_text_atomic(out / "table_backends.csv", comparison.to_csv(index=False))],
             f"method x backend on {dataset}: energy, time, accuracy, rating")

    chosen = rows[rows["dataset"] == dataset].sort_values("model")
    display = str(chosen["dataset_display"].iloc[0])
    regression = "learning_task" in chosen and (chosen["learning_task"] == "regression").all()
    y_key, y_name = (REGRESSION_Y_KEY, "R^2") if regression else (Y_KEY, "F1")
    fig = figures.scatter_index_figure(
        [_finite(v) for v in chosen["power_draw_index"]],
        [_finite(v) for v in chosen[f"{y_key.split(' ', 1)[1]}_index"]],
        [str(v) for v in chosen["model_short"]],
        settings.boundaries[X_KEY], settings.boundaries[y_key],
        float(settings.weights.get(X_KEY, 0.0)), float(settings.weights.get(y_key, 0.0)),
        _compound_function(settings), title=f"{display}: energy vs. {y_name} (index)",
        x_label="Inference energy index", y_label=f"{y_name} index" if regression else "F1 score index")
    note(figures.save_figure(fig, out / "scatter index.pdf", options.png),
         f"inference energy index vs {y_name} index of {dataset}")
    steps.update()

    for summary in summaries(chosen, settings):
        path = write_label(summary, out / f"label {_safe_name(summary.model)}.pdf", fmt="pdf",
                           issue_date=issued)
        note([Path(path)], f"energy label of {summary.model} on {dataset}")
    steps.update()

    ordered = datasets_by_size(rows, sizes)
    for position, name in enumerate(ordered):
        group = rows[rows["dataset"] == name]
        fig = figures.rating_distribution_figure(list(group["compound_rating"]),
                                                 str(group["dataset_display"].iloc[0]), "Methods")
        note(figures.save_figure(fig, out / f"distrib {position:02d}.pdf", options.png),
             f"compound ratings of the methods on {name} ({sizes[name]} rows)")
    steps.update()

    for model in method_order([str(m) for m in rows["model"].unique()]):
        group = rows[rows["model"] == model]
        fig = figures.rating_distribution_figure(list(group["compound_rating"]), model, "Datasets")
        note(figures.save_figure(fig, out / f"model distrib {_safe_name(model)}.pdf", options.png),
             f"compound ratings of {model} across datasets")
    steps.update()

    write_json_atomic(out / "contents.json", contents)
    result.files.append(out / "contents.json")
    steps.update()
    steps.close()
    log.info("wrote %d files to %s", len(result.files), out)
    return result
