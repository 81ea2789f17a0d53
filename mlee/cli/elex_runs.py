"""Flags of ``elex.py`` for the "Run experiments" panel: who may launch, on which executor, where results go.

Adding the flags imports nothing heavy; :func:`run_options` checks them (a malformed ``--cluster`` or a missing
``--scheduler-file`` is an error before the server starts) and :func:`serve_until_stopped` closes the executor
(an embedded cluster's worker processes end with ELEx) on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from mlee.elex.run_access import run_access
from mlee.cli.executor_options import add_executor_choice

if TYPE_CHECKING:
    from mlee.elex.run_manager import RunOptions


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--read-only``, ``--allow-runs``, ``--cluster``, ``--scheduler-file``, ``--runs-logs``,
    ``--runs-results``, ``--data-dir`` in their own group."""
    group = parser.add_argument_group("running experiments from the page (docs/how-to/elex.md)")
    group.add_argument("--read-only", action="store_true",
                       help="no 'Run experiments' panel (for public hosting)")
    group.add_argument("--allow-runs", action="store_true",
                       help="allow launching on any --host; every launch then needs the secret token printed at "
                            "start (default: launching only when listening on a loopback address)")
    add_executor_choice(group, "run on a Dask scheduler (tcp://host:8786) or an embedded local:N cluster; default: "
                               "an embedded cluster of one worker process on this machine")
    group.add_argument("--runs-logs", default="logs/sklearn", metavar="DIR",
                       help="where the experiment folders of launched runs go (default logs/sklearn)")
    group.add_argument("--runs-results", default="results/sklearn", metavar="DIR",
                       help="where launched runs are merged and shown from (default results/sklearn)")
    group.add_argument("--data-dir", default=None, metavar="DIR",
                       help="offer the .csv and .parquet files in DIR as datasets of the panel, with a chooser of "
                            "the target column (docs/how-to/your-own-model.md)")


def run_options(args: argparse.Namespace) -> RunOptions:
    """The :class:`RunOptions` of the flags; raises ``ValueError`` with the fix for a bad cluster flag."""
    from mlee.elex.run_manager import RunOptions, embedded_executor
    from mlee.runs.errors import ExperimentError

    access = run_access(args.host, args.allow_runs, args.read_only, args.workers)
    make_executor: Callable[[], Any] = embedded_executor
    embedded = True
    if args.cluster or args.scheduler_file:
        try:
            from mlee.executors.dask_executor import DaskExecutor, parse_cluster
        except ImportError:
            raise ValueError("--cluster/--scheduler-file need Dask: pip install 'mlee[cluster]'") from None
        try:  # checks the spec and the file; connects on the first launch
            executor = DaskExecutor(cluster=args.cluster, scheduler_file=args.scheduler_file)
        except ExperimentError as exc:
            raise ValueError(str(exc)) from None
        make_executor = lambda: executor  # noqa: E731
        embedded = bool(args.cluster) and parse_cluster(args.cluster)[0] == "local"
    if not args.debug:  # a lost scheduler shows in the panel; Dask's own reconnect messages would flood the log
        logging.getLogger("distributed").setLevel(logging.ERROR)
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise ValueError(f"--data-dir {args.data_dir} is not a folder; pass the folder that holds your .csv or "
                         f".parquet files")
    return RunOptions(access, Path(args.runs_logs), Path(args.runs_results), make_executor,
                      restart_on_cancel=embedded, data_dir=Path(args.data_dir) if args.data_dir else None)


def describe(options: RunOptions) -> str:
    """What the server says at start about launching runs (the token, when one is needed)."""
    access = options.access
    if not access.visible:
        return "Read-only: no 'Run experiments' panel."
    if not access.enabled:
        return f"Runs: {access.reason}"
    where = f"runs write {options.logs_dir}/ and are merged into {options.results_dir}/"
    if access.token:
        return f"Runs: allowed with the token {access.token}  ({where})"
    return f"Runs: allowed from this machine ({where})"


def serve_until_stopped(serve: Callable[[], None], app: Any) -> None:
    """Call ``serve()``; on its end, Ctrl+C or SIGTERM, cancel the sweeps and close the executor."""
    def stop(_signum: int, _frame: Any) -> None:
        sys.exit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        serve()
    finally:
        signal.signal(signal.SIGTERM, previous)
        manager = getattr(app, "_elex_runs", None)
        if manager is not None:
            manager.close()
