#!/usr/bin/env python
"""Merge experiment folders (logs/sklearn/train_*, infer_*) into one JSON per experiment (results/sklearn).

Incremental and safe: unchanged folders are skipped, broken ones are reported and skipped, every write is
atomic. See the README section "Merging results".
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from mlee.merge import merge_directory


def build_parser() -> argparse.ArgumentParser:
    """Command-line flags of merge_results.py."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--directory", default="logs/sklearn",
                        help="folder with the experiment folders of evaluate_sklearn.py (default: %(default)s)")
    parser.add_argument("--output-agglog-dir", default="results/sklearn",
                        help="where the merged JSON files go (default: %(default)s)")
    parser.add_argument("--output-log-dir", default=None,
                        help="optional folder for a .tar.gz archive of each merged experiment folder")
    parser.add_argument("--clean", action="store_true",
                        help="merge every folder again (ignore the incremental state) and remove merged files "
                             "of folders that no longer exist")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the merge; exit code 0 (also when some folders were skipped: they are listed), 2 on bad arguments."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    try:
        report = merge_directory(args.directory, args.output_agglog_dir, args.output_log_dir, clean=args.clean,
                                 progress=False if args.quiet else None)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, reason in report.failed:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    print(f"{report.summary()} in {time.perf_counter() - start:.2f} s -> {args.output_agglog_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
