"""Command line of ``merge_results.py`` / ``mlee-merge``: merge experiment folders (logs/sklearn/train_*,
infer_*) into one JSON per experiment (results/sklearn).

Incremental and safe: unchanged folders are skipped, broken ones are reported and skipped, every write is
atomic. See docs/how-to/experiments.md, "Merging results".
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from mlee.cli import program
from mlee.merge.merger import MergeReport, merge_directory


def build_parser() -> argparse.ArgumentParser:
    """Command-line flags of merge_results.py."""
    parser = argparse.ArgumentParser(prog=program("merge_results.py"), description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--directory", default="logs/sklearn",
                        help="folder with the experiment folders of evaluate_sklearn.py (default: %(default)s)")
    parser.add_argument("--output-agglog-dir", default="results/sklearn",
                        help="where the merged JSON files go (default: %(default)s)")
    parser.add_argument("--output-log-dir", default=None,
                        help="optional folder for a .tar.gz archive of each merged experiment folder")
    parser.add_argument("--clean", action="store_true",
                        help="merge every folder again (ignore the incremental state), remove merged files "
                             "of folders that no longer exist and abandoned run folders (hidden .tmp-* folders "
                             "left by an interrupted or crashed run)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the merge; exit code 0 (also when some folders were skipped: they are listed), 1 when files could not
    be written (full disk, permissions), 2 on bad arguments."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    try:
        report = merge_directory(args.directory, args.output_agglog_dir, args.output_log_dir, clean=args.clean,
                                 progress=False if args.quiet else None)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only or vanished output folder
        print(f"error: the merge stopped: {_os_error(exc)}. Every file is written atomically: merged files and "
              f"archives already in {args.output_agglog_dir} are kept as they were, nothing half-written is "
              f"visible, and the experiment folders in {args.directory} are untouched. Free space (or fix the "
              f"permissions) and run the merge again.", file=sys.stderr)
        return 1
    for name, reason in report.failed:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    _explain(report, args)
    print(f"{report.summary()} in {time.perf_counter() - start:.2f} s -> {args.output_agglog_dir}")
    if report.unwritten:
        print(f"error: {len(report.unwritten)} merged file(s) or archive(s) could not be written (see above); the "
              f"others were merged, earlier merged files of those folders are kept as they were. Free space and "
              f"run the merge again.", file=sys.stderr)
        return 1
    return 0


def _os_error(exc: OSError) -> str:
    """``"No space left on device (results/x.json)"``: the reason and the file, without a traceback."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _explain(report: MergeReport, args: argparse.Namespace) -> None:
    """Say what the hidden folders are and what to do when nothing was found."""
    if report.abandoned and args.clean:
        print(f"removed {len(report.abandoned)} abandoned run folder(s) (left by interrupted or crashed runs)",
              file=sys.stderr)
    elif report.abandoned:
        print(f"{len(report.abandoned)} abandoned run folder(s) in {args.directory}: "
              f"{', '.join(report.abandoned)}. Each is the unfinished folder of a run that was interrupted "
              f"(Ctrl-C) or crashed; it is never merged. Remove them with `python merge_results.py --clean` "
              f"(or delete them by hand).", file=sys.stderr)
    if report.in_progress:
        print(f"{len(report.in_progress)} run folder(s) still being written by a running evaluate_sklearn.py "
              f"({', '.join(report.in_progress)}); merge again when it has finished.", file=sys.stderr)
    if not (report.merged or report.unchanged or report.failed or report.abandoned or report.in_progress):
        print(f"no experiment folders (train_*/infer_*) found in {args.directory}: run evaluate_sklearn.py "
              f"first (it writes them to logs/sklearn), or pass --directory with its --output-dir.",
              file=sys.stderr)
