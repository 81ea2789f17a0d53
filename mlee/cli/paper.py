"""Command line of ``create_paper_results.py``: parse flags, generate, print what was written."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from mlee.cli import program, reports_missing_extras
from mlee.cli.label import iso_date
from mlee.cli.rating_options import add_rating_arguments

def build_parser() -> argparse.ArgumentParser:
    """The argument parser (flags documented in docs/how-to/paper.md)."""
    parser = argparse.ArgumentParser(
        prog=program("create_paper_results.py"),
        description="Regenerate the publication's tables and figures (LaTeX tables, PDF figures, energy "
                    "labels) from a folder of merged results.")
    parser.add_argument("--directory", type=Path, default=None,
                        help="results folder (merged result files, e.g. results/ or the published results); "
                             "default: your results/ when it holds results, else the shipped results")
    parser.add_argument("--environment", default=None,
                        help="environment to show, any unique part of its name or the full CPU name (e.g. "
                             "'Xeon(R) W-2155 - Scikit-learn 1.1.2', 'Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz - "
                             "Scikit-learn 1.1.2' or 'Xeon'); default: the environment with the most results")
    parser.add_argument("--dataset", default=None,
                        help="dataset of the scatter figure and the labels; default: credit-g if present, "
                             "else the dataset with the most methods")
    add_rating_arguments(parser)
    parser.add_argument("--output", type=Path, default=Path("paper_results"),
                        help="output folder (default: paper_results/)")
    parser.add_argument("--issue-date", type=iso_date, default=None,
                        help="date printed on the labels, YYYY-MM-DD (default: today)")
    parser.add_argument("--png", action="store_true", help="also write a PNG of every figure")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    return parser


@reports_missing_extras
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 with a message on bad input)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from mlee.paper.generate import PaperOptions, generate

    if args.directory is None:
        from mlee.layout import default_results

        choice = default_results()
        print(f"showing {choice.description}", file=sys.stderr)
        args.directory = choice.directory
    options = PaperOptions(directory=args.directory, output=args.output, environment=args.environment,
                           dataset=args.dataset, rating_mode=args.rating_mode, boundaries=args.boundaries,
                           weights=args.weights, png=args.png, issue_date=args.issue_date,
                           references=args.reference)
    start = time.perf_counter()
    try:
        result = generate(options)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"environment: {result.environment}")
    print(f"rating mode: {result.rating_mode} (boundaries/weights {result.fingerprint})")
    print(f"scatter/labels dataset: {result.dataset}")
    print(f"wrote {len(result.files)} files to {args.output} in {time.perf_counter() - start:.1f} s")
    return 0
