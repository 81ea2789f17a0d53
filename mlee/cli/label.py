"""``python -m mlee.label_generator``: energy labels (PDF or SVG) from a folder of merged results.

Loads the results (``mlee.results``), rates them (``mlee.rating``, Contract 4), chooses one model by
dataset / task / environment / model (a unique part of a name is enough) or by the merged result file it
comes from, and writes its label; ``--all`` writes every label, ``--list`` shows what is available.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO
from pathlib import Path

from mlee.cli import program, reports_missing_extras
from mlee.atomic import write_bytes_atomic
from mlee.catalog import model_display
from mlee.label.formats import FORMATS
from mlee.label.raster import RasteriseError, pdf_to_png
from mlee.metrics import rating_letter
from mlee.units import format_energy, format_grams, format_interval

if TYPE_CHECKING:  # pandas, reportlab and the selection are imported where a command needs them: --help is quick
    import pandas as pd

    from mlee.rating.summary import ModelSummary

log = logging.getLogger(__name__)

DEFAULT_ALL_DIRECTORY = "labels"
#: what --format and an --output suffix may ask for: the vector formats, and PNG rasterised from the PDF
OUTPUT_FORMATS: tuple[str, ...] = (*FORMATS, "png")


class LabelCliError(Exception):
    """A problem with the command line's input; the message says what and how to fix it."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the label generator (every flag is documented in its help)."""
    from mlee.cli.rating_options import add_rating_arguments

    parser = argparse.ArgumentParser(
        prog=program("python -m mlee.label_generator"),
        description="Write the EU-style energy label (A6, vector PDF or SVG) of a model on one dataset, "
                    "task and environment, from a folder of merged results.")
    choose = parser.add_argument_group("choosing the label (a unique part of a name is enough; a choice can be "
                                       "left out where only one value fits)")
    choose.add_argument("--dataset", help="dataset key or display name, e.g. credit-g or 'German Credit'")
    choose.add_argument("--task", help="inference or training (infer / train suffice)")
    choose.add_argument("--model", help="method name or short name, e.g. 'Random Forest' or RF")
    choose.add_argument("--environment", help="hardware - backend version, e.g. 'Xeon' or 'scikit-learn 1.1.2'")
    choose.add_argument("--filename", help="a merged result file (infer_*.json / train_*.json): the label of the "
                                           "model, dataset and task it holds; a path to the file also sets "
                                           "--directory to its folder unless --directory is given")
    parser.add_argument("--directory", default=None,
                        help="folder of merged result files, searched recursively (default: your results/ when it "
                             "holds results, else the shipped results in shipped/results/)")
    add_rating_arguments(parser)
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default=None,
                        help="label file format (default: from the --output suffix, else pdf); png is the PDF "
                             "rasterised at 200 dpi (needs pdftoppm from poppler-utils)")
    parser.add_argument("--output", type=Path, default=None,
                        help="label file to write (default: <dataset>_<task>_<model>.<format> in the current "
                             f"folder); with --all the folder to write into (default: {DEFAULT_ALL_DIRECTORY})")
    parser.add_argument("--issue-date", type=iso_date, default=None,
                        help="date printed on the label, YYYY-MM-DD (default: today); fix it for reproducible files")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true",
                      help="write every label of the results (narrowed by any choices given) into --output")
    mode.add_argument("--list", action="store_true",
                      help="list the available labels (narrowed by any choices given) and exit")
    mode.add_argument("--export", type=Path, default=None, metavar="FILE",
                      help="write the rated table (narrowed by any choices given) as a tidy .csv or .parquet "
                           "file, one row per model with values, units, indices, ratings and provenance, and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return parser


def iso_date(text: str) -> datetime.date:
    """``--issue-date`` values: a date written YYYY-MM-DD (argparse type)."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-28") from None


def slug(text: str) -> str:
    """File-name-safe lower-case form of ``text`` (``"Intel(R) Xeon(R)"`` -> ``"intel-r-xeon-r"``)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def label_filename(summary: ModelSummary, fmt: str, with_environment: bool = False) -> str:
    """``<dataset>_<task>_<model short>[_<environment>].<fmt>``."""
    parts = [slug(summary.dataset), summary.task, slug(summary.model_short or summary.model)]
    if with_environment:
        parts.append(slug(summary.environment))
    return "_".join(parts) + f".{fmt}"


def _resolve_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = args.output.suffix.lower() if args.output is not None and not args.all else ""
    if suffix.lstrip(".") in OUTPUT_FORMATS:
        return suffix.lstrip(".")
    if suffix:
        raise LabelCliError(f"--output {str(args.output)!r}: labels are written as "
                            f"{', '.join('.' + f for f in OUTPUT_FORMATS)}; give one of these suffixes "
                            f"(or --format)")
    return "pdf"


def _write(summary: ModelSummary, path: Path, fmt: str, issue_date: datetime.date | None) -> None:
    """Write one label file (PNG: the PDF rasterised)."""
    from mlee.label import render_label, write_label

    if fmt == "png":
        write_bytes_atomic(path, pdf_to_png(render_label(summary, fmt="pdf", issue_date=issue_date)))
    else:
        write_label(summary, path, fmt, issue_date)


def _directory(args: argparse.Namespace) -> Path:
    if args.directory is not None:
        directory = Path(args.directory)
    elif args.filename and Path(args.filename).is_file():
        directory = Path(args.filename).parent
    else:
        from mlee.layout import default_results

        choice = default_results()
        print(f"showing {choice.description}", file=sys.stderr)
        directory = choice.directory
    if not directory.is_dir():
        raise LabelCliError(f"results folder {str(directory)!r} does not exist; pass --directory with the folder "
                            f"of merged result files (the output of merge_results.py, e.g. results/)")
    return directory


def rated_table(directory: Path, settings, references: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Load, aggregate and rate the merged results under ``directory`` (Contract 4), with the ``--reference``
    choices resolved against them (an unknown dataset or model is a ValueError listing the valid ones)."""
    from mlee.rating import rate
    from mlee.rating.references import resolve_references
    from mlee.results import aggregate_runs, load_results

    runs = load_results(directory)
    if runs is None or len(runs) == 0:
        raise LabelCliError(f"no results found under {str(directory)!r}; it needs merged result files "
                            f"(<backend>/infer_*.json, train_*.json) as written by merge_results.py")
    table = aggregate_runs(runs)
    if references:
        settings = settings.replace(references={**settings.references, **resolve_references(references, table)})
    return rate(table, settings)


def _choices(args: argparse.Namespace) -> dict[str, str | None]:
    from mlee.label.selection import FIELDS

    return {field: getattr(args, field) for field in FIELDS}


def _print_list(rows: pd.DataFrame, out) -> None:
    from mlee.rating.stability import letter_text

    rows = rows.sort_values(["dataset", "task", "environment", "model"])
    header = ["dataset", "task", "environment", "model", "rating (stability, range)", "energy [95 % interval]"]
    carbon = "co2e_g" in rows and rows["co2e_g"].notna().any()
    net = "net_power_draw" in rows and rows["net_power_draw"].notna().any()
    header += (["CO2e"] if carbon else []) + (["net of idle"] if net else [])
    lines = []
    for r in rows.to_dict("records"):
        status = r.get("backend_status") or ""
        line = [str(r["dataset"]), str(r["task"]),
                str(r["environment"]) + (f" [{status}]" if status in ("fallback", "mixed") else ""),
                model_display(str(r["model"]), str(r["model_short"])),
                letter_text(r["compound_rating"], r.get("compound_stability"), r.get("compound_letter_best"),
                            r.get("compound_letter_worst")),
                energy_text(r)]
        if carbon:
            line.append(format_grams(r.get("co2e_g")))
        if net:
            line.append(format_energy(r.get("net_power_draw")))
        lines.append(line)
    widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(header)]
    for line in [header, *lines]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip(), file=out)
    print(f"{len(lines)} label(s)", file=out)
    estimated = int(rows["energy_estimated"].astype(bool).sum()) if "energy_estimated" in rows else 0
    if estimated:
        print(f"est.: {estimated} of {len(lines)} energies are estimated (no energy counter could be read): good "
              f"to about 0.46-1.29x of a measurement, so their energy letters follow running time and CPU use",
              file=out)


def energy_text(row: dict) -> str:
    """A row's energy with its 95 % interval and ``est.`` where estimated: ``"16.3 mJ [2.1 mJ-210 mJ] est."``."""
    span = format_interval(row.get("power_draw_low"), row.get("power_draw_high"), "J")
    text = format_energy(row.get("power_draw")) + (f" [{span}]" if span else "")
    return text + (" est." if row.get("energy_estimated") else "")


def _summary(rated: pd.DataFrame, row: pd.Series, settings) -> ModelSummary:
    from mlee.rating import summarise

    return summarise(rated, settings, dataset=row["dataset"], task=row["task"],
                     environment=row["environment"], model=row["model"])


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Carry out the parsed command line, reporting to ``out`` (default: the current stdout); returns the exit status."""
    from tqdm import tqdm

    from mlee.label.selection import rows_for_file, select_one, select_rows
    from mlee.rating import summaries
    from mlee.cli.rating_options import settings_from_options

    out = out or sys.stdout
    if args.filename and Path(args.filename).name != args.filename and not Path(args.filename).is_file():
        raise LabelCliError(f"--filename {args.filename!r} does not exist; give a merged result file "
                            f"(e.g. results/sklearn/infer_<timestamp>.json), or just its name to look it up in "
                            f"--directory")
    fmt = _resolve_format(args)
    settings = settings_from_options(args.rating_mode, args.boundaries, args.weights, args.reference)
    rated = rated_table(_directory(args), settings, args.reference)
    table = rows_for_file(rated, args.filename) if args.filename else rated
    if args.list:
        _print_list(select_rows(table, **_choices(args)), out)
        return 0
    if args.export is not None:
        from mlee.rating.export import tidy_table, write_table

        tidy = tidy_table(select_rows(table, **_choices(args)), settings)
        write_table(tidy, args.export)
        print(f"wrote {args.export}: {len(tidy)} row(s), {len(tidy.columns)} columns", file=out)
        return 0
    if args.all:
        rows = select_rows(table, **_choices(args))
        target = args.output or Path(DEFAULT_ALL_DIRECTORY)
        if target.exists() and not target.is_dir():
            raise LabelCliError(f"--output {str(target)!r} is a file; with --all it must be a folder")
        with_env = rows["environment"].nunique() > 1
        written = 0
        for summary in tqdm(summaries(rows, settings), desc="labels", unit="label", disable=len(rows) < 10):
            _write(summary, target / label_filename(summary, fmt, with_env), fmt, args.issue_date)
            written += 1
        print(f"wrote {written} {fmt.upper()} label(s) to {target}", file=out)
        return 0
    row = select_one(table, **_choices(args))
    summary = _summary(rated, row, settings)
    path = args.output or Path(label_filename(summary, fmt))
    _write(summary, path, fmt, args.issue_date)
    print(f"wrote {path}: {summary.model} ({summary.task}) on {summary.dataset_display}, {summary.environment}, "
          f"rating {rating_letter(summary.compound_rating)}", file=out)
    return 0


@reports_missing_extras
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mlee.label_generator``; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from mlee.label.selection import SelectionError

    try:
        return run(args)
    # ValueError/FileNotFoundError: e.g. an invalid boundaries or weights file, a missing results folder.
    except (SelectionError, LabelCliError, RasteriseError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error
        sys.stderr.close()
        return 0
