"""The whole mlee chain on a small slice, as a newcomer runs it (``bash quickstart.sh``).

Runs the shipped scripts one after another, exactly as a user would type them: evaluate two methods on a
bundled dataset (``evaluate_sklearn.py``), merge the experiment folders (``merge_results.py``), rate them and
list the ratings and write every label (``python -m mlee.label_generator``), regenerate the paper outputs
(``create_paper_results.py``), and finally serve ELEx (``elex.py``) on this repository's shipped results on
127.0.0.1. Everything the quickstart writes goes under one output folder (default ``quickstart_output/``),
which each run starts clean (``--keep`` pools the new runs with the earlier ones instead, and says so).
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = "quickstart_output"
DEFAULT_DATASET = "iris"
DEFAULT_MODELS = ("Logistic Regression", "Random Forest")
MARKER = ".mlee-quickstart"  # marks an output folder as the quickstart's own (safe to start clean)
#: what the quickstart writes into its folder (an output folder of an older version has no MARKER)
QUICKSTART_FOLDERS = {"logs", "results", "labels", "paper_results"}


class StepFailed(RuntimeError):
    """A step of the chain exited non-zero; its output was shown above."""


def build_parser() -> argparse.ArgumentParser:
    """Command-line flags of the quickstart."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=Path(DEFAULT_OUTPUT),
                        help="folder for everything the quickstart writes (default: %(default)s)")
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="bundled dataset to run (default: %(default)s)")
    parser.add_argument("--model", nargs="+", default=list(DEFAULT_MODELS),
                        help="methods to run (default: %(default)s; include the dataset's reference model, "
                             "Logistic Regression for the bundled datasets, so that the indices are relative to it)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per method (default: %(default)s)")
    parser.add_argument("--issue-date", default=datetime.date.today().isoformat(),
                        help="date printed on the labels, YYYY-MM-DD (default: today)")
    parser.add_argument("--no-serve", action="store_true",
                        help="stop after writing the outputs instead of starting ELEx")
    parser.add_argument("--keep", action="store_true",
                        help="keep the outputs of earlier quickstart runs: their runs are pooled with the new ones "
                             "as repeats (default: start clean)")
    parser.add_argument("--results", default=None,
                        help="results folder ELEx shows at the end (default: the shipped results, shipped/results/)")
    parser.add_argument("--port", type=int, default=8050, help="ELEx port on 127.0.0.1 (default: %(default)s)")
    return parser


def steps(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """The chain as (title, command line) pairs; every command is one of the shipped scripts."""
    out = args.output
    logs, results = out / "logs" / "sklearn", out / "results" / "sklearn"
    python = sys.executable
    return [
        (f"evaluate {', '.join(args.model)} on {args.dataset}",
         [python, "evaluate_sklearn.py", "--dataset", args.dataset, "--model", *args.model,
          "--repeats", str(args.repeats), "--output-dir", str(logs), "--no-progress"]),
        ("merge the experiment folders",
         [python, "merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results), "--quiet"]),
        ("rate: the compound rating of every result",
         [python, "-m", "mlee.label_generator", "--directory", str(out / "results"), "--list"]),
        ("write every energy label (PDF)",
         [python, "-m", "mlee.label_generator", "--directory", str(out / "results"), "--all",
          "--output", str(out / "labels"), "--issue-date", args.issue_date]),
        ("regenerate the paper tables and figures",
         [python, "create_paper_results.py", "--directory", str(out / "results"), "--dataset", args.dataset,
          "--output", str(out / "paper_results"), "--issue-date", args.issue_date]),
    ]


def run_step(title: str, command: list[str]) -> float:
    """Run one step in the repository root, its output going to the terminal; returns its wall time in s."""
    shown = ["python", *(_quoted(part) for part in command[1:])]
    print(f"\n== {title}\n$ {' '.join(shown)}", flush=True)
    start = time.perf_counter()
    if subprocess.call(command, cwd=ROOT) != 0:
        raise StepFailed(f"step '{title}' failed (see its output above)")
    return time.perf_counter() - start


def _quoted(part: str) -> str:
    return f'"{part}"' if " " in part else part


def prepare_output(output: Path, keep: bool) -> str:
    """Make ``output`` ready for a run and say what happened to earlier outputs: removed (the default, so that
    a rerun never silently pools its runs with old ones), kept and pooled (``keep``). A folder that is not the
    quickstart's own is never removed: :class:`StepFailed` asks for another ``--output``."""
    earlier = output / "logs" / "sklearn"
    runs = len([p for p in earlier.glob("infer_*")]) if earlier.is_dir() else 0
    names = {p.name for p in output.iterdir()} if output.is_dir() else set()
    if names and MARKER not in names and not names <= QUICKSTART_FOLDERS:
        raise StepFailed(f"{output} exists and was not written by the quickstart; pass another --output")
    if keep:
        message = (f"pooling with {runs} earlier run(s) in {output} (--keep)" if runs else f"writing to {output}")
    elif output.exists():
        shutil.rmtree(output)
        message = f"starting clean: removed the earlier quickstart outputs in {output} (--keep pools with them)"
    else:
        message = f"writing to {output}"
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text("written by python -m mlee.quickstart; removed by its next run\n",
                                 encoding="utf-8")
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chain; returns 0 when every step succeeded (and ELEx was stopped with Ctrl+C), 1 otherwise."""
    from mlee.layout import SHIPPED_RESULTS

    args = build_parser().parse_args(argv)
    if not args.output.is_absolute():
        args.output = ROOT / args.output
    results = args.results or str(SHIPPED_RESULTS)
    total = 0.0
    try:
        print(f"quickstart: {prepare_output(args.output, args.keep)}", flush=True)
        for title, command in steps(args):
            total += run_step(title, command)
    except StepFailed as error:
        print(f"quickstart: {error}", file=sys.stderr)
        return 1
    print(f"\nquickstart: every step done in {total:.1f} s; outputs in {args.output}", flush=True)
    if args.no_serve:
        return 0
    print(f"\n== ELEx on the shipped results ({results}/): open http://127.0.0.1:{args.port}/ "
          f"(Ctrl+C stops it)", flush=True)
    try:
        return subprocess.call([sys.executable, "elex.py", "--directory", results, "--host", "127.0.0.1",
                                "--port", str(args.port)], cwd=ROOT)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
